#!/usr/bin/env bash
# bench-crypto.sh — package wire's signing and encryption benchmarks next to
# `openssl speed rsa2048` on the same machine, as markdown on stdout.
#
#   scripts/bench-crypto.sh > /tmp/bench.md
#
# Both are single-threaded: `go test -bench` runs one goroutine per
# benchmark, `openssl speed` without -multi runs one process. The RSA-2048
# private-key operation bounds Sign and DecryptBody, the public-key one
# Verify and EncryptBody. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

gocmd=(go test ./wire -run '^$' -bench 'Sign$|Verify$|ParseSignatureHeader|EncryptBody|DecryptBody' -benchtime 2s -count 1)
sslcmd=(openssl speed -seconds 3 rsa2048)

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "### Machine"
echo
echo "- nproc: $(nproc)"
echo "- CPU: ${cpu:-unknown}"
echo "- $(go version)"
if command -v openssl >/dev/null 2>&1; then
  echo "- $(openssl version)"
else
  echo "- openssl: not installed"
fi
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- load average before the run: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo

goout=$("${gocmd[@]}" 2>&1) || { echo "$goout" >&2; echo "bench-crypto.sh: go test failed" >&2; exit 1; }
echo "### Go: \`${gocmd[*]}\`"
echo
echo '```text'
echo "$goout" | grep -E '^(goos|goarch|pkg|cpu|Benchmark)'
echo '```'
echo

sslline=""
if command -v openssl >/dev/null 2>&1; then
  sslout=$("${sslcmd[@]}" 2>/dev/null) || { echo "bench-crypto.sh: openssl speed failed" >&2; exit 1; }
  sslline=$(echo "$sslout" | grep -E '^rsa +2048 bits' | tail -1)
  echo "### OpenSSL: \`${sslcmd[*]}\`"
  echo
  echo '```text'
  echo "$sslout" | grep -E '^ +sign +verify' | tail -1
  echo "$sslline"
  echo '```'
  echo
fi

# ops/s of a Go benchmark: 1e9 / ns/op.
goops() {
  echo "$goout" | awk -v name="$1" '
    $1 ~ "^Benchmark" name "(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") { printf "%.1f", 1e9 / $i; exit } }'
}
sign=$(goops Sign)
verify=$(goops Verify)
sslsign=$(echo "$sslline" | awk '{ print $6 }')
sslverify=$(echo "$sslline" | awk '{ print $7 }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo
echo "### Comparison (single thread, RSA-2048, SHA-256, PKCS #1 v1.5)"
echo
echo "| operation | wire (Go) ops/s | openssl ops/s | wire / openssl |"
echo "|---|---:|---:|---:|"
echo "| sign | ${sign:-n/a} | ${sslsign:-n/a} | $(ratio "$sign" "$sslsign") |"
echo "| verify | ${verify:-n/a} | ${sslverify:-n/a} | $(ratio "$verify" "$sslverify") |"
echo
echo "### All wire benchmarks"
echo
echo "| benchmark | ns/op | ops/s | B/op | allocs/op |"
echo "|---|---:|---:|---:|---:|"
echo "$goout" | awk '
  /^Benchmark/ {
    name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
    ns = ""; bop = ""; al = ""
    for (i = 2; i < NF; i++) {
      if ($(i+1) == "ns/op") ns = $i
      if ($(i+1) == "B/op") bop = $i
      if ($(i+1) == "allocs/op") al = $i
    }
    printf "| %s | %s | %.1f | %s | %s |\n", name, ns, 1e9 / ns, bop, al
  }'
