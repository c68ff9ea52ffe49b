#!/usr/bin/env bash
# bench-boring.sh — the crypto builds measured back to back in one run: the
# default (pure Go crypto), BoringCrypto (make build-boring) and, when the
# libcrypto headers are installed, OpenSSL (make build-openssl). Each serves
# pays on a fresh SQLite store and is loaded by the default build's
# `antomgw bench` (16 connections, --max, 10 s) with the crypto ceiling of
# the pure-Go generator measured just before; then each fast build's own
# ceiling.
#
#   scripts/bench-boring.sh            # from the repository root
#   BUILDS="default boring" scripts/bench-boring.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BUILDS=${BUILDS:-"default boring openssl"}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
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
build default
for b in $BUILDS; do [ "$b" = default ] || build "$b"; done
cd "$W"
./antomgw-default keys generate --private-out m.pem --public-out m.pub >/dev/null
port=18300
for b in $BUILDS; do
  bin=./antomgw-$b
  [ -x "$bin" ] || continue
  port=$((port + 1))
  d="$W/data-$port"
  "$bin" clients add --client-id B1 --public-key m.pub --data "$d" >/dev/null
  "$bin" serve --listen 127.0.0.1:$port --data "$d" --log-level warn 2>"$W/serve-$port.log" &
  pid=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  "$bin" keys export --data "$d" >"gw-$port.pub" 2>/dev/null
  echo "== server: $("$bin" --version | tr '\n' ' ')"
  ./antomgw-default bench --base-url http://127.0.0.1:$port --client-id B1 --private-key m.pem --gateway-public-key "gw-$port.pub" \
    --max --duration 10s --concurrency 16 --scenario pay --limit --limit-duration 3s |
    grep -E "^(requests/s|latency|generator|crypto ceiling|ceiling share)"
  awk -v tck="$(getconf CLK_TCK)" '{printf "server CPU       %.1f s (user+system, whole run)\n", ($14 + $15) / tck}' "/proc/$pid/stat"
  kill $pid
  wait $pid 2>/dev/null || true
done
for b in $BUILDS; do
  [ "$b" != default ] && [ -x "./antomgw-$b" ] || continue
  echo "== the $b build's own crypto ceiling"
  "./antomgw-$b" bench --limit --limit-duration 3s | grep -E "^(crypto ceiling|crypto backend)"
done
