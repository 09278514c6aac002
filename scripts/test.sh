#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build=${LT_BUILD_DIR:-build}
cd "$build"
ctest --output-on-failure --timeout 900
