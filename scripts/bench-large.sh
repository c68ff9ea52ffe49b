#!/usr/bin/env bash
# bench-large.sh — is the gateway flat as its store grows? (issue 18)
#
#   scripts/bench-large.sh                          # 1,000,000 payments per store
#   PAYMENTS=20000 ROUNDS=1 scripts/bench-large.sh  # a smoke test, a few minutes
#
# For each store, SQLite then PostgreSQL, two stores side by side: EMPTY (a
# fresh store) and LARGE (PAYMENTS payments), with the same client:
#   1. scripts/populate writes PAYMENTS payments into LARGE (refunds,
#      captures, notifications and their delivery attempts, through the
#      gateway's own use cases; see scripts/populate/main.go for the mix);
#      PostgreSQL then gets the VACUUM (ANALYZE) its autovacuum would have
#      made on a live store;
#   2. bytes on disk per payment: what LARGE holds beyond EMPTY (SQLite:
#      antomgw.db and -wal; PostgreSQL: every public table with its indexes
#      and TOAST) over PAYMENTS;
#   3. for each store, serve's start to ready (exec to the first 200 of GET
#      /readyz; median of STARTS) and its CPU while nothing calls it (its
#      workers' polls and metrics reads; IDLE_SECONDS), and PostgreSQL's
#      for those polls: a poll whose cost grows with the data shows there
#      first;
#   4. serve on both, then ROUNDS rounds of pay, inquiry and mixed, each on
#      EMPTY and right after on LARGE (CONCURRENCY connections, --max,
#      DURATION each; every pay run measures the crypto ceiling right
#      before and right after its timed part, --limit --limit-duration 3s). The machine's speed drifts (the
#      ceiling moved by a third within an hour on a shared machine), so the
#      empty and large runs are compared pairwise, each pair within a minute,
#      and the table gives each scenario's median over the rounds.
#
# Environment:
#   PAYMENTS=1000000  DURATION=10s  CONCURRENCY=16  STORES="sqlite postgres"
#   ROUNDS=3          STARTS=3      IDLE_SECONDS=5
#   WORKERS=          populate --workers (empty: its default)
#   PG_URL=postgres://postgres@127.0.0.1:5432   PG_DB=antomgw_large
#     (databases PG_DB and PG_DB_empty are created fresh, dropped first if
#     they exist, and dropped at the end; PostgreSQL is skipped when psql
#     cannot connect)
#   PG_ANALYZE_EVERY=2  seconds between ANALYZEs of the EMPTY database
#     during the rounds, on a PostgreSQL server without autovacuum (0:
#     none). Without statistics each of serve's connections keeps the
#     generic plan it made on the empty tables (a paymentRequestId looked
#     up by scanning the client's payments) and pays slow down as the
#     "empty" store fills; a live server's autovacuum analyzes the tables.
#     LARGE is analyzed once after populate and needs no more.
#   OUT=<raw results; default a new /tmp dir, kept>: bench tables (.txt),
#     their JSON, populate's output, serve logs.
#   KEEP_DATA=      set to keep the SQLite data directories in OUT (about
#     1.5 KB a payment); by default they are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PAYMENTS=${PAYMENTS:-1000000}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-16}
STORES=${STORES:-"sqlite postgres"}
ROUNDS=${ROUNDS:-3}
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
SCENARIOS="pay inquiry mixed"

log() { echo "bench-large.sh: $*" >&2; }
. scripts/benchlib.sh # jget, median, joined, nowms, cpu, pgcpu
psqlc() { psql "$PG_URL/$1" -v ON_ERROR_STOP=1 -qAtc "$2"; }

# Servers by kind (empty, large): pid and address.
declare -A PID=() ADDR=()
ANALYZE_PID=""
PG_CREATED=""
cleanup() {
  if [ -n "$ANALYZE_PID" ]; then kill "$ANALYZE_PID" 2>/dev/null || true; wait "$ANALYZE_PID" 2>/dev/null || true; fi
  local k
  for k in "${!PID[@]}"; do kill -TERM "${PID[$k]}" 2>/dev/null || true; wait "${PID[$k]}" 2>/dev/null || true; done
  if [ -n "$PG_CREATED" ]; then
    psqlc postgres "DROP DATABASE IF EXISTS $PG_DB" 2>/dev/null || true
    psqlc postgres "DROP DATABASE IF EXISTS ${PG_DB}_empty" 2>/dev/null || true
  fi
}
trap cleanup EXIT

