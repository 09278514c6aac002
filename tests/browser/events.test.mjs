// Browser tests of the event pages (issue 14) against the real lt-server binary: the
// operator console (web/operator.html), the screen view (web/screen.html) and the viewer
// page's additions (corrections in place, read aloud, wake lock, jump to live, transcript
// links, the paused notice). Expected translations come from the real apertium (eng-spa,
// eng-cat). Environment as viewer.test.mjs (LT_SERVER_BIN, LT_CHROMIUM).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  API_KEY, Relay, captionTexts, chooseLanguage, fixture, openSettings, pageString, sleep, translate, waitForCaption,
  waitUntil,
} from './harness.mjs';

const TEST_MS = 60_000;
const WATCHDOG_MS = 240_000;

const TEXT_A = 'The speaker is John Smith from London.';
const TEXT_A_FIXED = 'The speaker is Jane Smith from London.';
const TEXT_TYPED = 'The microphone is being fixed.';
const TEXT_PAUSED = 'This sentence must not be shown.';
const TEXT_B = 'Good morning to everybody.';
const TEXT_C = 'The next talk starts at ten.';
const TEXT_D = 'Please take your seats.';

const fx = fixture('events.test.mjs', WATCHDOG_MS);
const { newPage, pageErrors, speaker } = fx;
let server;
let browser;

async function newContext(options = {}) {
  return browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', ...options });
}

before(async () => {
  ({ server, browser } = await fx.start());
});

after(() => fx.stop());

// ---- operator console -----------------------------------------------------------------

