#!/usr/bin/env bash
# OpenAI-compatible LLM translation fan-out latency by worker count: bench/run_mt.sh with the
# openai backend alone against tools/fake_openai.py's chat completions, with 1, the default (8)
# and 16 translation workers, 12 captions at one every 4 s, as first measured. A stand-in: a
# real model takes far longer per call. Options after BUILD_DIR are run_mt.sh's and override these.
#
# Usage: bench/run_openai.sh BUILD_DIR [run_mt.sh options]
set -euo pipefail
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 1; }
exec "$(dirname "$0")/run_mt.sh" "$1" -b openai -w "1 0 16" -r 0.25 -c 12 "${@:2}"
