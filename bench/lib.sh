# Shared by the benchmark scripts (source it): free ports, starting lt-server for a load
# run, and stopping processes within a bound.

# need_bins SCRIPT BUILD_DIR TOOL...: sets server_bin and load_bin (lt-server, lt_load in the
# build) and checks that they and each TOOL on PATH exist; exits naming what is missing.
need_bins() {
  local script=$1 f
  server_bin=$2/apps/lt-server/lt-server
  load_bin=$2/bench/lt_load
  shift 2
  for f in "$server_bin" "$load_bin"; do
    [[ -x $f ]] || { echo "$script: $f not found; build lt-server and lt_load first" >&2; exit 1; }
  done
  for f in "$@"; do
    command -v "$f" >/dev/null || { echo "$script: needs $f" >&2; exit 1; }
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_up PID LOG WHAT CMD...: polls CMD for up to 10 s while PID lives; on failure shows
# the end of LOG and returns 1.
wait_up() {
  local pid=$1 log=$2 what=$3
  shift 3
  for _ in $(seq 1 100); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$what did not come up; log:" >&2
  tail -20 "$log" >&2
  return 1
}

# start_lt_server BIN PORT LOG IO_THREADS [ARGS...]: lt-server on loopback with the limits
# a load run needs off; sets started_pid and waits for /health (https with --tls-cert).
start_lt_server() {
  local bin=$1 port=$2 log=$3 io=$4 scheme=http
  shift 4
  [[ " $* " != *" --tls-cert "* ]] || scheme=https
  "$bin" --host 127.0.0.1 --port "$port" --max-connections 20000 --max-connections-per-ip 0 \
    --speaker-rate 0 --message-rate 0 --io-threads "$io" "$@" >"$log" 2>&1 &
  started_pid=$!
  # -k: only whether it is up; lt_load checks the certificate.
  wait_up "$started_pid" "$log" "lt-server on port $port" curl -sfk "$scheme://127.0.0.1:$port/health"
}

# stop_pid PID: SIGTERM (lt-server closes every connection with 1001 and exits within a few
# seconds), up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "pid $pid did not exit on SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# build_floor OUT_DIR: compiles floor.c (FLOOR_SRC, default shared/bench/floor.c beside the
# repository) into OUT_DIR/floor; sets floor_bin.
build_floor() {
  local repo src common
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  src=${FLOOR_SRC:-$repo/../shared/bench/floor.c}
  # In a git worktree elsewhere: beside the main checkout.
  if [[ -z ${FLOOR_SRC:-} && ! -f $src ]] && common=$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    src=$(dirname "$common")/../shared/bench/floor.c
  fi
  [[ -f $src ]] || { echo "floor.c not found at $src; set FLOOR_SRC" >&2; return 1; }
  command -v cc >/dev/null || { echo "needs cc" >&2; return 1; }
  floor_bin=$1/floor
  cc -O2 -o "$floor_bin" "$src" -lcrypto
}

# start_floor PORT LOG: floor.c on loopback; sets started_pid and waits for /health.
start_floor() {
  "$floor_bin" "$1" >"$2" 2>&1 &
  started_pid=$!
  wait_up "$started_pid" "$2" "floor on port $1" curl -sf "http://127.0.0.1:$1/health"
}

# ---- the common frame of run_floor.sh, run_lag.sh and run_fanout.sh ----

# bench_usage CODE: the script's header comment (up to the first line that is not a comment)
# as its help text; exits with CODE.
bench_usage() {
  sed -n '2,/^[^#]/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "$1"
}

# bench_args SPEC "$@": BUILD_DIR first (sets build, absolute), then options. SPEC maps each
# option letter to the variable its value goes to, e.g. "n=viewers r=rate"; -h, --help or an
# unknown option prints the help.
bench_args() {
  local spec=$1 letters="" pair opt
  shift
  [[ $# -ge 1 ]] || bench_usage 1
  [[ $1 == -h || $1 == --help ]] && bench_usage 0
  build=$(cd "$1" && pwd)
  shift
  for pair in $spec; do letters+="${pair%%=*}:"; done
  OPTIND=1
  while getopts "${letters}h" opt; do
    [[ $opt == h ]] && bench_usage 0
    [[ $opt == '?' || $opt == : ]] && bench_usage 1
    for pair in $spec; do
      [[ ${pair%%=*} == "$opt" ]] && printf -v "${pair#*=}" '%s' "$OPTARG"
    done
  done
  (( OPTIND > $# )) || { echo "$(basename "$0"): unexpected argument ${!OPTIND}" >&2; bench_usage 1; }
}

# raise_fd_limit SCRIPT NEEDED: both lt_load and the server need an fd per viewer. Raises the
# hard limit where we may (root), else uses it; exits when it stays below NEEDED + 100.
raise_fd_limit() {
  ulimit -Hn 65536 2>/dev/null || true
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if (( $(ulimit -n) < $2 + 100 )); then
    echo "$1: open-file limit $(ulimit -n) is too low for $2 viewers" >&2
    exit 1
  fi
}

# The servers a run can compare (KINDS, space-separated):
#   lt      lt-server from BUILD_DIR (server_bin)
#   old     lt-server from old_build
#   lt-tls  lt-server from BUILD_DIR with --tls-cert/--tls-key; lt_load connects with wss
#   old-tls the same with old_build's lt-server
#   floor   shared/bench/floor.c (see build_floor)
#   node    bench/node_ws/server.mjs on the npm ws package (see install_node_ws)
# Globals they read: io_threads (lt-server --io-threads), translator (default none),
# old_build, out.

# prepare_kinds SCRIPT KINDS: builds or installs what KINDS need, into $out; exits on failure.
prepare_kinds() {
  local script=$1 kinds=" $2 "
  [[ $kinds != *" floor "* ]] || build_floor "$out" || exit 1
  [[ $kinds != *" node "* ]] || install_node_ws "$out/node_ws" || exit 1
  [[ $kinds != *"-tls "* ]] || make_tls_cert "$out/tls" || exit 1
  if [[ $kinds == *" old"[\ -]* && ! -x $old_build/apps/lt-server/lt-server ]]; then
    echo "$script: old: $old_build/apps/lt-server/lt-server not found (give -B OLD_BUILD)" >&2
    exit 1
  fi
}

# install_node_ws DIR: server.mjs with its package.json and lock in DIR, and `npm ci` there
# (the lock pins ws and its integrity hash); skipped when DIR already has that lock installed.
# Sets node_ws_dir.
install_node_ws() {
  local src
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node_ws
  command -v node >/dev/null && command -v npm >/dev/null || { echo "needs node and npm" >&2; return 1; }
  node_ws_dir=$1
  mkdir -p "$node_ws_dir"
  cp "$src/server.mjs" "$node_ws_dir/"
  if ! cmp -s "$src/package-lock.json" "$node_ws_dir/package-lock.json" || [[ ! -d $node_ws_dir/node_modules/ws ]]; then
    cp "$src/package.json" "$src/package-lock.json" "$node_ws_dir/"
    npm ci --prefix "$node_ws_dir" --no-audit --no-fund --ignore-scripts >"$node_ws_dir/npm.log" 2>&1 ||
      { echo "npm ci failed; see $node_ws_dir/npm.log" >&2; return 1; }
  fi
}

# make_tls_cert DIR: a P-256 self-signed certificate for localhost and 127.0.0.1, valid a
# day, as DIR/cert.pem and DIR/key.pem (the certificate is also lt_load's CA file).
make_tls_cert() {
  command -v openssl >/dev/null || { echo "needs openssl" >&2; return 1; }
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=lt-bench \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$1/key.pem" -out "$1/cert.pem" \
    >/dev/null 2>&1 || { echo "openssl could not make a test certificate" >&2; return 1; }
}

# start_kind KIND PORT LOG: starts that server; sets started_pid and waits for /health.
start_kind() {
  local kind=$1 port=$2 log=$3
  case $kind in
    lt) start_lt_server "$server_bin" "$port" "$log" "$io_threads" --translator "${translator:-none}" ;;
    old) start_lt_server "$old_build/apps/lt-server/lt-server" "$port" "$log" "$io_threads" \
      --translator "${translator:-none}" ;;
    lt-tls | old-tls)
      local bin=$server_bin
      [[ $kind == lt-tls ]] || bin=$old_build/apps/lt-server/lt-server
      start_lt_server "$bin" "$port" "$log" "$io_threads" --translator "${translator:-none}" \
        --tls-cert "$out/tls/cert.pem" --tls-key "$out/tls/key.pem"
      ;;
    floor) start_floor "$port" "$log" ;;
    node)
      node "$node_ws_dir/server.mjs" "$port" >"$log" 2>&1 &
      started_pid=$!
      wait_up "$started_pid" "$log" "node ws on port $port" curl -sf "http://127.0.0.1:$port/health"
      ;;
    *) echo "unknown server kind $kind" >&2; return 1 ;;
  esac
}

