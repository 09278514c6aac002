// Browser test of the viewer page (web/) against the real lt-server binary.
//
// Starts lt-server on a free loopback port with API_KEY=test-key and the default
// (Apertium) backend, drives Debian's Chromium through playwright-core, and plays the
// speaker with a `ws` client. Expected translations come from the real `apertium eng-spa`.
//
// Environment:
//   LT_SERVER_BIN      server binary (default <repo>/build/apps/lt-server/lt-server)
//   LT_CHROMIUM        browser binary (default /usr/bin/chromium)
//   LT_ZBARIMG         QR decoder (default /usr/bin/zbarimg); when present, the room's QR
//                      code is read back from a screenshot of the page
//   LT_SCREENSHOT_DIR  when set, phone-sized screenshots are saved there
//                      (page-light.png, page-dark.png, share-dark.png)
// The server's output goes to lt-browser-test-server-PORT.log in the temp directory.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  Relay, STEP_MS, captionTexts, chooseLanguage, fixture, openSettings, freePort, sleep, translate, waitForCaption,
  pageString, waitUntil,
} from './harness.mjs';

const SCREENSHOT_DIR = process.env.LT_SCREENSHOT_DIR || '';
const ZBARIMG = process.env.LT_ZBARIMG || '/usr/bin/zbarimg';

const RECONNECT_MS = 30_000;  // back-off after a restart stays well under this
const TEST_MS = 45_000;       // one test
const WATCHDOG_MS = 150_000;  // the whole file

const TEXT_1 = 'Hello, how are you today?';
const TEXT_2_PARTIAL = 'The weather is';
const TEXT_2 = 'The weather is very good today.';
const TEXT_3 = 'We are going to start the meeting now.';
const TEXT_4 = 'Thank you very much for coming.';
const ROOM = 'hall-a';
const TEXT_HALL = 'Welcome to the talk in hall A.';
const TEXT_MAIN = 'Welcome to the main stage.';

// ---- helpers --------------------------------------------------------------------------

// Records the page's WebSocket frames, parsed.
function recordFrames(page) {
  const frames = { sent: [], received: [] };
  page.on('websocket', (socket) => {
    const parse = (list) => (frame) => {
      try { list.push(JSON.parse(String(frame.payload))); } catch (_) { /* ignored */ }
    };
    socket.on('framesent', parse(frames.sent));
    socket.on('framereceived', parse(frames.received));
  });
  return frames;
}

async function waitForState(page, wanted, timeoutMs = STEP_MS) {
  await page.waitForFunction(
    (s) => document.querySelector('#status')?.dataset.state === s, wanted, { timeout: timeoutMs });
}

// Nothing sticks out past the right edge (body hides horizontal overflow, so check boxes).
async function assertFitsWidth(page, what) {
  const wide = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [...document.body.querySelectorAll('*')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && (r.right > width + 1 || r.left < -1);
    });
    return { width, scroll: document.documentElement.scrollWidth,
      out: out.map((e) => e.id || e.className || e.tagName) };
  });
  assert.deepEqual(wide.out, [], `${what}: elements wider than ${wide.width}px`);
  assert.ok(wide.scroll <= wide.width, `${what}: horizontal scroll (${wide.scroll}px)`);
}

const count = (list, item) => list.filter((x) => x === item).length;

// ---- fixture --------------------------------------------------------------------------

const fx = fixture('viewer.test.mjs', WATCHDOG_MS);
const { newPage, pageErrors, speaker } = fx;
let server;
let browser;
let context;
let viewer;          // the page shared by the translation and restart tests
let viewerFrames;
let expected;

before(async () => {
  expected = {
    t1: translate(TEXT_1),
    t2: translate(TEXT_2),
    t3: translate(TEXT_3),
    t4: translate(TEXT_4),
  };
  ({ server, browser } = await fx.start());
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
});

after(() => fx.stop());

// ---- tests ----------------------------------------------------------------------------

