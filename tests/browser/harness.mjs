// Shared pieces of the browser tests (viewer.test.mjs, events.test.mjs): the real lt-server
// as a child process, a TCP relay, a speaker client, the per-file fixture (watchdog, server,
// browser, pages, speakers) and small waiting helpers.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const WEB_ROOT = path.join(REPO, 'web');
export const SERVER_BIN = process.env.LT_SERVER_BIN || path.join(REPO, 'build/apps/lt-server/lt-server');
export const CHROMIUM = process.env.LT_CHROMIUM || '/usr/bin/chromium';
export const API_KEY = 'test-key';
export const STEP_MS = 10_000;
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(what, predicate, timeoutMs = STEP_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export function translate(text, pair = 'eng-spa') {
  // The same command a person would type: echo "<text>" | apertium eng-spa. Through a
  // shell pipe on purpose: the apertium script opens /dev/stdin, which fails on the
  // socketpair Node would give it as stdin.
  const out = execFileSync('sh', ['-c', 'echo "$1" | apertium "$2"', 'sh', text, pair],
    { timeout: STEP_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const translation = out.toString('utf8').trim();
  assert.ok(translation, `apertium ${pair} gave no translation of "${text}"`);
  return translation;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// The real server as a child process; keeps its output for failure messages.
export class Server {
  constructor(port) {
    this.port = port;
    this.proc = null;
    this.log = '';
    this.logFile = path.join(os.tmpdir(), `lt-browser-test-server-${port}.log`);
    fs.writeFileSync(this.logFile, '');
    this.cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-browser-'));
  }

  async start() {
    const args = ['--host', '127.0.0.1', '--port', String(this.port), '--web-root', WEB_ROOT];
    // Only our settings: none of the caller's LT_*/FLASK_* variables, and a working
    // directory without a .env file.
    const env = Object.fromEntries(Object.entries(process.env)
      .filter(([k]) => !k.startsWith('LT_') && !k.startsWith('FLASK_') && k !== 'API_KEY'));
    const proc = spawn(SERVER_BIN, args, {
      cwd: this.cwd,
      env: { ...env, API_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    let exited = null;
    proc.on('exit', (code, signal) => { exited = { code, signal }; });
    proc.on('error', (err) => { exited = { error: err.message }; });
    const keep = (chunk) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
      fs.appendFileSync(this.logFile, chunk);
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);

    await waitUntil('GET /health', async () => {
      if (exited) {
        throw new Error(`lt-server exited during start (${JSON.stringify(exited)}):\n${this.log}`);
      }
      try {
        const res = await fetch(`${this.url()}/health`, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      } catch (_) {
        return false;
      }
    }, 15_000);
  }

  url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }

  removeWorkDir() {
    fs.rmSync(this.cwd, { recursive: true, force: true });
  }

  killNow() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
    }
  }
}

// A TCP relay in front of the server, so a page's connection can be cut while the server
// keeps running (to test catch-up with `since` against the same server instance).
export class Relay {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.blocked = false;
    this.sockets = new Set();
    this.server = net.createServer((client) => this.onClient(client));
  }

  listen() {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.port = this.server.address().port;
        resolve();
      });
    });
  }

  onClient(client) {
    if (this.blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut() {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
  }

  restore() {
    this.blocked = false;
  }

  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// A speaker: a plain WebSocket client that sends new_text with the API key; in the server's
// default room unless `room` is given.
export async function openSpeaker(port, room = null) {
  const query = room === null ? '' : `?room=${encodeURIComponent(room)}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`);
  const messages = [];
  ws.on('message', (raw) => {
    try { messages.push(JSON.parse(raw.toString('utf8'))); } catch (_) { /* ignored */ }
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('speaker: connect timed out')), STEP_MS);
    ws.once('open', () => { clearTimeout(timer); resolve(); });
    ws.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
  await waitUntil('speaker connection_status', () => messages.some((m) => m.type === 'connection_status'));
  return {
    messages,
    status: messages.find((m) => m.type === 'connection_status').data,
    say(text, id, partial = false) {
      const data = { text, timestamp: '12:00:00', api_key: API_KEY, id };
      if (partial) data.partial = true;
      ws.send(JSON.stringify({ type: 'new_text', data }));
    },
    send(type, data) {
      ws.send(JSON.stringify({ type, data }));
    },
    acks() {
      return messages.filter((m) => m.type === 'text_ack').map((m) => m.data);
    },
    errors() {
      return messages.filter((m) => m.type === 'error');
    },
    close() {
      ws.terminate();
    },
  };
}


// What each test file sets up the same way: a watchdog over the whole file; the server and
// the browser, started by start() (in `before`) and stopped by stop() (in `after`); pages
// whose script errors are collected in pageErrors; speakers, closed by stop().
export function fixture(file, watchdogMs) {
  const fx = {
    server: null,
    browser: null,
    pageErrors: [],
    speakers: [],
  };

  const watchdog = setTimeout(() => {
    console.error(`${file}: still running after ${watchdogMs} ms, giving up`);
    fx.server?.killNow();
    process.exit(1);
  }, watchdogMs);
  watchdog.unref();
  process.on('exit', () => fx.server?.killNow());

  fx.start = async () => {
    assert.ok(fs.existsSync(SERVER_BIN), `lt-server not found at ${SERVER_BIN} (set LT_SERVER_BIN)`);
    fx.server = new Server(await freePort());
    console.log(`server log: ${fx.server.logFile}`);
    await fx.server.start();
    fx.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    return fx;
  };

  fx.stop = async () => {
    for (const s of fx.speakers) s.close();
    try {
      let timer;
      const bounded = new Promise((resolve) => { timer = setTimeout(resolve, 10_000); });
      await Promise.race([fx.browser?.close(), bounded]);
      clearTimeout(timer);
    } finally {
      await fx.server?.stop();
      fx.server?.removeWorkDir();
    }
  };

  fx.newPage = async (ctx) => {
    const page = await ctx.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (err) => fx.pageErrors.push(String(err)));
    return page;
  };

  // A speaker in `room` (the server's default room when null), closed by stop().
  fx.speaker = async (room = null, port = fx.server.port) => {
    const s = await openSpeaker(port, room);
    fx.speakers.push(s);
    return s;
  };

  return fx;
}

