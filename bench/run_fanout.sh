#!/usr/bin/env bash
# Fan-out benchmark: for each translator backend and viewer count, starts a fresh lt-server on
# a free loopback port, runs lt_load against it, stops the server, and prints a Markdown table.
# Builds nothing.
#
# Usage: bench/run_fanout.sh BUILD_DIR [options]
#   -n "100 1000 5000 10000"   viewer counts
#   -b "none apertium"         translator backends
#   -r 2                       final captions per second
#   -d 15                      seconds of captions per run
#   -D 5                       seconds to wait for late deliveries after the last caption
#   -c 1000                    new viewer connections per second
#   -t 2                       lt_load io threads (1 or 2)
#   -i 0                       lt-server --io-threads (0 = one per core)
#   -o DIR                     where logs and JSON go (default: a new dir under /tmp)
#
# Needs: lt-server and lt_load in BUILD_DIR, jq, curl, python3 (for a free port).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

counts="100 1000 5000 10000"
backends="none apertium"
rate=2
duration=15
connect_rate=1000
drain=5
client_threads=2
io_threads=0
out=""
bench_args "n=counts b=backends r=rate d=duration D=drain c=connect_rate t=client_threads i=io_threads o=out" "$@"

max_count=0
for n in $counts; do (( n > max_count )) && max_count=$n; done
bench_setup run_fanout lt "$max_count"

# The server's /metrics after each run, before it stops.
save_metrics() { curl -s "http://127.0.0.1:$1/metrics" >"$out/metrics-$2.txt" || true; }
load_hook=save_metrics

echo "run_fanout: results in $out (rate $rate/s, $duration s per run, hard fd limit $(ulimit -Hn))"
results=()
for backend in $backends; do
  for n in $counts; do
    tag="$backend-$n"
    translator=$backend
    load_run lt "$tag" --viewers "$n" --rate "$rate" --duration "$duration" --drain "$drain" \
      --connect-rate "$connect_rate" --threads "$client_threads"
    head -1 "$out/load-$tag.txt"
    grep '^lt_load: note:' "$out/load-$tag.txt" || true
    if [[ -z $load_json ]]; then
      echo "run_fanout: lt_load failed for $tag (exit $load_rc):" >&2
      tail -5 "$out/load-$tag.txt" >&2
      continue
    fi
    slow=$(grep -c 'closing a slow viewer' "$out/server-$tag.log" || true)
    echo "$load_json" | jq -c --arg slow "$slow" --arg rc "$load_rc" '. + {slow_closes: ($slow|tonumber), exit: ($rc|tonumber)}' \
      >"$out/result-$tag.json"
    results+=("$out/result-$tag.json")
  done
done

echo
echo "| N | backend | connected | p50 ms | p99 ms | max ms | lost | dropped viewers | server peak RSS MiB | KiB/idle viewer | server CPU s | child CPU s | client CPU s | load avg |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in "${results[@]}"; do
  jq -r '
    def backend: (.label | split("-") | .[0]);
    "| \(.viewers) | \(backend) | \(.connected) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.lost) | \(.dropped_viewers) | \((.server.peak_rss_kib / 1024 * 10 | round) / 10) | \(.server.kib_per_idle_viewer) | \(.server.cpu_seconds) | \(.children.cpu_seconds) | \(.client_cpu_seconds) | \(.loadavg_after) |"
  ' "$f"
done
echo
# Anything that went wrong, per run: failures with reasons, closes, ordering and content checks.
run_problems "${results[@]}"
echo "Details (per run JSON, server logs, /metrics): $out"