# load_run KIND TAG [LT_LOAD_ARGS...]: a fresh server of KIND on a free port, lt_load against
# it (output in $out/load-TAG.txt, server log in $out/server-TAG.log), the server stopped.
# Sets load_json (lt_load's JSON line; empty when it gave none) and load_rc. The function
# named in load_hook, when set, runs with PORT TAG before the server stops. Keeps the
# server's pid in server_pid for stop_on_exit's trap.
load_run() {
  local kind=$1 tag=$2 port tls=()
  shift 2
  port=$(free_port)
  start_kind "$kind" "$port" "$out/server-$tag.log" || return 1
  server_pid=$started_pid
  [[ $kind != *-tls ]] || tls=(--tls --ca-file "$out/tls/cert.pem")
  set +e
  "$load_bin" --port "$port" --server-pid "$server_pid" --label "$tag" "${tls[@]}" "$@" \
    >"$out/load-$tag.txt" 2>&1
  load_rc=$?
  set -e
  [[ -z ${load_hook:-} ]] || "$load_hook" "$port" "$tag"
  stop_pid "$server_pid"
  server_pid=""
  load_json=$(grep '^{' "$out/load-$tag.txt" | tail -1 || true)
}

# stop_on_exit: the server of a run in progress is stopped when the script exits.
stop_on_exit() {
  server_pid=""
  trap '[[ -z $server_pid ]] || stop_pid "$server_pid"' EXIT
}

