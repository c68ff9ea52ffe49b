#!/usr/bin/env bash
# fuzz.sh — run every fuzz target of package wire, one after the other.
#
#   scripts/fuzz.sh            # 5s per target
#   scripts/fuzz.sh 30s        # any -fuzztime value: 30s, 2m, 10000x
#   scripts/fuzz.sh 30         # a bare number means seconds
#
# Stops at the first failure. The fuzzer saves a failing input under
# wire/testdata/fuzz/<Target>/; keep it (it becomes a regression test run by
# plain `go test ./wire`) and fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."

dur="${1:-5s}"
case "$dur" in
  '' | *[!0-9]*) ;;      # already has a unit (or is empty: go test reports it)
  *) dur="${dur}s" ;;
esac
pkg=./wire

targets=$(go test "$pkg" -list '^Fuzz' | grep '^Fuzz' || true)
if [ -z "$targets" ]; then
  echo "fuzz.sh: no Fuzz targets found in $pkg" >&2
  exit 1
fi

n=0
for t in $targets; do
  n=$((n + 1))
  echo "== fuzz.sh: $t for $dur"
  if ! go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$dur"; then
    echo "fuzz.sh: $t FAILED; the failing input is under wire/testdata/fuzz/$t/" >&2
    exit 1
  fi
done
echo "fuzz.sh: $n targets passed ($dur each)"