log "building antomgw and populate into $OUT"
BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- 2>/dev/null || echo '+changes')"
go build -o "$A" ./cmd/antomgw
go build -o "$POP" ./scripts/populate
"$A" keys generate --private-out "$OUT/merchant.pem" --public-out "$OUT/merchant.pub" >/dev/null

# store_args KIND: serve's store flags for the EMPTY or LARGE store of STORE.
store_args() {
  if [ "$STORE" = sqlite ]; then
    echo "--data $OUT/sqlite-$1"
  elif [ "$1" = empty ]; then
    echo "--database-url $PG_URL/${PG_DB}_empty?sslmode=disable"
  else
    echo "--database-url $PG_URL/$PG_DB?sslmode=disable"
  fi
}

# start_server KIND LOG: starts serve on KIND's store on a free loopback
# port; sets PID[KIND], ADDR[KIND] and READY_MS (exec to the first 200 of
# /readyz; polls without sleeping, so it includes a few ms of curl).
start_server() {
  local logf="$OUT/serve-$STORE-$2.log" addr="" pid t0
  t0=$(nowms)
  : > "$logf" # exists before serve opens it: the sed below may run first
  # shellcheck disable=SC2046 # store_args is words by design
  "$A" serve $(store_args "$1") --listen 127.0.0.1:0 > "$logf" 2>&1 &
  pid=$!
  PID[$1]=$pid
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then log "serve exited:"; cat "$logf" >&2; exit 1; fi
    if [ -z "$addr" ]; then
      addr=$(sed -n 's/.*msg="antomgw listening" addr=\([^ ]*\).*/\1/p' "$logf" | head -1)
      continue
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz" || true)" = 200 ]; then break; fi
  done
  READY_MS=$(( $(nowms) - t0 ))
  ADDR[$1]=$addr
}
stop_server() { kill -TERM "${PID[$1]}"; wait "${PID[$1]}" || true; unset "PID[$1]"; }

# ready KIND: STARTS starts of serve, each stopped again; sets READY (the
# median, ms) and READY_ALL.
ready() {
  local all=() i
  for i in $(seq "$STARTS"); do start_server "$1" "$1-start$i"; all+=("$READY_MS"); stop_server "$1"; done
  READY=$(printf '%s\n' "${all[@]}" | median)
  READY_ALL="${all[*]}"
}