test('the operator corrects a caption and the viewer page shows the fix in place', { timeout: TEST_MS }, async () => {
  const room = 'conf';
  const ctx = await newContext();
  try {
    const viewer = await newPage(ctx);
    await viewer.goto(`${server.url()}/r/${room}`, { waitUntil: 'domcontentloaded' });
    await chooseLanguage(viewer, 'es');
    const s = await speaker(room);
    s.say(TEXT_A, 'a1');
    const before = translate(TEXT_A);
    await waitForCaption(viewer, before);
    const seq = await viewer.getAttribute('#captions .caption', 'data-seq');
    await viewer.evaluate(() => { document.querySelector('#captions .caption').dataset.marker = 'same'; });

    const op = await newPage(ctx);
    await op.goto(`${server.url()}/r/${room}/operator`, { waitUntil: 'domcontentloaded' });
    assert.equal(await op.locator('#keyForm').isVisible(), true, 'asks for the key');
    assert.equal(await op.locator('.op-edit').first().isDisabled().catch(() => true), true);
    await op.fill('#keyInput', API_KEY);
    await op.click('#keyForm button[type=submit]');
    assert.equal(await op.locator('#keyForm').isHidden(), true);

    // The final from the catch-up, with its seq and source text.
    const item = op.locator(`#finals li[data-seq="${seq}"]`);
    await item.waitFor();
    assert.equal((await item.locator('.op-text').textContent()).trim(), TEXT_A);
    assert.equal((await item.locator('.op-seq').textContent()).trim(), `#${seq}`);

    // The audience from /health: one Spanish viewer, translated by apertium.
    await op.waitForSelector('#languagesBody tr[data-lang="es"]', { timeout: 12_000 });
    const row = await op.$$eval('#languagesBody tr[data-lang="es"] td', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(row.slice(0, 2), ['es', '1']);
    assert.match(row[2], /apertium/i);
    // The last latencies: the one final so far, translated then sent to the viewers.
    assert.match(row[3], /^\d+ ms, to viewers \d+ ms$/, row[3]);
    const screenHref = new URL(await op.getAttribute('#screenLink', 'href'));
    assert.equal(screenHref.pathname, `/r/${room}/screen`);
    assert.equal(screenHref.searchParams.get('lang'), 'es');
    assert.equal(await op.getAttribute('#viewerLink', 'href'), `${server.url()}/r/${room}`);
    const transcripts = await op.$$eval('#transcriptLinks a', (as) => as.map((a) => a.href));
    assert.ok(transcripts.includes(`${server.url()}/r/${room}/transcript.srt?lang=es`), JSON.stringify(transcripts));

    // Edit inline and save: the ack shows, and the viewer's caption changes in place.
    await item.locator('.op-edit').click();
    await item.locator('textarea').fill(TEXT_A_FIXED);
    await item.locator('button[type=submit]').click();
    await op.waitForFunction((q) => document.querySelector(q)?.dataset.state === 'ok',
      `#finals li[data-seq="${seq}"] .op-result`);
    assert.match(await item.locator('.op-result').textContent(), /Corrected/);
    await op.waitForFunction((q) => document.querySelector(q)?.textContent === 'The speaker is Jane Smith from London.',
      `#finals li[data-seq="${seq}"] .op-text`);

    const after = translate(TEXT_A_FIXED);
    assert.notEqual(after, before);
    await waitForCaption(viewer, after);
    const texts = await captionTexts(viewer);
    assert.deepEqual(texts, [after], 'replaced, not added');
    const fixed = viewer.locator(`#captions .caption[data-seq="${seq}"]`);
    assert.equal(await fixed.getAttribute('data-marker'), 'same', 'the same element, in place');
    assert.equal((await fixed.locator('.caption-original').textContent()).trim(), TEXT_A_FIXED);
    assert.equal((await fixed.locator('.caption-corrected').textContent()).trim(), await pageString(viewer, 'es', 'corrected'));

    // A wrong key: the error is shown and the key asked for again.
    await op.click('#changeKey');
    await op.fill('#keyInput', 'not-the-key');
    await op.click('#keyForm button[type=submit]');
    await item.locator('.op-edit').click();
    await item.locator('textarea').fill('Anything.');
    await item.locator('button[type=submit]').click();
    await op.waitForFunction((q) => document.querySelector(q)?.dataset.state === 'error',
      `#finals li[data-seq="${seq}"] .op-result`);
    assert.match(await item.locator('.op-result').textContent(), /Not corrected: Unauthorized/);
    assert.equal(await op.locator('#keyForm').isVisible(), true);
    await item.locator('.op-editor button[type=button]').click();

    // The key stays for this tab across a reload.
    await op.fill('#keyInput', API_KEY);
    await op.click('#keyForm button[type=submit]');
    await op.reload({ waitUntil: 'domcontentloaded' });
    assert.equal(await op.locator('#keyForm').isHidden(), true, 'key kept in sessionStorage');

    // A typed caption reaches the viewer, marked as typed.
    await op.fill('#typeInput', TEXT_TYPED);
    await op.click('#typeForm button[type=submit]');
    await op.waitForFunction(() => /^Sent as caption \d+$/.test(document.querySelector('#typeResult').textContent));
    await waitForCaption(viewer, translate(TEXT_TYPED));
    assert.ok((await viewer.locator('#captions .caption').first().locator('.caption-meta').textContent())
      .includes(await pageString(viewer, 'es', 'typed')), 'marked as typed');

    // Pause: the state shows on the console, the viewer gets a quiet notice, spoken text
    // is held back; typed text still goes out. Resume clears it.
    assert.equal(await viewer.locator('#pausedNotice').isHidden(), true);
    await op.click('#pauseButton');
    await op.waitForFunction(() => document.querySelector('#publishingState').dataset.paused === 'true');
    await viewer.waitForSelector('#pausedNotice:not([hidden])');
    // In the viewer's language (Spanish here), as the page's other strings.
    assert.equal((await viewer.textContent('#pausedNotice')).trim(), 'Subtítulos en pausa por el organizador');
    s.say(TEXT_PAUSED, 'p1');
    await sleep(800);
    assert.equal((await captionTexts(viewer)).includes(translate(TEXT_PAUSED)), false, 'spoken text held back');
    await op.click('#resumeButton');
    await op.waitForFunction(() => document.querySelector('#publishingState').dataset.paused === 'false');
    await viewer.waitForSelector('#pausedNotice', { state: 'hidden' });
    assert.match(await op.textContent('#publishingState'), /Publishing/);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors');
});

// ---- screen view ----------------------------------------------------------------------

test('the screen view shows two languages side by side', { timeout: TEST_MS }, async () => {
  const room = 'hall';
  const ctx = await newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const s = await speaker(room);
    assert.ok((s.status.languages || []).includes('ca'), 'the server translates into Catalan');
    const lines = [TEXT_B, TEXT_C, TEXT_D];
    s.say(TEXT_A, 'h0'); // the oldest: drops off the screen
    for (const [i, t] of lines.entries()) s.say(t, `h${i + 1}`);
    await waitUntil('acks', () => s.acks().length === 4);

    const page = await newPage(ctx);
    await page.goto(`${server.url()}/r/${room}/screen?lang=es,ca`, { waitUntil: 'domcontentloaded' });
    const columnText = (lang) => page.$$eval(`.column[data-lang="${lang}"] .line`,
      (els) => els.map((e) => e.textContent.trim()));
    const es = lines.map((t) => translate(t, 'eng-spa'));
    const ca = lines.map((t) => translate(t, 'eng-cat'));
    await waitUntil('both columns', async () =>
      JSON.stringify(await columnText('es')) === JSON.stringify(es) &&
      JSON.stringify(await columnText('ca')) === JSON.stringify(ca));

    // Side by side, large, no scrollbars, white on black.
    const box = await page.evaluate(() => {
      const [a, b] = [...document.querySelectorAll('.column')].map((c) => c.getBoundingClientRect());
      const line = document.querySelector('.line:last-child');
      const st = getComputedStyle(line);
      const root = document.scrollingElement;
      return { a: { left: a.left, right: a.right, top: a.top }, b: { left: b.left, top: b.top },
        font: parseFloat(st.fontSize), color: st.color, bg: getComputedStyle(document.body).backgroundColor,
        overflow: getComputedStyle(document.body).overflow,
        scroll: root.scrollHeight > root.clientHeight || root.scrollWidth > root.clientWidth,
        lineWidth: line.getBoundingClientRect().width,
        controls: document.querySelectorAll('button, select, input').length };
    });
    assert.ok(box.a.right <= box.b.left, `columns side by side: ${JSON.stringify(box)}`);
    assert.ok(Math.abs(box.a.top - box.b.top) < 2);
    assert.ok(box.font >= 30, `large text: ${box.font}px`);
    assert.equal(box.color, 'rgb(255, 255, 255)');
    assert.equal(box.bg, 'rgb(0, 0, 0)');
    assert.equal(box.overflow, 'hidden');
    assert.equal(box.scroll, false, 'no scrolling');
    assert.ok(box.lineWidth <= 41 * box.font * 0.7, 'line length stays readable');
    assert.equal(box.controls, 0, 'no controls');

    // The partial line (source language) under the columns, then the new final; still 3 lines.
    s.say('And now', 'h4', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'And now');
    // Its settled words come translated to the Spanish connection too: the screen keeps the source.
    s.say('And now the', 'h4', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'And now the');
    await sleep(500);
    assert.equal(await page.textContent('#partial'), 'And now the');
    s.say(TEXT_TYPED, 'h4');
    await page.waitForFunction(() => document.querySelector('#partial').textContent === '');
    await waitUntil('the newest line', async () => (await columnText('es'))[2] === translate(TEXT_TYPED));
    assert.equal((await columnText('es')).length, 3);
    assert.equal((await columnText('ca')).length, 3);
  } finally {
    await ctx.close();
  }
});

// ---- viewer page additions ------------------------------------------------------------

// speechSynthesis and the wake lock, recorded in the page.
function stubSpeech() {
  window.__spoken = [];
  window.__cancels = 0;
  window.__pending = false;
  window.__wakeLocks = [];
  const voices = [
    { name: 'Spanish', lang: 'es-ES', default: false, localService: true },
    { name: 'English', lang: 'en-US', default: true, localService: true },
  ];
  const synth = {
    getVoices: () => voices,
    speak(u) { window.__spoken.push({ text: u.text, lang: u.lang, voice: u.voice ? u.voice.name : null }); },
    cancel() { window.__cancels += 1; window.__pending = false; },
    get pending() { return window.__pending; },
    get speaking() { return false; },
    addEventListener() {},
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; this.lang = ''; this.voice = null; } };
  Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: {
    request(type) {
      window.__wakeLocks.push(type);
      return Promise.resolve({ addEventListener() {}, release: () => Promise.resolve() });
    },
  } });
}

