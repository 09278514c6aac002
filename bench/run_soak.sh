#!/usr/bin/env bash
# Soak: one lt-server (--translator none) with N viewers for a long run. Every minute a share
# of the viewers leaves and as many new ones join (one at a time, spread over the minute); one
# speaker sends captions at a steady rate; every few minutes a stalled viewer (a 4 KiB receive
# buffer, stops reading once subscribed) must be cut by the server while no one else suffers
# (at 2 captions/s the kernel buffers the backlog, so the 60 s keep-alive cuts it before the
# send queue's slow-consumer rule would). Writes the server's RSS every 10 s and one row per minute
# (deliveries, latency p50/p99, viewers open, churn, captions lost) as CSV.
#
# Fails (exit 1) when lt_load fails, when a live viewer lost a caption (each viewer must get
# every caption sent after it subscribed and acked 2 s before it left), when a viewer that
# did not stall was dropped, when a stalled viewer was not dropped by the server, on any
# duplicate, out-of-order or (after language_set) wrong-language caption, or
# when the RSS grew after warm-up: the mean RSS over the last fifth of the time after warm-up
# over the first fifth's by more than -g percent (60 min, 10 min warm-up: minutes 50-60
# against 10-20).
#
# Usage: bench/run_soak.sh BUILD_DIR [options]
#   -n 2000      viewers
#   -m 60        minutes of captions
#   -c 0.1       share of the viewers replaced each minute
#   -r 2         captions per second
#   -s 300       seconds between stalled viewers (0 = none)
#   -S 0         seconds a stalled viewer does not read (0 = 0.8 x -s)
#   -w 10        warm-up minutes (not in the RSS check)
#   -g 5         allowed RSS growth after warm-up, percent
#   -q N         lt-server --send-queue-frames (default: the server's, 1024)
#   -i 0         lt-server --io-threads (0 = one per core)
#   -o DIR       logs and CSVs (default: a new dir under /tmp)
# Needs: lt-server and lt_load in BUILD_DIR, jq, curl, python3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[[ $# -ge 1 ]] || usage 1
[[ $1 == -h || $1 == --help ]] && usage 0
build=$(cd "$1" && pwd)
shift
viewers=2000
minutes=60
churn=0.1
rate=2
stall_every=300
stall_for=0
warmup=10
growth=5
queue_frames=""
io_threads=0
out=""
while getopts "n:m:c:r:s:S:w:g:q:i:o:h" opt; do
  case $opt in
    n) viewers=$OPTARG ;;
    m) minutes=$OPTARG ;;
    c) churn=$OPTARG ;;
    r) rate=$OPTARG ;;
    s) stall_every=$OPTARG ;;
    S) stall_for=$OPTARG ;;
    w) warmup=$OPTARG ;;
    g) growth=$OPTARG ;;
    q) queue_frames=$OPTARG ;;
    i) io_threads=$OPTARG ;;
    o) out=$OPTARG ;;
    h) usage 0 ;;
    *) usage 1 ;;
  esac
done

need_bins run_soak "$build" jq curl python3
[[ -n $out ]] || out=$(mktemp -d /tmp/lt-soak.XXXXXX)
mkdir -p "$out"
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < viewers + 200 )); then
  echo "run_soak: open-file limit $(ulimit -n) is too low for $viewers viewers" >&2
  exit 1
fi

export API_KEY="bench-$RANDOM$RANDOM"
server_pid=""
trap '[[ -z $server_pid ]] || stop_pid "$server_pid"' EXIT
port=$(free_port)
extra=()
[[ -z $queue_frames ]] || extra=(--send-queue-frames "$queue_frames")
start_lt_server "$server_bin" "$port" "$out/server.log" "$io_threads" --translator none "${extra[@]}"
server_pid=$started_pid
duration=$(python3 -c "print(round($minutes * 60))")
echo "run_soak: $viewers viewers, $minutes min, churn $churn/min, $rate captions/s, a stalled viewer every" \
  "${stall_every} s, lt-server pid $server_pid port $port; results in $out"

set +e
"$load_bin" --soak --port "$port" --viewers "$viewers" --rate "$rate" --duration "$duration" --churn "$churn" \
  --stall-every "$stall_every" --stall-for "$stall_for" --drain 20 --server-pid "$server_pid" \
  --rss-csv "$out/rss.csv" --minutes-csv "$out/minutes.csv" >"$out/load.txt" 2>"$out/load.err"
rc=$?
set -e
curl -sf "http://127.0.0.1:$port/metrics" >"$out/metrics.txt" || true
stop_pid "$server_pid"
server_pid=""

json=$(grep '^{' "$out/load.txt" | tail -1 || true)
if [[ -z $json ]]; then
  echo "run_soak: lt_load failed (exit $rc):" >&2
  tail -5 "$out/load.err" "$out/load.txt" >&2
  exit 1
