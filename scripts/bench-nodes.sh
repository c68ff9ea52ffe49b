#!/usr/bin/env bash
# bench-nodes.sh — 1, 2 and 3 `antomgw serve` nodes on one PostgreSQL
# database, all on this machine, each set loaded by one `antomgw bench`
# whose workers are spread over the nodes (--base-url A,B,C), with the CPU
# the nodes and PostgreSQL spent per request. Prints a markdown table.
#
#   scripts/bench-nodes.sh
#
# Environment:
#   ADMIN_URL   a PostgreSQL URL allowed to CREATE DATABASE
#               (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
#   NODES="1 2 3"  SCENARIO=pay  CONCURRENCY=16  DURATION=10s
#   BIN         the antomgw binary (default: built from this checkout)
#
# CPU is read from /proc/PID/stat (user+system) before and after each
# bench run, for every serve process and for PostgreSQL (every process
# named postgres, plus the postmaster's reaped children); the bench reports
# its own. The database is created fresh and dropped at
# the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/benchlib.sh" # jget, cpu, pgcpu
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
NODES=${NODES:-"1 2 3"}
SCENARIO=${SCENARIO:-pay}
CONCURRENCY=${CONCURRENCY:-16}
DURATION=${DURATION:-10s}
W=$(mktemp -d)
DB=antomgw_nodes_$$
URL=${ADMIN_URL%%/test*}/$DB?sslmode=disable
PIDS=()
ANALYZE_PID=""
cleanup() {
  [ -n "$ANALYZE_PID" ] && kill "$ANALYZE_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

BIN=${BIN:-}
if [ -z "$BIN" ]; then
  (cd "$root" && go build -o "$W/antomgw" ./cmd/antomgw)
  BIN=$W/antomgw
fi
psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
cd "$W"
"$BIN" keys generate --private-out m.pem --public-out m.pub >/dev/null
"$BIN" clients add --client-id BN --public-key m.pub --database-url "$URL" >/dev/null
"$BIN" keys export --database-url "$URL" >gw.pub 2>/dev/null

# A server without autovacuum never analyses the new tables, and the plans
# each connection caches while they are empty stay (docs/operations.md):
# stand in for autovacuum with an ANALYZE every 2 s.
if [ "$(psql -At "$URL" -c 'SHOW autovacuum')" != on ]; then
  echo "(autovacuum is off on this server: the script runs ANALYZE every 2 s in its stead)"
  ( while sleep 2; do psql -q "$URL" -c ANALYZE >/dev/null 2>&1 || true; done ) &
  ANALYZE_PID=$!
fi

tck=$(getconf CLK_TCK)

echo "| nodes | pays/s | p50 / p99 | ceiling (pairs/s) | share | node CPU ms/req | PostgreSQL CPU ms/req | generator CPU ms/req |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|"
for n in $NODES; do
  PIDS=()
  urls=""
  for i in $(seq "$n"); do
    port=$((18500 + i))
    "$BIN" serve --listen 127.0.0.1:$port --database-url "$URL" --log-level warn 2>"serve-$n-$i.log" &
    PIDS+=($!)
    urls="${urls:+$urls,}http://127.0.0.1:$port"
  done
  for i in $(seq "$n"); do
    port=$((18500 + i))
    for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  done
  nodes0=$(cpu "${PIDS[@]}"); pg0=$(pgcpu)
  "$BIN" bench --base-url "$urls" --client-id BN --private-key m.pem --gateway-public-key gw.pub \
    --max --duration "$DURATION" --concurrency "$CONCURRENCY" --scenario "$SCENARIO" \
    --limit --limit-duration 3s --json "bench-$n.json" >"bench-$n.txt" 2>"bench-$n.err"
  nodes1=$(cpu "${PIDS[@]}"); pg1=$(pgcpu)
  for p in "${PIDS[@]}"; do kill "$p"; done
  wait "${PIDS[@]}" 2>/dev/null || true
  reqs=$(awk '$1 == "requests" {print $2; exit}' "bench-$n.txt")
  rate=$(awk '$1 == "requests/s" {print $2; exit}' "bench-$n.txt")
  lat=$(awk '$1 == "latency" {print $3 " / " $7; exit}' "bench-$n.txt")
  ceil=$(jget "bench-$n.json" ceilingPairsPerSecond)
  gen=$(awk '$1 == "generator" {print $2; exit}' "bench-$n.txt")
  awk -v n="$n" -v rate="$rate" -v lat="$lat" -v ceil="$ceil" -v reqs="$reqs" -v gen="$gen" \
    -v nodes=$((nodes1 - nodes0)) -v pg=$((pg1 - pg0)) -v tck="$tck" 'BEGIN {
      printf "| %d | %.0f | %s | %.0f | %.2f | %.3f | %.3f | %s |\n", n, rate, lat, ceil, rate / ceil,
        nodes * 1000 / tck / reqs, pg * 1000 / tck / reqs, gen }'
done
echo
echo "Crypto backend: $("$BIN" --version | tr '\n' ' ')"
echo "Every row is one bench run (scenario $SCENARIO, --max, $DURATION, $CONCURRENCY connections spread over the nodes) with the crypto ceiling the mean of one measured right before its timed part and one right after, on $(nproc) cores shared by the nodes, PostgreSQL and the generator."
