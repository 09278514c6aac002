#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds, then runs lt-server on
# port 5050 and a speaker feeding it. Open http://localhost:5050 and pick a language.
# Until lt-speech lands (issue 3), the speaker is lt-send reading a bundled transcript.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build=${LT_BUILD_DIR:-build}

# One key for both sides; a real event sets its own in .env.
export API_KEY=${API_KEY:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}
port=${LT_PORT:-5050}

"$build/apps/lt-server/lt-server" --port "$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 $server 2>/dev/null || { echo "lt-server failed to start" >&2; exit 1; }
  sleep 0.1
done
echo
echo "  Live Translate is running: open http://localhost:$port and choose a language."
echo "  Press Ctrl+C to stop."
echo
"$build/apps/lt-send/lt-send" "http://127.0.0.1:$port" --file data/demo-transcript.txt --interval 4 --loop
