#!/usr/bin/env bash
# Translation engines' fan-out latency: one speaker, one viewer per language (16: English plus
# 15 targets), lt-server with each backend against its local stand-in (tools/fake_*.py) with an
# injected delay per translate call. Apertium, in a chain, is the real local one (no delay).
# Reports, per caption, the time from the speaker's send to the LAST viewer's receipt (every
# language delivered), its p50/p99 over the captions, the translate calls per caption (lt-server's
# lt_translations_total per engine, and the stand-in's own count), the most calls in flight at
# once, and the target languages the backend does not serve. Prints a Markdown table.
#
# Usage: bench/run_mt.sh BUILD_DIR [options]
#   -b "aws libretranslate deepl openai deepl,apertium"   backends (LT_TRANSLATOR values), in turn
#   -m 100     injected delay per translate call, ms
#   -r 1       final captions per second
#   -c 40      captions per run
#   -w "0"     --translate-workers values to compare (0 = the backend's choice)
#   -o DIR     where logs and JSON go (default: a new dir under /tmp)
#
# Needs: lt-server and lt_load in BUILD_DIR, python3, jq, curl (apertium for chains naming it).
# Exits 1 when lt_load failed or reported a run that was not clean (lost captions, errors,
# deadline): the table is still printed, with the runs that failed named after it.
# Loopback only. The stand-ins are not the vendors: their real latency is not measured here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
[[ $# -ge 1 ]] || usage 1
[[ $1 == -h || $1 == --help ]] && usage 0
build=$(cd "$1" && pwd)
shift
backends="aws libretranslate deepl openai deepl,apertium"
delay=100
rate=1
count=40
workers="0"
out=""
while getopts "b:m:r:c:w:o:h" opt; do
  case $opt in
    b) backends=$OPTARG ;;
    m) delay=$OPTARG ;;
    r) rate=$OPTARG ;;
    c) count=$OPTARG ;;
    w) workers=$OPTARG ;;
    o) out=$OPTARG ;;
    h) usage 0 ;;
    *) usage 1 ;;
  esac
done
tools=(jq curl python3 join)
[[ $backends != *apertium* ]] || tools+=(apertium)
need_bins run_mt "$build" "${tools[@]}"
[[ -n $out ]] || out=$(mktemp -d /tmp/lt-mt.XXXXXX)
mkdir -p "$out"
# lt_load's viewers, English first (never translated).
targets="es fr de it pt zh ja ko ar ru hi nl pl tr ca"

fake_pids=()
server_pid=""
cleanup() {
  [[ -z $server_pid ]] || stop_pid "$server_pid"
  local p
  for p in "${fake_pids[@]}"; do stop_pid "$p"; done
  fake_pids=()
}
trap cleanup EXIT

# start_fake ENGINE TAG: the engine's stand-in with the injected delay, and the environment
# lt-server needs to reach it. Sets fake_stats (its /_fake/stats URL) and calls_key (the jq path
# of its translate count in there); apertium (local) and none need none.
start_fake() {
  local engine=$1 tag=$2 script args=()
  case $engine in
    aws)
      script=fake_aws.py
      args=(--delay-ms "$delay") ;;
    libretranslate)
      # A LibreTranslate with a model for every page language (Chinese as zh-Hans, as it lists it).
      script=fake_libretranslate.py
      args=(--languages en,es,fr,de,it,pt,zh-Hans,ja,ko,ar,ru,hi,nl,pl,tr,ca) ;;
    deepl)
      script=fake_deepl.py
      args=(--key "bench-key:fx") ;;
    openai)
      script=fake_openai.py
      args=(--key sk-bench --model bench-model) ;;
    apertium | none) return 0 ;;
    *) echo "run_mt: no stand-in for engine '$engine'" >&2; return 1 ;;
  esac
  local portfile=$out/fake-$tag-$engine.port
  rm -f "$portfile"
  python3 "$root/tools/$script" --port 0 --port-file "$portfile" "${args[@]}" \
    >"$out/fake-$tag-$engine.log" 2>&1 &
  fake_pids+=($!)
  wait_up "$!" "$out/fake-$tag-$engine.log" "$script" test -s "$portfile"
  local url=http://127.0.0.1:$(cat "$portfile")
  case $engine in
    aws)
      export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
      export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$url
      unset AWS_SESSION_TOKEN AWS_PROFILE ;;
    libretranslate)
      export LIBRETRANSLATE_URL=$url
      unset LIBRETRANSLATE_API_KEY ;;
    deepl)
      export DEEPL_AUTH_KEY=bench-key:fx DEEPL_API_URL=$url ;;
    openai)
      export OPENAI_API_KEY=sk-bench OPENAI_BASE_URL=$url/v1 LT_MT_MODEL=bench-model ;;
  esac
  # fake_aws takes the delay as a flag; the others through /_fake/config.
  [[ $engine == aws ]] || curl -sf -X POST -d "{\"delay_ms\": $delay}" "$url/_fake/config" >/dev/null
  fake_stats+=("$engine=$url/_fake/stats")
}

