#!/usr/bin/env bash
# AWS Translate fan-out latency, sequential vs parallel: bench/run_mt.sh with the AWS backend
# alone, once with one translation worker (one language after another, as the reference does)
# and once with the default (every language of a caption in flight at once), 12 captions at
# one every 4 s, as first measured. Options after BUILD_DIR are run_mt.sh's and override these.
#
# Usage: bench/run_aws.sh BUILD_DIR [run_mt.sh options]
set -euo pipefail
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 1; }
exec "$(dirname "$0")/run_mt.sh" "$1" -b aws -w "1 0" -r 0.25 -c 12 "${@:2}"