# bench_setup SCRIPT KINDS VIEWERS: after bench_args: the binaries (need_bins), $out (a new
# dir under /tmp unless given), what KINDS need, the fd limit for VIEWERS, API_KEY for the
# speaker, and the trap that stops a run's server on exit.
bench_setup() {
  need_bins "$1" "$build" jq curl python3
  [[ -n $out ]] || out=$(mktemp -d "/tmp/lt-${1#run_}.XXXXXX")
  mkdir -p "$out"
  prepare_kinds "$1" "$2"
  raise_fd_limit "$1" "$3"
  export API_KEY="bench-$RANDOM$RANDOM"
  stop_on_exit
}

# run_problems RESULT_JSON...: a line per run with anything that went wrong: failures with
# reasons, closes, ordering and content checks (slow_closes when the script added it).
run_problems() {
  local f
  for f in "$@"; do
    jq -r '
      [ (if .connect_failed > 0 then "connect failures \(.connect_failures)" else empty end),
        (if .dropped_viewers > 0 then "dropped viewers \(.drop_reasons)" else empty end),
        (if .lost_alive > 0 then "lost at live viewers \(.lost_alive) \(.lost_alive_by_lang)" else empty end),
        (if (.slow_closes // 0) > 0 then "slow-consumer closes in server logs: \(.slow_closes)" else empty end),
        (if .out_of_order > 0 then "out of order \(.out_of_order)" else empty end),
        (if .duplicates > 0 then "duplicates \(.duplicates)" else empty end),
        (if .wrong_lang > 0 then "wrong language \(.wrong_lang)" else empty end),
        (if .marker_mismatch > 0 then "marker missing from original \(.marker_mismatch)" else empty end),
        (if .captions_sent < .captions_planned then "sent \(.captions_sent)/\(.captions_planned) captions" else empty end),
        (if (.errors | length) > 0 then "errors \(.errors)" else empty end),
        (if .deadline_hit then "deadline hit" else empty end),
        (.notes[]) ] as $p
      | if ($p | length) > 0 then "- \(.label): \($p | join("; "))" else empty end
    ' "$f"
  done
}
