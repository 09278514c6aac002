// Live Translate: what the viewer page (app.js), the operator console (operator.js) and the
// screen view (screen.js) share: where the page is (its room and the app's root), the app's
// URLs under that root, reading a server message, and the pages' own strings (i18n.js). Each
// page loads this script before its own (both deferred, so in that order). Plain ES2020, no
// dependencies.
'use strict';

window.LiveTranslate = (() => {
  const DEFAULT_ROOM = 'main';

  // The room in the page's URL and the app's root (where config.json, health, qr.svg and ws
  // live), which may sit under a path prefix: /prefix/r/NAME/PAGE -> room NAME, root
  // /prefix/; otherwise /prefix/PAGE?room=NAME, or the room "main" without ?room. `page` is
  // '' for the viewer page (/prefix/r/NAME), 'operator' or 'screen'. An empty ?room= means
  // "main" unless keepEmpty (the viewer page then says the name is not a room's).
  function locate(page = '', { keepEmpty = false } = {}) {
    const path = window.location.pathname;
    const match = new RegExp(`^(.*/)r/([^/]+)${page ? `/${page}` : ''}/?$`).exec(path);
    if (match && (page || match[2] !== 'index.html')) {
      let name = match[2];
      try { name = decodeURIComponent(name); } catch (_) { /* as typed */ }
      return place(name, match[1]);
    }
    const root = path.slice(0, path.lastIndexOf('/') + 1) || '/';
    const query = new URLSearchParams(window.location.search).get('room');
    return place(query === null || (query === '' && !keepEmpty) ? DEFAULT_ROOM : query, root);
  }

  function place(name, rootPath) {
    const root = new URL(rootPath, window.location.origin);
    const url = (relative) => new URL(relative, root);
    return {
      name,
      root,
      url,
      // The server's WebSocket for a room (this page's unless given), ws: or wss: as the page.
      socketUrl(room = name) {
        const ws = url('ws');
        ws.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
        ws.searchParams.set('room', room);
        return ws;
      },
    };
  }

  // A WebSocket message event as {type, data} (data always an object); null for a frame
  // that is not a message of the protocol (docs/protocol.md).
  function parseMessage(event) {
    let msg;
    try { msg = JSON.parse(event.data); } catch (_) { return null; }
    if (!msg || typeof msg.type !== 'string') return null;
    return { type: msg.type, data: msg.data && typeof msg.data === 'object' ? msg.data : {} };
  }

  // A page string (i18n.js) in a page language, else in English, else the key itself, with
  // each {name} replaced from vars. A string with plural forms picks the form for vars.n by
  // the language's Intl.PluralRules ('other' when the form is missing).
  function text(lang, key, vars = {}) {
    const all = window.LiveTranslateStrings || {};
    let entry = (all[lang] || {})[key] ?? (all.en || {})[key] ?? key;
    if (entry !== null && typeof entry === 'object') {
      let form = 'other';
      try { form = new Intl.PluralRules(lang).select(Number(vars.n)); } catch (_) { /* 'other' */ }
      entry = entry[form] ?? entry.other ?? key;
    }
    let out = String(entry);
    for (const [name, value] of Object.entries(vars)) out = out.split(`{${name}}`).join(String(value));
    return out;
  }

  // A language's name in another language ('German' in English, 'alemán' in Spanish), or
  // null when the browser cannot say.
  function languageName(code, inLang) {
    try {
      const name = new Intl.DisplayNames([inLang], { type: 'language' }).of(code);
      if (name && name !== code) return name;
    } catch (_) { /* no Intl.DisplayNames */ }
    return null;
  }

  return { DEFAULT_ROOM, locate, parseMessage, text, languageName };
})();
