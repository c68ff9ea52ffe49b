#!/usr/bin/env bash
# bench-large.sh — is the gateway flat as its store grows? (issue 18)
#
#   scripts/bench-large.sh                    # 1,000,000 payments per store
#   PAYMENTS=20000 scripts/bench-large.sh     # a smoke test, a few minutes
#
# For each store, SQLite then PostgreSQL:
#   1. a fresh store and client; serve started, its start to ready timed;
#      antomgw bench pay, inquiry and mixed on the EMPTY store (CONCURRENCY
#      connections, --max, DURATION each; the pay run measures the crypto
#      ceiling first, --limit --limit-duration 3s);
#   2. serve stopped; scripts/populate writes PAYMENTS payments (with
#      refunds, captures, notifications and their attempts) through the
#      gateway's use cases (see scripts/populate/main.go for the mix; on a
#      PostgreSQL server without autovacuum it vacuums in its stead);
#      PostgreSQL then gets the VACUUM ANALYZE its autovacuum would have
#      made on a live store;
#   3. bytes on disk per payment: what the population added (SQLite:
#      antomgw.db and -wal, after a checkpoint; PostgreSQL: every public
#      table with its indexes and TOAST, and the database for reference)
#      over PAYMENTS;
#   4. serve started on the LARGE store, start to ready timed (exec to the
#      first 200 of GET /readyz; median of STARTS);
#   5. serve's CPU while idle, then the same three benches (serve's idle
#      CPU is measured on the empty store too); then a table of both.
#
# Environment:
#   PAYMENTS=1000000  DURATION=10s  CONCURRENCY=16  STORES="sqlite postgres"
#   STARTS=3          WORKERS=      (populate --workers; empty: its default)
#   IDLE_SECONDS=5    how long serve's idle CPU is measured before the benches
#   PG_URL=postgres://postgres@127.0.0.1:5432   PG_DB=antomgw_large
#     (the database is created fresh, dropped first if it exists, and
#     dropped at the end; PostgreSQL is skipped when psql cannot connect)
#   PG_ANALYZE_EVERY=2  seconds between ANALYZEs while the empty store's
#     benches run on a PostgreSQL server without autovacuum (0: none).
#     Without statistics, each of serve's connections keeps the generic
#     plan it made on the empty tables (a paymentRequestId looked up by
#     scanning the client's payments), and pays slow down as the "empty"
#     store fills; a live server's autovacuum analyzes the tables. The
#     large store is analyzed once after populate, and needs no more.
#   OUT=<raw results; default a new /tmp dir, kept>: bench tables (.txt),
#     their JSON, populate's output, serve logs.
#   KEEP_DATA=      set to keep the SQLite data directory in OUT (about
#     1.5 KB a payment); by default it is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PAYMENTS=${PAYMENTS:-1000000}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-16}
STORES=${STORES:-"sqlite postgres"}
STARTS=${STARTS:-3}
IDLE_SECONDS=${IDLE_SECONDS:-5}
WORKERS=${WORKERS:-}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PG_DB=${PG_DB:-antomgw_large}
PG_ANALYZE_EVERY=${PG_ANALYZE_EVERY:-2}
OUT=${OUT:-$(mktemp -d /tmp/antomgw-large.XXXXXX)}
mkdir -p "$OUT"
A="$OUT/antomgw"
POP="$OUT/populate"
CLIENT=BENCH_CLIENT

log() { echo "bench-large.sh: $*" >&2; }
# jget FILE KEY: the first numeric "KEY": value of a JSON file written by
# bench --json (one field per line).
jget() { sed -n "s/^ *\"$2\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$1" | head -1; }
nowms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
psqlc() { psql "$PG_URL/$1" -v ON_ERROR_STOP=1 -qAtc "$2"; }

SERVER_PID=""
ANALYZE_PID=""
PG_CREATED=""
ANALYZE_LOOP=""
cleanup() {
  if [ -n "$ANALYZE_PID" ]; then kill "$ANALYZE_PID" 2>/dev/null || true; wait "$ANALYZE_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_CREATED" ]; then psqlc postgres "DROP DATABASE IF EXISTS $PG_DB" 2>/dev/null || true; fi
}
trap cleanup EXIT

log "building antomgw and populate into $OUT"
go build -o "$A" ./cmd/antomgw
go build -o "$POP" ./scripts/populate
"$A" keys generate --private-out "$OUT/merchant.pem" --public-out "$OUT/merchant.pub" >/dev/null

# start_server NAME: starts serve on STORE_ARGS on a free loopback port and
# sets SERVER_PID, ADDR and READY_MS (exec to the first 200 of /readyz;
# polls without sleeping, so it includes a few ms of curl).
start_server() {
  local logf="$OUT/serve-$1.log"
  local t0; t0=$(nowms)
  : > "$logf" # exists before serve opens it: the sed below may run first
  "$A" serve "${STORE_ARGS[@]}" --listen 127.0.0.1:0 > "$logf" 2>&1 &
  SERVER_PID=$!
  ADDR=""
  while :; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then log "serve exited:"; cat "$logf" >&2; exit 1; fi
    if [ -z "$ADDR" ]; then
      ADDR=$(sed -n 's/.*msg="antomgw listening" addr=\([^ ]*\).*/\1/p' "$logf" | head -1)
      continue
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/readyz" || true)" = 200 ]; then break; fi
  done
  READY_MS=$(( $(nowms) - t0 ))
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }

