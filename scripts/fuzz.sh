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

# corpus_count prints how many saved failing inputs a target has.
corpus_count() {
  if [ -d "wire/testdata/fuzz/$1" ]; then ls "wire/testdata/fuzz/$1" | wc -l; else echo 0; fi
}

n=0
for t in $targets; do
  n=$((n + 1))
  echo "== fuzz.sh: $t for $dur"
  before=$(corpus_count "$t")
  out=$(mktemp)
  if go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$dur" 2>&1 | tee "$out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    rm -f "$out"
    continue
  fi
  # Go's fuzz coordinator can end a time-budgeted run with "context
  # deadline exceeded" and no failing input (golang/go#75804). That is not
  # a finding: run the target once more. A real failure writes an input.
  if [ "$(corpus_count "$t")" -eq "$before" ] && grep -q 'context deadline exceeded' "$out"; then
    rm -f "$out"
    echo "fuzz.sh: $t ended on the fuzz coordinator's deadline race without a failing input; running it again"
    if go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$dur"; then
      continue
    fi
  fi
  rm -f "$out"
  echo "fuzz.sh: $t FAILED; the failing input is under wire/testdata/fuzz/$t/" >&2
  exit 1
done
echo "fuzz.sh: $n targets passed ($dur each)"
