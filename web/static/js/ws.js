// Realtime client: the LordGame protocol in JSON text mode over WebSocket.
// One JSON object per text frame; handshake first, then requests (answered
// by a response with the same seq), notifies, pushes and heartbeats. The
// connection comes back by itself after a drop, with backoff, and tells the
// app so it can fetch the table again.

import { t, has, currentLang } from './i18n.js';

export class ProtoError extends Error {
  constructor(err) {
    super((err && err.message) || codeText(err && err.code));
    this.code = (err && err.code) || 'internal';
    this.rule = (err && err.rule) || '';
  }
}

const CODE_TEXT = {
  bad_request: 'That move is not allowed.',
  unauthenticated: 'Please log in again.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'Not found.',
  conflict: 'That is not possible right now.',
  rate_limited: 'Slow down a little.',
  unavailable: 'The server is busy. Try again in a moment.',
  internal: 'Something went wrong on the server.',
  timeout: 'The server did not answer in time.',
  closed: 'The connection was lost.',
};
// codeText is the words for an error code the server sent no message for:
// in English these, in another language the catalogue's code.* words.
export const codeText = (c) => (currentLang() !== 'en' && has(`code.${c}`) ? t(`code.${c}`) : CODE_TEXT[c] || t('code.unexpected'));

// kickText is what to tell the player about a kick: the catalogue's words
// for its reason (kick.*), else the server's message (in English), else a
// plain "Disconnected".
export function kickText(reason, message = '') {
  if (has(`kick.${reason}`)) return t(`kick.${reason}`);
  return (currentLang() === 'en' && message) || t('kick.other');
}
// Kicks after which reconnecting on its own would be wrong.
const FINAL_KICKS = new Set(['logged_in_elsewhere', 'banned', 'kicked']);