test('captions arrive translated, partials first', { timeout: TEST_MS }, async () => {
  viewer = await newPage(context);
  viewerFrames = recordFrames(viewer);
  await viewer.goto(`${server.url()}/`, { waitUntil: 'domcontentloaded' });
  await waitForState(viewer, 'live');
  await chooseLanguage(viewer, 'es');

  const s = await speaker();
  const status = s.status;
  assert.equal(await viewer.locator('#limitedBanner').isHidden(), status.aws_available !== false,
    'limited banner follows aws_available');

  s.say(TEXT_1, 'u1');
  await waitForCaption(viewer, expected.t1);

  // A partial shows in #partial before its final, then gives way to the final.
  s.say(TEXT_2_PARTIAL, 'u2', true);
  await viewer.waitForFunction((t) => document.querySelector('#partial').textContent.trim() === t,
    TEXT_2_PARTIAL, { timeout: STEP_MS });
  assert.equal(count(await captionTexts(viewer), expected.t2), 0, 'no final before it is sent');
  s.say(TEXT_2, 'u2');
  await waitForCaption(viewer, expected.t2);
  await viewer.waitForFunction(() => document.querySelector('#partial').textContent === '',
    null, { timeout: STEP_MS });

  // Newest first; the original is shown beside the translation; each final has a seq.
  const first = viewer.locator('#captions .caption').first();
  assert.equal((await first.locator('.caption-text').textContent()).trim(), expected.t2);
  assert.equal((await first.locator('.caption-original').textContent()).trim(), TEXT_2);
  assert.match(await first.getAttribute('data-seq'), /^\d+$/);

  // The page asked for partials, and its first set_language carried no `since`.
  const firstSet = viewerFrames.sent.find((m) => m.type === 'set_language');
  assert.equal(firstSet.data.partials, true);
  assert.equal(firstSet.data.history, true, 'the page asks for the catch-up explicitly');
  assert.equal('since' in firstSet.data, false, 'no since on the first connect');
  assert.deepEqual(s.errors(), [], 'the server accepted every caption');

  await viewer.setViewportSize({ width: 360, height: 740 });
  await assertFitsWidth(viewer, 'live at 360px');
  await viewer.setViewportSize({ width: 390, height: 844 });

  if (SCREENSHOT_DIR) {
    s.say(TEXT_2_PARTIAL, 'u-shot', true);
    await viewer.waitForFunction(() => document.querySelector('#partial').textContent !== '');
    await viewer.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-light.png'), animations: 'disabled' });
    await viewer.emulateMedia({ colorScheme: 'dark' });
    await viewer.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-dark.png'), animations: 'disabled' });
    await viewer.emulateMedia({ colorScheme: 'light' });
  }
});

test('a cut connection catches up what it missed, once', { timeout: TEST_MS }, async () => {
  const relay = new Relay(server.port);
  await relay.listen();
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    const frames = recordFrames(page);
    await page.goto(`http://127.0.0.1:${relay.port}/`, { waitUntil: 'domcontentloaded' });
    await waitForState(page, 'live');
    await chooseLanguage(page, 'es');
    await waitForCaption(page, expected.t2); // the last 20 on choosing a language

    relay.cut();
    await waitForState(page, 'reconnecting');
    const s = await speaker();
    s.say(TEXT_3, 'u3');
    await waitForCaption(viewer, expected.t3); // the other viewer gets it live
    relay.restore();
    // Try the button; the page may be mid-attempt already, when the button is hidden.
    await page.locator('#reconnectNow').click({ timeout: 1000 }).catch(() => {});
    await waitForState(page, 'live', RECONNECT_MS);
    await waitForCaption(page, expected.t3);

    const sets = frames.sent.filter((m) => m.type === 'set_language');
    const last = sets[sets.length - 1].data;
    assert.equal(typeof last.since, 'number', 'a reconnect to the same server sends since');
    assert.equal(last.partials, true);

    await sleep(300); // let any duplicate arrive before counting
    const texts = await captionTexts(page);
    for (const t of [expected.t1, expected.t2, expected.t3]) {
      assert.equal(count(texts, t), 1, `"${t}" shown exactly once: ${JSON.stringify(texts)}`);
    }
  } finally {
    await ctx.close();
    await relay.close();
  }
});

