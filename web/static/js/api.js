// HTTP client for the /v1 JSON API: accounts and tokens. The session
// (tokens) lives in localStorage so a reload keeps the player logged in;
// the access token is refreshed shortly before it expires.

import { t, has, currentLang } from './i18n.js';

const SESSION_KEY = 'lordgame.session';
const DEVICE_KEY = 'lordgame.device_id';

// Messages for every error code the server can return, used when the server
// sends none and as the prefix context for network problems.
const CODE_TEXT = new Proxy({}, { get: (_, code) => (typeof code === 'string' && has(`code.${code}`) ? t(`code.${code}`) : undefined) });

export class ApiError extends Error {
  constructor(code, message, status = 0, field = '') {
    super(message || CODE_TEXT[code] || t('code.unexpected'));
    this.code = code || 'internal';
    this.status = status;
    this.field = field;
  }
}

// errorText is what to tell the player about err: the server's message in
// English, the catalogue's words for its code in another language.
export function errorText(err) {
  if (!err) return '';
  if (err instanceof ApiError || err.code) {
    if (currentLang() !== 'en' && CODE_TEXT[err.code] && !(err.field && err.message)) return CODE_TEXT[err.code];
    return err.message || CODE_TEXT[err.code] || String(err);
  }
  return String(err.message || err);
}

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = (crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export class Api {
  constructor(base = '/v1') {
    this.base = base;
    this.session = load();
    this.refreshing = null;
    this.timer = 0;
    this.onSessionLost = () => {};
    this.onSession = () => {};
    if (this.session) this.schedule();
  }

  get loggedIn() {
    return !!(this.session && this.session.refresh_token);
  }

  async register(username, password) {
    return this.auth('/auth/register', { username, password });
  }
  async login(username, password) {
    return this.auth('/auth/login', { username, password });
  }
  async guest() {
    return this.auth('/auth/guest', { device_id: deviceId() });
  }

  async logout() {
    const s = this.session;
    this.clear();
    if (!s) return;
    try {
      await this.raw('POST', '/auth/logout', { refresh_token: s.refresh_token }, s.access_token);
    } catch {
      // The tokens are gone from this browser either way.
    }
  }

  async account() {
    return this.authed('GET', '/account');
  }

  // token returns a valid access token, refreshing it first when it is
  // about to expire.
  async token() {
    if (!this.session) throw new ApiError('unauthenticated', t('auth.please'));
    if (Date.now() > this.session.expires_at - 30_000) await this.refresh();
    return this.session.access_token;
  }

  async refresh() {
    if (this.refreshing) return this.refreshing;
    const s = this.session;
    if (!s) throw new ApiError('unauthenticated', t('auth.please'));
    this.refreshing = (async () => {
      try {
        const r = await this.raw('POST', '/auth/refresh', { refresh_token: s.refresh_token });
        this.store(r);
        return r;
      } catch (err) {
        if (err.code === 'unauthenticated' || err.code === 'forbidden') {
          this.clear();
          this.onSessionLost(new ApiError(err.code, t('auth.ended')));
        }
        throw err;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async auth(path, body) {
    const r = await this.raw('POST', path, body);
    this.store(r);
    return r;
  }

  // authed calls an endpoint with the access token, refreshing once on 401.
  async authed(method, path, body) {
    try {
      return await this.raw(method, path, body, await this.token());
    } catch (err) {
      if (err.status !== 401) throw err;
      await this.refresh();
      return this.raw(method, path, body, this.session.access_token);
    }
  }

  async raw(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let res;
    try {
      res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError('network', CODE_TEXT.network);
    }
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = (data && (data.error || data)) || {};
      const code = e.code || statusCode(res.status);
      throw new ApiError(code, e.message || CODE_TEXT[code], res.status, e.field || '');
    }
    return data || {};
  }

  store(r) {
    const expiresIn = Number(r.expires_in || r.access_expires_in || 900);
    this.session = {
      user_id: String(r.user_id || (this.session && this.session.user_id) || ''),
      access_token: r.access_token,
      refresh_token: r.refresh_token || (this.session && this.session.refresh_token),
      expires_at: Date.now() + expiresIn * 1000,
      lifetime: expiresIn * 1000,
    };
    localStorage.setItem(SESSION_KEY, JSON.stringify(this.session));
    this.schedule();
    this.onSession(this.session);
  }

  clear() {
    clearTimeout(this.timer);
    this.session = null;
    localStorage.removeItem(SESSION_KEY);
  }

  // schedule refreshes the access token at about 80% of its life.
  schedule() {
    clearTimeout(this.timer);
    if (!this.session) return;
    const life = this.session.lifetime || 900_000;
    const at = this.session.expires_at - Math.min(60_000, life * 0.2);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), Math.max(1000, at - Date.now()));
  }
}

function statusCode(status) {
  switch (status) {
    case 400: case 422: return 'bad_request';
    case 401: return 'unauthenticated';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 429: return 'rate_limited';
    case 502: case 503: case 504: return 'unavailable';
    default: return 'internal';
  }
}

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    return s && s.refresh_token ? s : null;
  } catch {
    return null;
  }
}
