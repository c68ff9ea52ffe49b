#!/usr/bin/env bash
# bench-server.sh — measure `antomgw serve` (SQLite) with `antomgw bench` on
# this machine and print the figures as markdown on stdout.
#
#   scripts/bench-server.sh > /tmp/server-bench.md
#
# What it does, in one session on the same cores:
#   1. builds antomgw, creates a data directory, a merchant key and a client;
#   2. cold start to ready: starts serve STARTS times on an empty data
#      directory (first start: creates the gateway key) and STARTS times on
#      the existing one, each time timing from the exec to the first 200 of
#      GET /readyz;
#   3. starts serve (default synchronous=FULL, --pprof on loopback), the
#      crypto ceiling (bench --limit) while it is idle;
#   4. bench --max for every SCENARIOS × CONCURRENCY, DURATION each, with the
#      server's VmRSS sampled every second;
#   5. a CPU profile of the server during a pay --max run at the best
#      concurrency (go tool pprof -top);
#   6. pay at half of the best pay rate (--rate) for p99;
#   7. VmHWM of the server, and a restart (cold start) with the full store.
#
# Environment:
#   DURATION=10s  CONCURRENCY="1 4 16 64 256"  SCENARIOS="pay inquiry mixed"
#   STARTS=5      OUT=<dir for raw results, default a new /tmp dir>
#   SERVE_FLAGS=  extra serve flags, e.g. "--synchronous NORMAL" or "--log-level warn"
#   PROFILE=10    seconds of CPU profile
# Raw files stay in $OUT: every bench table (.txt), its JSON, progress lines
# (.err), the server log, cpu.prof and pprof-top.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/benchlib.sh # jget, median, nowms

DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-"1 4 16 64 256"}
SCENARIOS=${SCENARIOS:-"pay inquiry mixed"}
STARTS=${STARTS:-5}
PROFILE=${PROFILE:-10}
SERVE_FLAGS=${SERVE_FLAGS:-}
OUT=${OUT:-$(mktemp -d /tmp/antomgw-bench.XXXXXX)}
mkdir -p "$OUT"
A="$OUT/antomgw"

log() { echo "bench-server.sh: $*" >&2; }
# secs DURATION: seconds in a Go duration of one unit (500ms, 10s, 1m).
secs() { awk -v d="$1" 'BEGIN { if (d ~ /ms$/) print d / 1000; else if (d ~ /m$/) print d * 60; else print d + 0 }'; }

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

log "building into $OUT"
go build -o "$A" ./cmd/antomgw