fi
echo "$json" >"$out/result.json"
grep -v '^{' "$out/load.txt" || true
slow_closed=$(awk '/^lt_slow_viewers_closed_total /{print $2}' "$out/metrics.txt")

# The verdict: losses, drops, stalls, RSS after warm-up; and the tables for BENCHMARKS.md.
python3 - "$out" "$rc" "$warmup" "$growth" "${slow_closed:--1}" <<'EOF'
import csv, json, statistics, sys
out, rc, warmup, growth, slow_closed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
r = json.load(open(f"{out}/result.json"))
rss = [(float(row["t_s"]), int(row["rss_kib"])) for row in csv.DictReader(open(f"{out}/rss.csv"))]
fail = []
if rc not in (0, 2):
    fail.append(f"lt_load exited {rc}")
if r["lost"]:
    fail.append(f"{r['lost']} captions lost to live viewers")
if r["dropped_normal_viewers"]:
    fail.append(f"{r['dropped_normal_viewers']} viewers that did not stall were dropped: {r['normal_drop_reasons']}")
if r["stalled_dropped"] != r["stalled"]:
    fail.append(f"only {r['stalled_dropped']} of {r['stalled']} stalled viewers were dropped by the server")
for key in ("unacked", "duplicates", "out_of_order", "wrong_lang", "never_subscribed"):
    if r[key]:
        fail.append(f"{key}: {r[key]}" + (f" {r.get('wrong_langs', '')}" if key == "wrong_lang" else ""))
if r["notes"]:
    fail.append("notes: " + "; ".join(r["notes"]))

end = r["duration_s"]
w = warmup * 60
fifth = (end - w) / 5
first = [k for t, k in rss if w <= t < w + fifth]
last = [k for t, k in rss if t >= end - fifth]  # with the sample after the drain
after = [(t, k) for t, k in rss if t >= w]
if not first or not last:
    fail.append("too few RSS samples after warm-up for the check")
    change = slope = float("nan")
else:
    change = (statistics.mean(last) / statistics.mean(first) - 1) * 100
    # Least squares over everything after warm-up, in MiB per hour.
    ts, ks = [t for t, _ in after], [k for _, k in after]
    mt, mk = statistics.mean(ts), statistics.mean(ks)
    slope = sum((t - mt) * (k - mk) for t, k in after) / sum((t - mt) ** 2 for t in ts) * 3600 / 1024
    if change > growth:
        fail.append(f"RSS grew {change:.1f} % after warm-up (bound {growth} %)")

def mib(k): return f"{k / 1024:.1f}"
print()
print(f"- RSS: start {mib(rss[0][1])} MiB, at warm-up end ({warmup:g} min) "
      f"{mib(min(rss, key=lambda x: abs(x[0] - w))[1])} MiB, end {mib(rss[-1][1])} MiB, peak {mib(max(k for _, k in rss))} MiB; "
      f"mean of the last fifth after warm-up vs the first: {change:+.2f} % (bound {growth:g} %); "
      f"slope after warm-up {slope:+.2f} MiB/h")
print(f"- captions {r['captions_sent']}, deliveries {r['deliveries']}, lost {r['lost']} of {r['required_deliveries']} "
      f"required; latency p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, p99.9 {r['latency_ms']['p999']} ms")
print(f"- churn: {r['first_connected']} first viewers, {r['joins']} joined, {r['leaves']} left "
      f"({r['join_failures_after_start']} joins failed); {r['viewers_checked']} viewers checked")
print(f"- stalled viewers: {r['stalled']} started, {r['stalled_dropped']} dropped "
      f"({r['stalled_dropped_slow_consumer']} as slow consumers, server's lt_slow_viewers_closed_total {slow_closed}; "
      f"as the client saw it: {r['stalled_drop_reasons']}); "
      f"viewers that did not stall dropped: {r['dropped_normal_viewers']}")
rows = r["per_minute"]
print()
print("| minutes | deliveries | p50 ms (median minute) | p99 ms (median minute) | p99 ms (worst minute) | max ms | lost | joins | leaves | viewers open at end | RSS MiB at end |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
step = 10 if len(rows) >= 20 else 1
for i in range(0, len(rows), step):
    g = rows[i:i + step]
    print(f"| {g[0]['minute']}-{g[-1]['minute']} | {sum(x['deliveries'] for x in g)} "
          f"| {round(statistics.median(x['p50_ms'] for x in g), 2)} | {round(statistics.median(x['p99_ms'] for x in g), 2)} "
          f"| {max(x['p99_ms'] for x in g)} | {max(x['max_ms'] for x in g)} "
          f"| {sum(x['lost'] for x in g)} | {sum(x['joins'] for x in g)} | {sum(x['leaves'] for x in g)} "
          f"| {g[-1]['viewers_open']} | {mib(g[-1]['rss_kib'])} |")
print()
if fail:
    print("run_soak: FAIL: " + "; ".join(fail))
    sys.exit(1)
print("run_soak: ok")
EOF