# idle_cpu KIND: the CPU KIND's serve spends while nothing calls it, in ms
# per second over IDLE_SECONDS after 2 s to settle, and on PostgreSQL the
# database server's (all its processes: what serve's polls cost it); sets
# IDLE ("serve ms/s" or "serve+postgres ms/s").
idle_cpu() {
  local tck c0 c1 p0 p1
  tck=$(getconf CLK_TCK)
  sleep 2
  c0=$(cpu "${PID[$1]}"); p0=$(pgcpu)
  sleep "$IDLE_SECONDS"
  c1=$(cpu "${PID[$1]}"); p1=$(pgcpu)
  IDLE=$(awk -v d=$((c1 - c0)) -v t="$tck" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.1f", d * 1000 / t / s }')
  if [ "$STORE" = postgres ]; then
    IDLE+=$(awk -v d=$((p1 - p0)) -v t="$tck" -v s="$IDLE_SECONDS" 'BEGIN { printf "+%.1f", d * 1000 / t / s }')
  fi
}

# analyze_start / analyze_stop: on a PostgreSQL server without autovacuum,
# ANALYZE the EMPTY database every PG_ANALYZE_EVERY seconds in between.
analyze_start() {
  [ "$STORE" = postgres ] && [ "$(psqlc postgres 'SHOW autovacuum')" = off ] && [ "$PG_ANALYZE_EVERY" != 0 ] || return 0
  ( while sleep "$PG_ANALYZE_EVERY"; do psqlc "${PG_DB}_empty" 'ANALYZE' 2>/dev/null || true; done ) &
  ANALYZE_PID=$!
}
analyze_stop() {
  [ -n "$ANALYZE_PID" ] || return 0
  kill "$ANALYZE_PID" 2>/dev/null || true; wait "$ANALYZE_PID" 2>/dev/null || true; ANALYZE_PID=""
}

# bench KIND SCENARIO ROUND: one antomgw bench against KIND's serve; its
# table and JSON in OUT/STORE-KIND-SCENARIO-ROUND.{txt,json}.
bench() {
  local extra=() f="$OUT/$STORE-$1-$2-$3"
  [ "$2" = pay ] && extra=(--limit --limit-duration 3s)
  "$A" bench --base-url "http://${ADDR[$1]}" --client-id "$CLIENT" --private-key "$OUT/merchant.pem" \
    --gateway-public-key "$OUT/gateway-$STORE-$1.pub" --scenario "$2" --max --concurrency "$CONCURRENCY" \
    --duration "$DURATION" --json "$f.json" "${extra[@]}" > "$f.txt" 2> "$f.err" ||
    { log "bench $STORE $1 $2 round $3 failed:"; cat "$f.err" >&2; exit 1; }
  local line
  line=$(printf '  round %s %-8s %-5s %9.1f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %s' "$3" "$2" "$1" \
    "$(jget "$f.json" requestsPerSecond)" "$(jget "$f.json" p50)" "$(jget "$f.json" p99)" "$(jget "$f.json" total)")
  if [ "$2" = pay ]; then
    line+=$(awk -v c="$(jget "$f.json" ceilingPairsPerSecond)" -v s="$(jget "$f.json" ceilingFraction)" \
      'BEGIN { printf "  ceiling %.1f, share %.2f", c, s }')
  fi
  echo "$line"
}

# size KIND: bytes KIND's store takes (SQLite: antomgw.db and -wal after a
# checkpoint; PostgreSQL: the public tables with indexes and TOAST).
size() {
  if [ "$STORE" = sqlite ]; then
    local d="$OUT/sqlite-$1" f s=0
    if command -v sqlite3 >/dev/null; then sqlite3 "$d/antomgw.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; fi
    for f in "$d/antomgw.db" "$d/antomgw.db-wal"; do [ -f "$f" ] && s=$(( s + $(stat -c %s "$f") )); done
    echo "$s"
  else
    local db=$PG_DB
    [ "$1" = empty ] && db=${PG_DB}_empty
    psqlc "$db" "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
  fi
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }

SUMMARY="$OUT/summary.rows" # one line per store; never the file stdout goes to
: > "$SUMMARY"
for STORE in $STORES; do
  case $STORE in
    sqlite) rm -rf "$OUT/sqlite-empty" "$OUT/sqlite-large" ;;
    postgres)
      if ! psqlc postgres 'SELECT 1' >/dev/null 2>&1; then
        log "skipping PostgreSQL: psql cannot connect to $PG_URL/postgres"
        continue
      fi
      PG_CREATED=1
      for db in "$PG_DB" "${PG_DB}_empty"; do
        psqlc postgres "DROP DATABASE IF EXISTS $db"
        psqlc postgres "CREATE DATABASE $db"
      done ;;
    *) log "unknown store $STORE (want sqlite or postgres)"; exit 2 ;;
  esac
  echo "== $STORE"
  if [ "$STORE" = postgres ]; then
    av=$(psqlc postgres 'SHOW autovacuum')
    note=""
    [ "$av" = off ] && [ "$PG_ANALYZE_EVERY" != 0 ] && note=": ANALYZE of the empty database every ${PG_ANALYZE_EVERY}s during the rounds, in its stead"
    echo "$(psqlc postgres 'SELECT version()' | cut -d' ' -f1-2), autovacuum $av$note"
  fi
  for kind in empty large; do
    # shellcheck disable=SC2046
    "$A" clients add $(store_args $kind) --client-id "$CLIENT" --public-key "$OUT/merchant.pub" >/dev/null
    # shellcheck disable=SC2046
    "$A" keys export $(store_args $kind) > "$OUT/gateway-$STORE-$kind.pub" 2>/dev/null
  done

  BEFORE=$(size large)
  log "$STORE: populating $PAYMENTS payments"
  # shellcheck disable=SC2046
  "$POP" $(store_args large) --client-id "$CLIENT" --payments "$PAYMENTS" ${WORKERS:+--workers "$WORKERS"} \
    > "$OUT/$STORE-populate.txt" 2> "$OUT/$STORE-populate.err" || { log "populate failed:"; tail -5 "$OUT/$STORE-populate.err" >&2; exit 1; }
  sed 's/^/  /' "$OUT/$STORE-populate.txt"
  POP_RATE=$(sed -n 's/.*(\([0-9]*\) payments\/s).*/\1/p' "$OUT/$STORE-populate.txt")
  if [ "$STORE" = postgres ]; then
    t0=$(nowms); psqlc "$PG_DB" 'VACUUM (ANALYZE)'
    echo "  VACUUM (ANALYZE) in $(( $(nowms) - t0 )) ms"
  fi
  # Let the kernel write back what populate left dirty (1.5 GB for 1M
  # payments on SQLite) before anything is timed.
  sync
  AFTER=$(size large)
  PER=$(awk -v a="$AFTER" -v b="$BEFORE" -v n="$PAYMENTS" 'BEGIN { printf "%.0f", (a - b) / n }')
  echo "  on disk: $(mb "$AFTER"), $PER bytes per payment added"

  declare -A READY_OF=() IDLE_OF=()
  for kind in empty large; do
    ready $kind; READY_OF[$kind]=$READY
    start_server $kind $kind
    idle_cpu $kind; IDLE_OF[$kind]=$IDLE
    echo "  $kind store: serve ready in $READY ms (median of $READY_ALL); idle, it takes $IDLE ms CPU per second (serve[+PostgreSQL])"
  done
  analyze_start
  for r in $(seq "$ROUNDS"); do
    for sc in $SCENARIOS; do
      bench empty "$sc" "$r"
      bench large "$sc" "$r"
    done
  done
  analyze_stop
  stop_server empty
  stop_server large
  echo "$STORE $POP_RATE $PER $(mb "$AFTER" | tr ' ' _) ${READY_OF[empty]} ${READY_OF[large]} ${IDLE_OF[empty]} ${IDLE_OF[large]}" >> "$SUMMARY"
  if [ "$STORE" = postgres ]; then
    psqlc postgres "DROP DATABASE IF EXISTS $PG_DB"
    psqlc postgres "DROP DATABASE IF EXISTS ${PG_DB}_empty"
    PG_CREATED=""
  fi
  if [ "$STORE" = sqlite ] && [ -z "${KEEP_DATA:-}" ]; then rm -rf "$OUT/sqlite-empty" "$OUT/sqlite-large"; fi
