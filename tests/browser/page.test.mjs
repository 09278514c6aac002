// Browser tests of the viewer page as an audience member meets it on a phone (issue 14): the
// live line's fixed slot (layout shift measured), subtitle mode, hiding the live line, one
// notice for an untranslatable language, the page's own strings in the caption language and
// the controls folding into one sticky row. Environment as viewer.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chooseLanguage, fixture, openSettings, sleep, translate, waitForCaption } from './harness.mjs';

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

async function open(room, viewport = PHONE) {
  const ctx = await browser.newContext({ viewport, locale: 'en-US' });
  const page = await newPage(ctx);
  await page.goto(`${server.url()}/r/${room}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'live');
  return { ctx, page };
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
    // The final pushes the older captions down once (newest first): one shift, not one per partial.
    const shift = await readShift(page);
    // Counted by size: the observer may report a partial's small shift after it was read.
    const large = shift.each.map(Number.parseFloat).filter((v) => v > 0.05);
    assert.equal(large.length, 1, `one large shift, at the final: ${shift.each.join(', ')}`);
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

test('the live line in the viewer\'s language: settled words translated, the English tail after them', { timeout: TEST_MS }, async () => {
  const room = 'livees';
  const { ctx, page } = await open(room);
  try {
    await chooseLanguage(page, 'es');
    const s = await speaker(room);
    s.say('Good morning', 'g1', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Good morning');
    assert.equal(await page.getAttribute('#partial', 'data-label'), 'EN · live');
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
      text: `${settled} everyone`, label: 'ES · live', lang: 'es', tail: 'everyone', tailLang: 'en', quiet: false,
    });
    // English partials in between: the translation stays, the English tail grows.
    s.say('Good morning everyone and welcome', 'g1', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent.endsWith(' welcome'));
    const grown = await line();
    assert.ok(grown.text.startsWith(translate('Good morning everyone and')) || grown.text.startsWith(settled), grown.text);
    assert.equal(grown.label, 'ES · live');
    s.say('Good morning everyone and welcome.', 'g1');
    await waitForCaption(page, translate('Good morning everyone and welcome.'));
    await page.waitForFunction(() => document.querySelector('#partial').textContent === '');
    // A new sentence starts in English again.
    s.say('Next', 'g2', true);
    await page.waitForFunction(() => document.querySelector('#partial').textContent === 'Next');
    assert.equal(await page.getAttribute('#partial', 'data-label'), 'EN · live');
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
    const tables = await page.evaluate(() => {
      const all = window.LiveTranslateStrings;
      const keys = Object.keys(all.en).sort().join(',');
      const langs = [...document.querySelectorAll('#languageSelect option')].map((o) => o.value);
      return { langs, missing: langs.filter((l) => !all[l] || Object.keys(all[l]).sort().join(',') !== keys),
        keys: Object.keys(all.en).length };
    });
    assert.equal(tables.langs.length, 16);
    assert.deepEqual(tables.missing, [], 'every page language has every string');
    assert.ok(tables.keys >= 15);
    assert.equal((await page.textContent('#themeToggle')).trim(), 'Dark mode');
    await chooseLanguage(page, 'es');
    assert.equal((await page.textContent('#themeToggle')).trim(), 'Modo oscuro');
    assert.equal((await page.textContent('label[for=languageSelect]')).trim(), 'Idioma');
    assert.equal((await page.textContent('#emptyHint')).trim(),
      'Los subtítulos aparecerán aquí cuando el orador empiece a hablar.');
    assert.equal(await page.getAttribute('html', 'lang'), 'es');
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
