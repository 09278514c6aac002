#!/usr/bin/env bash
# Cluster fan-out benchmark: one speaker on node 1, N viewers spread round-robin over the nodes.
# Starts its own redis-server on a free loopback port, then for each viewer count runs four
# configurations, every lt-server fresh and Redis emptied (FLUSHALL) between runs:
#   1node        one node, no Redis (the single-node baseline)
#   1node+redis  one node with --redis (the cluster path's cost on one node)
#   2nodes       two nodes with --redis, viewers split over both
#   3nodes       three nodes with --redis, viewers split over all three
# Prints a Markdown table. Builds nothing.
#
# Usage: bench/run_cluster.sh BUILD_DIR [options]
#   -n "1000 5000"             viewer counts
#   -C "1node 1node+redis 2nodes 3nodes"   configurations
#   -r 2                       final captions per second
#   -d 15                      seconds of captions per run
#   -D 5                       seconds to wait for late deliveries after the last caption
#   -c 1000                    new viewer connections per second
#   -t 2                       lt_load io threads (1 or 2)
#   -i 1                       lt-server --io-threads, per node (0 = one per core)
#   -o DIR                     where logs and JSON go (default: a new dir under /tmp)
#
# Needs: lt-server and lt_load in BUILD_DIR, redis-server, redis-cli, jq, curl, python3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 1
[[ $1 == -h || $1 == --help ]] && usage 0
build=$(cd "$1" && pwd)
shift
counts="1000 5000"
configs="1node 1node+redis 2nodes 3nodes"
rate=2
duration=15
drain=5
connect_rate=1000
client_threads=2
io_threads=1
out=""
while getopts "n:C:r:d:D:c:t:i:o:h" opt; do
  case $opt in
    n) counts=$OPTARG ;;
    C) configs=$OPTARG ;;
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

need_bins run_cluster "$build" redis-server redis-cli jq curl python3
for c in $configs; do
  case $c in 1node | 1node+redis | 2nodes | 3nodes) ;; *) echo "run_cluster: unknown config $c" >&2; exit 1 ;; esac
done
[[ -n $out ]] || out=$(mktemp -d /tmp/lt-cluster.XXXXXX)
mkdir -p "$out"

# Every process needs an fd per viewer it holds. Raise the hard limit where we may, else use it.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_count=0
for n in $counts; do (( n > max_count )) && max_count=$n; done
if (( $(ulimit -n) < max_count + 100 )); then
  echo "run_cluster: open-file limit $(ulimit -n) is too low for $max_count viewers" >&2
  exit 1
fi

export API_KEY="bench-$RANDOM$RANDOM"
redis_pid=""
redis_port=""
node_pids=()
node_ports=()

stop_nodes() {
  local pid
  for pid in "${node_pids[@]}"; do
    stop_pid "$pid"
  done
  node_pids=()
  node_ports=()
}