// ---- the viewer page ------------------------------------------------------------------

export async function waitForCaption(page, text, timeoutMs = STEP_MS) {
  await page.waitForFunction((t) => [...document.querySelectorAll('#captions .caption .caption-text')]
    .some((e) => e.textContent.trim() === t), text, { timeout: timeoutMs });
}

export function captionTexts(page) {
  return page.$$eval('#captions .caption .caption-text', (els) => els.map((e) => e.textContent.trim()));
}

export async function chooseLanguage(page, lang) {
  await page.selectOption('#languageSelect', lang);
  await page.waitForFunction(
    (l) => document.querySelector('#captions').dataset.lang === l, lang, { timeout: STEP_MS });
}

// On a phone, once a language is chosen, the display settings fold behind "Settings": open
// them (nothing to do where they are all shown).
export async function openSettings(page) {
  if (!(await page.locator('#settingsToggle').isVisible())) return;
  if ((await page.getAttribute('#settingsToggle', 'aria-expanded')) !== 'true') await page.click('#settingsToggle');
}

// The page's own string `key` in `lang`, read from i18n.js in the page (a plural form chosen
// here with Intl.PluralRules, not by the page's code), {name} filled from vars.
export function pageString(page, lang, key, vars = {}) {
  return page.evaluate(({ lang, key, vars }) => {
    let entry = window.LiveTranslateStrings[lang][key];
    if (typeof entry === 'object') entry = entry[new Intl.PluralRules(lang).select(vars.n)];
    for (const [name, value] of Object.entries(vars)) entry = entry.replaceAll(`{${name}}`, String(value));
    return entry;
  }, { lang, key, vars });
}