export class Conn {
  // getToken returns a promise of a fresh access token (or null for none).
  // refreshToken returns a promise of a newly issued access token.
  constructor({ url, getToken, refreshToken, onAuthFailed }) {
    this.url = url || `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    this.getToken = getToken;
    this.refreshToken = refreshToken || getToken;
    this.forceRefresh = false;
    this.authRetried = false;
    this.onAuthFailed = onAuthFailed || (() => {});
    this.ws = null;
    this.seq = 0;
    this.pending = new Map();
    this.handlers = new Map();
    this.listeners = { state: [], ready: [], kick: [] };
    this.state = 'idle'; // idle | connecting | open | reconnecting | closed
    this.attempt = 0;
    this.want = false;
    this.resumeToken = '';
    this.hbTimer = 0;
    this.retryTimer = 0;
    this.ack = null;
    this.lastRx = 0;
    this.routes = new Map();
  }

  on(ev, fn) {
    (this.listeners[ev] = this.listeners[ev] || []).push(fn);
  }
  emit(ev, ...a) {
    for (const fn of this.listeners[ev] || []) {
      try {
        fn(...a);
      } catch (e) {
        console.warn('listener failed', e);
      }
    }
  }

  // onPush registers a handler for a pushed route.
  onPush(route, fn) {
    this.handlers.set(route, fn);
  }

  hasRoute(name) {
    return this.routes.has(name);
  }

  setState(s, info) {
    this.state = s;
    this.emit('state', s, info);
  }

  start() {
    this.want = true;
    this.attempt = 0;
    this.open();
  }

  stop() {
    this.want = false;
    this.resumeToken = '';
    clearTimeout(this.retryTimer);
    this.teardown('closed');
    this.setState('idle');
  }

  async open() {
    clearTimeout(this.retryTimer);
    if (!this.want) return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    let token = null;
    try {
      token = this.forceRefresh ? await this.refreshToken() : await this.getToken();
      this.forceRefresh = false;
    } catch (err) {
      if (err && (err.code === 'unauthenticated' || err.code === 'forbidden')) {
        this.want = false;
        this.setState('closed');
        this.onAuthFailed(err);
        return;
      }
      // Network trouble while refreshing: try again later.
      this.retry();
      return;
    }
    if (!this.want) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const body = { version: 1, codec: 'json', client: 'lordgame-web/1' };
      if (token) body.token = token;
      if (this.resumeToken) body.resume_token = this.resumeToken;
      ws.send(JSON.stringify({ kind: 'handshake', body }));
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.lastRx = Date.now();
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (m.kind === 'handshake_ack') {
        if (m.error) {
          // The server closes the connection after a refusal; onclose retries.
          const e = m.error;
          if (e.rule === 'bad_resume_token') {
            // Expired, or the server restarted: start a new session.
            this.resumeToken = '';
            this.attempt = 0;
            return;
          }
          if (e.code === 'unauthenticated' && !this.authRetried) {
            // The access token may have expired in flight: refresh it once.
            this.authRetried = true;
            this.forceRefresh = true;
            this.attempt = 0;
            return;
          }
          if (e.code === 'unauthenticated' || e.code === 'forbidden') {
            this.want = false;
            this.teardown('closed');
            this.setState('closed');
            this.onAuthFailed(new ProtoError(e));
          }
          return;
        }
        this.authRetried = false;
        this.ack = m.body || {};
        this.resumeToken = this.ack.resume_token || '';
        this.routes = new Map((this.ack.routes || []).map((r) => [r.name, r.id]));
        this.attempt = 0;
        this.startHeartbeat(Number(this.ack.heartbeat_ms) || 15000);
        this.setState('open');
        this.emit('ready', this.ack);
        return;
      }
      this.dispatch(m);
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.teardown('closed');
      this.retry();
    };
    ws.onerror = () => {
      // onclose follows and does the work.
    };
  }

  retry() {
    if (!this.want) {
      this.setState('closed');
      return;
    }
    this.attempt++;
    // 0.5 s, 1 s, 2 s, 4 s, 8 s, then 10 s, with ±20% jitter.
    const base = Math.min(10_000, 500 * 2 ** (this.attempt - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.setState('reconnecting', { attempt: this.attempt, delay, at: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  // reconnectNow skips the wait of the current backoff step.
  reconnectNow() {
    if (this.state === 'reconnecting') this.open();
  }

  teardown(code) {
    clearInterval(this.hbTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {
        /* already closed */
      }
    }
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ProtoError({ code, message: codeText(code) }));
    }
    this.pending.clear();
  }

  startHeartbeat(ms) {
    clearInterval(this.hbTimer);
    const missed = Number(this.ack.missed_heartbeats) || 3;
    this.hbTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastRx > ms * missed + 2000) {
        // The server went quiet: treat it as a drop.
        this.teardown('closed');
        this.retry();
        return;
      }
      this.ws.send('{"kind":"heartbeat"}');
    }, Math.max(1000, Math.floor(ms * 0.8)));
  }

  dispatch(m) {
    switch (m.kind) {
      case 'response': {
        const p = this.pending.get(m.seq);
        if (!p) return;
        this.pending.delete(m.seq);
        clearTimeout(p.timer);
        if (m.error) p.reject(new ProtoError(m.error));
        else p.resolve(m.body || {});
        return;
      }
      case 'push': {
        const h = this.handlers.get(m.route);
        if (h) h(m.body || {}, m.route);
        else if (this.handlers.has('*')) this.handlers.get('*')(m.body || {}, m.route);
        return;
      }
      case 'kick': {
        const reason = (m.body && m.body.reason) || 'kicked';
        const message = (m.body && m.body.message) || '';
        const text = kickText(reason, message);
        if (FINAL_KICKS.has(reason)) {
          this.want = false;
          this.resumeToken = '';
        }
        this.emit('kick', reason, text, message);
        return;
      }
      default:
        return; // heartbeat and anything unknown
    }
  }

  request(route, body = {}, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.state !== 'open') {
        reject(new ProtoError({ code: 'unavailable', message: 'Not connected. Reconnecting…' }));
        return;
      }
      this.seq = (this.seq % 0x7fffffff) + 1;
      const seq = this.seq;
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new ProtoError({ code: 'timeout', message: codeText('timeout') }));
      }, timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ kind: 'request', seq, route, body }));
    });
  }

  notify(route, body = {}) {
    if (this.ws && this.state === 'open') this.ws.send(JSON.stringify({ kind: 'notify', route, body }));
  }
}
