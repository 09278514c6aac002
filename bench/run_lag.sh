#!/usr/bin/env bash
# Where fan-out starts to lag: N viewers, captions at rising rates, each rate on a fresh
# server (lt-server --translator none, and floor.c beside it for reference). A run lags when
# a backlog builds: the time from a caption's send to its last viewer keeps rising through the
# run (the last quarter's median over 3x the first's and over 100 ms), or stays far above the
# fan-out's own time (last quarter's median over 250 ms; 1000 viewers take ~10-30 ms), or
# captions never arrive.
#
# Usage: bench/run_lag.sh BUILD_DIR [options]
#   -n 1000                     viewers
#   -R "25 50 100 150 200 300"  captions per second to try (repeats allowed)
#   -d 10                       seconds of captions per run
#   -k "floor lt"               servers: floor, lt (BUILD_DIR), old (-B), node, lt-tls (see
#                               run_floor.sh)
#   -B OLD_BUILD                another build's lt-server, as "old"
#   -i 0                        lt-server --io-threads (0 = one per core)
#   -l en                       viewer language(s), comma-separated
#   -o DIR                      logs and JSON (default: a new dir under /tmp)
# Everything shares the machine's cores with lt_load, whose own CPU per delivery is of the
# same order as the server's: the rates are for this machine, client included.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

viewers=1000
rates="25 50 100 150 200 300"
duration=10
kinds="floor lt"
old_build=""
io_threads=0
langs=en
out=""
bench_args "n=viewers R=rates d=duration k=kinds B=old_build i=io_threads l=langs o=out" "$@"
[[ -z $old_build ]] || old_build=$(cd "$old_build" && pwd)

bench_setup run_lag "$kinds" "$viewers"

echo "run_lag: $viewers viewers ($langs), rates $rates, $duration s each; results in $out"
echo
echo "| server | captions/s | deliveries/s | to last viewer, first quarter p50 ms | last quarter p50 ms | growth | latency p50 / p99 ms | lost | server CPU % | lags | load avg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
run=0
for rate in $rates; do
  run=$((run + 1))
  for kind in $kinds; do
    tag=$kind-$rate-$run # a rate may be listed twice
    load_run "$kind" "$tag" --viewers "$viewers" --langs "$langs" --rate "$rate" --duration "$duration" \
      --drain 20 --probe-interval 0
    if [[ -z $load_json ]]; then
      echo "| $kind | $rate | lt_load failed: $(tail -1 "$out/load-$tag.txt") |"
      continue
    fi
    echo "$load_json" >"$out/result-$tag.json"
    python3 - "$out/result-$tag.json" "$kind" <<'EOF'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
m = r["per_caption_max_ms"]
q = max(1, len(m) // 4)
first, last = statistics.median(m[:q]), statistics.median(m[-q:])
growth = last / first if first > 0 else float("inf")
# A backlog: growing through the run, or standing far above the fan-out time, or captions
# that never arrived within the drain.
lags = (growth > 3 and last > 100) or last > 250 or r["lost"] > 0
phase = r["caption_phase_seconds"]
cpu = r["server"]["sched_cpu_seconds"] / phase * 100 if phase > 0 else -1
print(f"| {sys.argv[2]} | {r['rate']} | {r['rate'] * r['viewers']:.0f} | {first:.1f} | {last:.1f} | {growth:.1f}x "
      f"| {r['latency_ms']['p50']} / {r['latency_ms']['p99']} | {r['lost']} | {cpu:.0f} | {'**yes**' if lags else 'no'} "
      f"| {r['loadavg_after']} |")
EOF
  done
done
echo "Details (per run JSON, server logs): $out"