# fake_counts: "engine calls concurrent_max" per stand-in of this run, from its /_fake/stats.
fake_counts() {
  local entry engine url
  for entry in "${fake_stats[@]}"; do
    engine=${entry%%=*}
    url=${entry#*=}
    curl -sf "$url" | jq -r --arg e "$engine" \
      'if $e == "aws" then "\($e) \(.translate_calls) \(.translate_concurrent_max)"
       elif $e == "openai" then "\($e) \(.chats) \(.max_concurrent)"
       else "\($e) \(.translate_calls) \(.max_concurrent)" end'
  done
}

# translations: "engine n" lines, lt_translations_total from lt-server's /metrics summed over languages.
translations() {
  curl -sf "http://127.0.0.1:$port/metrics" |
    awk '/^lt_translations_total\{/ { split($0, a, "engine=\""); split(a[2], b, "\""); n[b[1]] += $NF }
         END { for (e in n) print e, n[e] }'
}

# column_json N LINES: {first word: Nth word} over "engine n ..." lines.
column_json() {
  echo "$2" | jq -R -n --argjson i "$(($1 - 1))" \
    '[inputs | split(" ") | select(length > $i) | {(.[0]): (.[$i] | tonumber)}] | add // {}'
}

# delta BEFORE AFTER: {engine: after - before} over "engine n" lines (absent before = 0).
delta() {
  join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$1" | sort) <(echo "$2" | sort) |
    jq -R -n '[inputs | split(" ") | select(length == 3) | {(.[0]): ((.[2] | tonumber) - (.[1] | tonumber))}] | add // {}'
}

export API_KEY="bench-$RANDOM$RANDOM"
echo "run_mt: results in $out ($delay ms per call, $count captions at $rate/s, 16 viewers)"
results=()
failed=() # runs whose lt_load did not exit 0
for backend in $backends; do
  for w in $workers; do
    tag="${backend//,/+}-w$w"
    fake_stats=()
    for engine in ${backend//,/ }; do start_fake "$engine" "$tag"; done
    port=$(free_port)
    start_lt_server "$server_bin" "$port" "$out/server-$tag.log" 0 --translator "$backend" \
      --translate-workers "$w"
    server_pid=$started_pid
    # available() turns true once the engines answered their first probe or language list.
    wait_up "$server_pid" "$out/server-$tag.log" "$backend" \
      sh -c "curl -sf http://127.0.0.1:$port/health | jq -e .aws_translate"
    curl -sf "http://127.0.0.1:$port/health" >"$out/health-$tag.json"
    # The stand-ins count from here (the probes before are not the load's).
    for entry in "${fake_stats[@]}"; do
      url=${entry#*=}
      curl -sf -X POST "${url%/stats}/reset" >/dev/null
    done
    metrics_before=$(translations)
    set +e
    "$load_bin" --port "$port" --viewers 16 --rate "$rate" --count "$count" --drain 5 \
      --deadline "$(awk -v c="$count" -v r="$rate" 'BEGIN { print int(c / r) + 60 }')" \
      --server-pid "$server_pid" --label "$tag" >"$out/load-$tag.txt" 2>&1
    rc=$?
    set -e
    [[ $rc -eq 0 ]] || failed+=("$tag (lt_load exit $rc)")
    fakes_after=$(fake_counts)
    metrics_after=$(translations)
    stop_pid "$server_pid"
    server_pid=""
    cleanup
    head -1 "$out/load-$tag.txt"
    json=$(grep '^{' "$out/load-$tag.txt" | tail -1 || true)
    [[ -n $json ]] || { echo "run_mt: lt_load failed for $tag (exit $rc)" >&2; tail -5 "$out/load-$tag.txt" >&2; continue; }
    served=$(jq -c '.translator.languages' "$out/health-$tag.json")
    routes=$(jq -c '.translator.routes' "$out/health-$tag.json")
    echo "$json" | jq -c --arg backend "$backend" --arg w "$w" --arg rc "$rc" \
      --argjson engine_calls "$(delta "$metrics_before" "$metrics_after")" \
      --argjson fake_calls "$(column_json 2 "$fakes_after")" \
      --argjson conc "$(column_json 3 "$fakes_after")" \
      --argjson served "$served" --argjson routes "$routes" --arg targets "$targets" \
      '. + {backend: $backend, workers: $w, exit: ($rc|tonumber), engine_calls: $engine_calls,
            fake_calls: $fake_calls, concurrent_max: $conc, routes: $routes,
            unserved: [$targets | split(" ")[] | select(. as $l | $served | index($l) | not)]}' \
      >"$out/result-$tag.json"
    results+=("$out/result-$tag.json")
  done
done

echo
echo "| backend | workers | languages not served | captions | to last viewer p50 ms | p99 ms | max ms | to first viewer p50 ms | translations per caption (by engine) | stand-in calls per caption | most calls in flight | all pairs p50 / p99 ms | lost | load avg |"
echo "|---|---|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---|"
for f in "${results[@]}"; do
  jq -r '(.captions_sent) as $n
    | def per($o): [$o | to_entries[] | "\(.key) \((.value / $n * 100 | round) / 100)"] | join(", ");
    "| \(.backend) | \(if .workers == "0" then "default" else .workers end)"
    + " | \(if (.unserved | length) == 0 then "none" else (.unserved | join(" ")) end)"
    + " | \(.last_viewer_ms.captions) (\(.last_viewer_ms.complete) to all)"
    + " | \(.last_viewer_ms.p50) | \(.last_viewer_ms.p99) | \(.last_viewer_ms.max) | \(.last_viewer_ms.first_p50)"
    + " | \(per(.engine_calls)) | \(per(.fake_calls))"
    + " | \([.concurrent_max | to_entries[] | "\(.key) \(.value)"] | join(", "))"
    + " | \(.latency_ms.p50) / \(.latency_ms.p99) | \(.lost) | \(.loadavg_before) -> \(.loadavg_after) |"' "$f"
done
if ((${#failed[@]})); then
  echo "run_mt: FAILED: ${failed[*]}; see $out/load-*.txt" >&2
  exit 1
fi
