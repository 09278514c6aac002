#!/usr/bin/env bash
# Runs deploy/nginx.conf for real in front of two lt-server processes on loopback and checks
# what a browser and a speaker need through the balancer:
#   - nginx -t accepts the file (upstream names replaced by 127.0.0.1 ports);
#   - the viewer page, /r/NAME, /config.json and /health load through nginx;
#   - /qr.svg through nginx encodes the Host the browser used, port included (when zbarimg
#     and rsvg-convert are installed);
#   - a WebSocket upgrade through nginx answers 101 (curl);
#   - successive WebSockets are spread over both nodes, and a caption sent to one node reaches
#     the viewer on it through nginx; when lt-server has --redis and redis-server is
#     installed, the two run as a cluster and the viewer on the OTHER node must get it too.
#
# Usage: tests/deploy/check.sh BUILD_DIR
# Needs nginx and curl; python3 for the WebSocket conversation. DEPLOY_CHECK_CLUSTER=0 runs
# the two nodes without Redis. Ports are picked free on 127.0.0.1; port 80 is never used.
# Every process it starts is stopped on exit, and its files are removed (kept on failure).
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
server_bin=$build/apps/lt-server/lt-server
conf_src=$here/deploy/nginx.conf

fail() { echo "FAIL: $*" >&2; keep_logs=1; exit 1; }
pass() { echo "ok   $*"; }
# Under CTest (DEPLOY_CHECK_STRICT=1) every part must run: a skip is a failure there.
skip() { [[ ${DEPLOY_CHECK_STRICT:-0} == 1 ]] && fail "would skip: $*"; echo "skip $*"; }

[[ -x $server_bin ]] || fail "$server_bin not built"
command -v nginx >/dev/null || fail "nginx not installed (apt-get install nginx-light)"
command -v curl >/dev/null || fail "curl not installed"

tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [[ ${keep_logs:-0} == 1 ]]; then echo "logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'keep_logs=1' ERR

