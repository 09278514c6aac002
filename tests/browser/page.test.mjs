// Browser tests of the viewer page as an audience member meets it on a phone (issue 14): the
// live line's fixed slot and the layout shift of a run of captions (measured, both layouts),
// subtitle mode, hiding the live line, one notice for an untranslatable language, the page's
// and the screen view's own strings in the caption language (every key in all 16 languages)
// and the controls folding into one sticky row. Environment as viewer.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Relay, chooseLanguage, fixture, openSettings, pageString, sleep, translate, waitForCaption, waitUntil,
} from './harness.mjs';

// Positions equal within 2 px (sub-pixel layout), far less than a line of text.
function near(actual, expected, message) {
  assert.ok(Math.abs(actual - expected) <= 2, `${message}: ${actual} vs ${expected}`);
}

const TEST_MS = 60_000;
const WATCHDOG_MS = 240_000;
const PHONE = { width: 390, height: 844 };

const fx = fixture('page.test.mjs', WATCHDOG_MS);
const { newPage, pageErrors, speaker } = fx;
let server;
let browser;

before(async () => {
  ({ server, browser } = await fx.start());
});

after(() => fx.stop());

// A viewer page of `room`, connected; `stored` is put in its localStorage before it loads.
async function open(room, viewport = PHONE, stored = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'en-US' });
  await ctx.addInitScript((items) => {
    for (const [key, value] of Object.entries(items)) window.localStorage.setItem(key, value);
  }, stored);
  const page = await newPage(ctx);
  await page.goto(`${server.url()}/r/${room}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'live');
  return { ctx, page };
}

// The page in Spanish with one caption shown, and the room's speaker.
async function startSpanish(page, room) {
  await chooseLanguage(page, 'es');
  const s = await speaker(room);
  s.say('Good morning to everybody.', `${room}-0`);
  await waitForCaption(page, translate('Good morning to everybody.'));
  return s;
}

// Sums layout-shift entries from now on (as Chrome's cumulative layout shift, without the
// session windows: a stricter sum).
function startShiftMeter(page) {
  return page.evaluate(() => {
    window.__shift = 0;
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        window.__shift += e.value;
        window.__shifts.push(`${e.value.toFixed(4)} ${(e.sources || []).map((x) => `${x.node?.id || x.node?.className || x.node?.nodeName}:${x.previousRect.y}->${x.currentRect.y}/${x.previousRect.height}->${x.currentRect.height}`).join(" ")}`);
      }
    }).observe({ type: 'layout-shift', buffered: false });
  });
}

const readShift = (page) => page.evaluate(() => ({ total: window.__shift, each: window.__shifts }));


test('the live line has a fixed slot: a sentence with several partials barely moves the page', { timeout: TEST_MS }, async () => {
  const room = 'shift';
  const { ctx, page } = await open(room);
  try {
    await chooseLanguage(page, 'es');
    const s = await speaker(room);
    s.say('Good morning to everybody.', 'f0');
    s.say('Please take your seats.', 'f1');
    await waitForCaption(page, translate('Please take your seats.'));
    await sleep(600);
    await startShiftMeter(page);
    const slotHeight = () => page.evaluate(() => document.querySelector('#liveSlot').getBoundingClientRect().height);
    const firstTop = () => page.evaluate(() => document.querySelector('#captions .caption').getBoundingClientRect().top);
    const height0 = await slotHeight();
    const top0 = await firstTop();
    const words = 'The next talk starts at ten in the large hall on the second floor next to the coffee ' +
      'tables where the posters are';
    const parts = words.split(' ');
    for (let n = 2; n <= parts.length; n += 4) {
      const text = parts.slice(0, n).join(' ');
      s.say(text, 'f2', true);
      // The line may be the settled words in Spanish (translated partials) with the English
      // tail: either way it ends with the newest word.
      await page.waitForFunction((w) => document.querySelector('#partial').textContent.endsWith(w),
        ` ${parts[n - 1]}`);
      // Within 2 px: sub-pixel rounding moves things by about 1 px; a line is over 20.
      near(await slotHeight(), height0, `the slot keeps its height at "${text}"`);
      near(await firstTop(), top0, 'the captions below do not move');
    }
    const partialShift = await readShift(page);
    assert.ok(partialShift.total < 0.1,
      `layout shift over the sentence's partials ${partialShift.total} (${partialShift.each.join(', ')})`);
    s.say(words, 'f2');
    await waitForCaption(page, translate(words));
    await page.waitForFunction(() => document.querySelector('#partial').textContent === '');
    near(await slotHeight(), height0, 'the slot stays when its final arrives');
    // The final takes the first place under the slot, where the previous final was.
    near(await firstTop(), top0, 'the final is where the newest caption always is');
    await sleep(500);
    // The final moves the older captions down (newest first), sliding: no layout shift.
    const shift = await readShift(page);
    // Counted by size: the observer may report a partial's small shift after it was read.
    const large = shift.each.map(Number.parseFloat).filter((v) => v > 0.01);
    assert.deepEqual(large, [], `no shift at the final: ${shift.each.join(', ')}`);
    console.log(`layout shift: partials ${partialShift.total.toFixed(4)}, with the final ${shift.total.toFixed(4)}`);

    // Subtitle mode: large text, the newest line at the bottom; remembered.
    const small = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.caption-text')).fontSize));
    await openSettings(page);
    await page.click('#subtitleMode');
    assert.equal(await page.getAttribute('#subtitleMode', 'aria-pressed'), 'true');
    const order = await page.evaluate(() => {
      const [newest, older] = document.querySelectorAll('#captions .caption');
      return { newest: newest.getBoundingClientRect().top, older: older.getBoundingClientRect().top,
        size: parseFloat(getComputedStyle(newest.querySelector('.caption-text')).fontSize),
        slot: document.querySelector('#liveSlot').getBoundingClientRect().top };
    });
    assert.ok(order.newest > order.older, 'the newest caption is below the older ones');
    assert.ok(order.slot > order.newest, 'the live line is at the very bottom');
    assert.ok(order.size > small * 1.3, `larger text (${order.size}px, was ${small}px)`);
    await page.reload({ waitUntil: 'domcontentloaded' });
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('subtitles')), true);
    await openSettings(page);
    await page.click('#subtitleMode');
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('subtitles')), false);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

