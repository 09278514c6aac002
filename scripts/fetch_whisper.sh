#!/usr/bin/env bash
# Fetches the whisper.cpp source (1.9.1) that the whisper engine builds from: Debian 12 has no
# package, and the npm package nodejs-whisper@0.3.1 ships the complete tree under
# cpp/whisper.cpp. The tarball's sha512 is checked against the value pinned here before
# anything is unpacked; only cpp/whisper.cpp is kept, in third_party/whisper.cpp (ignored by
# git, never committed). Idempotent: does nothing when that folder holds this version.
set -euo pipefail
cd "$(dirname "$0")/.."

package=nodejs-whisper@0.3.1
# npm view nodejs-whisper@0.3.1 dist.integrity
integrity=sha512-ceoilUVraRuR5FnNyXpGQT2auAR48Oc3AQBEmkXnVpSn9iN6yVRzQBFCqVTGWbk6Wdi95NhvwXNzFvuR7erLWw==
dest=third_party/whisper.cpp
stamp=$dest/.lt-source

if [[ -f $stamp && $(cat "$stamp") == "$package $integrity" && -f $dest/CMakeLists.txt ]]; then
  echo "setup: whisper.cpp source already in $dest ($package)"
  exit 0
fi
command -v npm >/dev/null || { echo "setup: npm is needed to fetch $package" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "setup: fetching whisper.cpp from $package"
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tarball=$(ls "$tmp"/*.tgz)
actual=sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
if [[ $actual != "$integrity" ]]; then
  echo "setup: $package tarball has integrity $actual, expected $integrity; not using it" >&2
  exit 1
fi
mkdir -p "$tmp/src"
tar -xzf "$tarball" -C "$tmp/src" package/cpp/whisper.cpp
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp/src/package/cpp/whisper.cpp" "$dest"
echo "$package $integrity" >"$stamp"
echo "setup: whisper.cpp source in $dest"