test('the page survives a server restart', { timeout: TEST_MS }, async () => {
  const shown = await captionTexts(viewer);
  // The countdown in the page's language (Spanish here), from i18n.js.
  const [countdown] = (await pageString(viewer, 'es', 'reconnectingIn')).split('{n}');
  await server.stop();
  await viewer.waitForFunction((prefix) => {
    const status = document.querySelector('#status');
    return status.dataset.state === 'reconnecting' &&
      status.textContent.startsWith(prefix) && /^\d+ /.test(status.textContent.slice(prefix.length)) &&
      !document.querySelector('#reconnectNow').hidden;
  }, countdown, { timeout: STEP_MS });
  assert.deepEqual(await captionTexts(viewer), shown, 'captions stay while disconnected');
  await viewer.setViewportSize({ width: 360, height: 740 });
  await assertFitsWidth(viewer, 'reconnecting at 360px');
  await viewer.setViewportSize({ width: 390, height: 844 });

  const receivedBefore = viewerFrames.received.length;
  const sentBefore = viewerFrames.sent.length;
  await server.start(); // same port, fresh history, seq from 1 again
  await waitForState(viewer, 'live', RECONNECT_MS);
  await waitUntil('set_language after the restart',
    () => viewerFrames.sent.slice(sentBefore).some((m) => m.type === 'set_language'));

  // A new server instance: seqs of the old one mean nothing to it.
  const oldHello = viewerFrames.received.slice(0, receivedBefore)
    .filter((m) => m.type === 'connection_status').pop();
  const newHello = viewerFrames.received.slice(receivedBefore)
    .find((m) => m.type === 'connection_status');
  const resubscribe = viewerFrames.sent.slice(sentBefore).find((m) => m.type === 'set_language');
  assert.equal(resubscribe.data.lang, 'es');
  if (oldHello?.data.server_id && newHello?.data.server_id) {
    assert.notEqual(newHello.data.server_id, oldHello.data.server_id, 'server_id changes per start');
    assert.equal('since' in resubscribe.data, false, 'no since carried over to a new instance');
  }

  const s = await speaker();
  s.say(TEXT_4, 'u4');
  await waitForCaption(viewer, expected.t4);
  await sleep(300);
  const texts = await captionTexts(viewer);
  for (const t of [expected.t1, expected.t2, expected.t3, expected.t4]) {
    assert.equal(count(texts, t), 1, `"${t}" shown exactly once: ${JSON.stringify(texts)}`);
  }
  assert.equal(texts[0], expected.t4, 'newest first');
  assert.deepEqual(s.errors(), []);
});

test('Arabic is laid out right to left and the choice survives a reload', { timeout: TEST_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    await page.goto(`${server.url()}/`, { waitUntil: 'domcontentloaded' });
    await waitForState(page, 'live');
    const s = await speaker();
    await chooseLanguage(page, 'ar');
    assert.equal(await page.getAttribute('#captions', 'dir'), 'rtl');
    await openSettings(page);
    await page.click('#fontLarger');
    const scale = await page.evaluate(
      () => document.documentElement.style.getPropertyValue('--caption-scale'));

    // The backend cannot translate to Arabic: the option says so, one notice in Arabic says
    // captions come in English, and the cards carry no per-caption error.
    const arabicLimited = !(s.status.languages || []).includes('ar');
    if (arabicLimited && Array.isArray(s.status.languages)) {
      assert.equal(await page.locator('#languageSelect option[value="ar"]').textContent(),
        `العربية — ${await pageString(page, 'ar', 'originalOnly')}`, 'marked in the page\'s language');
      await page.waitForSelector('#captions .caption');
      await page.waitForSelector('#languageNotice:not([hidden])');
      assert.match(await page.textContent('#languageNotice'), /العربية/);
      assert.equal(await page.locator('#captions .caption-note').count(), 0);
      assert.doesNotMatch(await page.locator('#captions .caption').first().textContent(), /not translated/);
    }

    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForState(page, 'live');
    assert.equal(await page.inputValue('#languageSelect'), 'ar');
    assert.equal(await page.getAttribute('#captions', 'dir'), 'rtl');
    assert.equal(await page.evaluate(
      () => document.documentElement.style.getPropertyValue('--caption-scale')), scale);
    await page.waitForFunction(() => document.querySelector('#captions').dataset.lang === 'ar');

    // Dark mode is a remembered choice too.
    await openSettings(page);
    await page.click('#themeToggle');
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    assert.ok(theme === 'dark' || theme === 'light');
    await page.reload({ waitUntil: 'domcontentloaded' });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
    await waitForState(page, 'live');

    // Back to a left-to-right language.
    await chooseLanguage(page, 'es');
    assert.equal(await page.getAttribute('#captions', 'dir'), 'ltr');
    await waitForCaption(page, expected.t4);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('branding is text only, and reconnecting never gives up', { timeout: TEST_MS }, async (t) => {
  const closedPort = await freePort(); // nothing listens here: every connect is refused
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    let sockets = 0;
    page.on('websocket', () => { sockets += 1; });
    const config = {
      pageTitle: 'Test <b>Title</b>',
      logoFile: '',
      contactText: '<img src=x onerror="window.pwned=1">',
      websocketUrl: `ws://127.0.0.1:${closedPort}/ws`,
    };
    await page.route('**/config.json', (route) => route.fulfill({
      contentType: 'application/json', body: JSON.stringify(config) }));
    await page.clock.install();
    // The jitter's top end, so the back-off's ceilings show: 1, 2, 4, 8, then 15 s.
    await page.addInitScript(() => { Math.random = () => 0.999; });
    await page.goto(`${server.url()}/`, { waitUntil: 'domcontentloaded' });

    await page.waitForFunction((t) => document.querySelector('#pageTitle').textContent === t,
      config.pageTitle);
    assert.equal(await page.title(), config.pageTitle);
    assert.equal(await page.textContent('#contact'),
      `For more assistance please contact ${config.contactText}`);
    assert.equal(await page.locator('#contact img, #pageTitle b').count(), 0, 'no markup injected');

    // Each refused attempt schedules the next one; the wait doubles up to 15 s and stays.
    const waits = [];
    for (let i = 0; i < 10; i += 1) {
      const before = sockets;
      await page.waitForFunction(() => {
        const status = document.querySelector('#status');
        return status.dataset.state === 'reconnecting' && /\d+ s/.test(status.textContent);
      });
      const wait = Number((await page.textContent('#status')).match(/(\d+) s/)[1]);
      waits.push(wait);
      // Just past the countdown: far enough to start the next attempt, not so far that
      // the page's own handshake timeout fires before the refusal arrives.
      await page.clock.runFor(wait * 1000 + 100);
      await waitUntil(`attempt ${i + 2}`, () => sockets > before);
    }
    t.diagnostic(`reconnect countdowns (s): ${waits.join(' ')}`);
    assert.deepEqual(waits, [1, 2, 4, 8, 15, 15, 15, 15, 15, 15]);

    // Coming back online tries at once, without waiting for the countdown.
    await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'reconnecting');
    const before = sockets;
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await waitUntil('an attempt on "online"', () => sockets > before);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
  } finally {
    await ctx.close();
  }
});

