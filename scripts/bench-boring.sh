#!/usr/bin/env bash
# bench-boring.sh — the default (pure Go crypto) build and the BoringCrypto
# build (make build-boring), measured back to back in one run: each serves
# pays on a fresh SQLite store and is loaded by the default build's
# `antomgw bench` (16 connections, --max, 10 s) with the crypto ceiling of
# the pure-Go generator measured in the same run; then the ceiling of the
# BoringCrypto build's own generator.
#
#   scripts/bench-boring.sh            # from the repository root
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
(cd "$root" && go build -o "$W/antomgw" ./cmd/antomgw && CGO_ENABLED=1 GOEXPERIMENT=boringcrypto go build -o "$W/antomgw-boring" ./cmd/antomgw)
cd "$W"
./antomgw keys generate --private-out m.pem --public-out m.pub >/dev/null
port=18300
for bin in ./antomgw ./antomgw-boring; do
  port=$((port + 1))
  d="$W/data-$port"
  "$bin" clients add --client-id B1 --public-key m.pub --data "$d" >/dev/null
  "$bin" serve --listen 127.0.0.1:$port --data "$d" --log-level warn 2>"$W/serve-$port.log" &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  "$bin" keys export --data "$d" >"gw-$port.pub" 2>/dev/null
  echo "== server: $("$bin" --version)"
  ./antomgw bench --base-url http://127.0.0.1:$port --client-id B1 --private-key m.pem --gateway-public-key "gw-$port.pub" \
    --max --duration 10s --concurrency 16 --scenario pay --limit --limit-duration 3s |
    grep -E "^(requests/s|latency|crypto|ceiling)"
  kill $pid
  wait $pid 2>/dev/null || true
done
echo "== the BoringCrypto build's own crypto ceiling"
./antomgw-boring bench --limit --limit-duration 3s | grep -E "^(crypto ceiling|crypto backend)"