test('read aloud speaks each new final in the viewer\'s language', { timeout: TEST_MS }, async () => {
  const room = 'talk';
  const ctx = await newContext();
  try {
    const s = await speaker(room);
    s.say(TEXT_A, 'r0'); // history: shown, never spoken
    await waitUntil('ack', () => s.acks().length === 1);
    const page = await newPage(ctx);
    await page.addInitScript(stubSpeech);
    await page.goto(`${server.url()}/r/${room}`, { waitUntil: 'domcontentloaded' });
    await chooseLanguage(page, 'es');
    await waitForCaption(page, translate(TEXT_A));
    assert.deepEqual(await page.evaluate(() => window.__wakeLocks), ['screen'], 'screen wake lock');

    assert.equal(await page.getAttribute('#readAloud', 'aria-pressed'), 'false');
    await openSettings(page);
    await page.click('#readAloud');
    assert.equal(await page.getAttribute('#readAloud', 'aria-pressed'), 'true');
    await sleep(600);
    assert.deepEqual(await page.evaluate(() => window.__spoken), [], 'history is not read');

    s.say('Good morning', 'r1', true); // a partial: never read; labelled and quieter here
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Good morning');
    assert.equal(await page.getAttribute('#partial', 'data-label'), await pageString(page, 'es', 'liveLabel', { lang: 'EN' }));
    assert.equal(await page.evaluate(() => document.querySelector('#partial').classList.contains('other-language')), true);
    s.say(TEXT_B, 'r1');
    await waitForCaption(page, translate(TEXT_B));
    assert.deepEqual(await page.evaluate(() => window.__spoken),
      [{ text: translate(TEXT_B), lang: 'es', voice: 'Spanish' }]);

    // Falling behind: what waits is dropped and the newest is read.
    const cancels = await page.evaluate(() => window.__cancels);
    await page.evaluate(() => { window.__pending = true; });
    s.say(TEXT_C, 'r2');
    await waitForCaption(page, translate(TEXT_C));
    assert.equal(await page.evaluate(() => window.__cancels), cancels + 1, 'the queue was cancelled');
    const spoken = await page.evaluate(() => window.__spoken);
    assert.deepEqual(spoken[spoken.length - 1], { text: translate(TEXT_C), lang: 'es', voice: 'Spanish' });

    // Remembered across a reload; the catch-up after it is not read.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('#captions').dataset.lang === 'es');
    assert.equal(await page.getAttribute('#readAloud', 'aria-pressed'), 'true');
    await waitForCaption(page, translate(TEXT_C));
    await sleep(600);
    assert.deepEqual(await page.evaluate(() => window.__spoken), []);

    // No Catalan voice on this device: a notice, and nothing is read.
    await chooseLanguage(page, 'ca');
    await page.waitForSelector('#voiceNotice:not([hidden])');
    const catalan = await page.evaluate(() => new Intl.DisplayNames(['ca'], { type: 'language' }).of('ca'));
    assert.equal((await page.textContent('#voiceNotice')).trim(), await pageString(page, 'ca', 'noVoice', { lang: catalan }));
    s.say(TEXT_D, 'r3');
    await waitForCaption(page, translate(TEXT_D, 'eng-cat'));
    assert.deepEqual(await page.evaluate(() => window.__spoken), []);

    // Download links follow the language and the room.
    assert.equal(await page.getAttribute('#transcriptTxt', 'href'), `${server.url()}/r/${room}/transcript.txt?lang=ca`);
    assert.equal(await page.getAttribute('#transcriptSrt', 'href'), `${server.url()}/r/${room}/transcript.srt?lang=ca`);
    const res = await fetch(`${server.url()}/r/${room}/transcript.txt?lang=ca`);
    assert.equal(res.status, 200);
    assert.ok((await res.text()).includes(translate(TEXT_D, 'eng-cat')));

    // Off again: nothing more is read.
    await chooseLanguage(page, 'es');
    await openSettings(page);
    await page.click('#readAloud');
    s.say(TEXT_TYPED, 'r4');
    await waitForCaption(page, translate(TEXT_TYPED));
    assert.deepEqual(await page.evaluate(() => window.__spoken), []);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors');
});

test('reading older captions: new ones do not move them; "Jump to live" brings the viewer back', { timeout: TEST_MS }, async () => {
  const room = 'long';
  const ctx = await newContext({ viewport: { width: 390, height: 600 } });
  try {
    const s = await speaker(room);
    for (let i = 1; i <= 14; i += 1) s.say(`Sentence number ${i} of a long talk about many things.`, `l${i}`);
    await waitUntil('acks', () => s.acks().length === 14);
    const page = await newPage(ctx);
    await page.goto(`${server.url()}/r/${room}`, { waitUntil: 'domcontentloaded' });
    await waitForCaption(page, 'Sentence number 1 of a long talk about many things.');

    // At live, a new caption shows at the top and no button appears.
    s.say('Sentence number 15 of a long talk about many things.', 'l15');
    await waitForCaption(page, 'Sentence number 15 of a long talk about many things.');
    assert.equal(await page.locator('#jumpToLive').isHidden(), true);

    // Scroll to an older caption and remember where it is.
    const olderSeq = await page.locator('#captions .caption').nth(8).getAttribute('data-seq');
    const older = page.locator(`#captions .caption[data-seq="${olderSeq}"]`);
    await older.evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await sleep(200);
    const top = async () => older.evaluate((e) => e.getBoundingClientRect().top);
    const before = await top();
    await page.waitForSelector('#jumpToLive:not([hidden])');

    s.say('A partial line', 'l16', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'A partial line');
    assert.equal(await page.getAttribute('#partial', 'data-label'), await pageString(page, 'en', 'liveLabel', { lang: 'EN' }),
      'the live line says its language');
    assert.equal(await page.evaluate(() => document.querySelector('#partial').classList.contains('other-language')), false);
    s.say('Sentence number 16 of a long talk about many things.', 'l16');
    s.say('Sentence number 17 of a long talk about many things.', 'l17');
    await waitForCaption(page, 'Sentence number 17 of a long talk about many things.');
    await page.waitForFunction(() => document.querySelector('#partial').textContent === '');
    assert.ok(Math.abs((await top()) - before) <= 1, `the caption read stayed put (${before} -> ${await top()})`);
    assert.equal((await page.textContent('#jumpToLive')).trim(), 'Jump to live (2 new)');

    await page.click('#jumpToLive');
    await page.waitForFunction(() => window.scrollY === 0);
    assert.equal(await page.locator('#jumpToLive').isHidden(), true);
    assert.equal(await page.locator('#captions .caption').first().isVisible(), true);
    assert.equal((await page.locator('#captions .caption .caption-text').first().textContent()).trim(),
      'Sentence number 17 of a long talk about many things.');
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors');
});

test('past 50 captions the page points to the transcript; a local address is warned about', { timeout: TEST_MS }, async () => {
  const room = 'many';
  const ctx = await newContext();
  try {
    const page = await newPage(ctx);
    await page.goto(`${server.url()}/r/${room}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('#captions').dataset.lang === 'en');
    const s = await speaker(room);
    for (let i = 1; i <= 50; i += 1) s.say(`Caption ${i}.`, `m${i}`);
    await waitForCaption(page, 'Caption 50.');
    assert.equal(await page.locator('#olderNote').isHidden(), true, 'nothing dropped yet');
    s.say('Caption 51.', 'm51');
    await waitForCaption(page, 'Caption 51.');
    assert.equal(await page.locator('#captions .caption').count(), 50);
    await page.locator('#olderNote').waitFor();
    assert.equal(await page.getAttribute('#olderTranscript', 'href'), `${server.url()}/r/${room}/transcript.txt?lang=en`);

    // The page was opened at 127.0.0.1: the share dialog says phones cannot reach it.
    await page.click('#shareButton');
    await page.locator('#localAddress').waitFor();
    assert.match(await page.textContent('#localAddress'), /127\.0\.0\.1 only works on this computer.*LT_PUBLIC_URL/);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors');
});

test('a lost connection shows a strip over the captions, then how many were caught up', { timeout: TEST_MS }, async () => {
  const room = 'strip';
  const relay = new Relay(server.port);
  await relay.listen();
  const ctx = await newContext();
  try {
    const s = await speaker(room);
    s.say('Before the cut.', 'c0');
    const page = await newPage(ctx);
    await page.goto(`http://127.0.0.1:${relay.port}/r/${room}`, { waitUntil: 'domcontentloaded' });
    await waitForCaption(page, 'Before the cut.');
    assert.equal(await page.locator('#connectionStrip').isHidden(), true);

    relay.cut();
    await page.locator('#connectionStrip').waitFor();
    assert.equal((await page.textContent('#connectionStrip')).trim(), 'Connection lost. Reconnecting…');
    for (let i = 1; i <= 3; i += 1) s.say(`Missed caption ${i}.`, `c${i}`);
    await waitUntil('acks', () => s.acks().length === 4);
    relay.restore();
    await page.evaluate(() => window.dispatchEvent(new Event('online'))); // retries at once
    await waitForCaption(page, 'Missed caption 3.');
    await page.waitForFunction(() => document.querySelector('#connectionStrip').dataset.state === 'back');
    assert.equal((await page.textContent('#connectionStrip')).trim(), 'Reconnected: 3 captions caught up');
    await page.locator('#connectionStrip').waitFor({ state: 'hidden', timeout: 8000 });
  } finally {
    await ctx.close();
    await relay.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors');
});
