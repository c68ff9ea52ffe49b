#!/usr/bin/env bash
# bench-p99.sh — issue 18's latency target in one run: the default build
# serves pays on a fresh SQLite store (serve's defaults); `antomgw bench
# --max` finds the maximum pay rate (16 connections, with the crypto ceiling
# measured right before and after), then an open-loop run at half that rate gives the
# p99 (latency from each request's scheduled time, so a stall cannot hide).
#
#   scripts/bench-p99.sh
#
# Environment: MAX_DURATION=10s  RATE_DURATION=20s  WORKERS=64  BIN=<antomgw>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
MAX_DURATION=${MAX_DURATION:-10s}
RATE_DURATION=${RATE_DURATION:-20s}
WORKERS=${WORKERS:-64}
W=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
BIN=${BIN:-}
if [ -z "$BIN" ]; then
  (cd "$root" && go build -o "$W/antomgw" ./cmd/antomgw)
  BIN=$W/antomgw
fi
cd "$W"
"$BIN" keys generate --private-out m.pem --public-out m.pub >/dev/null
"$BIN" clients add --client-id BP --public-key m.pub --data d >/dev/null
port=18460
"$BIN" serve --listen 127.0.0.1:$port --data d --log-level warn 2>serve.log &
PID=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
"$BIN" keys export --data d >gw.pub 2>/dev/null
common=(--base-url "http://127.0.0.1:$port" --client-id BP --private-key m.pem --gateway-public-key gw.pub --scenario pay)

echo "== server: $("$BIN" --version | tr '\n' ' ')"
echo "== maximum: --max --concurrency 16 --duration $MAX_DURATION"
"$BIN" bench "${common[@]}" --max --concurrency 16 --duration "$MAX_DURATION" --limit --limit-duration 3s >max.txt 2>max.err
grep -E "^(requests/s|latency|errors|generator|crypto ceiling|ceiling share)" max.txt
max=$(awk '$1 == "requests/s" {print $2; exit}' max.txt)
half=$(awk -v m="$max" 'BEGIN { printf "%d", m / 2 }')
echo "== half of it, open loop: --rate $half --concurrency $WORKERS --duration $RATE_DURATION"
"$BIN" bench "${common[@]}" --rate "$half" --concurrency "$WORKERS" --duration "$RATE_DURATION" >rate.txt 2>rate.err
grep -E "^(requests/s|latency|errors|late|generator)" rate.txt
