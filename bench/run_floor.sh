#!/usr/bin/env bash
# Fan-out against the kernel's floor: the same lt_load run (N viewers, all in one language,
# --translator none) against lt-server and against floor.c, a minimal epoll server that only
# write()s one prepared frame to each viewer socket. Runs alternate (floor, lt, lt, floor, ...)
# so a drift of the shared machine hits both; each pair gives a ratio of server CPU per
# delivery. Prints one row per run and the ratios' median, min and max. Builds floor.c (with cc).
#
# Usage: bench/run_floor.sh BUILD_DIR [options]
#   -n 1000        viewers
#   -r 2           captions per second
#   -d 15          seconds of captions per run
#   -p 5           pairs of runs
#   -B OLD_BUILD   also run this build's lt-server in each round (before/after ratios)
#   -i 1           lt-server --io-threads (floor.c has one thread)
#   -l en          viewer language(s), comma-separated (floor.c frames text untranslated)
#   -o DIR         logs and JSON (default: a new dir under /tmp)
# FLOOR_SRC names floor.c (default: shared/bench/floor.c beside the repository).
#
# Needs: lt-server and lt_load in BUILD_DIR, cc and OpenSSL headers (libssl-dev), jq, curl,
# python3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 1
[[ $1 == -h || $1 == --help ]] && usage 0
build=$(cd "$1" && pwd)
shift
viewers=1000
rate=2
duration=15
pairs=5
old_build=""
io_threads=1
langs=en
out=""
while getopts "n:r:d:p:B:i:l:o:h" opt; do
  case $opt in
    n) viewers=$OPTARG ;;
    r) rate=$OPTARG ;;
    d) duration=$OPTARG ;;
    p) pairs=$OPTARG ;;
    B) old_build=$(cd "$OPTARG" && pwd) ;;
    i) io_threads=$OPTARG ;;
    l) langs=$OPTARG ;;
    o) out=$OPTARG ;;
    h) usage 0 ;;
    *) usage 1 ;;
  esac
done

need_bins run_floor "$build" jq curl python3
old_server=""
if [[ -n $old_build ]]; then
  old_server=$old_build/apps/lt-server/lt-server
  [[ -x $old_server ]] || { echo "run_floor: $old_server not found" >&2; exit 1; }
fi
[[ -n $out ]] || out=$(mktemp -d /tmp/lt-floor.XXXXXX)
mkdir -p "$out"
build_floor "$out" || exit 1

ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < viewers + 100 )); then
  echo "run_floor: open-file limit $(ulimit -n) is too low for $viewers viewers" >&2
  exit 1
fi

export API_KEY="bench-$RANDOM$RANDOM"
server_pid=""
trap '[[ -z $server_pid ]] || stop_pid "$server_pid"' EXIT

# run_one KIND TAG: starts the server (floor, lt or old), runs lt_load, stops it, and writes
# $out/result-TAG.json.
run_one() {
  local kind=$1 tag=$2 port rc json
  port=$(free_port)
  case $kind in
    floor) start_floor "$port" "$out/server-$tag.log" ;;
    lt) start_lt_server "$server_bin" "$port" "$out/server-$tag.log" "$io_threads" --translator none ;;
    old) start_lt_server "$old_server" "$port" "$out/server-$tag.log" "$io_threads" --translator none ;;
  esac
  server_pid=$started_pid
  set +e
  # No /metrics probe: floor.c has none, and it would charge lt-server for the scrapes.
  "$load_bin" --port "$port" --viewers "$viewers" --langs "$langs" --rate "$rate" --duration "$duration" \
    --drain 5 --probe-interval 0 --server-pid "$server_pid" --label "$tag" >"$out/load-$tag.txt" 2>&1
  rc=$?
  set -e
  stop_pid "$server_pid"
  server_pid=""
  json=$(grep '^{' "$out/load-$tag.txt" | tail -1 || true)
  if [[ -z $json ]]; then
    echo "run_floor: lt_load failed for $tag (exit $rc):" >&2
    tail -5 "$out/load-$tag.txt" >&2
    return 1
  fi
  echo "$json" | jq -c --arg kind "$kind" --arg rc "$rc" '. + {kind: $kind, exit: ($rc|tonumber)}' \
    >"$out/result-$tag.json"
}

kinds="floor lt"
[[ -z $old_server ]] || kinds="floor lt old"
echo "run_floor: $viewers viewers ($langs), $rate captions/s for $duration s, $pairs rounds, lt-server" \
  "--io-threads $io_threads; results in $out"
for ((i = 1; i <= pairs; i++)); do
  order=$kinds
  # Alternate the order each round so neither side always runs first.
  (( i % 2 == 0 )) && order=$(echo "$kinds" | tr ' ' '\n' | tac | tr '\n' ' ')
  for kind in $order; do
    run_one "$kind" "$kind-$i"
  done
done

# CPU per caption (ms) and per delivery (us) over the caption phase: the server's threads'
# time on CPU from /proc/PID/task/*/schedstat (ns; /proc/PID/stat counts 10 ms ticks).
row() {
  jq -r '"\(.kind) \(.server.sched_cpu_seconds) \(.captions_sent) \(.received) \(.lost) \(.latency_ms.p50) \(.latency_ms.p99) \(.loadavg_after)"' "$1"
}
echo
echo "| round | server | CPU s | captions | deliveries | CPU ms/caption | CPU us/delivery | lost | p50 ms | p99 ms | load avg |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A per
for ((i = 1; i <= pairs; i++)); do
  for kind in $kinds; do
    f=$out/result-$kind-$i.json
    read -r k cpu caps got lost p50 p99 load < <(row "$f")
    us=$(python3 -c "print(round($cpu / max($got, 1) * 1e6, 2))")
    ms=$(python3 -c "print(round($cpu / max($caps, 1) * 1e3, 2))")
    per[$kind-$i]=$us
    echo "| $i | $k | $cpu | $caps | $got | $ms | $us | $lost | $p50 | $p99 | $load |"
  done
done

# ratio_line A B: the per-round ratios A/B of CPU per delivery, then median, min, max.
ratio_line() {
  local a=$1 b=$2 list=""
  for ((i = 1; i <= pairs; i++)); do list+="${per[$a-$i]}/${per[$b-$i]} "; done
  python3 - "$a" "$b" $list <<'EOF'
import statistics, sys
a, b, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
r = [float(x.split('/')[0]) / float(x.split('/')[1]) for x in pairs]
print(f"- CPU per delivery {a}/{b}: median {statistics.median(r):.2f}, min {min(r):.2f}, max {max(r):.2f}"
      f" (per round: {', '.join(f'{x:.2f}' for x in r)})")
EOF
}
echo
ratio_line lt floor
[[ -z $old_server ]] || { ratio_line old floor; ratio_line lt old; }
echo "Details (per run JSON, server logs): $out"
