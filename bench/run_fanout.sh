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

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 1
[[ $1 == -h || $1 == --help ]] && usage 0
build=$(cd "$1" && pwd)
shift
counts="100 1000 5000 10000"
backends="none apertium"
rate=2
duration=15
connect_rate=1000
drain=5
client_threads=2
io_threads=0
out=""
while getopts "n:b:r:d:D:c:t:i:o:h" opt; do
  case $opt in
    n) counts=$OPTARG ;;
    b) backends=$OPTARG ;;
    r) rate=$OPTARG ;;
    d) duration=$OPTARG ;;
    D) drain=$OPTARG ;;
    c) connect_rate=$OPTARG ;;
    t) client_threads=$OPTARG ;;
    i) io_threads=$OPTARG ;;
    o) out=$OPTARG ;;
    h) usage 0 ;;
    *) usage 1 ;;
  esac
done

need_bins run_fanout "$build" jq curl python3
[[ -n $out ]] || out=$(mktemp -d /tmp/lt-fanout.XXXXXX)
mkdir -p "$out"

# Both processes need an fd per viewer. Raise the hard limit where we may (root), else use it.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_count=0
for n in $counts; do (( n > max_count )) && max_count=$n; done
if (( $(ulimit -n) < max_count + 100 )); then
  echo "run_fanout: open-file limit $(ulimit -n) is too low for $max_count viewers" >&2
  exit 1
fi

export API_KEY="bench-$RANDOM$RANDOM"
server_pid=""
cleanup() {
  [[ -z $server_pid ]] || stop_pid "$server_pid"
}
trap cleanup EXIT

# Starts lt-server with backend $1 on port $2, log to $3; sets server_pid.
start_server() {
  start_lt_server "$server_bin" "$2" "$3" "$io_threads" --translator "$1" || return 1
  server_pid=$started_pid
}

stop_server() {
  stop_pid "$server_pid"
  server_pid=""
}

echo "run_fanout: results in $out (rate $rate/s, $duration s per run, hard fd limit $(ulimit -Hn))"
results=()
for backend in $backends; do
  for n in $counts; do
    port=$(free_port)
    tag="$backend-$n"
    start_server "$backend" "$port" "$out/server-$tag.log"
    set +e
    "$load_bin" --port "$port" --viewers "$n" --rate "$rate" --duration "$duration" --drain "$drain" \
      --connect-rate "$connect_rate" --threads "$client_threads" --server-pid "$server_pid" \
      --label "$tag" >"$out/load-$tag.txt" 2>&1
    rc=$?
    set -e
    curl -s "http://127.0.0.1:$port/metrics" >"$out/metrics-$tag.txt" || true
    stop_server
    head -1 "$out/load-$tag.txt"
    grep '^lt_load: note:' "$out/load-$tag.txt" || true
    json=$(grep '^{' "$out/load-$tag.txt" | tail -1 || true)
    if [[ -z $json ]]; then
      echo "run_fanout: lt_load failed for $tag (exit $rc):" >&2
      tail -5 "$out/load-$tag.txt" >&2
      continue
    fi
    slow=$(grep -c 'closing a slow viewer' "$out/server-$tag.log" || true)
    echo "$json" | jq -c --arg slow "$slow" --arg rc "$rc" '. + {slow_closes: ($slow|tonumber), exit: ($rc|tonumber)}' \
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
for f in "${results[@]}"; do
  jq -r '
    [ (if .connect_failed > 0 then "connect failures \(.connect_failures)" else empty end),
      (if .dropped_viewers > 0 then "dropped viewers \(.drop_reasons)" else empty end),
      (if .lost_alive > 0 then "lost at live viewers \(.lost_alive) \(.lost_alive_by_lang)" else empty end),
      (if .slow_closes > 0 then "slow-consumer closes in server log: \(.slow_closes)" else empty end),
      (if .out_of_order > 0 then "out of order \(.out_of_order)" else empty end),
      (if .duplicates > 0 then "duplicates \(.duplicates)" else empty end),
      (if .wrong_lang > 0 then "wrong language \(.wrong_lang)" else empty end),
      (if .marker_mismatch > 0 then "marker missing from original \(.marker_mismatch)" else empty end),
      (if .captions_sent < .captions_planned then "sent \(.captions_sent)/\(.captions_planned) captions" else empty end),
      (if (.errors | length) > 0 then "errors \(.errors)" else empty end),
      (if .deadline_hit then "deadline hit" else empty end),
      (.notes[]) ] as $p
    | if ($p | length) > 0 then "- \(.label): \($p | join("; "))" else empty end
  ' "$f"
done
echo "Details (per run JSON, server logs, /metrics): $out"
