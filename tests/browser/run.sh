#!/bin/sh
# Runs the browser tests: the viewer page (viewer.test.mjs) and the event pages, operator
# console, screen view and viewer additions (events.test.mjs), and the viewer page on a phone
# (page.test.mjs). Needs Node.js >= 20, Debian's
# chromium and apertium (eng-spa, eng-cat);
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
exec node --test viewer.test.mjs events.test.mjs page.test.mjs