# A port nothing listens on (bash's /dev/tcp connect fails).
used_ports=" "
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 30000))
    [[ $used_ports == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
  fail "no free port found"
}

# Waits up to 10 s for an HTTP 200 from $1, while process $2 lives.
wait_http() {
  for _ in $(seq 100); do
    curl -fs -o /dev/null --max-time 1 "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

key=deploy-check-$RANDOM$RANDOM
port_a=$(free_port)
port_b=$(free_port)
port_lb=$(free_port)

# Cluster mode when both the flag and a Redis server are here.
cluster=0
help_text=$("$server_bin" --help 2>/dev/null || true)
if [[ ${DEPLOY_CHECK_CLUSTER:-1} == 0 ]]; then
  skip "cluster checks: DEPLOY_CHECK_CLUSTER=0"
elif [[ $help_text == *--redis* ]]; then
  if command -v redis-server >/dev/null; then
    cluster=1
  else
    skip "cluster checks: redis-server not installed"
  fi
else
  skip "cluster checks: this lt-server has no --redis flag yet (single nodes behind nginx)"
fi
redis_env=()
if ((cluster)); then
  port_r=$(free_port)
  redis-server --port "$port_r" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp" >"$tmp/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    redis-cli -p "$port_r" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -p "$port_r" ping 2>/dev/null | grep -q PONG || fail "redis-server did not start"
  redis_env=(LT_REDIS_URL="redis://127.0.0.1:$port_r/0")
  pass "redis-server on 127.0.0.1:$port_r"
fi

# Two nodes, as in compose.yaml: same key, per-IP limit off (everyone arrives from nginx),
# no translator (the checks are about the proxy, not Apertium). Own working directory, so no
# stray .env is read.
for n in a b; do
  port_var=port_$n
  mkdir -p "$tmp/node-$n"
  (cd "$tmp/node-$n" && exec env API_KEY="$key" LT_TRANSLATOR=none LT_MAX_CONNECTIONS_PER_IP=0 \
     "${redis_env[@]}" "$server_bin" --host 127.0.0.1 --port "${!port_var}" --io-threads 1 \
     >"$tmp/lt-$n.log" 2>&1) &
  pids+=($!)
  wait_http "http://127.0.0.1:${!port_var}/health" $! || { cat "$tmp/lt-$n.log" >&2; fail "lt-server $n did not start"; }
  pass "lt-server $n on 127.0.0.1:${!port_var}"
done

# The balancer: deploy/nginx.conf with the compose host names replaced by the two ports and
# the listen port by a free one; pid, temp files and logs under $tmp.
mkdir -m 1777 "$tmp/t"
sed -e "s/server lt-a:5050/server 127.0.0.1:$port_a/" \
    -e "s/server lt-b:5050/server 127.0.0.1:$port_b/" \
    -e "s/listen 8080;/listen 127.0.0.1:$port_lb;/" \
    -e "/listen \[::\]:8080;/d" \
    -e "s|access_log /dev/stdout;|access_log $tmp/access.log;\n    client_body_temp_path $tmp/t/body;\n    proxy_temp_path $tmp/t/proxy;|" \
    "$conf_src" >"$tmp/nginx.conf"
for want in "server 127.0.0.1:$port_a" "server 127.0.0.1:$port_b" "listen 127.0.0.1:$port_lb;"; do
  grep -qF "$want" "$tmp/nginx.conf" || fail "deploy/nginx.conf no longer has the upstream/listen lines this check rewrites"
done
nginx_args=(-p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log")
nginx -t "${nginx_args[@]}" -g "pid $tmp/nginx.pid;" >"$tmp/nginx-t.log" 2>&1 || { cat "$tmp/nginx-t.log" >&2; fail "nginx -t"; }
pass "nginx -t: $(grep -o 'syntax is ok' "$tmp/nginx-t.log" || true)"
nginx "${nginx_args[@]}" -g "daemon off; pid $tmp/nginx.pid;" >"$tmp/nginx.out" 2>&1 &
pids+=($!)
lb=http://127.0.0.1:$port_lb
wait_http "$lb/health" $! || { cat "$tmp/error.log" "$tmp/nginx.out" >&2; fail "nginx did not start"; }
pass "nginx on 127.0.0.1:$port_lb"

# Plain HTTP through the balancer (bodies to a file first: `curl | grep -q` fails under
# pipefail when grep stops reading early).
get() { curl -fsS --max-time 5 -o "$tmp/body" "$lb$1" || fail "GET $1 through nginx"; }
get /
grep -qi '<html' "$tmp/body" || fail "GET / through nginx: not the page"
pass "GET / through nginx"
get /r/deploy-check
grep -qi '<html' "$tmp/body" || fail "GET /r/deploy-check through nginx: not the page"
pass "GET /r/deploy-check through nginx"
get /config.json
grep -q '"pageTitle"' "$tmp/body" || fail "GET /config.json through nginx"
pass "GET /config.json through nginx"
health=$(curl -fsS --max-time 5 "$lb/health") || fail "GET /health through nginx"
[[ $health == *'"status":"healthy"'* ]] || fail "/health through nginx: $health"
pass "GET /health through nginx: $health"
get /metrics
grep -q '^lt_' "$tmp/body" || fail "GET /metrics through nginx (from loopback)"
pass "GET /metrics through nginx (allowed from loopback)"

# The QR code must carry the Host (with its port) the browser used.
if command -v zbarimg >/dev/null && command -v rsvg-convert >/dev/null; then
  curl -fsS --max-time 5 -H "Host: captions.example.test:$port_lb" "$lb/qr.svg?room=deploy-check" >"$tmp/qr.svg" ||
    fail "GET /qr.svg through nginx"
  rsvg-convert -w 400 -b white "$tmp/qr.svg" -o "$tmp/qr.png"
  url=$(zbarimg --quiet --raw "$tmp/qr.png" 2>/dev/null || true)
  [[ $url == "http://captions.example.test:$port_lb/r/deploy-check" ]] || fail "QR code through nginx says '$url'"
  pass "QR code through nginx: $url"
else
  skip "QR code contents (zbarimg or rsvg-convert missing)"
fi

# WebSocket upgrade through the balancer, as in the brief: expect 101 Switching Protocols.
# curl keeps the upgraded connection open; --max-time ends it.
curl --include --no-buffer --silent --max-time 2 \
  -H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
  -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "$lb/ws?room=deploy-check" >"$tmp/upgrade.txt" 2>&1 || true
head -1 "$tmp/upgrade.txt" | grep -q '^HTTP/1.1 101' || { cat "$tmp/upgrade.txt" >&2; fail "WebSocket upgrade through nginx"; }
grep -qi '^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' "$tmp/upgrade.txt" || fail "wrong Sec-WebSocket-Accept"
grep -q '"connection_status"' "$tmp/upgrade.txt" || fail "no connection_status frame after the upgrade"
pass "WebSocket through nginx: $(head -1 "$tmp/upgrade.txt" | tr -d '\r'), connection_status received"

# A WebSocket conversation (stdlib Python): viewers through nginx until both nodes have one,
# a speaker straight to node a, the caption must reach the viewer(s).
if ! command -v python3 >/dev/null; then
  skip "WebSocket conversation (python3 missing)"
  echo "deploy check passed (partly)"
  exit 0
fi
LB_PORT=$port_lb NODE_A_PORT=$port_a NODE_B_PORT=$port_b KEY=$key CLUSTER=$cluster \
  timeout 30 python3 - <<'EOF' || fail "WebSocket conversation through nginx"
import base64, json, os, socket, struct, sys, time, urllib.request

def connect(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed during the handshake")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n")[0]
    if b" 101 " not in status:
        raise SystemExit(f"handshake: {status!r}")
    return WS(s, rest)

class WS:
    def __init__(self, s, rest):
        self.s, self.buf = s, rest
    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out
    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126: head += bytes([0x80 | n])
        elif n < 65536: head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else: head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self.s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    def send(self, obj):
        self._send(1, json.dumps(obj).encode())
    def recv(self, deadline):
        """Next JSON message, or None at the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                b0, b1 = self._read(2)
                n = b1 & 0x7F
                if n == 126: n = struct.unpack("!H", self._read(2))[0]
                elif n == 127: n = struct.unpack("!Q", self._read(8))[0]
                payload = self._read(n)
            except socket.timeout:
                return None
            op = b0 & 0x0F
            if op == 9: self._send(10, payload); continue
            if op == 8: raise EOFError("closed by the server")
            if op == 1: return json.loads(payload)
    def wait_for(self, pred, seconds=5):
        deadline = time.monotonic() + seconds
        while True:
            m = self.recv(deadline)
            if m is None or pred(m):
                return m

lb, node_a, node_b = (int(os.environ[k]) for k in ("LB_PORT", "NODE_A_PORT", "NODE_B_PORT"))
cluster = os.environ["CLUSTER"] == "1"
room = "deploy-check"

# Viewers through the balancer until both nodes have one (round robin). Which node a viewer
# reached is read from the nodes' own /health (in a cluster, connection_status carries the
# cluster's id, the same on every node).
def room_viewers(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
        health = json.load(r)
    return health.get("rooms", {}).get(room, {}).get("viewer_count", 0)

ports = {"a": node_a, "b": node_b}
viewers = {}
for _ in range(6):
    before = {n: room_viewers(p) for n, p in ports.items()}
    v = connect(lb, f"/ws?room={room}")
    if not v.wait_for(lambda m: m.get("type") == "connection_status"):
        raise SystemExit("no connection_status through nginx")
    v.send({"type": "set_language", "data": {"lang": "en"}})
    if not v.wait_for(lambda m: m.get("type") == "language_set"):
        raise SystemExit("no language_set through nginx")
    node = None
    for _ in range(50):
        grew = [n for n, p in ports.items() if room_viewers(p) > before[n]]
        if len(grew) == 1:
            node = grew[0]
            break
        time.sleep(0.1)
    if node is None:
        raise SystemExit("could not tell which node the viewer reached")
    viewers.setdefault(node, v)
    if len(viewers) == 2:
        break
if len(viewers) != 2:
    raise SystemExit(f"6 WebSockets through nginx all reached node(s) {list(viewers)}")
print("ok   WebSockets through nginx reached both nodes")

speaker = connect(node_a, f"/ws?room={room}")
speaker.wait_for(lambda m: m.get("type") == "connection_status")
text = f"Hello from the deploy check {os.getpid()}."
speaker.send({"type": "new_text", "data": {"text": text, "timestamp": time.strftime("%H:%M:%S"),
                                            "api_key": os.environ["KEY"], "id": "deploy-check-1"}})
ack = speaker.wait_for(lambda m: m.get("type") in ("text_ack", "error"))
if not ack or ack["type"] != "text_ack":
    raise SystemExit(f"speaker on node a: {ack}")

def got(v):
    return v.wait_for(lambda m: m.get("type") == "translated_text" and m["data"].get("original") == text
                      and not m["data"].get("partial"))

m = got(viewers["a"])
if not m:
    raise SystemExit("the viewer on node a (through nginx) did not get the caption")
print(f"ok   caption sent to node a reached its viewer through nginx (seq {m['data'].get('seq')})")
if cluster:
    m = got(viewers["b"])
    if not m:
        raise SystemExit("cluster: the viewer on node b (through nginx) did not get node a's caption")
    print(f"ok   cluster: node a's caption reached the viewer on node b through nginx (seq {m['data'].get('seq')})")
else:
    print("skip cross-node delivery (not a cluster)")
EOF

echo "deploy check passed"
