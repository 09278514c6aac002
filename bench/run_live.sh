#!/usr/bin/env bash
# The live line's cost: lt-server (Apertium) with one Spanish viewer and a speaker sending 10
# partials a second (bench/live_line.mjs), with the viewer's partials on (the settled words
# are translated, at most once a second) and off, alternated. Prints the CPU time of
# lt-server and its Apertium pipelines over each run.
#
# Usage: bench/run_live.sh BUILD_DIR [ROUNDS (3)] [SECONDS (30)]
# Needs node and tests/browser's node_modules (npm ci there).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[[ $# -ge 1 ]] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 1; }
build=$(cd "$1" && pwd)
rounds=${2:-3}
seconds=${3:-30}
here=$(cd "$(dirname "$0")" && pwd)
server_bin=$build/apps/lt-server/lt-server
[[ -x $server_bin ]] || { echo "run_live.sh: $server_bin not found" >&2; exit 1; }
command -v node >/dev/null || { echo "run_live.sh: needs node" >&2; exit 1; }
[[ -d $here/../tests/browser/node_modules/ws ]] || { echo "run_live.sh: run npm ci in tests/browser" >&2; exit 1; }

# CPU ticks (utime + stime) of PID and its children (Apertium's pipeline stages).
ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1"); do
    [[ -r /proc/$p/stat ]] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

hz=$(getconf CLK_TCK)
log=$(mktemp /tmp/lt-live-XXXXXX.log)
for round in $(seq 1 "$rounds"); do
  for partials in 1 0; do
    port=$(free_port)
    start_lt_server "$server_bin" "$port" "$log" 1
    sleep 2 # the pipelines warm up
    before=$(ticks "$started_pid")
    out=$(node "$here/live_line.mjs" "$port" "$partials" "$seconds")
    after=$(ticks "$started_pid")
    echo "round $round partials=$partials cpu_ms=$(((after - before) * 1000 / hz)) $out"
    stop_pid "$started_pid"
  done
done