# analyze_start / analyze_stop: on a PostgreSQL server without autovacuum,
# ANALYZE the database every PG_ANALYZE_EVERY seconds in between, in the
# stead of autovacuum (see PG_ANALYZE_EVERY above).
analyze_start() {
  [ -n "$ANALYZE_LOOP" ] || return 0
  ( while sleep "$PG_ANALYZE_EVERY"; do psqlc "$PG_DB" 'ANALYZE' 2>/dev/null || true; done ) &
  ANALYZE_PID=$!
}
analyze_stop() {
  [ -n "$ANALYZE_PID" ] || return 0
  kill "$ANALYZE_PID" 2>/dev/null || true; wait "$ANALYZE_PID" 2>/dev/null || true; ANALYZE_PID=""
}

# ready NAME: STARTS starts of serve, each stopped again; sets READY (the
# median, ms) and READY_ALL.
ready() {
  local all=() i
  for i in $(seq "$STARTS"); do start_server "$1-start$i"; all+=("$READY_MS"); stop_server; done
  READY=$(printf '%s\n' "${all[@]}" | median)
  READY_ALL="${all[*]}"
}

# idle_cpu: the CPU serve spends while nothing calls it (its workers' polls
# and metrics reads), in ms per second over IDLE_SECONDS after 2 s to
# settle; sets IDLE. A poll whose cost grows with the store shows here
# first, and takes the cores from every request.
idle_cpu() {
  local tck c0 c1
  tck=$(getconf CLK_TCK)
  sleep 2
  c0=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
  sleep "$IDLE_SECONDS"
  c1=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
  IDLE=$(awk -v d=$((c1 - c0)) -v t="$tck" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", d * 1000 / t / s }')
  echo "  serve idle: $IDLE ms CPU per second (over ${IDLE_SECONDS}s)"
}

# benches PREFIX: pay, inquiry, mixed against a running serve; one line each.
benches() {
  local sc extra f
  for sc in pay inquiry mixed; do
    extra=()
    [ "$sc" = pay ] && extra=(--limit --limit-duration 3s)
    f="$OUT/$1-$sc"
    "$A" bench --base-url "http://$ADDR" --client-id "$CLIENT" --private-key "$OUT/merchant.pem" --gateway-public-key "$OUT/gateway-$STORE.pub" \
      --scenario "$sc" --max --concurrency "$CONCURRENCY" --duration "$DURATION" --json "$f.json" "${extra[@]}" > "$f.txt" 2> "$f.err" ||
      { log "bench $1 $sc failed:"; cat "$f.err" >&2; exit 1; }
    printf '  %-8s %9.1f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %s\n' "$sc" "$(jget "$f.json" requestsPerSecond)" \
      "$(jget "$f.json" p50)" "$(jget "$f.json" p99)" "$(jget "$f.json" total)"
    if [ "$sc" = pay ]; then grep -E '^(crypto ceiling|ceiling share)' "$f.txt" | sed 's/^/    /'; fi
  done
}

# size: bytes the store takes now (SQLite: antomgw.db and -wal after a
# checkpoint; PostgreSQL: the public tables with indexes and TOAST).
size() {
  if [ "$STORE" = sqlite ]; then
    if command -v sqlite3 >/dev/null; then sqlite3 "$DATA/antomgw.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; fi
    local f s=0
    for f in "$DATA/antomgw.db" "$DATA/antomgw.db-wal"; do [ -f "$f" ] && s=$(( s + $(stat -c %s "$f") )); done
    echo "$s"
  else
    psqlc "$PG_DB" "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
  fi
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }

SUMMARY="$OUT/summary.rows" # one line per store; never the file stdout goes to
: > "$SUMMARY"
for STORE in $STORES; do
  case $STORE in
    sqlite)
      DATA="$OUT/sqlite-data"
      rm -rf "$DATA"
      STORE_ARGS=(--data "$DATA") ;;
    postgres)
      if ! psqlc postgres 'SELECT 1' >/dev/null 2>&1; then
        log "skipping PostgreSQL: psql cannot connect to $PG_URL/postgres"
        continue
      fi
      psqlc postgres "DROP DATABASE IF EXISTS $PG_DB"
      psqlc postgres "CREATE DATABASE $PG_DB"
      PG_CREATED=1
      STORE_ARGS=(--database-url "$PG_URL/$PG_DB?sslmode=disable") ;;
    *) log "unknown store $STORE (want sqlite or postgres)"; exit 2 ;;
  esac
  echo "== $STORE"
  ANALYZE_LOOP=""
  if [ "$STORE" = postgres ]; then
    av=$(psqlc postgres 'SHOW autovacuum')
    note=""
    if [ "$av" = off ] && [ "$PG_ANALYZE_EVERY" != 0 ]; then
      ANALYZE_LOOP=1
      note=": ANALYZE every ${PG_ANALYZE_EVERY}s during the empty store's benches, in its stead"
    fi
    echo "$(psqlc postgres 'SELECT version()' | cut -d' ' -f1-2), autovacuum $av$note"
  fi
  "$A" clients add "${STORE_ARGS[@]}" --client-id "$CLIENT" --public-key "$OUT/merchant.pub" >/dev/null
  "$A" keys export "${STORE_ARGS[@]}" > "$OUT/gateway-$STORE.pub"

  ready "$STORE-empty"; EMPTY_READY=$READY
  echo "empty store: serve ready in $EMPTY_READY ms (median of $READY_ALL)"
  start_server "$STORE-empty"
  idle_cpu; EMPTY_IDLE=$IDLE
  analyze_start
  benches "$STORE-empty"
  analyze_stop
  stop_server

  BEFORE=$(size)
  log "$STORE: populating $PAYMENTS payments"
  "$POP" "${STORE_ARGS[@]}" --client-id "$CLIENT" --payments "$PAYMENTS" ${WORKERS:+--workers "$WORKERS"} \
    > "$OUT/$STORE-populate.txt" 2> "$OUT/$STORE-populate.err" || { log "populate failed:"; tail -5 "$OUT/$STORE-populate.err" >&2; exit 1; }
  sed 's/^/  /' "$OUT/$STORE-populate.txt"
  POP_RATE=$(sed -n 's/.*(\([0-9]*\) payments\/s).*/\1/p' "$OUT/$STORE-populate.txt")
  if [ "$STORE" = postgres ]; then
    t0=$(nowms); psqlc "$PG_DB" 'VACUUM (ANALYZE)'
    echo "  VACUUM (ANALYZE) in $(( $(nowms) - t0 )) ms"
  fi
  # Let the kernel write back what populate left dirty (1.5 GB for 1M
  # payments on SQLite) before anything is timed: the first run on the large
  # store once measured the writeback along with serve.
  sync
  AFTER=$(size)
  PER=$(awk -v a="$AFTER" -v b="$BEFORE" -v n="$PAYMENTS" 'BEGIN { printf "%.0f", (a - b) / n }')
  if [ "$STORE" = sqlite ]; then
    echo "  on disk: $(mb "$AFTER") (antomgw.db + -wal), $PER bytes per payment added"
  else
    echo "  on disk: $(mb "$AFTER") in the public tables, $PER bytes per payment added; database $(mb "$(psqlc "$PG_DB" "SELECT pg_database_size('$PG_DB')")")"
  fi

  ready "$STORE-large"; LARGE_READY=$READY
  echo "large store: serve ready in $LARGE_READY ms (median of $READY_ALL)"
  start_server "$STORE-large"
  idle_cpu; LARGE_IDLE=$IDLE
  benches "$STORE-large"
  stop_server
  echo "$STORE $POP_RATE $PER $(mb "$AFTER" | tr ' ' _) $EMPTY_READY $LARGE_READY $EMPTY_IDLE $LARGE_IDLE" >> "$SUMMARY"
  if [ "$STORE" = postgres ]; then psqlc postgres "DROP DATABASE IF EXISTS $PG_DB"; PG_CREATED=""; fi
  if [ "$STORE" = sqlite ] && [ -z "${KEEP_DATA:-}" ]; then rm -rf "$DATA"; fi