done

# col STORE KIND SCENARIO KEY: KEY of every round's JSON, one per line.
col() {
  local r
  for r in $(seq "$ROUNDS"); do jget "$OUT/$1-$2-$3-$r.json" "$4"; done
}
# ratios STORE SCENARIO KEY: large/empty of KEY, one per round.
ratios() {
  paste <(col "$1" large "$2" "$3") <(col "$1" empty "$2" "$3") | awk '{ printf "%.4f\n", ($2 > 0 ? $1 / $2 : 0) }'
}

echo
echo "### Large store: $PAYMENTS payments ($(date -u +%Y-%m-%dT%H:%M:%SZ), built from $BUILT, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "Medians over $ROUNDS rounds; each round runs the empty store and then the large one."
echo
echo "| store | scenario | empty req/s | large req/s | large/empty (median of rounds) | per round | empty p99 ms | large p99 ms |"
echo "|---|---|---:|---:|---:|---|---:|---:|"
while read -r store _; do
  for sc in $SCENARIOS; do
    printf '| %s | %s | %.1f | %.1f | **%.2f** | %s | %.1f | %.1f |\n' "$store" "$sc" \
      "$(col "$store" empty "$sc" requestsPerSecond | median)" "$(col "$store" large "$sc" requestsPerSecond | median)" \
      "$(ratios "$store" "$sc" requestsPerSecond | median)" "$(ratios "$store" "$sc" requestsPerSecond | joined)" \
      "$(col "$store" empty "$sc" p99 | median)" "$(col "$store" large "$sc" p99 | median)"
  done
  printf '| %s | pay: share of the ceiling | %.2f | %.2f | %.2f | %s | | |\n' "$store" \
    "$(col "$store" empty pay ceilingFraction | median)" "$(col "$store" large pay ceilingFraction | median)" \
    "$(ratios "$store" pay ceilingFraction | median)" "$(ratios "$store" pay ceilingFraction | joined)"
done < "$SUMMARY"
echo
echo "| store | populate payments/s | bytes on disk per payment | on disk | serve ready, empty | serve ready, large | idle CPU, empty: serve[+PostgreSQL] | idle CPU, large |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
while read -r store rate per size er lr ei li; do
  echo "| $store | $rate | $per | ${size//_/ } | $er ms | $lr ms | $ei ms/s | $li ms/s |"
done < "$SUMMARY"
echo
echo "raw results: $OUT"
