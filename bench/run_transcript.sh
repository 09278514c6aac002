#!/usr/bin/env bash
# Serving a big transcript: a data directory with N finals of room "big" (written straight
# into SQLite), lt-server on it, one GET of /r/big/transcript.txt (?lang=L: translated for the
# request when nobody watched L); prints the server's peak RSS (VmHWM) before and after, the
# body's size, how many lines came out translated, and the time. Each run starts afresh.
#
# Usage: bench/run_transcript.sh BUILD_DIR [FINALS (20000)] [LANG (none)] [PORT (18830)]
# Compare builds by alternating runs: bench/run_transcript.sh build 20000 es; ... OLD_BUILD ...
set -euo pipefail
build=$1
finals=${2:-20000}
lang=${3:-}
port=${4:-18830}
bin=$build/apps/lt-server/lt-server
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

# The schema comes from lt-server itself.
$bin --host 127.0.0.1 --port "$port" --translator none --data-dir "$dir" >"$dir/log" 2>&1 &
pid=$!
sleep 1.5
kill $pid
wait $pid 2>/dev/null || true
python3 - "$dir/live-translate.db" "$finals" <<'PY'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
first = int(time.time() * 1000) - 3_600_000 - n * 2000  # ends an hour ago, inside --retain-days
c.executemany("INSERT INTO captions (room, seq, id, lang, text, timestamp, at_ms, source) "
              "VALUES ('big', ?, ?, 'en', ?, '12:00:00', ?, 'spoken')",
              [(i, f"c-{i}", f"Caption number {i} is here.", first + (i - 1) * 2000) for i in range(1, n + 1)])
c.commit()
PY
$bin --host 127.0.0.1 --port "$port" --translator apertium --data-dir "$dir" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
before=$(hwm)
start=$(date +%s.%N)
curl -s -o "$dir/out" "http://127.0.0.1:$port/r/big/transcript.txt${lang:+?lang=$lang}"
end=$(date +%s.%N)
after=$(hwm)
echo "$build: $finals finals${lang:+ in $lang}: peak RSS $before -> $after KiB (+$((after - before))), \
$(wc -c <"$dir/out") bytes, $(grep -vc 'Caption number' "$dir/out" || true) lines translated, \
$(echo "$end - $start" | bc) s"
