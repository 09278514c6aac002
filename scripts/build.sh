#!/usr/bin/env bash
# Configures and builds the project (Release, warnings on) into ./build, or $LT_BUILD_DIR.
# Extra arguments go to CMake's configure step, e.g. -DLT_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${LT_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
