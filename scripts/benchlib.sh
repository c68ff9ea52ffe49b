# benchlib.sh: helpers the bench-*.sh scripts share; source it, do not run it.

# jget FILE KEY: the first numeric "KEY": value of a JSON file written by
# antomgw bench --json (one field per line).
jget() { sed -n "s/^ *\"$2\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$1" | head -1; }

# median: the median of the numbers on stdin, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# joined: the numbers on stdin, one per line, on one line with two decimals.
joined() { awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }'; }

# nowms: the time in milliseconds.
nowms() { echo $(( $(date +%s%N) / 1000000 )); }

# cpu PID...: user+system CPU of the processes, in clock ticks (getconf
# CLK_TCK); a process that is gone counts 0.
cpu() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }

# pgcpu: CPU, in clock ticks, of every postgres process and of those that
# exited (the postmaster's reaped children); 0 when PostgreSQL is not running
# here.
pgcpu() {
  local master
  master=$(pgrep -o -x postgres) || { echo 0; return; }
  # shellcheck disable=SC2046 # one pid per word
  echo $(( $(cpu $(pgrep -x postgres)) + $(awk '{ print $16 + $17 }' "/proc/$master/stat") ))
}
