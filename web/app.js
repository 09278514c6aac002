// Live Translate viewer page. Plain ES2020, no dependencies but common.js (loaded first): it
// talks only to the server that served it (config.json, qr.svg and the /ws WebSocket; see
// docs/protocol.md).
// One page per room: /r/NAME, /?room=NAME, or / for the room "main".
'use strict';

(() => {
  // The languages a viewer can choose, in the reference page's order plus Catalan; the same
  // list as src/core/languages.cpp (tests/core ties them).
  const LANGUAGES = [
    ['en', 'English'], ['es', 'Español'], ['fr', 'Français'], ['de', 'Deutsch'],
    ['it', 'Italiano'], ['pt', 'Português'], ['zh', '中文'], ['ja', '日本語'],
    ['ko', '한국어'], ['ar', 'العربية'], ['ru', 'Русский'], ['hi', 'हिन्दी'],
    ['nl', 'Nederlands'], ['pl', 'Polski'], ['tr', 'Türkçe'], ['ca', 'Català'],
  ];
  const RTL_LANGUAGES = new Set(['ar']);

  const STORAGE_LANGUAGE = 'liveTranslateLanguage'; // same key as the reference page
  const STORAGE_FONT = 'liveTranslateFontStep';
  const STORAGE_THEME = 'liveTranslateTheme';
  const STORAGE_READ = 'liveTranslateReadAloud'; // 'on' or 'off'
  const STORAGE_SUBTITLES = 'liveTranslateSubtitles'; // 'on' or 'off'
  const STORAGE_LIVE = 'liveTranslateLiveLine'; // 'off' hides the live line

  const MAX_CAPTIONS = 50;        // as the reference page
  const MAX_SEEN_SEQS = 500;      // dedup memory; the server replays at most 200
  const BACKOFF_FIRST_MS = 1000;  // ceiling of the first retry delay
  const BACKOFF_FLOOR_MS = 500;   // never retry sooner than this
  const BACKOFF_CAP_MS = 15000;   // ceiling of every later retry delay
  const STABLE_MS = 10000;        // a connection live this long resets the back-off
  const HELLO_TIMEOUT_MS = 3000;  // wait this long for connection_status before subscribing
  const CONNECT_TIMEOUT_MS = 10000; // a handshake that hangs longer is abandoned and retried
  const PARTIAL_STALE_MS = 15000; // a partial with no update or final for this long is dropped
  const CONFIG_TIMEOUT_MS = 4000;
  const FONT_STEPS = [0.8, 0.9, 1, 1.15, 1.3, 1.5, 1.75, 2];
  const FONT_DEFAULT_STEP = 2;
  const { DEFAULT_ROOM } = window.LiveTranslate;
  const ROOM_NAME = /^[a-z0-9-]{1,64}$/;

  // The room in the page's URL (/r/NAME, /?room=NAME or /) and the app's root, which may
  // sit under a path prefix (common.js).
  const ROOM = window.LiveTranslate.locate('', { keepEmpty: true });
  const APP_ROOT = ROOM.root;
  const appUrl = ROOM.url;

  const $ = (id) => document.getElementById(id);
  const el = {
    title: $('pageTitle'),
    logo: $('logo'),
    status: $('status'),
    announce: $('statusAnnounce'),
    reconnectNow: $('reconnectNow'),
    banner: $('limitedBanner'),
    notice: $('notice'),
    select: $('languageSelect'),
    smaller: $('fontSmaller'),
    larger: $('fontLarger'),
    theme: $('themeToggle'),
    partial: $('partial'),
    captions: $('captions'),
    emptyHint: $('emptyHint'),
    contact: $('contact'),
    roomName: $('roomName'),
    share: $('shareButton'),
    sharePanel: $('sharePanel'),
    shareClose: $('shareClose'),
    shareHint: $('shareHint'),
    qr: $('roomQr'),
    qrMissing: $('qrMissing'),
    roomUrl: $('roomUrl'),
    copy: $('copyRoomUrl'),
    readAloud: $('readAloud'),
    voiceNotice: $('voiceNotice'),
    paused: $('pausedNotice'),
    jump: $('jumpToLive'),
    transcriptTxt: $('transcriptTxt'),
    transcriptSrt: $('transcriptSrt'),
    olderNote: $('olderNote'),
    olderTranscript: $('olderTranscript'),
    olderBefore: $('olderBefore'),
    olderAfter: $('olderAfter'),
    localAddress: $('localAddress'),
    strip: $('connectionStrip'),
    liveSlot: $('liveSlot'),
    controls: $('controls'),
    settings: $('settingsToggle'),
    statusDot: $('statusDot'),
    subtitleMode: $('subtitleMode'),
    liveToggle: $('liveToggle'),
    languageNotice: $('languageNotice'),
  };

  // localStorage can be unavailable (private browsing, disabled storage): never fail on it.
  const store = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch (_) { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch (_) { /* not remembered */ }
    },
  };

  const isKnownLanguage = (code) => LANGUAGES.some(([c]) => c === code);

  function initialLanguage() {
    const saved = store.get(STORAGE_LANGUAGE);
    if (saved && isKnownLanguage(saved)) return saved;
    const browser = (navigator.language || '').slice(0, 2).toLowerCase();
    return isKnownLanguage(browser) ? browser : 'en';
  }

  const state = {
    config: { pageTitle: '', logoFile: '', contactText: '', websocketUrl: '' },
    lang: initialLanguage(),
    ws: null,
    connState: 'connecting',
    attempt: 0,            // failed connections in a row, for the back-off
    retryTimer: 0,
    countdownTimer: 0,
    retryAt: 0,
    helloTimer: 0,
    connectTimer: 0,
    languageTimer: 0,
    liveSince: 0,
    subscribed: false,     // set_language sent on this connection
    awaitingLanguageSet: false, // finals in the old language may still be in flight
    fullCatchUp: false,    // the language changed: ask for the last 20, not just what was missed
    serverId: null,        // server_id of the instance whose seqs we hold
    highestSeq: null,      // highest final seq received from that instance
    seen: new Map(),       // seq -> fingerprint of finals already shown
    partialId: null,
    partialTimer: 0,
    liveTranslation: null, // the newest translated live line: {id, text, lang, settled}
    liveSource: null,      // the newest source-language partial: {id, text}
    noticeTimer: 0,
    translatable: null,    // Set of languages the server translates to, or null if unknown
    source: 'en',
    room: ROOM.name,       // the room asked for in the URL
    serverRoom: null,      // the room the server put us in, when it says (seqs are per room)
    stopped: false,        // nothing to connect to (a bad room name)
    noRooms: false,        // the server predates rooms (no `room` in connection_status)
    copyTimer: 0,
    catchUpStarted: 0,     // when the last language_set came (its catch-up follows at once)
    catchUpUntil: 0,
    speaking: 0,           // utterances queued or being spoken
    wakeLock: null,
    missedWhileAway: 0,    // captions added while the viewer read older ones
    recovering: false,     // the connection was lost: count what the catch-up brings back
    caughtUp: 0,
    stripTimer: 0,
    untranslated: false,   // a caption came untranslated in the chosen language
  };

  // ---- the page's own strings (i18n.js), in the caption language ----------------------

  const t = (key, vars) => window.LiveTranslate.text(state.lang, key, vars);

  // A language's name in the page's language ('German' in English, 'alemán' in Spanish).
  function nameIn(code, inLang) {
    return window.LiveTranslate.languageName(code, inLang) || languageName(code);
  }

  // Shows a page string in a node (as its text, or as an attribute) and remembers which, so
  // that a change of language shows it again in the new one (applyStrings).
  const I18N_ATTRIBUTES = { i18n: null, i18nLabel: 'aria-label', i18nTitle: 'title', i18nAlt: 'alt' };

  function setText(node, key, vars, slot = 'i18n') {
    node.dataset[slot] = key;
    const varsSlot = `${slot}Vars`;
    if (vars) node.dataset[varsSlot] = JSON.stringify(vars); else delete node.dataset[varsSlot];
    renderText(node, slot);
  }

  function renderText(node, slot) {
    let vars;
    try { vars = JSON.parse(node.dataset[`${slot}Vars`] || '{}'); } catch (_) { vars = {}; }
    const text = t(node.dataset[slot], vars);
    const attribute = I18N_ATTRIBUTES[slot];
    if (attribute) node.setAttribute(attribute, text); else node.textContent = text;
  }

  function clearText(node) {
    delete node.dataset.i18n;
    delete node.dataset.i18nVars;
    node.textContent = '';
  }

  function applyStrings() {
    document.documentElement.lang = state.lang;
    for (const slot of Object.keys(I18N_ATTRIBUTES)) {
      const attr = `data-${slot.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      for (const node of document.querySelectorAll(`[${attr}]`)) renderText(node, slot);
    }
    // The buttons show A− and A+; their names keep that text (label in name).
    el.smaller.setAttribute('aria-label', `A− ${t('smaller')}`);
    el.larger.setAttribute('aria-label', `A+ ${t('larger')}`);
    if (!state.config.pageTitle) el.title.textContent = t('title');
    applyTitle();
    const [before, after = ''] = t('olderNote', { n: MAX_CAPTIONS }).split('{link}');
    el.olderBefore.textContent = before;
    el.olderTranscript.textContent = t('olderLink');
    el.olderAfter.textContent = after;
    markLanguages();
    checkVoice();
  }

  // ---- status -------------------------------------------------------------------------

  // Each state's visible text and what screen readers hear (i18n.js keys).
  const STATUS = {
    connecting: ['connecting', 'sayConnecting'],
    live: ['online', 'sayLive'],
    reconnecting: ['reconnectingIn', 'sayLost'],
    stopped: ['notConnected', 'sayStopped'],
  };

  function setStatus(conn, vars) {
    const [shown, announced] = STATUS[conn];
    // The visible text counts down every second; screen readers hear only the changes of
    // state, through a separate live region.
    if (conn !== state.connState || !el.announce.textContent) setText(el.announce, announced);
    state.connState = conn;
    el.status.dataset.state = conn;
    setText(el.status, shown, vars);
    el.statusDot.dataset.state = conn;
    setText(el.statusDot, shown, vars, 'i18nLabel');
    el.reconnectNow.hidden = conn !== 'reconnecting';
    if (conn === 'reconnecting') showLostStrip();
  }

  // ---- the strip over the captions while the connection is lost ----------------------

  const CAUGHT_UP_SHOW_MS = 5000;

  function showLostStrip() {
    clearTimeout(state.stripTimer);
    state.recovering = true;
    state.caughtUp = 0;
    el.strip.dataset.state = 'lost';
    setText(el.strip, 'stripLost');
    el.strip.hidden = false;
  }

  // After the catch-up that follows a reconnect: how many captions came back, briefly.
  function reportCaughtUp() {
    if (!state.recovering) return;
    clearTimeout(state.stripTimer);
    state.stripTimer = setTimeout(() => {
      state.recovering = false;
      const n = state.caughtUp;
      el.strip.dataset.state = 'back';
      if (n === 0) setText(el.strip, 'stripBack'); else setText(el.strip, 'caughtUp', { n });
      state.stripTimer = setTimeout(() => { el.strip.hidden = true; }, CAUGHT_UP_SHOW_MS);
    }, CATCH_UP_MAX_MS / 3);
  }

  // ms === 0: the notice stays.
  function showNotice(text, ms) {
    el.notice.textContent = text;
    el.notice.hidden = false;
    clearTimeout(state.noticeTimer);
    if (ms !== 0) state.noticeTimer = setTimeout(() => { el.notice.hidden = true; }, ms || 8000);
  }

  // ---- branding -----------------------------------------------------------------------

  async function loadConfig() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), CONFIG_TIMEOUT_MS);
    try {
      const res = await fetch(appUrl('config.json'), { cache: 'no-store', signal: controller.signal });
      if (!res.ok) return;
      const data = await res.json();
      if (!data || typeof data !== 'object') return;
      for (const key of Object.keys(state.config)) {
        if (typeof data[key] === 'string') state.config[key] = data[key].trim();
      }
    } catch (_) {
      // No config: the page keeps its defaults and still connects to its own server.
    } finally {
      clearTimeout(timer);
    }
  }

  function applyBranding() {
    const { pageTitle, logoFile, contactText } = state.config;
    if (pageTitle) el.title.textContent = pageTitle;
    applyTitle();
    if (logoFile) {
      try {
        const url = new URL(logoFile, document.baseURI);
        if (url.protocol === 'http:' || url.protocol === 'https:') {
          el.logo.addEventListener('error', () => { el.logo.hidden = true; }, { once: true });
          el.logo.src = url.href;
          el.logo.hidden = false;
        }
      } catch (_) { /* bad URL: no logo */ }
    }
    if (contactText) {
      setText(el.contact, 'contact', { contact: contactText });
      el.contact.hidden = false;
    }
  }

  // ---- room and sharing ---------------------------------------------------------------

  const isRoomName = (name) => ROOM_NAME.test(name);

  // The main room keeps the plain title; other rooms are named in the header and the tab.
  function applyTitle() {
    const title = state.config.pageTitle || el.title.textContent;
    const other = isRoomName(state.room) && state.room !== DEFAULT_ROOM;
    document.title = other ? `${title} · ${state.room}` : title;
    if (other) setText(el.roomName, 'room', { room: state.room }); else clearText(el.roomName);
    el.roomName.hidden = !other;
  }

  // A server without rooms has one stream, shown at its root.
  function roomPageUrl() {
    if (state.room === DEFAULT_ROOM || state.noRooms) return APP_ROOT.href;
    return appUrl(`r/${state.room}`).href;
  }

  function shareOpen() {
    return el.sharePanel.hasAttribute('open');
  }

  // Addresses that reach only the machine the page runs on.
  const LOCAL_HOST = /^(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)$/i;

  function openShare() {
    if (shareOpen()) return;
    const url = roomPageUrl();
    el.roomUrl.textContent = url;
    const host = new URL(url).hostname;
    el.localAddress.hidden = !LOCAL_HOST.test(host);
    setText(el.localAddress, 'localAddress', { host });
    // Fetched on first opening only: a room's many viewers need not all ask for it.
    const qr = appUrl(`qr.svg?room=${encodeURIComponent(state.room)}`).href;
    if (el.qr.getAttribute('src') !== qr) {
      el.qr.closest('.qr-box').hidden = false;
      el.shareHint.hidden = false;
      el.qrMissing.hidden = true;
      el.qr.src = qr;
    }
    if (typeof el.sharePanel.showModal === 'function') {
      el.sharePanel.showModal();
    } else {
      el.sharePanel.classList.add('no-modal'); // browsers without <dialog>
      el.sharePanel.setAttribute('open', '');
    }
    el.share.setAttribute('aria-expanded', 'true');
    el.shareClose.focus();
  }

  function closeShare() {
    if (!shareOpen()) return;
    if (typeof el.sharePanel.close === 'function') {
      el.sharePanel.close(); // then 'close'
    } else {
      el.sharePanel.removeAttribute('open');
      onShareClosed();
    }
  }

  function onShareClosed() {
    el.share.setAttribute('aria-expanded', 'false');
    el.share.focus();
  }

  function onQrFailed() {
    // An older server has no /qr.svg: the link alone still shares the room.
    el.qr.closest('.qr-box').hidden = true;
    el.shareHint.hidden = true;
    el.qrMissing.hidden = false;
  }

  // The modal's backdrop is part of the dialog element: a click there is a click outside.
  function onShareClick(event) {
    if (event.target !== el.sharePanel) return;
    const r = el.sharePanel.getBoundingClientRect();
    const inside = event.clientX >= r.left && event.clientX <= r.right &&
      event.clientY >= r.top && event.clientY <= r.bottom;
    if (!inside) closeShare();
  }

  async function copyRoomUrl() {
    const text = el.roomUrl.textContent;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch (_) {
      // No clipboard API (plain http): select the text so the viewer can copy it.
      const range = document.createRange();
      range.selectNodeContents(el.roomUrl);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { copied = document.execCommand('copy'); } catch (_) { copied = false; }
    }
    setText(el.copy, copied ? 'copied' : 'selectCopy');
    clearTimeout(state.copyTimer);
    state.copyTimer = setTimeout(() => setText(el.copy, 'copyLink'), 2500);
  }

  // A bad name in the URL: say so once instead of knocking on the server forever.
  function refuseRoom() {
    state.stopped = true;
    const shown = state.room.length > 80 ? `${state.room.slice(0, 80)}…` : state.room;
    let text = t('badRoom', { room: shown });
    if (state.room.length > 64) text += ` ${t('badRoomLength')}`;
    showNotice(text, 0);
    setStatus('stopped');
    el.emptyHint.hidden = true;
  }

  // ---- display settings ---------------------------------------------------------------

  function fontStep() {
    const n = Number.parseInt(store.get(STORAGE_FONT) || '', 10);
    return Number.isInteger(n) && n >= 0 && n < FONT_STEPS.length ? n : FONT_DEFAULT_STEP;
  }

  function applyFont(step) {
    document.documentElement.style.setProperty('--caption-scale', String(FONT_STEPS[step]));
    el.smaller.disabled = step <= 0;
    el.larger.disabled = step >= FONT_STEPS.length - 1;
  }

  function changeFont(delta) {
    const step = Math.min(FONT_STEPS.length - 1, Math.max(0, fontStep() + delta));
    store.set(STORAGE_FONT, String(step));
    applyFont(step);
  }

  const darkQuery = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  function effectiveTheme() {
    const saved = store.get(STORAGE_THEME);
    if (saved === 'dark' || saved === 'light') return saved;
    return darkQuery && darkQuery.matches ? 'dark' : 'light';
  }

  function applyTheme() {
    const theme = effectiveTheme();
    // Always explicit, following the system unless the viewer chose: one palette in the CSS.
    document.documentElement.dataset.theme = theme;
    el.theme.setAttribute('aria-pressed', String(theme === 'dark'));
  }

  function toggleTheme() {
    store.set(STORAGE_THEME, effectiveTheme() === 'dark' ? 'light' : 'dark');
    applyTheme();
  }

  // Subtitle mode (large text, newest at the bottom) and the live line: remembered switches.
  function applyViewSwitches() {
    const subtitles = store.get(STORAGE_SUBTITLES) === 'on';
    const live = store.get(STORAGE_LIVE) !== 'off';
    document.documentElement.classList.toggle('subtitles', subtitles);
    document.documentElement.classList.toggle('no-live', !live);
    el.subtitleMode.setAttribute('aria-pressed', String(subtitles));
    el.liveToggle.setAttribute('aria-pressed', String(live));
  }

  function toggleSwitch(key, onValue, offValue, isOn) {
    store.set(key, isOn ? offValue : onValue);
    applyViewSwitches();
  }

  // On a phone, once a language is chosen, the controls fold into one sticky row (style.css).
  function applyChosen() {
    document.documentElement.classList.toggle('chosen', store.get(STORAGE_LANGUAGE) !== null);
  }

  function toggleSettings() {
    const open = el.controls.classList.toggle('open');
    el.settings.setAttribute('aria-expanded', String(open));
  }

  // ---- language selector --------------------------------------------------------------

  function buildLanguageOptions() {
    el.select.textContent = '';
    for (const [code, name] of LANGUAGES) {
      const option = document.createElement('option');
      option.value = code;
      option.lang = code;
      option.dataset.name = name;
      option.textContent = name;
      el.select.appendChild(option);
    }
    el.select.value = state.lang;
  }

  // Marks the languages the server can only show in the original. They stay selectable:
  // the server accepts them and sends the original text with an error note.
  function markLanguages() {
    for (const option of el.select.options) {
      const limited = state.translatable !== null &&
        option.value !== state.source && !state.translatable.has(option.value);
      option.dataset.limited = String(limited);
      option.textContent = option.dataset.name + (limited ? ` — ${t('originalOnly')}` : '');
    }
    applyLanguageNotice();
  }

  // One notice in the viewer's language when the chosen language has no translation here.
  function applyLanguageNotice() {
    const limited = state.lang !== state.source && (state.untranslated ||
      (state.translatable !== null && !state.translatable.has(state.lang)));
    el.languageNotice.hidden = !limited;
    el.languageNotice.textContent = limited ? t('noTranslation', {
      lang: nameIn(state.lang, state.lang), src: nameIn(state.source, state.lang),
    }) : '';
  }

  // The page's own words are in the caption language too, so the whole page turns with it.
  function applyLanguageLayout() {
    const dir = RTL_LANGUAGES.has(state.lang) ? 'rtl' : 'ltr';
    document.documentElement.dir = dir;
    el.captions.dir = dir;
    el.captions.lang = state.lang;
  }

  function onLanguageChosen() {
    const lang = el.select.value;
    if (!isKnownLanguage(lang) || lang === state.lang) return;
    state.lang = lang;
    store.set(STORAGE_LANGUAGE, lang);
    state.untranslated = false;
    applyLanguageLayout();
    applyStrings();
    applyChosen();
    el.controls.classList.remove('open');
    el.settings.setAttribute('aria-expanded', 'false');
    clearCaptions();
    // The server answers with the last 20 captions in the new language; a caption shown
    // in the old language must not block its translation.
    state.seen.clear();
    state.fullCatchUp = true;
    applyTranscriptLinks();
    if (speech) speech.cancel();
    checkVoice();
    if (state.subscribed) sendSetLanguage(true);
  }

  // ---- captions -----------------------------------------------------------------------

  function clearCaptions() {
    el.captions.textContent = '';
    el.olderNote.hidden = true;
    el.emptyHint.hidden = false;
  }

  function fingerprint(data) {
    return `${typeof data.id === 'string' ? data.id : ''}\u0000${String(data.original || '')}`;
  }

  function rememberSeq(seq, print) {
    state.seen.set(seq, print);
    if (state.seen.size > MAX_SEEN_SEQS) {
      state.seen.delete(state.seen.keys().next().value); // oldest inserted
    }
    if (state.highestSeq === null || seq > state.highestSeq) state.highestSeq = seq;
  }

  // The server's seqs restarted (a new instance that does not send server_id): forget the
  // old instance's seqs but keep its captions on screen.
  function forgetInstance() {
    state.seen.clear();
    state.highestSeq = null;
  }

  // The caption's content: its text, the original beside a translation, time and notes.
  function fillCaption(item, data) {
    const text = String(data.text ?? '');
    const original = String(data.original ?? '');
    const failed = typeof data.error === 'string' && data.error !== '';
    const textLang = failed ? String(data.source_lang || state.source) : String(data.lang || state.lang);
    item.textContent = '';
    if (typeof data.id === 'string') item.dataset.id = data.id;

    const main = document.createElement('p');
    main.className = 'caption-text';
    main.lang = textLang;
    main.dir = 'auto';
    main.textContent = text;
    item.appendChild(main);

    if (original && original !== text) {
      const orig = document.createElement('p');
      orig.className = 'caption-original';
      orig.lang = String(data.source_lang || state.source);
      orig.dir = 'auto';
      orig.textContent = original;
      item.appendChild(orig);
    }

    const meta = document.createElement('p');
    meta.className = 'caption-meta';
    if (typeof data.timestamp === 'string' && data.timestamp) {
      const time = document.createElement('time');
      time.className = 'caption-time';
      time.textContent = data.timestamp;
      meta.appendChild(time);
    }
    if (data.source === 'typed') {
      const typed = document.createElement('span');
      typed.className = 'caption-mark';
      typed.textContent = t('typed');
      meta.appendChild(typed);
    }
    if (data.corrected === true) {
      const mark = document.createElement('span');
      mark.className = 'caption-mark caption-corrected';
      mark.textContent = t('corrected');
      meta.appendChild(mark);
    }
    // Untranslated: the card stays clean; one notice above the captions says so.
    if (failed) {
      item.dataset.untranslated = 'true';
      if (!state.untranslated && textLang !== state.lang) {
        state.untranslated = true;
        applyLanguageNotice();
      }
    }
    if (meta.childNodes.length) item.appendChild(meta);
    return { text, lang: textLang };
  }

  // A correction of a caption on screen: replaced in place, nothing moves or is spoken.
  function correctInPlace(seq, data) {
    const item = el.captions.querySelector(`.caption[data-seq="${seq}"]`);
    if (!item) return false;
    fillCaption(item, data);
    item.classList.add('is-corrected');
    rememberSeq(seq, fingerprint(data));
    return true;
  }

  function addFinal(data) {
    const seq = Number.isSafeInteger(data.seq) && data.seq > 0 ? data.seq : null;
    if (seq !== null) {
      const print = fingerprint(data);
      const earlier = state.seen.get(seq);
      if (earlier === print) return; // already shown
      // Before the restart check: a correction reuses the seq with another text. A caption
      // no longer on screen (past the last 50) is not brought back.
      if (earlier !== undefined && data.corrected === true) {
        if (!correctInPlace(seq, data)) rememberSeq(seq, print);
        return;
      }
      if (earlier !== undefined) forgetInstance(); // same seq, other caption: server restarted
      rememberSeq(seq, print);
    }

    const item = document.createElement('div');
    item.className = 'caption';
    if (seq !== null) item.dataset.seq = String(seq);
    if (data.corrected === true) item.classList.add('is-corrected');
    const spoken = fillCaption(item, data);

    const away = slideOlder(() => keepPlace(() => {
      el.captions.insertBefore(item, el.captions.firstChild);
      while (el.captions.children.length > MAX_CAPTIONS) {
        el.captions.lastElementChild.remove();
        el.olderNote.hidden = false;
      }
      el.emptyHint.hidden = true;
    }));
    if (away) {
      state.missedWhileAway += 1;
      showJump();
    }

    if (inCatchUp()) {
      if (state.recovering) state.caughtUp += 1;
    } else if (data.corrected !== true) {
      readAloud(spoken.text, spoken.lang);
    }
  }

  // ---- jump to live -------------------------------------------------------------------

  // Live is the top of the list (newest first): away once the newest caption has scrolled
  // out of view above.
  function awayFromLive() {
    const newest = el.captions.firstElementChild;
    if (!newest) return false;
    return newest.getBoundingClientRect().bottom < 0;
  }

  // A viewer reading older captions keeps their place: whatever `change` adds or removes
  // above the first caption in view, the page scrolls by as much. (The browser's own scroll
  // anchoring is off in style.css, so this works alike everywhere.) Returns whether away.
  function keepPlace(change) {
    if (!awayFromLive()) { change(); return false; }
    const anchor = [...el.captions.children].find((c) => c.getBoundingClientRect().bottom > 0);
    const top = anchor ? anchor.getBoundingClientRect().top : 0;
    change();
    if (anchor && anchor.isConnected) window.scrollBy(0, anchor.getBoundingClientRect().top - top);
    return true;
  }

  // A new final moves the captions already in view by its height (down in the newest-first
  // list, up in subtitle mode). They glide there instead of jumping: each starts where it
  // was (a transform) and slides to its new place. Transforms are not layout shifts, and
  // the eye can follow a slide. With reduced motion they move at once.
  const SLIDE_MS = 200;
  const reducedMotion = window.matchMedia ? window.matchMedia('(prefers-reduced-motion: reduce)') : null;

  function slideOlder(change) {
    if (reducedMotion === null || reducedMotion.matches) return change();
    // In view, or a screen from it (what moves into view moves too).
    const inView = (r) => r.bottom > -window.innerHeight && r.top < 2 * window.innerHeight;
    const moving = [...el.captions.children, el.olderNote, el.emptyHint, el.contact.parentElement];
    const before = new Map();
    for (const node of moving) {
      const r = node.getBoundingClientRect();
      if (r.height > 0 && inView(r)) before.set(node, r.top);
    }
    const result = change();
    // Measured without a slide still running (captions coming in a burst): each starts from
    // where it was seen, wherever its layout now is.
    for (const node of before.keys()) {
      node.style.transition = 'none';
      node.style.transform = '';
    }
    const slid = [];
    for (const [node, top] of before) {
      if (!node.isConnected) continue;
      const r = node.getBoundingClientRect();
      const dy = top - r.top;
      if (Math.abs(dy) < 1 || r.height === 0) continue;
      node.style.transform = `translateY(${dy}px)`;
      slid.push(node);
    }
    if (slid.length) {
      void el.captions.offsetHeight; // the start position is laid out before the transition
      for (const node of slid) {
        node.style.transition = `transform ${SLIDE_MS}ms ease-out`;
        node.style.transform = '';
      }
    }
    return result;
  }

  function showJump() {
    const n = state.missedWhileAway;
    setText(el.jump, n > 0 ? 'jumpNew' : 'jump', n > 0 ? { n } : undefined);
    el.jump.hidden = false;
  }

  function onScroll() {
    if (awayFromLive()) {
      if (el.jump.hidden) showJump();
    } else {
      state.missedWhileAway = 0;
      el.jump.hidden = true;
    }
  }

  function jumpToLive() {
    state.missedWhileAway = 0;
    el.jump.hidden = true;
    window.scrollTo({ top: 0, behavior: 'auto' });
  }

  // ---- catch-up -----------------------------------------------------------------------

  // The catch-up follows language_set at once, in one burst: finals arriving within a short
  // quiet gap of it (or of each other) are history, not new speech.
  const CATCH_UP_GAP_MS = 400;
  const CATCH_UP_MAX_MS = 3000;

  function startCatchUp() {
    const now = Date.now();
    state.catchUpStarted = now;
    state.catchUpUntil = now + CATCH_UP_GAP_MS;
  }

  function inCatchUp() {
    const now = Date.now();
    if (state.awaitingLanguageSet) return true;
    if (now >= state.catchUpUntil || now - state.catchUpStarted > CATCH_UP_MAX_MS) return false;
    state.catchUpUntil = now + CATCH_UP_GAP_MS;
    return true;
  }

  // ---- read aloud ---------------------------------------------------------------------

  const speech = typeof window.speechSynthesis === 'object' && window.speechSynthesis &&
    typeof window.SpeechSynthesisUtterance === 'function' ? window.speechSynthesis : null;

  function readAloudOn() {
    return store.get(STORAGE_READ) === 'on';
  }

  function applyReadAloud() {
    const on = readAloudOn() && speech !== null;
    el.readAloud.hidden = speech === null;
    el.readAloud.setAttribute('aria-pressed', String(on));
    if (!on) {
      if (speech) speech.cancel();
      state.speaking = 0;
      el.voiceNotice.hidden = true;
    } else {
      checkVoice();
    }
  }

  function toggleReadAloud() {
    store.set(STORAGE_READ, readAloudOn() ? 'off' : 'on');
    applyReadAloud();
  }

  // The best voice for a language: the browser's default for it, else a local one, else any.
  // null when the device lists voices and none speaks it; undefined when it lists none (yet).
  function voiceFor(lang) {
    const voices = speech ? speech.getVoices() : [];
    if (!voices || !voices.length) return undefined;
    const base = lang.toLowerCase();
    const matching = voices.filter((v) => {
      const l = String(v.lang || '').toLowerCase().replace('_', '-');
      return l === base || l.startsWith(`${base}-`);
    });
    if (!matching.length) return null;
    return matching.find((v) => v.default) || matching.find((v) => v.localService) || matching[0];
  }

  function languageName(code) {
    const entry = LANGUAGES.find(([c]) => c === code);
    return entry ? entry[1] : code;
  }

  function checkVoice() {
    if (!speech || !readAloudOn()) return;
    const missing = voiceFor(state.lang) === null;
    el.voiceNotice.textContent = missing ? t('noVoice', { lang: nameIn(state.lang, state.lang) }) : '';
    el.voiceNotice.hidden = !missing;
  }

  function readAloud(text, lang) {
    if (!speech || !readAloudOn() || !text) return;
    const voice = voiceFor(lang);
    if (voice === null) { checkVoice(); return; }
    // Behind: something is still waiting to be spoken. Drop it all and say the newest.
    if (state.speaking >= 2 || speech.pending) {
      speech.cancel();
      state.speaking = 0;
    }
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang;
    if (voice) utterance.voice = voice;
    const done = () => { state.speaking = Math.max(0, state.speaking - 1); };
    utterance.onend = done;
    utterance.onerror = done;
    state.speaking += 1;
    speech.speak(utterance);
  }

  // ---- keep the screen on -------------------------------------------------------------

  async function requestWakeLock() {
    if (!navigator.wakeLock || typeof navigator.wakeLock.request !== 'function') return;
    if (document.visibilityState !== 'visible' || state.wakeLock) return;
    try {
      const lock = await navigator.wakeLock.request('screen');
      state.wakeLock = lock;
      lock.addEventListener('release', () => { if (state.wakeLock === lock) state.wakeLock = null; });
    } catch (_) {
      // Refused (battery saver, no permission): the screen may dim; captions still come.
    }
  }

  // ---- transcript and publishing ------------------------------------------------------

  function transcriptUrl(ext) {
    const path = state.room === DEFAULT_ROOM || state.noRooms ? `transcript.${ext}` : `r/${state.room}/transcript.${ext}`;
    const url = appUrl(path);
    url.searchParams.set('lang', state.lang);
    return url.href;
  }

  function applyTranscriptLinks() {
    el.transcriptTxt.href = transcriptUrl('txt');
    el.transcriptSrt.href = transcriptUrl('srt');
    el.olderTranscript.href = el.transcriptTxt.href;
  }

  function onPublishing(data) {
    el.paused.hidden = data.paused !== true;
  }

  function clearPartial() {
    state.partialId = null;
    clearTimeout(state.partialTimer);
    // The slot keeps its height: nothing below it moves.
    el.partial.textContent = '';
    el.partial.hidden = true;
    delete el.liveSlot.dataset.label;
  }

  function showPartial(data) {
    const text = String(data.text ?? '');
    if (!text) { clearPartial(); return; }
    state.partialId = typeof data.id === 'string' ? data.id : null;
    const lang = String(data.source_lang || data.lang || state.source);
    el.partial.lang = lang;
    // Labelled with its language; quieter for viewers who read another one.
    el.partial.dataset.label = t('liveLabel', { lang: lang.toUpperCase() });
    el.liveSlot.dataset.label = el.partial.dataset.label;
    el.partial.classList.toggle('other-language', lang !== state.lang);
    el.partial.dir = 'auto';
    el.partial.textContent = text;
    el.partial.hidden = false;
    // Its last two lines: the slot scrolls to its end (a scroll, not a layout shift).
    const lines = el.partial.parentElement;
    lines.scrollTop = lines.scrollHeight;
    clearTimeout(state.partialTimer);
    state.partialTimer = setTimeout(clearPartial, PARTIAL_STALE_MS);
  }

  // The live line in our language: now and then (at most once a second) the server sends a
  // partial's settled words translated, with the source words after them as `pending`. The
  // source-language partials in between keep coming; while they still start with the words
  // that were translated, the translation stays and only the quieter source tail follows them.
  function onLivePartial(data) {
    const text = String(data.text ?? '');
    const sourceLang = String(data.source_lang || state.source);
    if (data.lang === state.lang && data.lang !== sourceLang && typeof data.pending === 'string') {
      const original = String(data.original ?? '');
      const settled = original.endsWith(data.pending) ? original.slice(0, original.length - data.pending.length) : original;
      state.liveTranslation = { id: data.id, text, lang: data.lang, settled };
      // It may arrive after newer source partials: their tail is the one to show.
      const newest = state.liveSource && state.liveSource.id === data.id ? state.liveSource.text : '';
      showTranslatedLive(newest.startsWith(settled) ? newest : original, sourceLang);
      return;
    }
    state.liveSource = { id: data.id, text };
    const t = state.liveTranslation;
    if (t && t.id === data.id && t.settled && text.startsWith(t.settled)) {
      showTranslatedLive(text, sourceLang);
      return;
    }
    state.liveTranslation = null;
    showPartial(data);
  }

  function showTranslatedLive(sourceText, sourceLang) {
    const t = state.liveTranslation;
    showPartial({ id: t.id, text: t.text, lang: t.lang, source_lang: t.lang });
    el.partial.classList.add('translated');
    const pending = sourceText.slice(t.settled.length).trim();
    if (!pending) return;
    const tail = document.createElement('span');
    tail.className = 'pending';
    tail.lang = sourceLang;
    tail.textContent = ` ${pending}`;
    el.partial.appendChild(tail);
  }

  function onTranslatedText(data) {
    if (data.partial === true) {
      el.partial.classList.remove('translated');
      onLivePartial(data);
      return;
    }
    if (state.partialId !== null && data.id === state.partialId) clearPartial();
    // Before language_set, finals are in the connection's previous language; the catch-up
    // that follows language_set brings them again in ours.
    if (!state.subscribed || state.awaitingLanguageSet) return;
    addFinal(data);
  }

  // ---- connection ---------------------------------------------------------------------

  function socketUrl() {
    const configured = state.config.websocketUrl;
    if (configured) {
      try {
        const url = new URL(configured, document.baseURI);
        if (url.protocol === 'http:') url.protocol = 'ws:';
        if (url.protocol === 'https:') url.protocol = 'wss:';
        if (url.protocol === 'ws:' || url.protocol === 'wss:') return withRoom(url).href;
      } catch (_) { /* fall back to our own server */ }
    }
    return ROOM.socketUrl(state.room).href;
  }

  function withRoom(url) {
    url.searchParams.set('room', state.room);
    return url;
  }

  function send(type, data) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify({ type, data }));
    return true;
  }

  function sendSetLanguage(withSince) {
    // history: the catch-up is sent only to clients that ask (docs/protocol.md).
    const data = { lang: state.lang, partials: true, history: true };
    if (withSince && !state.fullCatchUp && state.highestSeq !== null) data.since = state.highestSeq;
    state.awaitingLanguageSet = true;
    el.captions.setAttribute('aria-busy', 'true');
    // A server that never confirms must not silence the page for good.
    clearTimeout(state.languageTimer);
    state.languageTimer = setTimeout(languageSettled, HELLO_TIMEOUT_MS);
    if (send('set_language', data)) {
      state.subscribed = true;
      state.fullCatchUp = false;
    }
  }

  function languageSettled() {
    clearTimeout(state.languageTimer);
    state.awaitingLanguageSet = false;
    el.captions.removeAttribute('aria-busy');
  }

  function onConnectionStatus(data) {
    clearTimeout(state.helloTimer);
    const id = typeof data.server_id === 'string' && data.server_id ? data.server_id : null;
    if (id !== null) {
      if (state.serverId !== null && state.serverId !== id) forgetInstance();
      state.serverId = id;
    }
    // Seqs count per room: held seqs mean nothing if the server names another room.
    const room = typeof data.room === 'string' && data.room ? data.room : null;
    if (room !== null) {
      if (state.serverRoom !== null && state.serverRoom !== room) forgetInstance();
      state.serverRoom = room;
    } else if (!state.noRooms) {
      // A server from before rooms ignores the name and serves its one stream.
      state.noRooms = true;
      applyTranscriptLinks();
      if (state.room !== DEFAULT_ROOM) {
        showNotice(t('noRooms'), 0);
      }
    }
    if (typeof data.source === 'string' && data.source) state.source = data.source;
    state.translatable = Array.isArray(data.languages)
      ? new Set(data.languages.filter((l) => typeof l === 'string'))
      : null;
    markLanguages();
    el.banner.hidden = data.aws_available !== false;
    if (!state.subscribed) sendSetLanguage(true);
  }

  function onError(data) {
    const message = typeof data.message === 'string' ? data.message : 'error';
    if (data.code === 'unsupported_language') {
      // The connection stays in its previous language; say so instead of guessing.
      languageSettled();
      showNotice(t('unsupported', { message }));
      return;
    }
    console.warn('server error:', data.code || '', message);
  }

  function onMessage(event) {
    const msg = window.LiveTranslate.parseMessage(event);
    if (!msg) return;
    const { data } = msg;
    switch (msg.type) {
      case 'connection_status':
        onConnectionStatus(data);
        break;
      case 'language_set':
        if (data.lang === state.lang) {
          languageSettled();
          startCatchUp();
          reportCaughtUp();
          el.captions.dataset.lang = data.lang;
        }
        break;
      case 'translated_text':
        onTranslatedText(data);
        break;
      case 'publishing':
        onPublishing(data);
        break;
      case 'error':
        onError(data);
        break;
      default:
        break;
    }
  }

  function clearRetry() {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdownTimer);
    state.retryTimer = 0;
    state.countdownTimer = 0;
  }

  function connect() {
    clearRetry();
    if (state.ws) return;
    setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (_) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    state.subscribed = false;
    state.connectTimer = setTimeout(() => {
      if (state.ws === ws && ws.readyState === WebSocket.CONNECTING) ws.close(); // then 'close'
    }, CONNECT_TIMEOUT_MS);

    ws.addEventListener('open', () => {
      clearTimeout(state.connectTimer);
      if (state.ws !== ws) return;
      state.liveSince = Date.now();
      setStatus('live');
      // Subscribe once connection_status says which server instance this is; a server
      // that never says so gets the subscription anyway.
      state.helloTimer = setTimeout(() => {
        if (state.ws === ws && !state.subscribed) sendSetLanguage(true);
      }, HELLO_TIMEOUT_MS);
    });
    ws.addEventListener('message', (event) => {
      if (state.ws === ws) onMessage(event);
    });
    ws.addEventListener('close', () => {
      clearTimeout(state.connectTimer);
      if (state.ws !== ws) return;
      state.ws = null;
      state.subscribed = false;
      languageSettled();
      clearTimeout(state.helloTimer);
      clearPartial();
      if (state.liveSince && Date.now() - state.liveSince >= STABLE_MS) state.attempt = 0;
      state.liveSince = 0;
      scheduleReconnect();
    });
    // An 'error' event is always followed by 'close'; nothing to do here.
  }

  // Exponential back-off with full jitter, floored so a flapping server is not hammered,
  // capped, and never given up.
  function nextDelay() {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.min(state.attempt, 16));
    state.attempt += 1;
    return BACKOFF_FLOOR_MS + Math.random() * Math.max(0, ceiling - BACKOFF_FLOOR_MS);
  }

  function showCountdown() {
    const seconds = Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000));
    setStatus('reconnecting', { n: seconds });
  }

  function scheduleReconnect() {
    clearRetry();
    state.retryAt = Date.now() + nextDelay();
    showCountdown();
    state.countdownTimer = setInterval(showCountdown, 250);
    state.retryTimer = setTimeout(connect, state.retryAt - Date.now());
  }

  function reconnectNow() {
    if (state.ws || state.stopped) return;
    connect();
  }

  // ---- start --------------------------------------------------------------------------

  async function start() {
    buildLanguageOptions();
    applyLanguageLayout();
    applyStrings();
    applyChosen();
    applyViewSwitches();
    applyFont(fontStep());
    applyTheme();
    setStatus('connecting');

    el.select.addEventListener('change', onLanguageChosen);
    el.smaller.addEventListener('click', () => changeFont(-1));
    el.larger.addEventListener('click', () => changeFont(1));
    el.theme.addEventListener('click', toggleTheme);
    el.subtitleMode.addEventListener('click', () => toggleSwitch(STORAGE_SUBTITLES, 'on', 'off',
      store.get(STORAGE_SUBTITLES) === 'on'));
    el.liveToggle.addEventListener('click', () => toggleSwitch(STORAGE_LIVE, 'on', 'off',
      store.get(STORAGE_LIVE) !== 'off'));
    el.settings.addEventListener('click', toggleSettings);
    el.reconnectNow.addEventListener('click', reconnectNow);
    if (darkQuery && darkQuery.addEventListener) darkQuery.addEventListener('change', applyTheme);
    window.addEventListener('online', reconnectNow);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      reconnectNow();
      requestWakeLock(); // the browser releases the lock when the tab is hidden
    });
    el.readAloud.addEventListener('click', toggleReadAloud);
    if (speech && typeof speech.addEventListener === 'function') {
      speech.addEventListener('voiceschanged', checkVoice);
    }
    el.jump.addEventListener('click', jumpToLive);
    window.addEventListener('scroll', onScroll, { passive: true });
    applyReadAloud();
    applyTranscriptLinks();
    requestWakeLock();

    el.share.addEventListener('click', () => (shareOpen() ? closeShare() : openShare()));
    el.shareClose.addEventListener('click', closeShare);
    el.sharePanel.addEventListener('close', onShareClosed);
    el.sharePanel.addEventListener('click', onShareClick);
    el.qr.addEventListener('error', onQrFailed);
    el.copy.addEventListener('click', copyRoomUrl);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && shareOpen()) closeShare(); // also without showModal
    });

    applyTitle();
    if (!isRoomName(state.room)) refuseRoom();
    await loadConfig();
    applyBranding();
    if (state.stopped) return;
    el.share.hidden = false;
    connect();
  }

  start();
})();