# start_server DATA LOG [flags...]: starts serve on a free loopback port and
# sets SERVER_PID, ADDR (host:port) and READY_MS (exec to the first 200 of
# /readyz). Polls without sleeping, so READY_MS includes a few ms of curl.
start_server() {
  local data=$1 logf=$2; shift 2
  : > "$logf"
  local t0; t0=$(nowms)
  # shellcheck disable=SC2086
  "$A" serve --data "$data" --listen 127.0.0.1:0 "$@" $SERVE_FLAGS > "$logf" 2>&1 &
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
stop_server() {
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

# --- setup -----------------------------------------------------------------------
DATA="$OUT/data"
"$A" keys generate --private-out "$OUT/merchant.pem" --public-out "$OUT/merchant.pub" >/dev/null
"$A" clients add --data "$DATA" --client-id BENCH_CLIENT --public-key "$OUT/merchant.pub" >/dev/null
"$A" keys export --data "$DATA" > "$OUT/gateway.pub"
BENCH=("$A" bench --client-id BENCH_CLIENT --private-key "$OUT/merchant.pem" --gateway-public-key "$OUT/gateway.pub")

# --- cold start ------------------------------------------------------------------
log "cold start to ready, $STARTS runs each"
first=(); again=()
for i in $(seq "$STARTS"); do
  start_server "$OUT/empty-$i" "$OUT/start-empty-$i.log"; first+=("$READY_MS"); stop_server
  rm -rf "$OUT/empty-$i"
  start_server "$DATA" "$OUT/start-$i.log"; again+=("$READY_MS"); stop_server
done
FIRST_MED=$(printf '%s\n' "${first[@]}" | median)
AGAIN_MED=$(printf '%s\n' "${again[@]}" | median)

# --- the server under load --------------------------------------------------------
start_server "$DATA" "$OUT/serve.log" --pprof 127.0.0.1:0
PPROF=$(sed -n 's/.*msg="pprof listening" addr=\([^ ]*\).*/\1/p' "$OUT/serve.log" | head -1)
TARGET="http://$ADDR"
log "serve pid $SERVER_PID at $TARGET, pprof $PPROF"

CLK=$(getconf CLK_TCK)
# ticks PID: CPU time (user+system, clock ticks) of a process so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# (the command name in field 2 never has spaces here: it is "antomgw")
# busy: CPU ticks of the whole machine spent outside idle and iowait.
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# ceiling N: bench --limit while the server is idle; records what other
# processes of the machine used meanwhile (they lower the figure).
CEILS=(); FREES=()
ceiling() {
  local n=$1 m0 m1 t0 t1 bp b=0 x
  m0=$(busy); t0=$(nowms)
  "$A" bench --limit --json "$OUT/limit-$n.json" > "$OUT/limit-$n.txt" 2>/dev/null & bp=$!
  while kill -0 "$bp" 2>/dev/null; do x=$(ticks "$bp"); [ "$x" != 0 ] && b=$x; sleep 0.1; done
  wait "$bp"
  m1=$(busy); t1=$(nowms)
  CEILS+=("$(jget "$OUT/limit-$n.json" pairsPerSecond)")
  FREES+=("$(jget "$OUT/limit-$n.json" freePairsPerSecond)")
  awk -v m=$((m1 - m0 - b)) -v clk="$CLK" -v ms=$((t1 - t0)) -v n="$(nproc)" \
    'BEGIN { printf "%.0f", 100 * m / clk / (ms / 1000) / n }' > "$OUT/limit-$n.others"
  log "ceiling $n: ${CEILS[-1]} pairs/s (other processes: $(cat "$OUT/limit-$n.others")% of the CPU)"
}
maxceil() { printf '%s\n' "${CEILS[@]}" | sort -g | tail -1; }
maxfree() { printf '%s\n' "${FREES[@]}" | sort -g | tail -1; }

log "crypto ceiling (server idle)"
ceiling 1
CEIL=$(maxceil); FREE=$(maxfree)
# Requests are pre-signed for what the server could do with the cores free.
SIZE=$(printf '%s\n' "$CEIL" "${FREE:-0}" | sort -g | tail -1)
DUR_S=$(secs "$DURATION")
maxrss() { sort -n "$1" | tail -1; }

# run_bench NAME [bench flags...]: one bench run. From the end of the
# pre-signing to the end of the run it samples the server's VmRSS (kB, into
# NAME.rss) and accounts CPU: the server's, the generator's and the rest of
# the machine's (NAME.cpu: server_ticks bench_ticks other_ticks wall_ms).
run_bench() {
  local name=$1; shift
  "${BENCH[@]}" --base-url "$TARGET" --json "$OUT/$name.json" "$@" > "$OUT/$name.txt" 2> "$OUT/$name.err" &
  local bp=$! s0 s1 b0 b1 m0 m1 t0 t1 b
  until grep -q '^pre-signed' "$OUT/$name.err" 2>/dev/null || ! kill -0 "$bp" 2>/dev/null; do sleep 0.05; done
  s0=$(ticks "$SERVER_PID"); b0=$(ticks "$bp"); b1=$b0; m0=$(busy); t0=$(nowms)
  : > "$OUT/$name.rss"
  while kill -0 "$bp" 2>/dev/null; do
    awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status" >> "$OUT/$name.rss" 2>/dev/null || true
    b=$(ticks "$bp"); [ "$b" != 0 ] && b1=$b
    sleep 0.2
  done
  wait "$bp" || { log "bench $name failed"; cat "$OUT/$name.err" >&2; }
  s1=$(ticks "$SERVER_PID"); m1=$(busy); t1=$(nowms)
  echo "$((s1 - s0)) $((b1 - b0)) $((m1 - m0 - (s1 - s0) - (b1 - b0))) $((t1 - t0))" > "$OUT/$name.cpu"
}
# cpu_cols NAME REQUESTS: "server CPU ms per request | server % | generator % | others %"
# of the machine's CPU over the timed part.
cpu_cols() {
  awk -v clk="$CLK" -v n="$(nproc)" -v req="$2" '{
    w = $4 / 1000; if (w <= 0) w = 1
    printf "%.2f | %.0f%% | %.0f%% | %.0f%%", (req > 0 ? 1000 * $1 / clk / req : 0), 100 * $1 / clk / w / n, 100 * $2 / clk / w / n, 100 * $3 / clk / w / n
  }' "$OUT/$1.cpu"
}
# presigned requests for a --max run: 1.2 times what a server on these
# cores could answer (the ceiling) in the duration.
reqs_for() { awk -v c="$SIZE" -v d="$DUR_S" -v k="$1" 'BEGIN { printf "%d", c * d * 1.2 + k }'; }

BEST_RATE=0; BEST_C=16
for s in $SCENARIOS; do
  for c in $CONCURRENCY; do
    log "$s --max --concurrency $c for $DURATION"
    extra=()
    [ "$s" != inquiry ] && extra=(--requests "$(reqs_for "$c")")
    run_bench "$s-c$c" --scenario "$s" --max --concurrency "$c" --duration "$DURATION" "${extra[@]}"
    if [ "$s" = pay ]; then
      r=$(jget "$OUT/$s-c$c.json" requestsPerSecond)
      if awk -v a="$r" -v b="$BEST_RATE" 'BEGIN { exit !(a > b) }'; then BEST_RATE=$r; BEST_C=$c; fi
    fi
  done
done
log "crypto ceiling again, after the sweep"
ceiling 2
CEIL=$(maxceil); FREE=$(maxfree)

# --- profile ---------------------------------------------------------------------
log "CPU profile of a pay --max run at concurrency $BEST_C"
PDUR=$(( PROFILE + 6 ))
( until grep -q '^pre-signed' "$OUT/profile-run.err" 2>/dev/null; do sleep 0.05; done
  sleep 3 # past the connection ramp-up
  curl -s -o "$OUT/cpu.prof" "http://$PPROF/debug/pprof/profile?seconds=$PROFILE" ) &
PROF_PID=$!
rm -f "$OUT/profile-run.err"
run_bench profile-run --max --concurrency "$BEST_C" --duration "${PDUR}s" \
  --requests "$(awk -v c="$SIZE" -v d="$PDUR" 'BEGIN { printf "%d", c * d * 1.2 }')"
wait "$PROF_PID" || true
go tool pprof -top -nodecount=35 "$A" "$OUT/cpu.prof" > "$OUT/pprof-top.txt" 2>/dev/null || true
go tool pprof -top -cum -nodecount=400 "$A" "$OUT/cpu.prof" > "$OUT/pprof-cum.txt" 2>/dev/null || true
# cumpct FUNC: the cumulative share of the profile in FUNC (e.g. wire.Sign).
# FUNC is a regular expression; ENVIRON keeps awk from reading its escapes.
cumpct() { F="$1" awk '$6 ~ ("(^|/)" ENVIRON["F"] "$") { sub("%", "", $5); print $5; exit }' "$OUT/pprof-cum.txt"; }

# --- p99 at half of the maximum rate ---------------------------------------------
HALF=$(awk -v r="$BEST_RATE" 'BEGIN { printf "%d", r / 2 }')
[ "$HALF" -lt 1 ] && HALF=1
log "pay --rate $HALF (half of $BEST_RATE) for $DURATION"
run_bench "pay-half-rate" --rate "$HALF" --concurrency 64 --duration "$DURATION"

HWM=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")
stop_server
log "crypto ceiling at the end, server stopped"
ceiling 3
CEIL=$(maxceil)
PAYMENTS=$(cat "$OUT"/*.json | sed -n 's/^ *"requests": \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
DBSIZE=$(du -sh "$DATA" | cut -f1)
restart=()
for i in $(seq "$STARTS"); do start_server "$DATA" "$OUT/restart-$i.log"; restart+=("$READY_MS"); stop_server; done
RESTART_MED=$(printf '%s\n' "${restart[@]}" | median)

# synchronous writes of 4 KiB in the data directory's file system: what one
# fsync'd commit costs at least.
t0=$(nowms); dd if=/dev/zero of="$OUT/dsync.test" bs=4k count=200 oflag=dsync 2>/dev/null; t1=$(nowms); rm -f "$OUT/dsync.test"
DSYNC=$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 200 }')

# --- report ----------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "### Machine"
echo
echo "- nproc: $(nproc); CPU: ${cpu:-unknown}; memory: $(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)"
echo "- $(go version); $(uname -sr)"
echo "- antomgw: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- internal cmd wire 2>/dev/null || echo ' with uncommitted changes in internal/, cmd/ or wire/')"
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- synchronous 4 KiB write (dd oflag=dsync, data directory's file system): $DSYNC ms each"
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); raw results: $OUT"
echo "- serve flags: --data DIR --listen 127.0.0.1:0 --pprof 127.0.0.1:0 ${SERVE_FLAGS:-(defaults: synchronous=FULL, log-level info)}"
echo
echo "### Crypto ceiling (bench --limit, 3 times in the session; the highest is used)"
echo
echo "| when | sign+verify pairs/s | with the cores free (CPU time) | sign µs | verify µs | other processes' CPU meanwhile |"
echo "|---|---:|---:|---:|---:|---:|"
for n in 1 2 3; do
  case $n in 1) w="before the runs (server idle)" ;; 2) w="after the sweep (server idle)" ;; 3) w="at the end (server stopped)" ;; esac
  printf '| %s | %.1f | %.1f | %.0f | %.0f | %s%% |\n' "$w" "$(jget "$OUT/limit-$n.json" pairsPerSecond)" "$(jget "$OUT/limit-$n.json" freePairsPerSecond)" \
    "$(jget "$OUT/limit-$n.json" signMicros)" "$(jget "$OUT/limit-$n.json" verifyMicros)" "$(cat "$OUT/limit-$n.others")"
done
echo
FREE=$(maxfree)
echo "Ceiling used for the shares below: $CEIL pairs/s (the highest measured); with the cores free: $FREE pairs/s."
echo
echo "### Throughput and latency by concurrency (--max, $DURATION each)"
echo
echo "CPU columns are shares of the whole machine ($(nproc) CPUs) over the timed part: the server, the"
echo "load generator (antomgw bench), and every other process. \"CPU-time share\" is what the run would"
echo "reach with the cores free of other processes: $(nproc) CPUs / (server + generator CPU per request),"
echo "over the ceiling with the cores free."
echo
echo "| scenario | C | requests | req/s | share of ceiling | CPU-time share | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU ms/req | server CPU | generator CPU | other CPU | server VmRSS max |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
row() {
  local name=$1 label=$2 c=$3 f="$OUT/$1.json" r
  [ -f "$f" ] || return 0
  r=$(jget "$f" requestsPerSecond)
  est=$(awk -v clk="$CLK" -v n="$(nproc)" -v req="$(jget "$f" requests)" -v g="$(jget "$f" generatorCpuMsPerRequest)" -v free="$FREE" \
    '{ s = 1000 * $1 / clk / req; if (s + g > 0 && free > 0) printf "%.2f", n * 1000 / (s + g) / free; else print "?" }' "$OUT/$name.cpu")
  printf '| %s | %s | %s | %.1f | %.2f | %s | %.1f | %.1f | %.1f | %.1f | %s | %s | %s MB |\n' "$label" "$c" "$(jget "$f" requests)" "$r" \
    "$(awk -v r="$r" -v c="$CEIL" 'BEGIN { print r / c }')" "$est" "$(jget "$f" p50)" "$(jget "$f" p90)" "$(jget "$f" p99)" "$(jget "$f" max)" \
    "$(jget "$f" total)" "$(cpu_cols "$name" "$(jget "$f" requests)")" "$(awk -v k="$(maxrss "$OUT/$name.rss")" 'BEGIN { printf "%.1f", k / 1024 }')"
}
for s in $SCENARIOS; do
  for c in $CONCURRENCY; do row "$s-c$c" "$s" "$c"; done
done
row profile-run "pay (profiled run, $((PROFILE + 6))s)" "$BEST_C"
row pay-half-rate "pay --rate $HALF (half of the best)" 64
echo
echo "### p99 at half of the maximum pay rate"
echo
echo '```text'
cat "$OUT/pay-half-rate.txt"
echo '```'
echo
echo "### Cold start to ready (exec to the first 200 of /readyz)"
echo
echo "| start | runs (ms) | median |"
echo "|---|---|---:|"
echo "| first start, empty data directory (creates the gateway key) | ${first[*]} | $FIRST_MED ms |"
echo "| restart, small store | ${again[*]} | $AGAIN_MED ms |"
echo "| restart after the runs ($PAYMENTS requests sent, data directory $DBSIZE) | ${restart[*]} | $RESTART_MED ms |"
echo
echo "### Memory"
echo
echo "- server VmHWM (peak RSS over the whole session): $(awk -v k="$HWM" 'BEGIN { printf "%.1f MB", k / 1024 }')"
echo "- server VmRSS during the profiled pay --max run (max of 0.2 s samples): $(awk -v k="$(maxrss "$OUT/profile-run.rss")" 'BEGIN { printf "%.1f MB", k / 1024 }')"
echo
echo "### CPU profile: pay --max, concurrency $BEST_C, ${PROFILE}s"
echo
echo '```text'
cat "$OUT/profile-run.txt"
echo '```'
echo
echo '```text'
head -45 "$OUT/pprof-top.txt"
echo '```'
echo
echo "Where the server's CPU went (cumulative shares of the profile):"
echo
echo "| function | share |"
echo "|---|---:|"
for fn in 'wire.Sign' 'wire.Verify' 'gateway.(*Service).Pay' 'sqlite.(*Store).Update' 'sqlite.(*conn).prepareV2' \
  'gateway.(*Keyring).Keys' 'slog.(*Logger).Info' 'json.Unmarshal' 'json.Marshal' 'runtime.gcBgMarkWorker'; do
  v=$(cumpct "$(printf '%s' "$fn" | sed 's/[.()*]/\\&/g')" || true)
  if [ -n "$v" ]; then v="$v%"; else v="(below the cut-off)"; fi
  printf '| %s | %s |\n' "$fn" "$v"
done
SIGN=$(cumpct 'wire\.Sign'); VERIFY=$(cumpct 'wire\.Verify')
echo
echo "Crypto (wire.Sign + wire.Verify) is $(awk -v a="${SIGN:-0}" -v b="${VERIFY:-0}" 'BEGIN { print a + b }')% of the server's CPU: the share of"
echo "the ceiling the server could reach with both cores to itself and a load generator that costs nothing."