cleanup() {
  stop_nodes
  [[ -n $redis_pid ]] && stop_pid "$redis_pid"
  redis_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_redis() {
  redis_port=$(free_port)
  [[ $redis_port != 6379 ]] || redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >"$out/redis.log" 2>&1 &
  redis_pid=$!
  wait_up "$redis_pid" "$out/redis.log" "redis-server" redis-cli -p "$redis_port" ping
}

# Starts one lt-server; $1 = log file, $2 = "redis" or "", appends to node_pids/node_ports.
start_node() {
  local log=$1 use_redis=$2 port
  local extra=()
  [[ $use_redis == redis ]] && extra=(--redis "redis://127.0.0.1:$redis_port")
  port=$(free_port)
  start_lt_server "$server_bin" "$port" "$log" "$io_threads" --translator none "${extra[@]}" || return 1
  node_pids+=("$started_pid")
  node_ports+=("$port")
}

start_redis
echo "run_cluster: results in $out (redis on port $redis_port, rate $rate/s, $duration s per run," \
  "--io-threads $io_threads per node, $(nproc) cores, hard fd limit $(ulimit -Hn))"
results=()
failed=() # runs whose lt_load did not exit 0
for n in $counts; do
  for cfg in $configs; do
    case $cfg in
      1node) nodes=1 use_redis="" ;;
      1node+redis) nodes=1 use_redis=redis ;;
      2nodes) nodes=2 use_redis=redis ;;
      3nodes) nodes=3 use_redis=redis ;;
    esac
    tag="$cfg-$n"
    redis-cli -p "$redis_port" flushall >/dev/null
    for i in $(seq 1 "$nodes"); do
      start_node "$out/server-$tag-node$i.log" "$use_redis"
    done
    # Let every node's subscriber connect before viewers come.
    [[ -z $use_redis ]] || sleep 1
    ports=$(IFS=,; echo "${node_ports[*]}")
    others=("${node_pids[@]:1}")
    [[ -z $use_redis ]] || others+=("$redis_pid")
    cpu_pids=$(IFS=,; echo "${others[*]}")
    cpu_args=()
    [[ -z $cpu_pids ]] || cpu_args=(--cpu-pids "$cpu_pids")
    set +e
    "$load_bin" --port "${node_ports[0]}" --viewer-ports "$ports" --viewers "$n" --rate "$rate" \
      --duration "$duration" --drain "$drain" --connect-rate "$connect_rate" --threads "$client_threads" \
      --server-pid "${node_pids[0]}" "${cpu_args[@]}" --label "$tag" >"$out/load-$tag.txt" 2>&1
    rc=$?
    set -e
    [[ $rc -eq 0 ]] || failed+=("$tag (lt_load exit $rc)")
    for i in "${!node_ports[@]}"; do
      curl -s "http://127.0.0.1:${node_ports[$i]}/metrics" >"$out/metrics-$tag-node$((i + 1)).txt" || true
      curl -s "http://127.0.0.1:${node_ports[$i]}/health" >"$out/health-$tag-node$((i + 1)).json" || true
    done
    stop_nodes
    head -1 "$out/load-$tag.txt"
    grep '^lt_load: \(port\|note\)' "$out/load-$tag.txt" || true
    json=$(grep '^{' "$out/load-$tag.txt" | tail -1 || true)
    if [[ -z $json ]]; then
      echo "run_cluster: lt_load failed for $tag (exit $rc):" >&2
      tail -5 "$out/load-$tag.txt" >&2
      continue
    fi
    slow=$(cat "$out"/server-"$tag"-node*.log | grep -c 'closing a slow viewer' || true)
    echo "$json" | jq -c --arg cfg "$cfg" --arg nodes "$nodes" --arg slow "$slow" --arg rc "$rc" \
      '. + {config: $cfg, nodes: ($nodes|tonumber), slow_closes: ($slow|tonumber), exit: ($rc|tonumber)}' \
      >"$out/result-$tag.json"
    results+=("$out/result-$tag.json")
  done
done

echo
echo "| config | nodes | viewers | connected | p50 ms | p99 ms | max ms | lost | speaker's node p50 / p99 | other nodes p50 / p99 | first viewer p50: speaker's node / others | text_ack p50 ms | CPU s, all servers + Redis | client CPU s | load avg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in "${results[@]}"; do
  jq -r '
    def pair(o): if o.latency_ms.received > 0 then "\(o.latency_ms.p50) / \(o.latency_ms.p99)" else "–" end;
    def first(o): if o.first_ms.received > 0 then "\(o.first_ms.p50)" else "–" end;
    ((.server.cpu_seconds) + ([.cpu_by_pid[]?.cpu_seconds] | add // 0)) as $cpu
    | "| \(.config) | \(.nodes) | \(.viewers) | \(.connected) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.lost) | \(pair(.speaker_node)) | \(pair(.other_nodes)) | \(first(.speaker_node)) / \(first(.other_nodes)) | \(.ack_ms_p50) | \($cpu * 100 | round / 100) | \(.client_cpu_seconds) | \(.loadavg_after) |"
  ' "$f"
done
echo
run_problems "${results[@]}"
echo "Details (per run JSON, server and Redis logs, /metrics, /health): $out"
if ((${#failed[@]})); then
  echo "run_cluster: FAILED: ${failed[*]}" >&2
  exit 1
fi
