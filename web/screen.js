// Live Translate screen view: /screen?lang=es,fr (room "main") or /r/NAME/screen?lang=es.
// One or two languages side by side for a projector: the last three finals of each, large,
// and the speaker's live line (source language, small) underneath. No controls; reconnects
// by itself. One WebSocket per language (a connection watches one language; the first also
// takes the partials). Its few words are in the columns' languages (i18n.js). Plain ES2020,
// with common.js and i18n.js (loaded first); see docs/protocol.md.
'use strict';

(() => {
  const LINES = 3;
  const RETRY_MIN_MS = 1000;
  const RETRY_MAX_MS = 10000;
  const PARTIAL_STALE_MS = 15000;
  const RTL = new Set(['ar']);

  // /prefix/r/NAME/screen -> room NAME; /prefix/screen?room=NAME (common.js).
  const ROOM = window.LiveTranslate.locate('screen');

  const params = new URLSearchParams(window.location.search);
  const langs = (params.get('lang') || 'en').split(',').map((l) => l.trim().toLowerCase())
    .filter((l) => /^[a-z]{2,3}$/.test(l)).slice(0, 2);
  if (!langs.length) langs.push('en');

  const { text, languageName } = window.LiveTranslate;
  // A string in each shown language, once per distinct wording ("Reconectando… · Reconnexion…").
  const inEach = (key) => [...new Set(langs.map((l) => text(l, key)))].join(' · ');
  document.documentElement.lang = langs[0];

  const columnsEl = document.getElementById('columns');
  const partialEl = document.getElementById('partial');
  const statusEl = document.getElementById('status');
  columnsEl.classList.toggle('two', langs.length === 2);
  let partialTimer = 0;

  function clearPartial() {
    clearTimeout(partialTimer);
    partialEl.textContent = '';
  }

  function updateStatus(columns) {
    const live = columns.every((c) => c.live);
    statusEl.dataset.state = live ? 'live' : 'reconnecting';
    statusEl.textContent = live ? '' : inEach('reconnecting');
  }

  function makeColumn(lang, withPartials, columns) {
    const section = document.createElement('section');
    section.className = 'column';
    section.dataset.lang = lang;
    const label = document.createElement('p');
    label.className = 'column-label';
    label.lang = lang;
    label.textContent = languageName(lang, lang) || lang;
    const lines = document.createElement('div');
    lines.className = 'lines';
    lines.lang = lang;
    lines.dir = RTL.has(lang) ? 'rtl' : 'ltr';
    section.append(label, lines);
    columnsEl.appendChild(section);
    const col = { lang, lines, live: false, attempt: 0, serverId: null };

    function addFinal(data) {
      const seq = Number.isSafeInteger(data.seq) ? data.seq : null;
      const text = String(data.text ?? '');
      if (!text) return;
      if (seq !== null) {
        const same = lines.querySelector(`.line[data-seq="${seq}"]`);
        if (same) { same.textContent = text; return; } // a correction, or the catch-up again
      }
      const p = document.createElement('p');
      p.className = 'line';
      p.dir = 'auto';
      if (seq !== null) p.dataset.seq = String(seq);
      p.textContent = text;
      // In seq order, newest last.
      let after = null;
      if (seq !== null) {
        for (const other of lines.children) {
          if (Number(other.dataset.seq) > seq) { after = other; break; }
        }
      }
      lines.insertBefore(p, after);
      while (lines.children.length > LINES) lines.firstElementChild.remove();
    }

    function connect() {
      const ws = new WebSocket(ROOM.socketUrl().href);
      ws.addEventListener('message', (event) => {
        const msg = window.LiveTranslate.parseMessage(event);
        if (!msg) return;
        const { data } = msg;
        if (msg.type === 'connection_status') {
          if (col.serverId !== null && data.server_id !== col.serverId) lines.textContent = '';
          col.serverId = data.server_id || null;
          col.live = true;
          col.attempt = 0;
          updateStatus(columns);
          ws.send(JSON.stringify({ type: 'set_language',
            data: { lang, history: true, partials: withPartials } }));
        } else if (msg.type === 'translated_text') {
          if (data.partial === true) {
            // The live line here is the speaker's own words; translated partials are for pages.
            if (!withPartials || (data.source_lang && data.lang !== data.source_lang)) return;
            partialEl.textContent = String(data.text ?? '');
            partialEl.lang = String(data.source_lang || data.lang || 'en');
            clearTimeout(partialTimer);
            partialTimer = setTimeout(clearPartial, PARTIAL_STALE_MS);
            return;
          }
          if (withPartials) clearPartial();
          addFinal(data);
        }
      });
      ws.addEventListener('close', () => {
        col.live = false;
        updateStatus(columns);
        const ceiling = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** col.attempt);
        col.attempt += 1;
        setTimeout(connect, RETRY_MIN_MS / 2 + Math.random() * ceiling);
      });
    }
    col.connect = connect;
    return col;
  }

  const columns = [];
  langs.forEach((lang, i) => columns.push(makeColumn(lang, i === 0, columns)));
  document.title = `${inEach('captions')} · ${langs.join(' · ')}`;
  updateStatus(columns);
  for (const c of columns) c.connect();
})();
