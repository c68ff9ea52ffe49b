#!/usr/bin/env bash
# bench-boring.sh — the crypto builds measured side by side in one run: the
# default (pure Go crypto), BoringCrypto (make build-boring) and, when the
# libcrypto headers are installed, OpenSSL (make build-openssl). Each serves
# pays on a fresh SQLite store; all of them run at once, and ROUNDS rounds
# load each in turn with the default build's `antomgw bench` (16
# connections, --max, DURATION), which measures the pure-Go crypto ceiling
# right before and right after each timed part. The machine's speed drifts between runs, so
# each build's share of the ceiling is its own run's, the table gives the
# median over the rounds and every round's value, and the ratios between
# builds are taken within each round. Then each fast build's own ceiling.
#
#   scripts/bench-boring.sh            # from the repository root
#   BUILDS="default boring" ROUNDS=5 scripts/bench-boring.sh
#
# Environment: BUILDS="default boring openssl"  ROUNDS=3  DURATION=10s
#   CONCURRENCY=16  OUT=<raw results; default a temporary dir, removed>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BUILDS=${BUILDS:-"default boring openssl"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-16}
if [ -n "${OUT:-}" ]; then W=$OUT; mkdir -p "$W"; else W=$(mktemp -d); fi
declare -A PID=() PORT=()
cleanup() {
  local b
  for b in "${!PID[@]}"; do kill "${PID[$b]}" 2>/dev/null || true; wait "${PID[$b]}" 2>/dev/null || true; done
  [ -n "${OUT:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
build() { # build NAME: the binary $W/antomgw-NAME, or nothing when it cannot be built here
  case $1 in
    default) (cd "$root" && go build -o "$W/antomgw-default" ./cmd/antomgw) ;;
    boring) (cd "$root" && CGO_ENABLED=1 GOEXPERIMENT=boringcrypto go build -o "$W/antomgw-boring" ./cmd/antomgw) ;;
    openssl)
      if echo '#include <openssl/evp.h>' | gcc -E - >/dev/null 2>&1; then
        (cd "$root" && CGO_ENABLED=1 go build -tags openssl -o "$W/antomgw-openssl" ./cmd/antomgw)
      else
        echo "== openssl: skipped (no libcrypto headers: apt-get install libssl-dev)"
      fi ;;
  esac
}

. "$root/scripts/benchlib.sh" # jget, median, joined, cpu

build default
for b in $BUILDS; do [ "$b" = default ] || build "$b"; done
cd "$W"
./antomgw-default keys generate --private-out m.pem --public-out m.pub >/dev/null
port=18300
RUN=()
for b in $BUILDS; do
  bin=./antomgw-$b
  [ -x "$bin" ] || continue
  port=$((port + 1))
  d="$W/data-$b"
  "$bin" clients add --client-id B1 --public-key m.pub --data "$d" >/dev/null
  "$bin" serve --listen 127.0.0.1:$port --data "$d" --log-level warn 2>"$W/serve-$b.log" &
  PID[$b]=$!
  PORT[$b]=$port
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  "$bin" keys export --data "$d" >"gw-$b.pub" 2>/dev/null
  echo "== $b: $("$bin" --version | tr '\n' ' ')"
  RUN+=("$b")
done

tck=$(getconf CLK_TCK)
for r in $(seq "$ROUNDS"); do
  for b in "${RUN[@]}"; do
    f="$W/$b-$r"
    c0=$(cpu "${PID[$b]}")
    ./antomgw-default bench --base-url "http://127.0.0.1:${PORT[$b]}" --client-id B1 --private-key m.pem --gateway-public-key "gw-$b.pub" \
      --max --duration "$DURATION" --concurrency "$CONCURRENCY" --scenario pay --limit --limit-duration 3s --json "$f.json" > "$f.txt"
    c1=$(cpu "${PID[$b]}")
    # The server idles while the bench pre-signs and measures the ceiling:
    # its CPU over the run is the timed part's, per request.
    awk -v c=$((c1 - c0)) -v t="$tck" -v n="$(jget "$f.json" requests)" 'BEGIN { printf "%.3f\n", c * 1000 / t / n }' > "$f.cpu"
    printf 'round %s %-8s %8.1f pays/s  p50 %6.2f ms  p99 %6.2f ms  ceiling %7.1f  share %.2f  server CPU %s ms/pay\n' "$r" "$b" \
      "$(jget "$f.json" requestsPerSecond)" "$(jget "$f.json" p50)" "$(jget "$f.json" p99)" \
      "$(jget "$f.json" ceilingPairsPerSecond)" "$(jget "$f.json" ceilingFraction)" "$(cat "$f.cpu")"
  done
done

# col BUILD KEY: KEY of each round's JSON, one per line.
col() { local r; for r in $(seq "$ROUNDS"); do jget "$W/$1-$r.json" "$2"; done; }
# ratio A B: A's share over B's, per round.
ratio() { paste <(col "$1" ceilingFraction) <(col "$2" ceilingFraction) | awk '{ printf "%.4f\n", $1 / $2 }'; }
echo
echo "### Crypto builds, $ROUNDS rounds ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo
echo "| server build | pays/s | p99 ms | pure-Go ceiling | share of the ceiling | per round | server CPU ms/pay | vs default | vs BoringCrypto |"
echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
for b in "${RUN[@]}"; do
  vd=""; vb=""
  [ "$b" != default ] && [ -n "${PID[default]:-}" ] && vd=$(ratio "$b" default | median | awk '{ printf "%.2f", $1 }')
  if [ "$b" = boring ]; then vb=1
  elif [ "$b" != default ] && [ -n "${PID[boring]:-}" ]; then vb=$(ratio "$b" boring | median | awk '{ printf "%.2f", $1 }'); fi
  printf '| %s | %.1f | %.2f | %.1f | **%.2f** | %s | %.3f | %s | %s |\n' "$b" \
    "$(col "$b" requestsPerSecond | median)" "$(col "$b" p99 | median)" "$(col "$b" ceilingPairsPerSecond | median)" \
    "$(col "$b" ceilingFraction | median)" "$(col "$b" ceilingFraction | joined)" \
    "$(for r in $(seq "$ROUNDS"); do cat "$W/$b-$r.cpu"; done | median)" "${vd:-1}" "$vb"
done
echo
echo "Medians over the rounds; the ratios are the median of each round's ratio of shares."
for b in "${RUN[@]}"; do
  [ "$b" != default ] || continue
  echo "== the $b build's own crypto ceiling"
  "./antomgw-$b" bench --limit --limit-duration 3s | grep -E "^(crypto ceiling|crypto backend)"
done
