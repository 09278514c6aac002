// A minimal caption hub on the npm `ws` package, for bench/run_floor.sh --with-node. It speaks
// what shared/bench/floor.c speaks for lt_load's `--viewers N --langs en` mode: it greets
// each WebSocket with connection_status, answers set_language with language_set, and on a
// speaker's new_text sends one translated_text frame (text untranslated) to every viewer and
// a text_ack to the speaker. GET /health answers 200. Listens on 127.0.0.1 only.
// Written as a plain Node server would be: one frame buffer per language per caption, and
// ws.send() of that buffer to each viewer (ws frames and writes it; no deflate).
// run: node server.mjs PORT   (with ws installed: npm ci in this directory or --prefix)
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 5080);
const viewers = new Map(); // socket -> language

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"healthy"}');
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server, perMessageDeflate: false });

function onNewText(speaker, data) {
  if (typeof data.text !== 'string') return;
  const id = typeof data.id === 'string' ? data.id : '';
  const frames = new Map(); // language -> Buffer, built once per caption
  for (const [ws, lang] of viewers) {
    let frame = frames.get(lang);
    if (!frame) {
      frame = Buffer.from(JSON.stringify({
        type: 'translated_text',
        data: { text: data.text, original: data.text, id, timestamp: '', lang },
      }));
      frames.set(lang, frame);
    }
    ws.send(frame, { binary: false });
  }
  if (id) speaker.send(JSON.stringify({ type: 'text_ack', data: { id, seq: 0 } }));
}

wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'connection_status', data: { status: 'connected', aws_available: false } }));
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    let msg;
    try {
      msg = JSON.parse(raw.toString());
    } catch {
      return;
    }
    const data = msg && typeof msg.data === 'object' && msg.data ? msg.data : {};
    if (msg.type === 'set_language') {
      const lang = typeof data.lang === 'string' ? data.lang : 'en';
      viewers.set(ws, lang);
      ws.send(JSON.stringify({ type: 'language_set', data: { lang } }));
    } else if (msg.type === 'new_text') {
      onNewText(ws, data);
    }
  });
  ws.on('close', () => viewers.delete(ws));
  ws.on('error', () => viewers.delete(ws));
});

server.listen(port, '127.0.0.1', () => console.log(`node ws hub on 127.0.0.1:${port}`));