// ---- rooms ----------------------------------------------------------------------------

// The URLs of the WebSockets a page opens.
function recordSocketUrls(page) {
  const urls = [];
  page.on('websocket', (socket) => urls.push(socket.url()));
  return urls;
}

const shareOpen = (page) => page.evaluate(() => document.querySelector('#sharePanel').open);

async function waitForSubscribed(page, lang) {
  await page.waitForFunction(
    (l) => document.querySelector('#captions')?.dataset.lang === l, lang, { timeout: STEP_MS });
}

test('a room page names its room and shares it with a QR code', { timeout: TEST_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US',
    colorScheme: 'dark' });
  try {
    const page = await newPage(ctx);
    const frames = recordFrames(page);
    const urls = recordSocketUrls(page);
    await page.goto(`${server.url()}/r/${ROOM}`, { waitUntil: 'domcontentloaded' });
    await waitForState(page, 'live');
    assert.equal(new URL(urls[0]).pathname, '/ws');
    assert.equal(new URL(urls[0]).searchParams.get('room'), ROOM);
    await waitUntil('connection_status', () => frames.received.some((m) => m.type === 'connection_status'));
    assert.equal(frames.received.find((m) => m.type === 'connection_status').data.room, ROOM,
      'the server put the page in its room');
    assert.equal(await page.locator('#roomName').isVisible(), true);
    assert.equal((await page.textContent('#roomName')).trim(), `Room: ${ROOM}`);
    assert.match(await page.title(), new RegExp(ROOM));

    // The button opens a modal dialog and moves focus into it.
    const share = page.getByRole('button', { name: 'Share' });
    assert.equal(await share.getAttribute('aria-expanded'), 'false');
    await share.click();
    assert.equal(await shareOpen(page), true);
    assert.equal(await share.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.getByRole('dialog', { name: 'Join on your phone' }).isVisible(), true);
    assert.equal(await page.evaluate(() => document.querySelector('#sharePanel')
      .contains(document.activeElement)), true, 'focus is in the dialog');

    // The QR code loads, big enough to scan from a few metres, on white in dark mode.
    await page.waitForFunction(() => {
      const img = document.querySelector('#roomQr');
      return img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const qrBox = await page.evaluate(() => {
      const box = document.querySelector('#roomQr').closest('.qr-box');
      return { width: box.getBoundingClientRect().width, bg: getComputedStyle(box).backgroundColor,
        img: document.querySelector('#roomQr').getBoundingClientRect().width };
    });
    assert.equal(qrBox.bg, 'rgb(255, 255, 255)', 'a light quiet zone in dark mode');
    assert.ok(qrBox.width >= 0.75 * 390 && qrBox.img >= 0.65 * 390, `QR code too small: ${JSON.stringify(qrBox)}`);
    const roomUrl = (await page.textContent('#roomUrl')).trim();
    assert.ok(roomUrl.endsWith(`/r/${ROOM}`), `room URL ${roomUrl}`);
    assert.equal(roomUrl, `${server.url()}/r/${ROOM}`);
    const qrSrc = new URL(await page.getAttribute('#roomQr', 'src'), server.url());
    assert.equal(qrSrc.pathname, '/qr.svg');
    assert.equal(qrSrc.searchParams.get('room'), ROOM);
    if (fs.existsSync(ZBARIMG)) {
      // Scannable as shown, dark mode and all.
      const shot = path.join(server.cwd, 'qr.png');
      await page.locator('.qr-box').screenshot({ path: shot });
      const decoded = execFileSync(ZBARIMG, ['-q', '--raw', shot],
        { timeout: STEP_MS, stdio: ['ignore', 'pipe', 'ignore'] });
      assert.equal(decoded.toString('utf8').trim(), roomUrl);
    }
    await assertFitsWidth(page, 'share panel at 390px');
    if (SCREENSHOT_DIR) {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'share-dark.png'), animations: 'disabled' });
    }

    // Escape closes it and gives focus back to the button.
    await page.keyboard.press('Escape');
    assert.equal(await shareOpen(page), false);
    // The dialog's 'close' event, which resets the button, is a task queued after the close.
    await page.waitForFunction(
      () => document.querySelector('#shareButton').getAttribute('aria-expanded') === 'false', null,
      { timeout: STEP_MS });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'shareButton');

    // So does a click outside it, and its Close button.
    await share.click();
    assert.equal(await shareOpen(page), true);
    await page.mouse.click(3, 3);
    assert.equal(await shareOpen(page), false);
    await share.click();
    await page.click('#shareClose');
    assert.equal(await shareOpen(page), false);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'shareButton');

    // The main room at / keeps the plain header.
    await page.goto(`${server.url()}/`, { waitUntil: 'domcontentloaded' });
    await waitForState(page, 'live');
    assert.equal(await page.locator('#roomName').isHidden(), true);
    const config = await (await fetch(`${server.url()}/config.json`)).json();
    assert.equal(await page.title(), config.pageTitle || 'Live Translation');
    await page.click('#shareButton');
    assert.equal((await page.textContent('#roomUrl')).trim(), `${server.url()}/`);
    await page.waitForFunction(() => document.querySelector('#roomQr').naturalWidth > 0);
    assert.equal(new URL(urls[urls.length - 1]).searchParams.get('room'), 'main');
  } finally {
    await ctx.close();
  }
});

