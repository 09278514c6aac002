#!/bin/sh
# Runs the viewer page's browser test. Needs Node.js >= 20, Debian's chromium and apertium;
# LT_SERVER_BIN may point at the lt-server binary (see viewer.test.mjs).
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
    if [ -f package-lock.json ]; then
        npm ci --no-audit --no-fund
    else
        npm install --no-audit --no-fund
    fi
fi
exec node --test viewer.test.mjs
