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
# a load run needs off; sets started_pid and waits for /health.
start_lt_server() {
  local bin=$1 port=$2 log=$3 io=$4
  shift 4
  "$bin" --host 127.0.0.1 --port "$port" --max-connections 20000 --max-connections-per-ip 0 \
    --speaker-rate 0 --message-rate 0 --io-threads "$io" "$@" >"$log" 2>&1 &
  started_pid=$!
  wait_up "$started_pid" "$log" "lt-server on port $port" curl -sf "http://127.0.0.1:$port/health"
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
  local repo src
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  src=${FLOOR_SRC:-$repo/../shared/bench/floor.c}
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