done

echo
echo "### Large store: $PAYMENTS payments ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| store | scenario | empty req/s | large req/s | ratio | empty p99 ms | large p99 ms |"
echo "|---|---|---:|---:|---:|---:|---:|"
while read -r store _; do
  for sc in pay inquiry mixed; do
    e="$OUT/$store-empty-$sc.json"; l="$OUT/$store-large-$sc.json"
    awk -v s="$store" -v sc="$sc" -v er="$(jget "$e" requestsPerSecond)" -v lr="$(jget "$l" requestsPerSecond)" \
      -v ep="$(jget "$e" p99)" -v lp="$(jget "$l" p99)" \
      'BEGIN { printf "| %s | %s | %.1f | %.1f | %.2f | %.1f | %.1f |\n", s, sc, er, lr, (er > 0 ? lr / er : 0), ep, lp }'
  done
done < "$SUMMARY"
echo
echo "| store | populate payments/s | bytes on disk per payment | on disk | serve ready, empty | serve ready, large | serve idle CPU, empty | serve idle CPU, large |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
while read -r store rate per size er lr ei li; do
  echo "| $store | $rate | $per | ${size//_/ } | $er ms | $lr ms | $ei ms/s | $li ms/s |"
done < "$SUMMARY"
echo
echo "raw results: $OUT"
