#!/usr/bin/env bash
# Fan-out against the kernel's floor: the same lt_load run (N viewers, all in one language,
# --translator none) against lt-server and against floor.c, a minimal epoll server that only
# write()s one prepared frame to each viewer socket; optionally against a minimal Node `ws`
# server (bench/node_ws) and lt-server over TLS. Each round runs every server once, the order
# reversed every other round, so a drift of the shared machine hits all; each round gives a
# ratio of server CPU per delivery for each pair. Prints one row per run and the ratios'
# median, min and max.
#
# Usage: bench/run_floor.sh BUILD_DIR [options]
#   -n 1000        viewers
#   -r 2           captions per second
#   -d 15          seconds of captions per run
#   -p 5           rounds
#   -k "floor lt"  servers, in round order: floor, lt, node (Node ws), lt-tls (lt-server with
#                  --tls-cert, lt_load over wss), old and old-tls (-B)
#   -B OLD_BUILD   another build's lt-server, as "old" (added to -k)
#   -i 1           lt-server --io-threads (floor.c and Node have one thread)
#   -l en          viewer language(s), comma-separated (floor.c and node frame text untranslated)
#   -o DIR         logs and JSON (default: a new dir under /tmp)
# FLOOR_SRC names floor.c (default: shared/bench/floor.c beside the repository).
#
# Needs: lt-server and lt_load in BUILD_DIR, jq, curl, python3; for floor cc and OpenSSL
# headers (libssl-dev); for node node and npm (npm ci installs ws from bench/node_ws's lock
# into OUT/node_ws); for lt-tls openssl (a test certificate made per run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

viewers=1000
rate=2
duration=15
pairs=5
kinds="floor lt"
old_build=""
io_threads=1
langs=en
out=""
bench_args "n=viewers r=rate d=duration p=pairs k=kinds B=old_build i=io_threads l=langs o=out" "$@"
if [[ -n $old_build ]]; then
  old_build=$(cd "$old_build" && pwd)
  [[ " $kinds " == *" old"[\ -]* ]] || kinds+=" old"
fi

bench_setup run_floor "$kinds" "$viewers"

# run_one KIND TAG: one run; writes $out/result-TAG.json.
run_one() {
  local kind=$1 tag=$2
  # No /metrics probe: floor.c and node have none, and it would charge lt-server for the scrapes.
  load_run "$kind" "$tag" --viewers "$viewers" --langs "$langs" --rate "$rate" --duration "$duration" \
    --drain 5 --probe-interval 0
  if [[ -z $load_json ]]; then
    echo "run_floor: lt_load failed for $tag (exit ${load_rc:-?}):" >&2
    tail -5 "$out/load-$tag.txt" >&2
    return 1
  fi
  echo "$load_json" | jq -c --arg kind "$kind" --arg rc "$load_rc" '. + {kind: $kind, exit: ($rc|tonumber)}' \
    >"$out/result-$tag.json"
}

echo "run_floor: $viewers viewers ($langs), $rate captions/s for $duration s, $pairs rounds of $kinds," \
  "lt-server --io-threads $io_threads; results in $out"
for ((i = 1; i <= pairs; i++)); do
  order=$kinds
  # Alternate the order each round so no server always runs first.
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

# ratio_line A B: the per-round ratios A/B of CPU per delivery, then median, min, max; and
# each side's median CPU per delivery.
ratio_line() {
  local a=$1 b=$2 list=""
  [[ " $kinds " == *" $a "* && " $kinds " == *" $b "* ]] || return 0
  for ((i = 1; i <= pairs; i++)); do list+="${per[$a-$i]}/${per[$b-$i]} "; done
  python3 - "$a" "$b" $list <<'PY'
import statistics, sys
a, b, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
x = [float(p.split('/')[0]) for p in pairs]
y = [float(p.split('/')[1]) for p in pairs]
r = [p / q for p, q in zip(x, y)]
print(f"- CPU per delivery {a}/{b}: median {statistics.median(r):.2f}, min {min(r):.2f}, max {max(r):.2f}"
      f" (per round: {', '.join(f'{v:.2f}' for v in r)}; median us/delivery {a} {statistics.median(x):.2f},"
      f" {b} {statistics.median(y):.2f})")
PY
}
echo
for k in $kinds; do
  [[ $k == floor ]] || ratio_line "$k" floor
done
ratio_line lt node
ratio_line lt-tls lt
ratio_line lt old
ratio_line lt-tls old-tls
echo "Details (per run JSON, server logs): $out"