// A run of captions as a speaker sends them: each sentence as partials growing by two words,
// then its final. Resolves when the page shows `count` captions after the last one.
const RUN_WORDS = ('the next talk starts at ten in the large hall on the second floor next to the ' +
  'coffee tables where the posters are and lunch is served at noon').split(' ');

async function speakRun(page, s, prefix, finals, shownBefore) {
  for (let i = 0; i < finals; i += 1) {
    const sentence = RUN_WORDS.slice(i % 7, (i % 7) + 5 + ((i * 3) % 11));
    for (let k = 2; k < sentence.length; k += 2) {
      s.say(sentence.slice(0, k).join(' '), `${prefix}${i}`, true);
      await sleep(120);
    }
    s.say(`${sentence.join(' ')}.`, `${prefix}${i}`);
    const shown = Math.min(50, shownBefore + i + 1);
    await page.waitForFunction((n) => document.querySelectorAll('#captions .caption').length === n, shown);
    await sleep(300); // the older captions slide for 200 ms
  }
}

const RUN_FINALS = 12;
for (const subtitles of [false, true]) {
  const mode = subtitles ? 'subtitle mode' : 'newest first';
  test(`layout shift over ${RUN_FINALS} captions with partials on a phone stays under 0.1 (${mode})`,
    { timeout: TEST_MS }, async () => {
      const room = subtitles ? 'cls-subtitles' : 'cls';
      const { ctx, page } = await open(room, PHONE, { liveTranslateSubtitles: subtitles ? 'on' : 'off' });
      try {
        const s = await startSpanish(page, room);
        await sleep(600);
        await startShiftMeter(page);
        await speakRun(page, s, 'r', RUN_FINALS, 1);
        await sleep(500);
        const shift = await readShift(page);
        console.log(`layout shift over ${RUN_FINALS} captions (${mode}): ${shift.total.toFixed(4)}`);
        // Before the slide, each final moved the older captions by a caption's height (about
        // 0.05 to 0.15 each on this viewport).
        assert.ok(shift.total < 0.1, `cumulative layout shift ${shift.total} (${shift.each.join(', ')})`);
        // The slides have ended: every caption is where the layout puts it.
        assert.deepEqual(await page.$$eval('#captions .caption', (els) => els
          .map((e) => getComputedStyle(e).transform).filter((tr) => tr !== 'none')), [], 'no caption left mid-slide');
      } finally {
        await ctx.close();
      }
      assert.deepEqual(pageErrors, [], 'no script errors on the page');
    });
}

