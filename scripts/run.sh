#!/usr/bin/env bash
# The main job on one machine: installs what is missing, builds, then runs lt-server on
# port 5050 and lt-speech listening to the default microphone. On a machine without one,
# lt-speech plays a recording in real time instead: LibriVox clips from Debian's
# pocketsphinx-testdata, joined with pauses. Open http://localhost:5050 and pick a language.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build=${LT_BUILD_DIR:-build}

# One key for both sides; a real event sets its own in .env.
export API_KEY=${API_KEY:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}
port=${LT_PORT:-5050}

demo=
# Its own session, so Ctrl+C reaches only lt-speech, which then sends its last sentence
# before the server is stopped.
setsid "$build/apps/lt-server/lt-server" --port "$port" &
server=$!
cleanup() { kill $server 2>/dev/null; wait $server 2>/dev/null; [[ -z $demo ]] || rm -f "$demo"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 $server 2>/dev/null || { echo "lt-server failed to start" >&2; exit 1; }
  sleep 0.1
done
echo
echo "  Live Translate is running: open http://localhost:$port and choose a language."
echo "  Press Ctrl+C to stop."
echo
speech=("$build/apps/lt-speech/lt-speech" "http://127.0.0.1:$port")
if "${speech[@]}" --list-devices 2>/dev/null | grep -q '^ *[0-9]\+\*'; then
  "${speech[@]}"
  exit
fi
echo "  No microphone here: playing a recording (LibriVox, Sense and Sensibility) instead."
demo=$(mktemp --suffix .wav)
gap=$(mktemp --suffix .wav)
sox -n -r 16000 -c 1 -b 16 "$gap" trim 0 1.5
parts=()
for c in /usr/share/pocketsphinx/test/data/librivox/*.wav; do parts+=("$c" "$gap"); done
sox "${parts[@]}" "$demo"
rm -f "$gap"
while "${speech[@]}" --input "$demo"; do :; done
