#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing Live Translate needs.
# Idempotent: installs only what is missing and runs `apt-get update` at most once.
# Run as root (or with sudo).
set -euo pipefail

build=(build-essential cmake pkg-config libboost-dev libssl-dev nlohmann-json3-dev
       libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libqrencode-dev)
# Offline translation: English→Spanish directly; French, Portuguese and Italian through
# Spanish; Catalan directly. These reach the most of the reference's languages from English.
translate=(apertium lttoolbox apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita
           apertium-eng-cat)
# Speech: capture (PortAudio), audio files (libsndfile), resampling (libsamplerate), offline
# recognition (pocketsphinx with the US English model); sox and alsa-utils for test audio and
# the virtual microphone; pocketsphinx-testdata holds the LibriVox clips the tests use; flite
# speaks the held-out sentences of tests/stt/flite_corpus.hpp.
speech=(portaudio19-dev libsndfile1-dev libsamplerate0-dev libpocketsphinx-dev libsphinxbase-dev
        pocketsphinx pocketsphinx-en-us pocketsphinx-testdata sox alsa-utils flite)
# Tests: the browser test drives Debian's Chromium with playwright-core from npm.
test=(chromium curl ca-certificates procps openssl socat zbar-tools librsvg2-bin nginx-light python3)

# Several lt-server processes share rooms through Redis (hiredis client; the tests start their
# own redis-server on free ports and never touch the packaged service on 6379).
cluster=(libhiredis-dev redis-server)
# Durable rooms and transcripts (--data-dir): SQLite.
storage=(libsqlite3-dev)

# Fuzzing (scripts/fuzz.sh; LT_FUZZ=1 scripts/setup.sh): clang and its libFuzzer/sanitizer
# runtimes. Not needed to build or test otherwise.
fuzz=(clang-14 libclang-rt-14-dev)

wanted=("${build[@]}" "${translate[@]}" "${speech[@]}" "${test[@]}" "${cluster[@]}" "${storage[@]}")
[[ ${LT_FUZZ:-0} == 1 ]] && wanted+=("${fuzz[@]}")
command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# The whisper engine's source (not a Debian package): fetched with npm, checked, unpacked.
# LT_WHISPER=0 skips it (builds with -DLT_WHISPER=OFF, such as deploy/Dockerfile's).
fetch_whisper() {
  [[ ${LT_WHISPER:-1} == 0 ]] || "$(dirname "$0")/fetch_whisper.sh"
}

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#wanted[@]} packages already installed"
  fetch_whisper
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fetch_whisper
