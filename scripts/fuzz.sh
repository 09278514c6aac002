#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang-14 under ASan/UBSan into ./build-fuzz (or
# $LT_FUZZ_BUILD_DIR) and runs each for SECONDS (default 60), one after the other, through
# CTest (label fuzz). New inputs go to build-fuzz/fuzz-corpus/<target>/, crashes to
# build-fuzz/fuzz-artifacts/. With --merge, afterwards minimises each target's seeds plus
# what the run found back into fuzz/corpus/<target>/ (libFuzzer -merge=1, edge coverage only
# with -use_counters=0, which keeps the committed corpus small).
#   scripts/fuzz.sh [--merge] [SECONDS] [TARGET-REGEX]
set -euo pipefail
cd "$(dirname "$0")/.."
merge=0
if [[ ${1:-} == --merge ]]; then
  merge=1
  shift
fi
seconds=${1:-60}
only=${2:-.}
build=${LT_FUZZ_BUILD_DIR:-build-fuzz}

if ! command -v clang++-14 >/dev/null 2>&1; then
  LT_FUZZ=1 scripts/setup.sh
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLT_FUZZ=ON \
  -DLT_FUZZ_SECONDS="$seconds" -DLT_WHISPER=OFF -DLT_BUILD_TESTS=OFF -DLT_BUILD_BENCH=OFF "${@:3}" >/dev/null
cmake --build "$build" --target lt_fuzz -j"$(nproc)"
status=0
ctest --test-dir "$build" -L fuzz -R "fuzz_.*${only}" --output-on-failure || status=$?

if ((merge)); then
  for bin in "$build"/fuzz/fuzz_*; do
    name=${bin##*/fuzz_}
    [[ $name =~ $only ]] || continue
    seeds=fuzz/corpus/$name
    tmp=$(mktemp -d)
    "$bin" -merge=1 -use_counters=0 "$tmp" "$seeds" "$build/fuzz-corpus/$name" 2>/dev/null
    if compgen -G "$tmp/*" >/dev/null; then
      rm -f "$seeds"/*
      cp "$tmp"/* "$seeds"/
    fi
    rm -rf "$tmp"
    echo "fuzz: $name corpus: $(ls "$seeds" | wc -l) files, $(du -sb "$seeds" | cut -f1) bytes"
  done
fi
exit "$status"