test('captions stay in their room', { timeout: TEST_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
  try {
    const hall = await newPage(ctx);
    const main = await newPage(ctx);
    await hall.goto(`${server.url()}/r/${ROOM}`, { waitUntil: 'domcontentloaded' });
    await main.goto(`${server.url()}/`, { waitUntil: 'domcontentloaded' });
    await waitForSubscribed(hall, 'en');
    await waitForSubscribed(main, 'en');

    const sHall = await speaker(ROOM);
    const sMain = await speaker();
    assert.equal(sHall.status.room, ROOM);
    assert.equal(sMain.status.room, 'main');
    sHall.say(TEXT_HALL, 'hall-1');
    sMain.say(TEXT_MAIN, 'main-1');
    await waitForCaption(hall, TEXT_HALL);
    await waitForCaption(main, TEXT_MAIN);
    await sleep(500); // let a stray caption arrive before looking for it
    assert.equal(count(await captionTexts(hall), TEXT_MAIN), 0, 'main room caption in hall-a');
    assert.equal(count(await captionTexts(main), TEXT_HALL), 0, 'hall-a caption in the main room');
    assert.deepEqual([...sHall.errors(), ...sMain.errors()], []);

    // A new page in the room catches up with that room's captions only.
    const late = await newPage(ctx);
    await late.goto(`${server.url()}/?room=${ROOM}`, { waitUntil: 'domcontentloaded' });
    await waitForCaption(late, TEXT_HALL);
    await sleep(300);
    assert.deepEqual(await captionTexts(late), [TEXT_HALL]);
  } finally {
    await ctx.close();
  }
});

