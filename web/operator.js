// Live Translate operator console: /operator (room "main") or /r/NAME/operator. Shows the
// room's finals in the source language with their seq, the watched languages (from /health),
// and lets the holder of the room's speaker key correct a final (correct_text), type a
// caption (new_text, source "typed") and pause or resume publishing (set_publishing).
// Plain ES2020, no dependencies but common.js (loaded first); see docs/protocol.md.
'use strict';

(() => {
  const STORAGE_KEY = 'liveTranslateOperatorKey'; // sessionStorage: this tab only
  const MAX_FINALS = 200;
  const HEALTH_EVERY_MS = 5000;
  const RETRY_MS = 2000;
  const PARTIAL_STALE_MS = 15000;

  // /prefix/r/NAME/operator -> room NAME, root /prefix/; /prefix/operator?room=NAME (common.js).
  const { DEFAULT_ROOM } = window.LiveTranslate;
  const ROOM = window.LiveTranslate.locate('operator');
  const appUrl = ROOM.url;
  const roomPath = (rest) => (ROOM.name === DEFAULT_ROOM ? rest : `r/${encodeURIComponent(ROOM.name)}/${rest}`);

  const $ = (id) => document.getElementById(id);
  const el = {
    roomName: $('roomName'),
    status: $('status'),
    notice: $('notice'),
    keyForm: $('keyForm'),
    keyInput: $('keyInput'),
    changeKey: $('changeKey'),
    publishingState: $('publishingState'),
    pause: $('pauseButton'),
    resume: $('resumeButton'),
    typeForm: $('typeForm'),
    typeInput: $('typeInput'),
    typeResult: $('typeResult'),
    languagesBody: $('languagesBody'),
    healthNote: $('healthNote'),
    viewerLink: $('viewerLink'),
    screenLink: $('screenLink'),
    transcriptLinks: $('transcriptLinks'),
    partial: $('partial'),
    finals: $('finals'),
    finalsEmpty: $('finalsEmpty'),
  };

  const session = {
    get() { try { return window.sessionStorage.getItem(STORAGE_KEY) || ''; } catch (_) { return ''; } },
    set(v) { try { window.sessionStorage.setItem(STORAGE_KEY, v); } catch (_) { /* this page only */ } },
    clear() { try { window.sessionStorage.removeItem(STORAGE_KEY); } catch (_) { /* nothing kept */ } },
  };

  const state = {
    key: session.get(),
    ws: null,
    source: 'en',
    serverId: null,
    finals: new Map(),  // seq -> <li>
    // Requests waiting for their answer, oldest first: {ack id or null, onAck, onError}.
    // Errors carry no id, so an error is the answer of the oldest request still waiting.
    pending: [],
    partialTimer: 0,
    noticeTimer: 0,
    watched: [],        // languages with viewers, from /health
  };

  function showNotice(text, ms) {
    el.notice.textContent = text;
    el.notice.hidden = false;
    clearTimeout(state.noticeTimer);
    if (ms !== 0) state.noticeTimer = setTimeout(() => { el.notice.hidden = true; }, ms || 8000);
  }

  function setStatus(conn, text) {
    el.status.dataset.state = conn;
    el.status.textContent = text;
  }

  function applyKeyState() {
    el.keyForm.hidden = state.key !== '';
    for (const b of [el.pause, el.resume, el.changeKey]) b.disabled = state.key === '';
    el.typeForm.querySelector('button').disabled = state.key === '';
    for (const b of el.finals.querySelectorAll('.op-edit')) b.disabled = state.key === '';
    if (state.key === '') el.keyInput.focus();
  }

  function send(type, data) {
    const ws = state.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      showNotice('Not connected to the server; try again in a moment.');
      return false;
    }
    ws.send(JSON.stringify({ type, data }));
    return true;
  }

  // Sends a keyed request; calls back with the ack or the error message.
  function request(type, data, ackId, onAck, onError) {
    if (!state.key) { onError('no speaker key'); return; }
    const entry = { ackId, onAck, onError };
    if (!send(type, { ...data, api_key: state.key })) { onError('not connected'); return; }
    state.pending.push(entry);
  }

  function settle(ackId, data) {
    const i = state.pending.findIndex((p) => p.ackId === ackId);
    if (i < 0) return;
    const [entry] = state.pending.splice(i, 1);
    entry.onAck(data);
  }

  function onServerError(data) {
    const message = typeof data.message === 'string' ? data.message : 'error';
    if (data.code === 'unauthorized') {
      showNotice('The server refused the key: enter the speaker key of this room.', 0);
      state.key = '';
      session.clear();
      applyKeyState();
    }
    // set_publishing has no ack: its entry waits for `publishing` or an error.
    const entry = state.pending.shift();
    if (entry) entry.onError(message);
    else showNotice(message);
  }

  // ---- publishing ---------------------------------------------------------------------

  function showPublishing(paused) {
    el.publishingState.dataset.paused = String(paused);
    el.publishingState.textContent = paused
      ? 'Paused: spoken captions are not shown'
      : 'Publishing: captions are shown';
  }

  function setPaused(paused) {
    request('set_publishing', { paused }, 'publishing', () => {}, (message) => {
      showNotice(`${paused ? 'Pause' : 'Resume'} failed: ${message}`);
    });
  }

  // ---- typed captions -----------------------------------------------------------------

  function hhmmss(date) {
    return [date.getHours(), date.getMinutes(), date.getSeconds()]
      .map((n) => String(n).padStart(2, '0')).join(':');
  }

  function sendTyped(event) {
    event.preventDefault();
    const text = el.typeInput.value.trim();
    if (!text) return;
    const now = new Date();
    const id = `op-${now.getTime()}`;
    el.typeResult.dataset.state = 'waiting';
    el.typeResult.textContent = 'Sending…';
    request('new_text', { text, timestamp: hhmmss(now), id, source: 'typed', lang: state.source }, id,
      (ack) => {
        el.typeResult.dataset.state = 'ok';
        el.typeResult.textContent = Number(ack.seq) > 0 ? `Sent as caption ${ack.seq}` : 'Sent';
        el.typeInput.value = '';
      },
      (message) => {
        el.typeResult.dataset.state = 'error';
        el.typeResult.textContent = `Not sent: ${message}`;
      });
  }

  // ---- finals -------------------------------------------------------------------------

  function fillFinal(li, data) {
    const text = String(data.original || data.text || '');
    li.querySelector('.op-text').textContent = text;
    li.dataset.text = text;
    const marks = [];
    if (data.source === 'typed') marks.push('typed');
    if (data.corrected === true) marks.push('corrected');
    li.querySelector('.op-marks').textContent = marks.join(' · ');
  }

  function addFinal(data) {
    const seq = Number.isSafeInteger(data.seq) && data.seq > 0 ? data.seq : null;
    if (seq === null) return;
    const known = state.finals.get(seq);
    if (known) { fillFinal(known, data); return; }

    const li = document.createElement('li');
    li.className = 'op-final';
    li.value = seq;
    li.dataset.seq = String(seq);
    const head = document.createElement('div');
    head.className = 'op-final-head';
    const num = document.createElement('span');
    num.className = 'op-seq';
    num.textContent = `#${seq}`;
    const time = document.createElement('span');
    time.className = 'op-time';
    time.textContent = typeof data.timestamp === 'string' ? data.timestamp : '';
    const marks = document.createElement('span');
    marks.className = 'op-marks';
    const edit = document.createElement('button');
    edit.className = 'button op-edit';
    edit.type = 'button';
    edit.textContent = 'Edit';
    edit.disabled = state.key === '';
    edit.addEventListener('click', () => startEdit(li));
    head.append(num, time, marks, edit);
    const text = document.createElement('p');
    text.className = 'op-text';
    text.lang = String(data.source_lang || state.source);
    text.dir = 'auto';
    const result = document.createElement('p');
    result.className = 'op-result';
    result.setAttribute('role', 'status');
    li.append(head, text, result);
    fillFinal(li, data);

    // Newest first, in seq order (a catch-up may arrive after a live final).
    let before = el.finals.firstElementChild;
    while (before && Number(before.dataset.seq) > seq) before = before.nextElementSibling;
    el.finals.insertBefore(li, before);
    state.finals.set(seq, li);
    while (el.finals.children.length > MAX_FINALS) {
      const last = el.finals.lastElementChild;
      state.finals.delete(Number(last.dataset.seq));
      last.remove();
    }
    el.finalsEmpty.hidden = true;
  }

  function startEdit(li) {
    if (li.querySelector('.op-editor')) return;
    const form = document.createElement('form');
    form.className = 'op-editor op-row';
    const input = document.createElement('textarea');
    input.className = 'op-input op-grow';
    input.rows = 2;
    input.value = li.dataset.text || '';
    input.setAttribute('aria-label', `New text of caption ${li.dataset.seq}`);
    const save = document.createElement('button');
    save.className = 'button';
    save.type = 'submit';
    save.textContent = 'Save';
    const cancel = document.createElement('button');
    cancel.className = 'button';
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    form.append(input, save, cancel);
    li.querySelector('.op-text').after(form);
    input.focus();
    cancel.addEventListener('click', () => form.remove());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      const result = li.querySelector('.op-result');
      if (!text) { result.dataset.state = 'error'; result.textContent = 'The text is empty'; return; }
      const seq = Number(li.dataset.seq);
      save.disabled = true;
      result.dataset.state = 'waiting';
      result.textContent = 'Saving…';
      request('correct_text', { seq, text }, `correct-${seq}`, () => {
        result.dataset.state = 'ok';
        result.textContent = 'Corrected: viewers see the new text';
        form.remove();
      }, (message) => {
        save.disabled = false;
        result.dataset.state = 'error';
        result.textContent = `Not corrected: ${message}`;
      });
    });
  }

  function clearPartial() {
    clearTimeout(state.partialTimer);
    el.partial.textContent = '';
    el.partial.hidden = true;
  }

  function onTranslatedText(data) {
    if (data.partial === true) {
      const text = String(data.text || '');
      if (!text) { clearPartial(); return; }
      el.partial.textContent = text;
      el.partial.hidden = false;
      clearTimeout(state.partialTimer);
      state.partialTimer = setTimeout(clearPartial, PARTIAL_STALE_MS);
      return;
    }
    clearPartial();
    addFinal(data);
  }

  // ---- connection ---------------------------------------------------------------------

  function onMessage(event) {
    const msg = window.LiveTranslate.parseMessage(event);
    if (!msg) return;
    const { data } = msg;
    switch (msg.type) {
      case 'connection_status':
        if (typeof data.source === 'string' && data.source) state.source = data.source;
        if (typeof data.server_id === 'string' && data.server_id !== state.serverId) {
          // Another server instance numbers its finals anew.
          if (state.serverId !== null) {
            state.finals.clear();
            el.finals.textContent = '';
          }
          state.serverId = data.server_id;
        }
        send('set_language', { lang: state.source, history: true, partials: true });
        renderLinks();
        break;
      case 'translated_text':
        onTranslatedText(data);
        break;
      case 'text_ack':
        settle(data.id, data);
        break;
      case 'publishing':
        showPublishing(data.paused === true);
        settle('publishing', data);
        break;
      case 'error':
        onServerError(data);
        break;
      default:
        break;
    }
  }

  function connect() {
    setStatus('connecting', 'Connecting…');
    const ws = new WebSocket(ROOM.socketUrl().href);
    state.ws = ws;
    ws.addEventListener('open', () => setStatus('live', 'Live'));
    ws.addEventListener('message', onMessage);
    ws.addEventListener('close', () => {
      if (state.ws !== ws) return;
      state.ws = null;
      for (const entry of state.pending.splice(0)) entry.onError('connection lost');
      clearPartial();
      setStatus('reconnecting', 'Reconnecting…');
      setTimeout(connect, RETRY_MS);
    });
  }

  // ---- audience (from /health) --------------------------------------------------------

  function renderLinks() {
    el.viewerLink.href = appUrl(ROOM.name === DEFAULT_ROOM ? '' : `r/${encodeURIComponent(ROOM.name)}`).href;
    const screenLangs = state.watched.filter((l) => l !== state.source).slice(0, 2);
    const screen = appUrl(roomPath('screen'));
    if (screenLangs.length) screen.searchParams.set('lang', screenLangs.join(','));
    el.screenLink.href = screen.href;
    el.transcriptLinks.textContent = 'Transcripts: ';
    const langs = [state.source, ...state.watched.filter((l) => l !== state.source)];
    langs.forEach((lang, i) => {
      if (i) el.transcriptLinks.append(' · ');
      el.transcriptLinks.append(`${lang} `);
      ['txt', 'srt', 'vtt'].forEach((ext, j) => {
        const a = document.createElement('a');
        const href = appUrl(roomPath(`transcript.${ext}`));
        href.searchParams.set('lang', lang);
        a.href = href.href;
        a.textContent = ext;
        a.className = 'op-transcript';
        if (j) el.transcriptLinks.append(' ');
        el.transcriptLinks.append(a);
      });
    });
  }

  // The last translations' times, oldest first: "41 · 38 · 52 ms, to viewers 55 ms" (the
  // newest final's time from arrival to fan-out).
  function latencyText(made) {
    if (!made.length) return '—';
    const ms = (v) => String(Math.round(Number(v) || 0));
    const newest = made[made.length - 1];
    return `${made.map((l) => ms(l.translate_ms)).join(' · ')} ms, to viewers ${ms(newest.deliver_ms)} ms`;
  }

  async function pollHealth() {
    try {
      const res = await fetch(appUrl('health'), { cache: 'no-store', signal: AbortSignal.timeout(4000) });
      const health = await res.json();
      const room = (health.rooms && health.rooms[ROOM.name]) || {};
      const viewers = room.viewers && typeof room.viewers === 'object' ? room.viewers : {};
      const routes = (health.translator && health.translator.routes) || {};
      const latencies = room.latencies && typeof room.latencies === 'object' ? room.latencies : {};
      const langs = Object.keys(viewers).filter((l) => Number(viewers[l]) > 0).sort();
      el.languagesBody.textContent = '';
      for (const lang of langs) {
        const tr = document.createElement('tr');
        tr.dataset.lang = lang;
        const made = Array.isArray(latencies[lang]) ? latencies[lang] : [];
        const newest = made.length ? made[made.length - 1] : null;
        const engine = lang === state.source ? '(original)'
          : String((newest && newest.engine) || routes[lang] || '—');
        for (const value of [lang, String(viewers[lang]), engine, latencyText(made)]) {
          const td = document.createElement('td');
          td.textContent = value;
          tr.appendChild(td);
        }
        el.languagesBody.appendChild(tr);
      }
      if (!langs.length) {
        const tr = document.createElement('tr');
        const td = document.createElement('td');
        td.colSpan = 4;
        td.textContent = 'Nobody is watching yet';
        tr.appendChild(td);
        el.languagesBody.appendChild(tr);
      }
      const changed = langs.join() !== state.watched.join();
      state.watched = langs;
      if (changed) renderLinks();
      el.healthNote.textContent = `Updated ${hhmmss(new Date())}; every 5 seconds.`;
    } catch (_) {
      el.healthNote.textContent = 'The server\'s /health did not answer; retrying.';
    }
  }

  // ---- start --------------------------------------------------------------------------

  el.roomName.textContent = `Room: ${ROOM.name}`;
  document.title = `Operator console · ${ROOM.name}`;
  el.keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = el.keyInput.value.trim();
    if (!key) return;
    state.key = key;
    session.set(key);
    el.keyInput.value = '';
    el.notice.hidden = true;
    applyKeyState();
  });
  el.changeKey.addEventListener('click', () => {
    state.key = '';
    session.clear();
    applyKeyState();
  });
  el.pause.addEventListener('click', () => setPaused(true));
  el.resume.addEventListener('click', () => setPaused(false));
  el.typeForm.addEventListener('submit', sendTyped);
  applyKeyState();
  renderLinks();
  connect();
  pollHealth();
  setInterval(pollHealth, HEALTH_EVERY_MS);
})();
