#!/usr/bin/env bash
# OpenAI-compatible LLM translation fan-out latency: one speaker, one viewer per language (16:
# English plus 15 targets), lt-server --translator openai against tools/fake_openai.py's chat
# completions with an injected delay per call (a stand-in: a real local model takes far
# longer per call). Runs the same load once per --translate-workers value, side by side.
# Prints a Markdown table.
#
# Usage: bench/run_openai.sh BUILD_DIR [options]
#   -m 100       injected delay per chat completion, ms
#   -r 0.25      final captions per second
#   -c 12        captions per run
#   -w "1 0 16"  --translate-workers values to compare (0 = the backend's choice, 8)
#   -o DIR     where logs and JSON go (default: a new dir under /tmp)
#
# Needs: lt-server and lt_load in BUILD_DIR, python3, jq, curl. Loopback only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
[[ $# -ge 1 ]] || usage 1
[[ $1 == -h || $1 == --help ]] && usage 0
build=$(cd "$1" && pwd)
shift
delay=100
rate=0.25
count=12
workers="1 0 16"
out=""
while getopts "m:r:c:w:o:h" opt; do
  case $opt in
    m) delay=$OPTARG ;;
    r) rate=$OPTARG ;;
    c) count=$OPTARG ;;
    w) workers=$OPTARG ;;
    o) out=$OPTARG ;;
    h) usage 0 ;;
    *) usage 1 ;;
  esac
done
server_bin=$build/apps/lt-server/lt-server
load_bin=$build/bench/lt_load
for f in "$server_bin" "$load_bin"; do
  [[ -x $f ]] || { echo "run_openai: $f not found; build lt-server and lt_load first" >&2; exit 1; }
done
[[ -n $out ]] || out=$(mktemp -d /tmp/lt-openai.XXXXXX)
mkdir -p "$out"

fake_pid=""
server_pid=""
cleanup() {
  [[ -z $server_pid ]] || stop_pid "$server_pid"
  [[ -z $fake_pid ]] || stop_pid "$fake_pid"
}
trap cleanup EXIT

rm -f "$out/fake.port"
python3 "$root/tools/fake_openai.py" --port 0 --port-file "$out/fake.port" --key sk-bench \
  >"$out/fake.log" 2>&1 &
fake_pid=$!
wait_up "$fake_pid" "$out/fake.log" "fake_openai.py" test -s "$out/fake.port"
fake_port=$(cat "$out/fake.port")
curl -sf -X POST -H 'Content-Type: application/json' -d "{\"delay_ms\": $delay}" \
  "http://127.0.0.1:$fake_port/_fake/config" >/dev/null

export API_KEY="bench-$RANDOM$RANDOM"
export OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="http://127.0.0.1:$fake_port/v1" LT_MT_MODEL=bench-model

echo "run_openai: results in $out ($delay ms per call, $count captions at $rate/s, 16 viewers)"
results=()
for w in $workers; do
  port=$(free_port)
  tag="workers-$w"
  start_lt_server "$server_bin" "$port" "$out/server-$tag.log" 0 --translator openai --translate-workers "$w"
  server_pid=$started_pid
  # The probe call decides when the engine counts as available.
  wait_up "$server_pid" "$out/server-$tag.log" "openai translator probe" \
    sh -c "curl -sf http://127.0.0.1:$port/health | jq -e .aws_translate"
  before=$(curl -s "http://127.0.0.1:$fake_port/_fake/stats")
  set +e
  "$load_bin" --port "$port" --viewers 16 --rate "$rate" --count "$count" --drain 5 \
    --server-pid "$server_pid" --label "$tag" >"$out/load-$tag.txt" 2>&1
  rc=$?
  set -e
  after=$(curl -s "http://127.0.0.1:$fake_port/_fake/stats")
  stop_pid "$server_pid"
  server_pid=""
  head -1 "$out/load-$tag.txt"
  json=$(grep '^{' "$out/load-$tag.txt" | tail -1 || true)
  [[ -n $json ]] || { echo "run_openai: lt_load failed for $tag (exit $rc)" >&2; tail -5 "$out/load-$tag.txt" >&2; continue; }
  calls=$(( $(echo "$after" | jq .chats) - $(echo "$before" | jq .chats) ))
  curl -sf -X POST "http://127.0.0.1:$fake_port/_fake/reset" >/dev/null # max_concurrent per run
  echo "$json" | jq -c --arg w "$w" --arg calls "$calls" --argjson conc "$(echo "$after" | jq .max_concurrent)" \
    '. + {workers: $w, calls: ($calls|tonumber), concurrent_max: $conc, exit: 0}' >"$out/result-$tag.json"
  results+=("$out/result-$tag.json")
done

echo
echo "| translate workers | captions x viewers delivered | chat calls | most calls in flight | p50 ms | p99 ms | max ms | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for f in "${results[@]}"; do
  jq -r '"| \(if .workers == "0" then "default (8)" else .workers end) | \(.received) | \(.calls) | \(.concurrent_max) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms.max) | \(.lost) |"' "$f"
done
