#!/usr/bin/env bash
# bench/run_aws.sh (run_mt.sh) must fail when the load generator fails: runs it with the real
# lt-server and fake_aws.py, and an lt_load that exits 3 without a result.
# Usage: tests/bench/run_mt_exit.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/lt-run-mt-exit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/build/apps/lt-server" "$tmp/build/bench"
ln -s "$build/apps/lt-server/lt-server" "$tmp/build/apps/lt-server/lt-server"
printf '#!/bin/sh\necho "lt_load: pretending to fail" >&2\nexit 3\n' >"$tmp/build/bench/lt_load"
chmod +x "$tmp/build/bench/lt_load"
set +e
"$here/bench/run_aws.sh" "$tmp/build" -w 0 -c 1 -o "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
set -e
if [[ $rc -eq 0 ]]; then
  echo "FAIL: run_aws.sh exited 0 although lt_load exited 3" >&2
  cat "$tmp/stdout" "$tmp/stderr" >&2
  exit 1
fi
grep -q "lt_load exit 3" "$tmp/stderr" || { echo "FAIL: no word of lt_load's exit 3" >&2; cat "$tmp/stderr" >&2; exit 1; }
echo "ok   run_aws.sh exited $rc after lt_load exited 3"