test('a burst of finals: each older caption starts its slide where the viewer saw it', { timeout: TEST_MS }, async () => {
  const room = 'burst';
  const { ctx, page } = await open(room);
  try {
    const s = await startSpanish(page, room);
    // Where each caption is seen just before a final is inserted, and once the page has
    // handled that final (a microtask after it: the same moment, no frame in between).
    await page.evaluate(() => {
      window.__jumps = [];
      const list = document.querySelector('#captions');
      const tops = () => new Map([...list.children].map((c) => [c, c.getBoundingClientRect().top]));
      list.insertBefore = function insertBefore(node, ref) {
        const before = tops();
        const result = HTMLElement.prototype.insertBefore.call(this, node, ref);
        queueMicrotask(() => {
          for (const [c, top] of tops()) {
            if (before.has(c)) window.__jumps.push(Math.abs(top - before.get(c)));
          }
        });
        return result;
      };
    });
    const burst = ['The first talk starts now.', 'Please take your seats.', 'The next talk starts at ten.',
      'Lunch is served at noon.'];
    burst.forEach((text, i) => s.say(text, `b${i + 1}`));
    await page.waitForFunction(() => document.querySelectorAll('#captions .caption').length === 5);
    await sleep(400);
    const jumps = await page.evaluate(() => window.__jumps);
    assert.ok(jumps.length >= 10, `measured ${jumps.length} caption positions`);
    assert.ok(Math.max(...jumps) < 1.5, `no caption jumped: ${jumps.map((j) => j.toFixed(1)).join(' ')}`);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('the live line in the viewer\'s language: settled words translated, the English tail after them', { timeout: TEST_MS }, async () => {
  const room = 'livees';
  const { ctx, page } = await open(room);
  try {
    await chooseLanguage(page, 'es');
    // The label is in the page's language (Spanish here), naming the line's language.
    const enLive = await pageString(page, 'es', 'liveLabel', { lang: 'EN' });
    const esLive = await pageString(page, 'es', 'liveLabel', { lang: 'ES' });
    const s = await speaker(room);
    s.say('Good morning', 'g1', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Good morning');
    assert.equal(await page.getAttribute('#partial', 'data-label'), enLive);
    s.say('Good morning everyone', 'g1', true);
    const settled = translate('Good morning');
    await page.waitForFunction(() => document.querySelector('#partial').classList.contains('translated'));
    const line = () => page.evaluate(() => {
      const p = document.querySelector('#partial');
      const tail = p.querySelector('.pending');
      return { text: p.textContent, label: p.dataset.label, lang: p.lang, tail: tail ? tail.textContent.trim() : null,
        tailLang: tail ? tail.lang : null, quiet: p.classList.contains('other-language') };
    });
    assert.deepEqual(await line(), {
      text: `${settled} everyone`, label: esLive, lang: 'es', tail: 'everyone', tailLang: 'en', quiet: false,
    });
    // English partials in between: the translation stays, the English tail grows.
    s.say('Good morning everyone and welcome', 'g1', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent.endsWith(' welcome'));
    const grown = await line();
    assert.ok(grown.text.startsWith(translate('Good morning everyone and')) || grown.text.startsWith(settled), grown.text);
    assert.equal(grown.label, esLive);
    s.say('Good morning everyone and welcome.', 'g1');
    await waitForCaption(page, translate('Good morning everyone and welcome.'));
    await page.waitForFunction(() => document.querySelector('#partial').textContent === '');
    // A new sentence starts in English again.
    s.say('Next', 'g2', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Next');
    assert.equal(await page.getAttribute('#partial', 'data-label'), enLive);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('the live line can be hidden, and stays hidden after a reload', { timeout: TEST_MS }, async () => {
  const room = 'nolive';
  const { ctx, page } = await open(room);
  try {
    await chooseLanguage(page, 'es');
    const s = await speaker(room);
    s.say('Hello there', 'p1', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Hello there');
    assert.equal(await page.locator('#liveSlot').isVisible(), true);
    await openSettings(page);
    await page.click('#liveToggle');
    assert.equal(await page.getAttribute('#liveToggle', 'aria-pressed'), 'false');
    assert.equal(await page.locator('#liveSlot').isVisible(), false);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'live');
    s.say('Hello there again', 'p2', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Hello there again');
    assert.equal(await page.locator('#liveSlot').isVisible(), false, 'still hidden after a reload');
    s.say('Hello there again.', 'p2');
    await waitForCaption(page, translate('Hello there again.'));
    await openSettings(page);
    await page.click('#liveToggle');
    assert.equal(await page.locator('#liveSlot').isVisible(), true);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('an untranslatable language: one notice in that language, clean cards', { timeout: TEST_MS }, async () => {
  const room = 'untranslated';
  const { ctx, page } = await open(room);
  try {
    const s = await speaker(room);
    const offered = s.status.languages || [];
    const lang = ['de', 'it', 'pl', 'ru'].find((l) => !offered.includes(l));
    assert.ok(lang, `some language without a translation (offered: ${offered.join(' ')})`);
    await chooseLanguage(page, lang);
    s.say('The first talk starts now.', 'u1');
    s.say('Please take your seats.', 'u2');
    await waitForCaption(page, 'Please take your seats.');
    await waitForCaption(page, 'The first talk starts now.');
    const expectedNotice = await page.evaluate((l) => {
      const names = new Intl.DisplayNames([l], { type: 'language' });
      return window.LiveTranslateStrings[l].noTranslation
        .replace('{lang}', names.of(l)).replace('{src}', names.of('en'));
    }, lang);
    assert.equal(await page.locator('#languageNotice').isVisible(), true);
    assert.equal((await page.textContent('#languageNotice')).trim(), expectedNotice);
    assert.equal(await page.locator('#languageNotice').count(), 1);
    assert.equal(await page.locator('#captions .caption-note').count(), 0, 'no per-card error');
    const cards = await page.$$eval('#captions .caption', (els) => els.map((e) => e.textContent));
    assert.ok(cards.every((c) => !/not translated|error|unsupported/i.test(c)), `clean cards: ${cards}`);

    // A translated language: no notice.
    await chooseLanguage(page, 'es');
    await waitForCaption(page, translate('Please take your seats.'));
    assert.equal(await page.locator('#languageNotice').isVisible(), false);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('the page\'s own strings follow the caption language', { timeout: TEST_MS }, async () => {
  const { ctx, page } = await open('strings', { width: 1024, height: 768 });
  try {
    // Every page language has every key; a plural string has every form its language's
    // Intl.PluralRules can pick; the {placeholders} are English's.
    const tables = await page.evaluate(() => {
      const all = window.LiveTranslateStrings;
      const langs = [...document.querySelectorAll('#languageSelect option')].map((o) => o.value);
      const holes = (text) => (text.match(/\{[a-z]+\}/gi) || []).sort().join(' ');
      const problems = [];
      for (const lang of langs) {
        const table = all[lang];
        if (!table) { problems.push(`${lang}: no table`); continue; }
        const extra = Object.keys(table).filter((k) => !(k in all.en));
        if (extra.length) problems.push(`${lang}: keys English lacks: ${extra}`);
        for (const [key, en] of Object.entries(all.en)) {
          const entry = table[key];
          if (entry === undefined) { problems.push(`${lang}.${key}: missing`); continue; }
          if (typeof en === 'object') {
            if (typeof entry !== 'object') { problems.push(`${lang}.${key}: not plural`); continue; }
            for (const form of new Intl.PluralRules(lang).resolvedOptions().pluralCategories) {
              if (typeof entry[form] !== 'string') problems.push(`${lang}.${key}: no '${form}' form`);
            }
          }
          // A plural form other than 'other' may spell its number ("ترجمتان", two captions).
          const want = holes(typeof en === 'object' ? en.other : en);
          for (const [form, text] of typeof entry === 'object' ? Object.entries(entry) : [['', entry]]) {
            if (typeof text !== 'string' || !text.trim()) { problems.push(`${lang}.${key}: empty`); continue; }
            const got = holes(text);
            if (got !== want && !(form && form !== 'other' && got === '')) {
              problems.push(`${lang}.${key}${form ? `.${form}` : ''}: placeholders ${got} vs ${want}`);
            }
          }
        }
      }
      return { langs, problems, keys: Object.keys(all.en).length };
    });
    assert.equal(tables.langs.length, 16);
    assert.deepEqual(tables.problems, [], 'every page language has every string');
    assert.ok(tables.keys >= 50, `${tables.keys} keys`);
    assert.equal((await page.textContent('#themeToggle')).trim(), 'Dark mode');
    await chooseLanguage(page, 'es');
    assert.equal((await page.textContent('#themeToggle')).trim(), 'Modo oscuro');
    assert.equal((await page.textContent('label[for=languageSelect]')).trim(), 'Idioma');
    assert.equal((await page.textContent('#emptyHint')).trim(),
      'Los subtítulos aparecerán aquí cuando el orador empiece a hablar.');
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
    // Hidden ones too: the 50-caption note with its link, jump to live, the share dialog.
    const older = (await pageString(page, 'es', 'olderNote', { n: 50 }))
      .replace('{link}', await pageString(page, 'es', 'olderLink'));
    assert.equal((await page.textContent('#olderNote')).replace(/\s+/g, ' ').trim(), older);
    assert.equal((await page.textContent('#jumpToLive')).trim(), await pageString(page, 'es', 'jump'));
    assert.equal((await page.textContent('#shareTitle')).trim(), await pageString(page, 'es', 'shareTitle'));
    assert.equal(await page.getAttribute('#roomQr', 'alt'), await pageString(page, 'es', 'qrAlt'));
    assert.equal(await page.getAttribute('#fontLarger', 'title'), await pageString(page, 'es', 'larger'));
    await chooseLanguage(page, 'ja');
    assert.equal((await page.textContent('#readAloud')).trim(), '読み上げ');
    await page.reload({ waitUntil: 'domcontentloaded' });
    assert.equal((await page.textContent('#subtitleMode')).trim(), '字幕モード', 'after a reload too');
    await chooseLanguage(page, 'en');
    assert.equal((await page.textContent('#themeToggle')).trim(), 'Dark mode');
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('status, reconnect strip and screen-reader texts follow the caption language', { timeout: TEST_MS }, async () => {
  const room = 'words';
  const relay = new Relay(server.port);
  await relay.listen();
  const ctx = await browser.newContext({ viewport: PHONE, locale: 'en-US' });
  try {
    const s = await speaker(room);
    const page = await newPage(ctx);
    await page.goto(`http://127.0.0.1:${relay.port}/r/${room}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'live');
    const seen = () => page.evaluate(() => ({
      status: document.querySelector('#status').textContent.trim(),
      dot: document.querySelector('#statusDot').getAttribute('aria-label'),
      captions: document.querySelector('#captions').getAttribute('aria-label'),
      controls: document.querySelector('#controls').getAttribute('aria-label'),
      larger: document.querySelector('#fontLarger').getAttribute('aria-label'),
      announce: document.querySelector('#statusAnnounce').textContent.trim(),
    }));
    let n = 0;
    for (const lang of ['es', 'de']) {
      await chooseLanguage(page, lang);
      const keys = { status: 'online', captions: 'captions', controls: 'displaySettings', larger: 'larger',
        announce: 'sayLive' };
      const want = {};
      for (const [what, key] of Object.entries(keys)) {
        want[what] = await pageString(page, lang, key);
        assert.notEqual(want[what], await pageString(page, 'en', key), `${lang}.${key} is not English`);
      }
      want.larger = `A+ ${want.larger}`;
      assert.deepEqual(await seen(), { ...want, dot: want.status }, `${lang}: status and labels`);

      // Cut: the strip and the countdown in this language; two captions missed, then back.
      relay.cut();
      await page.locator('#connectionStrip').waitFor();
      assert.equal((await page.textContent('#connectionStrip')).trim(), await pageString(page, lang, 'stripLost'));
      const [before, after] = (await pageString(page, lang, 'reconnectingIn')).split('{n}');
      const status = (await page.textContent('#status')).trim();
      assert.ok(status.startsWith(before) && status.endsWith(after) &&
        /^\d+$/.test(status.slice(before.length, status.length - after.length)), `countdown: ${status}`);
      assert.equal(await page.getAttribute('#statusDot', 'aria-label'), (await page.textContent('#status')).trim());
      assert.equal((await page.textContent('#statusAnnounce')).trim(), await pageString(page, lang, 'sayLost'));
      for (let i = 0; i < 2; i += 1) s.say(`Missed in ${lang} number ${i + 1}.`, `${lang}${n++}`);
      await waitUntil('acks', () => s.acks().length === n);
      relay.restore();
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForFunction(() => document.querySelector('#connectionStrip').dataset.state === 'back');
      assert.equal((await page.textContent('#connectionStrip')).trim(), await pageString(page, lang, 'caughtUp', { n: 2 }));
      await page.locator('#connectionStrip').waitFor({ state: 'hidden', timeout: 8000 });
    }

    // Plural forms: the page picks the form Intl.PluralRules names (one, few, many, two...).
    const plurals = await page.evaluate(() => [['ru', 1], ['ru', 3], ['ru', 5], ['pl', 22], ['ar', 2], ['ar', 11],
      ['fr', 1], ['es', 7]].map(([lang, n]) => [window.LiveTranslate.text(lang, 'caughtUp', { n }),
      window.LiveTranslateStrings[lang].caughtUp[new Intl.PluralRules(lang).select(n)].replace('{n}', String(n))]));
    for (const [got, want] of plurals) assert.equal(got, want);
    assert.equal(new Set(plurals.slice(0, 3).map(([got]) => got.replace(/\d+/, ''))).size, 3, 'three Russian forms');
  } finally {
    await ctx.close();
    await relay.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('the screen view\'s own words are in its languages', { timeout: TEST_MS }, async () => {
  const room = 'screenwords';
  const relay = new Relay(server.port);
  await relay.listen();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
  try {
    const page = await newPage(ctx);
    await page.goto(`http://127.0.0.1:${relay.port}/r/${room}/screen?lang=es,de`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'live');
    const words = await page.evaluate(() => {
      const all = window.LiveTranslateStrings;
      const name = (l) => new Intl.DisplayNames([l], { type: 'language' }).of(l);
      return { labels: [name('es'), name('de')], title: `${all.es.captions} · ${all.de.captions} · es · de`,
        reconnecting: `${all.es.reconnecting} · ${all.de.reconnecting}`,
        shown: [...document.querySelectorAll('.column-label')].map((e) => e.textContent.trim()) };
    });
    assert.deepEqual(words.shown, words.labels, 'each column named in its language');
    assert.equal(await page.title(), words.title);
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
    relay.cut();
    await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'reconnecting');
    assert.equal((await page.textContent('#status')).trim(), words.reconnecting);
  } finally {
    await ctx.close();
    await relay.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});

test('on a phone, once a language is chosen, the controls are one sticky row', { timeout: TEST_MS }, async () => {
  const room = 'sticky';
  const { ctx, page } = await open(room);
  try {
    const box = () => page.evaluate(() => {
      const r = document.querySelector('#controls').getBoundingClientRect();
      return { top: r.top, height: r.height };
    });
    const before = await box();
    assert.equal(await page.locator('#themeToggle').isVisible(), true, 'all controls before a choice');
    assert.equal(await page.locator('#settingsToggle').isVisible(), false);
    await chooseLanguage(page, 'es');
    const after = await box();
    assert.ok(after.height < 64, `one row (${after.height}px, was ${before.height}px)`);
    assert.ok(after.height < before.height / 2, `smaller (${after.height}px, was ${before.height}px)`);
    for (const id of ['#languageSelect', '#settingsToggle', '#statusDot']) {
      assert.equal(await page.locator(id).isVisible(), true, `${id} in the row`);
    }
    assert.equal(await page.getAttribute('#statusDot', 'data-state'), 'live');
    assert.equal(await page.locator('#themeToggle').isVisible(), false);
    const rowTops = await page.evaluate(() => ['languageSelect', 'settingsToggle', 'statusDot']
      .map((id) => document.getElementById(id).getBoundingClientRect())
      .map((r) => r.top + r.height / 2));
    assert.ok(Math.max(...rowTops) - Math.min(...rowTops) < 12, `one row: ${rowTops}`);

    // It stays at the top while the captions scroll.
    const s = await speaker(room);
    const lines = Array.from({ length: 12 }, (_, i) => `Line number ${i + 1} of the talk.`);
    lines.forEach((line, i) => s.say(line, `s${i}`));
    await waitForCaption(page, translate(lines[11]));
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await sleep(100);
    assert.ok(await page.evaluate(() => window.scrollY) > 200, 'the page scrolled');
    assert.ok(Math.abs((await box()).top) < 1, 'the row stays at the top');

    // Settings opens the rest; a desktop-wide window shows everything.
    await page.click('#settingsToggle');
    assert.equal(await page.locator('#themeToggle').isVisible(), true);
    await page.setViewportSize({ width: 1024, height: 768 });
    assert.equal(await page.locator('#settingsToggle').isVisible(), false);
    await page.click('#settingsToggle', { trial: true }).catch(() => {});
    assert.equal(await page.locator('#themeToggle').isVisible(), true);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
});
