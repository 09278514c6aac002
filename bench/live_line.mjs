// One Spanish viewer and one speaker who sends a growing partial every 100 ms and a final
// every 15 words, for SECONDS; prints what the viewer got as JSON. Used by run_live.sh.
// Usage: node bench/live_line.mjs PORT PARTIALS(0|1) SECONDS
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/browser/package.json', import.meta.url));
const WebSocket = require('ws');

const [port, partials, seconds] = [process.argv[2], process.argv[3] === '1', Number(process.argv[4])];
const words = ('good morning everyone and welcome to the opening session of our conference about the ' +
  'future of public transport in the city and the region around it today').split(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const open = (ws) => new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });

let live = 0;
let finals = 0;
const viewer = new WebSocket(`ws://127.0.0.1:${port}/ws`);
viewer.on('message', (m) => {
  const { type, data } = JSON.parse(m);
  if (type !== 'translated_text') return;
  if (!data.partial) finals++;
  else if (data.lang === 'es') live++;
});
await open(viewer);
viewer.send(JSON.stringify({ type: 'set_language', data: { lang: 'es', partials, history: false } }));
const speaker = new WebSocket(`ws://127.0.0.1:${port}/ws`);
await open(speaker);
const start = Date.now();
let sent = 0;
for (let utterance = 0; Date.now() - start < seconds * 1000; sent++) {
  const n = (sent % 15) + 1;
  const final = n === 15;
  const text = words.slice(utterance % 10, (utterance % 10) + n).join(' ') + (final ? '.' : '');
  speaker.send(JSON.stringify({ type: 'new_text',
    data: { text, timestamp: '12:00:00', id: `u${utterance}`, lang: 'en', partial: !final } }));
  if (final) utterance++;
  await sleep(100);
}
await sleep(1000);
console.log(JSON.stringify({ sent, live, finals, seconds }));
process.exit(0);