test('a bad room name is refused in the page, without reconnecting', { timeout: TEST_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    const urls = recordSocketUrls(page);
    await page.goto(`${server.url()}/?room=Hall%20A`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#notice:not([hidden])');
    assert.equal((await page.textContent('#notice')).trim(),
      "'Hall A' is not a room name: use lower-case letters, digits and '-'");
    assert.equal(await page.getAttribute('#status', 'data-state'), 'stopped');
    assert.equal(await page.locator('#reconnectNow').isHidden(), true);
    assert.equal(await page.locator('#shareButton').isHidden(), true);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await sleep(1500);
    assert.deepEqual(urls, [], 'no WebSocket to the server');
    assert.equal(await page.locator('#notice').isVisible(), true, 'the message stays');
    await assertFitsWidth(page, 'bad room at 390px');
  } finally {
    await ctx.close();
  }
});

test('websocketUrl from config.json gets the room added', { timeout: TEST_MS }, async () => {
  const closedPort = await freePort();
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    const urls = recordSocketUrls(page);
    await page.route('**/config.json', (route) => route.fulfill({ contentType: 'application/json',
      body: JSON.stringify({ websocketUrl: `http://127.0.0.1:${closedPort}/ws?token=a%20b` }) }));
    await page.goto(`${server.url()}/?room=${ROOM}`, { waitUntil: 'domcontentloaded' });
    await waitUntil('a WebSocket', () => urls.length > 0);
    assert.equal(urls[0], `ws://127.0.0.1:${closedPort}/ws?token=a+b&room=${ROOM}`);
  } finally {
    await ctx.close();
  }
});

test('behind a path prefix, every URL keeps the prefix', { timeout: TEST_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    const urls = recordSocketUrls(page);
    // A proxy that serves the server under /captions/ (WebSockets are only recorded).
    const fetched = [];
    await page.route(/\/captions\//, async (route) => {
      const url = new URL(route.request().url());
      fetched.push(url.pathname);
      url.pathname = url.pathname.replace(/^\/captions/, '');
      await route.fulfill({ response: await route.fetch({ url: url.href }) });
    });
    await page.goto(`${server.url()}/captions/r/${ROOM}`, { waitUntil: 'domcontentloaded' });
    await waitUntil('a WebSocket', () => urls.length > 0);
    assert.equal(urls[0], `ws://127.0.0.1:${server.port}/captions/ws?room=${ROOM}`);
    assert.ok(fetched.includes('/captions/config.json'), JSON.stringify(fetched));
    await page.click('#shareButton');
    await page.waitForFunction(() => document.querySelector('#roomQr').naturalWidth > 0);
    assert.ok(fetched.includes('/captions/qr.svg'), JSON.stringify(fetched));
    assert.equal((await page.textContent('#roomUrl')).trim(), `${server.url()}/captions/r/${ROOM}`);
  } finally {
    await ctx.close();
  }
});

test('a server without rooms: the page says so and still shares a link', { timeout: TEST_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const page = await newPage(ctx);
    // An older server: no `room` in connection_status and no /qr.svg.
    await page.routeWebSocket(/\/ws/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((message) => {
        try {
          const msg = JSON.parse(String(message));
          if (msg.type === 'connection_status') delete msg.data.room;
          ws.send(JSON.stringify(msg));
        } catch (_) {
          ws.send(message);
        }
      });
    });
    await page.route('**/qr.svg*', (route) => route.fulfill({ status: 404, body: 'not found\n' }));
    await page.goto(`${server.url()}/?room=${ROOM}`, { waitUntil: 'domcontentloaded' });
    await waitForState(page, 'live');
    await page.waitForSelector('#notice:not([hidden])');
    assert.match(await page.textContent('#notice'), /no rooms/);
    assert.equal((await page.textContent('#roomName')).trim(), `Room: ${ROOM}`);

    await page.click('#shareButton');
    await page.waitForSelector('#qrMissing:not([hidden])');
    assert.equal(await page.locator('#roomQr').isHidden(), true);
    assert.equal((await page.textContent('#roomUrl')).trim(), `${server.url()}/`);
    await page.keyboard.press('Escape');
    assert.equal(await shareOpen(page), false);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});
