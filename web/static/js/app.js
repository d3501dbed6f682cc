// LordGame browser client: screens, accounts, matchmaking and the Dou
// Dizhu table, over the /v1 HTTP API and the realtime protocol in JSON text
// mode (docs/protocol.md, proto/lordgame/v1/ddz.proto). Plain ES modules,
// no build step; web/web.go embeds this folder into the server.
//
//   app.js    screens and flow: auth, lobby, queue, table actions, result
//   api.js    /v1 HTTP client; tokens in localStorage, refreshed before expiry
//   ws.js     protocol client: handshake, requests, pushes, heartbeats,
//             reconnect with backoff and resume
//   model.js  the table from ddz.snapshot and ddz.event (protojson rules)
//   table.js  table rendering, hand selection (tap, click, drag), countdowns
//   cards.js  the server's cards (rank and suit), sorting, card elements
//   chat.js   the chat panel: world, table, private and group chat
//   chatsync.js  chat state from the server: sync, history, unread, receipts
//
// Stable data-testid attributes mark what the e2e tests (e2e/) drive; the
// table screen also carries data-seq, data-phase, data-turn, data-my-turn,
// data-seat, data-landlord, data-auto and data-game-id.

import { Api, ApiError, errorText } from './api.js';
import { Conn, ProtoError } from './ws.js';
import { cardEl, sortAsc } from './cards.js';
import { emptyTable, applyEvent, applySnapshot, num } from './model.js';
import { TableView, esc, modeName } from './table.js';
import { LeaveFlow, bidsFromSnapshot, trackBids, renderBids, timeoutNotice, revealedHTML } from './tableinfo.js';
import { bindNotices } from './notices.js';
import { LobbyPanels, statsRows, ratingChart, setAvatar, avatarHTML, AVATARS } from './lobby.js';
import { ReplayView } from './replay.js';
import { t as tr, has as hasText, applyDom, currentLang, bindLangSwitch } from './i18n.js';
import { ChatPanel } from './chat.js';

const $ = (id) => document.getElementById(id);

// The table routes that make a move (they carry the seq they were made at).
const MOVES = new Set(['ddz.bid', 'ddz.play', 'ddz.pass', 'ddz.double', 'ddz.show']);


// Friendly words for the rules the server names in Error.rule (rule.* in
// the catalogue). In English the server's own message is shown when there
// is one; in another language the catalogue's words for the rule are.
export function reasonText(err) {
  if (!err) return '';
  const msg = err.message && err.message !== tr('code.unexpected') ? err.message : '';
  const ruled = err.rule && hasText(`rule.${err.rule}`) ? tr(`rule.${err.rule}`) : '';
  const text = (currentLang() === 'en' ? msg || ruled : ruled || msg) || errorText(err);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const AUTO_KEY = 'lordgame.autoplay_game'; // the game where the player chose auto-play

// The quick phrases when the server sends none (its own are shown as sent).
const DEFAULT_PHRASES = () => [1, 2, 3, 4, 5, 6].map((i) => tr(`phrase.${i}`));

class App {
  constructor() {
    this.api = new Api('/v1');
    this.account = null;
    this.table = null;
    this.queue = null; // {mode, since, position, eta}
    this.lastMode = 'practice';
    this.hints = null; // {key, plays, i}
    this.busy = false;
    this.view = new TableView(this);
    this.conn = new Conn({
      getToken: () => this.api.token(),
      refreshToken: () => this.api.refresh().then(() => this.api.token()),
      onAuthFailed: (err) => this.sessionLost(err),
    });
    this.api.onSessionLost = (err) => this.sessionLost(err);
    this.chat = new ChatPanel({
      conn: this.conn,
      me: () => (this.api.session && this.api.session.user_id) || '',
      names: (uid) => {
        const p = this.table && this.table.players.find((x) => String(x.user_id) === uid);
        return (p && !p.bot && p.name) || '';
      },
      phrases: () => (this.table && this.table.phrases && this.table.phrases.length ? this.table.phrases : DEFAULT_PHRASES),
      tableSay: (body) => this.conn.request('ddz.chat', body),
      seatUser: (seat) => {
        const p = this.table && this.table.players[seat];
        return p && !p.bot ? p.user_id : '';
      },
      toast: (text, kind) => this.toast(text, kind),
    });
    this.bindAuth();
    this.bindLobby();
    this.bindTable();
    this.bindConn();
    this.lobby = new LobbyPanels(this);
    this.replayView = new ReplayView(this);
    this.bindLang();
    this.heroCards();
    this.howTo();
  }

  // ---------------------------------------------------------------- language
  bindLang() {
    bindLangSwitch(() => this.relabel());
  }

  // relabel draws again what was drawn from the server in the old language.
  relabel() {
    if (this.screen !== 'table') document.title = tr('app.title');
    this.howTo();
    if (this.account) this.renderAccount();
    this.lobby.rerender();
    this.renderQueue();
    if (this.table) this.renderTable();
    if (!$('replay').hidden) this.replayView.render();
    if (this.chat && this.chat.panel) {
      applyDom(this.chat.panel);
      this.chat.fab.setAttribute('aria-label', this.chat.title(null));
      this.chat.render();
    }
  }

  replay(gameId) {
    this.replayView.open(gameId);
  }

  userId() {
    const p = this.lobby && this.lobby.profile;
    if (p && p.user_id) return String(p.user_id);
    const a = this.account || {};
    return String((a.account || a).user_id || a.user_id || '');
  }

  // renderProfile shows the server's profile (ddz.profile): name, avatar,
  // coins, rating and the stats it computed.
  renderProfile(p) {
    $('lobby-name').textContent = p.display_name || tr('player');
    setAvatar($('lobby-avatar'), p.avatar, p.display_name);
    $('lobby-guest').hidden = !p.guest;
    $('lobby-coins').textContent = Number(p.coins || 0).toLocaleString(tr('locale'));
    $('lobby-rating').textContent = String(Number(p.rating || 0));
    $('lobby-stats').innerHTML = statsRows(p)
      .map(([id, k, v]) => `<div data-stat="${esc(id)}"><dt>${esc(k)}</dt><dd data-testid="stat-${esc(id)}">${esc(v)}</dd></div>`)
      .join('');
    $('lobby-stats').dataset.source = 'server';
    $('lobby-rating-chart').innerHTML = ratingChart(p.rating_history);
    this.renderAvatarGrid(p);
  }

  renderAvatarGrid(p) {
    const list = p.avatars && p.avatars.length ? p.avatars : AVATARS;
    $('avatar-grid').innerHTML = list
      .map((a) => `<button type="button" role="radio" aria-checked="${a === p.avatar}" data-testid="avatar-${esc(a)}" data-pick="${esc(a)}" aria-label="${esc(tr(`avatar.${a}`))}">${avatarHTML(a, '')}</button>`)
      .join('');
  }

  howTo() {
    const ranks = $('howto-ranks');
    ranks.replaceChildren();
    // Illustrations of the rules, not game state: fixed cards.
    for (const c of ['3S', '4H', '5C', '6D', '7S', '8H', '9C', '10D', 'JS', 'QH', 'KC', 'AD', '2S', 'BJ', 'RJ']) ranks.append(cardEl(c, 'sm'));
    const combos = [
      ['pair', ['9S', '9H']],
      ['trio_single', ['8S', '8H', '8C', '4D']],
      ['straight', ['5H', '6S', '7D', '8C', '9H']],
      ['pair_chain', ['3S', '3D', '4H', '4C', '5S', '5D']],
      ['airplane', ['JS', 'JH', 'JC', 'QS', 'QH', 'QD']],
      ['four_two_single', ['6S', '6H', '6C', '6D', '3H', 'KS']],
      ['bomb', ['7S', '7H', '7C', '7D']],
      ['rocket', ['BJ', 'RJ']],
    ].map(([k, cards]) => [tr(`howto.${k}`), tr(`howto.${k}.note`), cards]);
    $('howto-combos').replaceChildren(
      ...combos.map(([name, note, cards]) => {
        const el = document.createElement('div');
        el.className = 'combo';
        const row = document.createElement('div');
        row.className = 'cards';
        for (const c of cards) row.append(cardEl(c, 'sm'));
        const txt = document.createElement('span');
        txt.innerHTML = `<b>${esc(name)}</b>${esc(note)}`;
        el.append(row, txt);
        return el;
      }),
    );
  }

  // ---------------------------------------------------------------- screens
  show(name) {
    if (name !== 'table') document.title = tr('app.title');
    if (name === 'lobby' && this.screen !== 'lobby') this.lobby.refresh();
    // The language switch: in the lobby's header, elsewhere in a corner.
    const sw = document.querySelector('.lang-switch');
    const top = document.querySelector('.lobby-top');
    if (name === 'lobby' && sw.parentNode !== top) top.insertBefore(sw, top.querySelector('#chat-toggle, #logout-btn'));
    else if (name !== 'lobby' && sw.parentNode === top) document.body.insertBefore(sw, document.body.firstChild);
    for (const s of ['auth', 'lobby', 'table']) $(`screen-${s}`).hidden = s !== name;
    $('boot').hidden = true;
    this.screen = name;
    document.body.dataset.screen = name;
    this.chat.mount(name);
    this.chat.setTable(name === 'table' && this.table ? this.table.gameId : '');
    if (name === 'table' && this.table) requestAnimationFrame(() => this.view.fitHand());
  }

  toast(text, kind = '') {
    const el = document.createElement('div');
    el.className = `toast ${kind}`;
    el.dataset.testid = 'toast';
    el.textContent = text;
    $('toasts').append(el);
    setTimeout(() => el.remove(), 4500);
  }

  async start() {
    if (!this.api.loggedIn) {
      this.show('auth');
      return;
    }
    // Stay on the loading screen until the server says whether the player
    // is at a table, so a reload mid-hand goes straight back to it.
    this.booting = true;
    this.bootTimer = setTimeout(() => this.bootDone('lobby'), 4000);
    this.loadAccount();
    this.conn.start();
  }

  bootDone(screen) {
    if (!this.booting) return;
    this.booting = false;
    clearTimeout(this.bootTimer);
    if (screen === 'lobby' && this.screen !== 'table') this.show('lobby');
  }

  sessionLost(err) {
    this.booting = false;
    this.conn.stop();
    this.api.clear();
    this.table = null;
    this.queue = null;
    this.renderQueue();
    this.setAuthTab(false);
    this.show('auth');
    this.authError(err ? errorText(err) : tr('auth.again'));
  }

  // ---------------------------------------------------------------- auth
  bindAuth() {
    this.registering = false;
    const setTab = (reg) => {
      this.registering = reg;
      $('tab-login').classList.toggle('active', !reg);
      $('tab-register').classList.toggle('active', reg);
      $('tab-login').setAttribute('aria-selected', String(!reg));
      $('tab-register').setAttribute('aria-selected', String(reg));
      $('confirm-row').hidden = !reg;
      $('auth-hint').hidden = !reg;
      $('auth-submit').textContent = tr(reg ? 'auth.create' : 'auth.login');
      $('auth-password').autocomplete = reg ? 'new-password' : 'current-password';
      this.authError('');
    };
    this.setAuthTab = setTab;
    $('tab-login').onclick = () => setTab(false);
    $('tab-register').onclick = () => setTab(true);
    $('guest-btn').onclick = () => this.doAuth(() => this.api.guest());
    $('auth-form').onsubmit = (ev) => {
      ev.preventDefault();
      const u = $('auth-username').value.trim();
      const p = $('auth-password').value;
      if (u.length < 3 || u.length > 20) return this.authError(tr('auth.user_len'));
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(u)) return this.authError(tr('auth.user_chars'));
      if (this.registering) {
        if (p.length < 8) return this.authError(tr('auth.pass_len'));
        if (p !== $('auth-password2').value) return this.authError(tr('auth.pass_match'));
        return this.doAuth(() => this.api.register(u, p));
      }
      if (!p) return this.authError(tr('auth.pass_enter'));
      return this.doAuth(() => this.api.login(u, p));
    };
  }

  authError(text) {
    $('auth-error').textContent = text;
    $('auth-error').hidden = !text;
  }

  async doAuth(fn) {
    if (this.busy) return;
    this.busy = true;
    this.authError('');
    for (const b of ['guest-btn', 'auth-submit']) $(b).disabled = true;
    try {
      await fn();
      $('auth-password').value = '';
      $('auth-password2').value = '';
      this.show('lobby');
      this.loadAccount();
      this.conn.start();
    } catch (err) {
      this.authError(authErrorText(err));
    } finally {
      this.busy = false;
      for (const b of ['guest-btn', 'auth-submit']) $(b).disabled = false;
    }
  }

  heroCards() {
    const box = $('hero-cards');
    const cards = ['RJ', 'BJ', '2H', 'AS', 'KD'];
    cards.forEach((c, i) => {
      const el = cardEl(c, 'lg');
      el.style.left = `${i * 46}px`;
      el.style.transform = `rotate(${(i - 2) * 8}deg)`;
      box.append(el);
    });
  }

  // ---------------------------------------------------------------- lobby
  bindLobby() {
    $('logout-btn').onclick = async () => {
      this.conn.stop();
      this.queue = null;
      this.table = null;
      this.renderQueue();
      await this.api.logout();
      this.account = null;
      this.setAuthTab(false);
      this.show('auth');
    };
    for (const b of document.querySelectorAll('.mode')) b.onclick = () => this.join(b.dataset.mode);
    const profileError = (text) => {
      $('profile-error').textContent = text;
      $('profile-error').hidden = !text;
    };
    $('profile-edit').onclick = () => {
      const a = normAccount(this.account || {});
      $('name-input').value = a.name;
      $('upgrade-form').hidden = !a.guest;
      profileError('');
      $('profile-dialog').hidden = false;
      $('name-input').focus();
    };
    $('avatar-grid').onclick = async (ev) => {
      const b = ev.target.closest('[data-pick]');
      if (!b) return;
      profileError('');
      try {
        await this.lobby.saveProfile({ avatar: b.dataset.pick });
        this.toast(tr('profile.avatar_saved'));
      } catch (err) {
        profileError(reasonText(err));
      }
    };
    $('profile-close').onclick = () => {
      $('profile-dialog').hidden = true;
    };
    $('name-form').onsubmit = async (ev) => {
      ev.preventDefault();
      profileError('');
      try {
        this.account = await this.api.authed('POST', '/account/display-name', { display_name: $('name-input').value.trim() });
        this.renderAccount();
        this.lobby.loadProfile();
        this.lobby.loadBoard();
        $('profile-dialog').hidden = true;
        this.toast(tr('profile.name_saved'));
      } catch (err) {
        profileError(errorText(err));
      }
    };
    $('upgrade-form').onsubmit = async (ev) => {
      ev.preventDefault();
      profileError('');
      try {
        this.account = await this.api.authed('POST', '/account/upgrade', { username: $('upgrade-username').value.trim(), password: $('upgrade-password').value });
        $('upgrade-password').value = '';
        this.renderAccount();
        $('profile-dialog').hidden = true;
        this.toast(tr('profile.upgraded'));
      } catch (err) {
        profileError(errorText(err));
      }
    };
    $('queue-cancel').onclick = () => this.cancelQueue();
    setInterval(() => this.tickQueue(), 500);
  }

  async loadAccount() {
    try {
      this.account = await this.api.account();
      this.renderAccount();
      const t = this.table;
      if (t && t.players[t.seat] && (!t.players[t.seat].name || t.players[t.seat].name === tr('you'))) {
        t.players[t.seat].name = normAccount(this.account).name;
        this.renderTable();
      }
    } catch (err) {
      if (err.code !== 'unauthenticated') this.lobbyError(tr('profile.load_failed', { err: errorText(err) }));
    }
  }

  renderAccount() {
    const a = normAccount(this.account || {});
    $('lobby-name').textContent = a.name;
    $('lobby-guest').hidden = !a.guest;
    $('lobby-coins').textContent = a.coins === null ? '–' : a.coins.toLocaleString(tr('locale'));
    $('lobby-rating').textContent = a.rating === null ? '–' : String(a.rating);
    // The stats are the server's (ddz.profile), drawn when it answers.
    const p = this.lobby && this.lobby.profile;
    if (p) this.renderProfile({ ...p, display_name: a.name, coins: a.coins ?? p.coins, rating: a.rating ?? p.rating });
    else setAvatar($('lobby-avatar'), '', a.name);
  }

  lobbyError(text) {
    $('lobby-error').textContent = text;
    $('lobby-error').hidden = !text;
  }

  async join(mode) {
    this.lobbyError('');
    this.lastMode = mode;
    if (this.conn.state !== 'open') {
      this.lobbyError(tr('lobby.connecting'));
      return;
    }
    this.queue = { mode, since: Date.now(), position: 0, eta: 0, state: 'joining' };
    this.renderQueue();
    try {
      const r = await this.conn.request('match.join', { mode });
      if (this.queue && this.queue.state === 'joining') {
        Object.assign(this.queue, { state: 'queued', ticket: r.ticket_id, position: num(r.position, 0), eta: num(r.estimated_wait_ms, 0) });
      }
      this.renderQueue();
    } catch (err) {
      if (err.rule === 'already_seated') {
        this.queue = null;
        this.renderQueue();
        this.fetchState();
        return;
      }
      if (err.rule === 'already_queued') return; // the running ticket goes on
      this.queue = null;
      this.renderQueue();
      this.lobbyError(reasonText(err));
      if (this.screen === 'table') this.toast(reasonText(err), 'err');
    }
  }

  async cancelQueue() {
    const q = this.queue;
    this.queue = null;
    this.renderQueue();
    if (!q) return;
    try {
      await this.conn.request('match.cancel', {});
    } catch (err) {
      if (err.rule !== 'not_queued') this.lobbyError(reasonText(err));
    }
  }

  renderQueue() {
    const q = this.queue;
    $('queue').hidden = !q;
    for (const b of document.querySelectorAll('.mode')) b.disabled = !!q;
    if (!q) return;
    $('queue-title').textContent = tr(q.state === 'matched' ? 'queue.found' : 'queue.finding');
    const bits = [modeName(q.mode)];
    if (q.position) bits.push(tr('queue.position', { n: q.position }));
    if (q.eta) bits.push(tr('queue.eta', { n: Math.max(1, Math.round(q.eta / 1000)) }));
    $('queue-detail').textContent = bits.join(' · ');
    $('queue-cancel').disabled = q.state === 'matched';
    this.tickQueue();
  }

  tickQueue() {
    if (!this.queue) return;
    const s = Math.floor((Date.now() - this.queue.since) / 1000);
    $('queue-elapsed').textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }

  onMatchStatus(m) {
    const state = m.state || '';
    if (state === 'queued') {
      const since = Date.now() - num(m.waited_ms, 0);
      this.queue = { ...(this.queue || { since }), mode: m.mode || (this.queue && this.queue.mode), state: 'queued', position: num(m.position, 0), eta: num(m.estimated_wait_ms, 0) };
      if (m.waited_ms !== undefined) this.queue.since = since;
    } else if (state === 'matched') {
      if (this.queue) this.queue.state = 'matched';
      else this.queue = { mode: m.mode, since: Date.now(), state: 'matched' };
    } else if (state === 'cancelled') {
      this.queue = null;
    }
    this.renderQueue();
  }

  // ---------------------------------------------------------------- connection
  bindConn() {
    this.conn.on('state', (s, info) => {
      document.body.dataset.conn = s;
      const banner = $('conn-banner');
      if (s === 'reconnecting') {
        banner.hidden = false;
        $('conn-spinner').hidden = false;
        const secs = info && info.delay ? Math.max(1, Math.round(info.delay / 1000)) : 0;
        $('conn-text').textContent = secs ? tr('conn.lost', { n: secs, a: info.attempt }) : tr('conn.reconnecting');
        $('conn-retry').hidden = !secs;
      } else if (s === 'open' || s === 'idle') {
        banner.hidden = true;
      }
    });
    $('conn-retry').onclick = () => {
      if (this.conn.state === 'closed' || this.conn.state === 'idle') this.conn.start();
      else this.conn.reconnectNow();
    };
    this.conn.on('kick', (reason, text) => {
      const banner = $('conn-banner');
      banner.hidden = false;
      $('conn-spinner').hidden = true; // nothing is being tried: the player decides
      $('conn-text').textContent = text;
      $('conn-retry').hidden = false;
      $('conn-retry').textContent = tr('conn.reconnect');
      this.toast(text, 'err');
    });
    this.conn.on('ready', () => {
      $('conn-retry').textContent = tr('conn.retry');
      this.fetchState(true);
      if (this.screen === 'lobby') {
        this.loadAccount();
        this.lobby.refresh();
      }
    });
    this.conn.onPush('match.status', (m) => this.onMatchStatus(m));
    this.conn.onPush('ddz.snapshot', (s) => this.onSnapshot(s));
    this.conn.onPush('ddz.event', (e) => this.onEvent(e));
    this.conn.onPush('ddz.result', (r) => this.onResult(r));
    // Table chat arrives as "ddz.message" (id 353): the name "ddz.chat" is
    // the request's. Both are accepted.
    this.conn.onPush('ddz.message', (c) => this.onChat(c));
    this.conn.onPush('ddz.chat', (c) => this.onChat(c));
    bindNotices(this.conn, (text, kind) => this.toast(text, kind));
  }

  // fetchState asks for the running table (after a connect or a gap in
  // the events); without one, the player is in the lobby.
  async fetchState(onConnect = false) {
    try {
      const s = await this.conn.request('ddz.state', {});
      this.onSnapshot(s);
      this.bootDone('table');
    } catch (err) {
      this.bootDone('lobby');
      if (err.rule === 'not_at_table' || err.code === 'not_found' || err.code === 'conflict') {
        if (this.table && !this.table.resultShown) {
          // The table ended while we were away: show how, from the record.
          this.missedEnd(this.table);
        }
        if (onConnect && this.queue && this.queue.state !== 'matched') this.rejoinQueue();
        if (this.screen !== 'table' && !this.api.loggedIn) this.show('auth');
        return;
      }
      if (err.code !== 'closed' && err.code !== 'unavailable') this.toast(reasonText(err), 'err');
    }
  }

  // missedEnd shows the result of a game that ended while the player was
  // away (ddz.game answers its record), or goes back to the lobby.
  async missedEnd(t) {
    try {
      const rec = await this.conn.request('ddz.game', { game_id: t.gameId });
      if (this.table !== t) return;
      if (rec.state === 'finished' && rec.result) {
        this.onResult({ ...rec.result, game_id: t.gameId });
        return;
      }
      if (rec.state === 'cancelled') this.toast(tr('game.cancelled'), 'err');
    } catch {
      // No record: nothing more to show.
    }
    if (this.table !== t) return;
    this.table = null;
    this.view.reset();
    this.show('lobby');
    this.loadAccount();
  }

  async rejoinQueue() {
    const q = this.queue;
    try {
      await this.conn.request('match.join', { mode: q.mode });
    } catch (err) {
      if (err.rule === 'already_seated') this.fetchState();
      else if (err.rule !== 'already_queued') {
        this.queue = null;
        this.renderQueue();
        this.lobbyError(reasonText(err));
      }
    }
  }

  // ---------------------------------------------------------------- table
  bindTable() {
    $('btn-auto').onclick = () => {
      const t = this.table;
      if (!t) return;
      const on = !t.auto[t.seat];
      if (on) sessionStorage.setItem(AUTO_KEY, t.gameId);
      else sessionStorage.removeItem(AUTO_KEY);
      this.act('ddz.autoplay', { on });
    };
    $('btn-chat').onclick = (ev) => {
      ev.stopPropagation();
      this.toggleChat();
    };
    this.leave = new LeaveFlow(() => this.conn, () => {
      // The seat plays on for us on auto-play; the result is in the record.
      this.toast(tr('table.left'));
      $('result').hidden = true;
      this.table = null;
      this.view.reset();
      this.show('lobby');
      this.loadAccount();
    }, (err) => this.toast(reasonText(err), 'err'));
    $('btn-leave').onclick = () => this.leave.open();
    document.addEventListener('click', (ev) => {
      if (!$('chat-menu').hidden && !ev.target.closest('#chat-menu')) this.toggleChat(false);
    });
    $('result-lobby').onclick = () => {
      $('result').hidden = true;
      this.table = null;
      this.view.reset();
      this.show('lobby');
      this.loadAccount();
    };
    $('result-again').onclick = () => {
      const mode = (this.table && this.table.mode) || this.lastMode;
      $('result').hidden = true;
      this.table = null;
      this.view.reset();
      this.show('lobby');
      this.loadAccount();
      this.join(mode);
    };
    document.addEventListener('keydown', (ev) => {
      // A focused control keeps its own keys (Enter on a button clicks it).
      if (this.screen !== 'table' || ev.target.closest('input, textarea, button')) return;
      if (ev.key === 'Enter') this.clickIfEnabled('btn-play');
      else if (ev.key === ' ') {
        ev.preventDefault();
        this.clickIfEnabled('btn-pass');
      } else if (ev.key === 'h' || ev.key === 'H') this.clickIfEnabled('btn-hint');
      else if (ev.key === 'Escape') this.view.clearSelection();
    });
  }

  clickIfEnabled(id) {
    const b = $(id);
    if (b && !b.disabled) b.click();
  }

  toggleChat(open) {
    const menu = $('chat-menu');
    const show = open === undefined ? menu.hidden : open;
    menu.hidden = !show;
    $('btn-chat').setAttribute('aria-expanded', String(show));
    if (!show) return;
    const phrases = (this.table && this.table.phrases && this.table.phrases.length ? this.table.phrases : DEFAULT_PHRASES());
    const form = document.createElement('form');
    form.className = 'chat-form';
    form.innerHTML = `<input maxlength="60" placeholder="${esc(tr('chat.placeholder'))}" aria-label="${esc(tr('chat.label'))}" data-testid="chat-text"><button class="btn btn-primary btn-small" type="submit">${esc(tr('chat.send'))}</button>`;
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const text = form.querySelector('input').value.trim();
      if (!text) return;
      this.toggleChat(false);
      this.act('ddz.chat', { text });
    };
    menu.replaceChildren(
      ...phrases.map((p, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = p;
        b.dataset.testid = 'chat-phrase';
        b.onclick = () => {
          this.toggleChat(false);
          this.act('ddz.chat', { phrase: i + 1 });
        };
        return b;
      }),
      form,
    );
  }

  onSnapshot(s) {
    // An answer to ddz.state is taken when the server handles the request,
    // and events that happen after it can arrive first: a snapshot older
    // than the events already applied is stale.
    if (this.table && this.table.gameId === s.game_id && num(s.seq, 0) < (this.table.seq || 0)) return;
    const t = this.table && this.table.gameId === s.game_id ? this.table : emptyTable();
    const fresh = t !== this.table;
    applySnapshot(t, s);
    t.bidHistory = bidsFromSnapshot(s);
    // The server may leave a human's name empty: use the account's for
    // this player and a neutral one for the others.
    const me = normAccount(this.account || {});
    t.players.forEach((p, i) => {
      if (!p.name) p.name = i === t.seat ? (this.account ? me.name : tr('you')) : p.bot ? tr('bot.n', { n: i + 1 }) : tr('player.n', { n: i + 1 });
    });
    this.table = t;
    // A seat goes to auto-play when its player drops (a reload, a lost
    // connection). Take it back unless the player switched it on.
    if (t.auto[t.seat] && t.phase !== 'over' && sessionStorage.getItem(AUTO_KEY) !== t.gameId) {
      this.act('ddz.autoplay', { on: false });
    }
    if (fresh) {
      this.view.reset();
      $('result').hidden = true;
    }
    this.queue = null;
    this.renderQueue();
    this.hints = null;
    this.show('table');
    this.renderTable();
  }

  onEvent(e) {
    const t = this.table;
    if (!t || (e.game_id && t.gameId && e.game_id !== t.gameId)) {
      this.fetchState();
      return;
    }
    const seq = num(e.seq, 0);
    if (seq && t.seq && seq <= t.seq) return; // already in the snapshot
    if (seq && t.seq && seq > t.seq + 1) {
      this.fetchState(); // a gap: take the whole table again
      return;
    }
    applyEvent(t, e);
    trackBids(t, e);
    const late = timeoutNotice(t, e);
    if (late) this.toast(late, num(e.seat, 0) === t.seat ? 'err' : '');
    if (e.kind === 'deal' && num(e.value, 1) > 1) this.toast(tr('table.redeal'));
    // The table is paused by a database outage: a snapshot resumes it,
    // or a "cancel" ends it (docs/protocol-ddz.md, Database outages).
    if (e.kind === 'paused') this.toast(tr('game.paused_store'), 'err');
    if (e.kind === 'cancel') {
      this.toast(tr('game.cancelled'), 'err');
      this.table = null;
      this.view.reset();
      this.show('lobby');
      this.loadAccount();
      return;
    }
    this.hints = null;
    if (e.kind === 'play' || e.kind === 'pass' || e.kind === 'bid' || e.kind === 'landlord') this.hideTableError();
    if (e.kind === 'play' && (e.type === 'bomb' || e.type === 'rocket')) this.fx(esc(tr(e.type === 'rocket' ? 'fx.rocket' : 'fx.bomb')), `×${t.multiplier}`);
    if (e.kind === 'landlord') this.fx(t.seat === t.landlord ? esc(tr('fx.you_landlord')) : esc(tr('fx.is_landlord', { who: this.view.playerName(t, t.landlord) })), tr('fx.bid', { n: t.highestBid }), true);
    this.renderTable();
  }

  // fx flashes a big word over the table (bombs, the landlord).
  fx(html, sub, small = false) {
    const el = $('fx');
    el.innerHTML = `${html}<small>${esc(sub)}</small>`;
    el.classList.toggle('fx-small', small);
    el.hidden = false;
    el.style.animation = 'none';
    void el.offsetWidth;
    el.style.animation = '';
    clearTimeout(this.fxTimer);
    this.fxTimer = setTimeout(() => (el.hidden = true), 1400);
  }

  onChat(c) {
    const t = this.table;
    if (!t) return;
    const phrases = t.phrases && t.phrases.length ? t.phrases : DEFAULT_PHRASES();
    const text = num(c.phrase, 0) ? phrases[num(c.phrase, 0) - 1] || '' : c.text || '';
    if (text) this.view.showChat(num(c.seat, 0), text);
  }

  myTurn() {
    const t = this.table;
    return !!t && t.turn === t.seat && (t.phase === 'bidding' || t.phase === 'doubling' || t.phase === 'playing');
  }

  renderTable() {
    const t = this.table;
    if (!t) return;
    // State for tests and tools: stable attributes on the table screen.
    const scr = $('screen-table');
    scr.dataset.seq = String(t.seq);
    scr.dataset.deal = String(t.deal);
    scr.dataset.phase = t.phase;
    scr.dataset.turn = String(t.turn);
    scr.dataset.myTurn = String(this.myTurn());
    scr.dataset.seat = String(t.seat);
    scr.dataset.landlord = String(t.landlord);
    scr.dataset.auto = String(!!t.auto[t.seat]);
    scr.dataset.gameId = t.gameId;
    renderBids($('bid-history'), t);
    $('btn-leave').hidden = t.phase === 'over';
    this.view.render(t);
    this.renderActions();
    const auto = t.auto[t.seat];
    $('btn-auto').classList.toggle('on', auto);
    $('btn-auto').setAttribute('aria-pressed', String(auto));
    $('btn-auto').textContent = tr(auto ? 'table.auto_on' : 'table.auto');
    $('btn-auto').disabled = t.phase === 'over';
    if (t.phase === 'over' && t.settlement && !t.resultShown) this.showResult();
    document.title = this.myTurn() ? `\u25CF ${tr('title.turn')}` : tr('app.title');
  }

  renderActions() {
    const t = this.table;
    const box = $('actions');
    const parts = [];
    const timer = '<div class="timer" data-testid="countdown"></div>';
    if (t.auto[t.seat] && t.phase !== 'over') {
      parts.push(`<span class="chip">${esc(tr('table.auto_playing'))}</span>`);
      parts.push(`<button type="button" class="btn btn-gold" data-testid="btn-auto-off" id="btn-auto-off">${esc(tr('table.take_over'))}</button>`);
    } else if (this.myTurn() && t.phase === 'bidding') {
      parts.push(`<button type="button" class="btn btn-ghost" data-testid="btn-bid-0" data-bid="0">${esc(tr('bid.none'))}</button>`);
      for (const v of [1, 2, 3]) {
        parts.push(`<button type="button" class="btn btn-gold" data-testid="btn-bid-${v}" data-bid="${v}"${v <= t.highestBid ? ' disabled' : ''}>${esc(tr(v > 1 ? 'bid.pts' : 'bid.n', { n: v }))}</button>`);
      }
      parts.push(timer);
    } else if (this.myTurn() && t.phase === 'doubling') {
      parts.push(`<button type="button" class="btn btn-ghost" data-testid="btn-double-0" data-double="0">${esc(tr('double.no'))}</button>`);
      parts.push(`<button type="button" class="btn btn-gold" data-testid="btn-double-1" data-double="1">${esc(tr('double.yes'))} ×2</button>`);
      parts.push(timer);
    } else if (this.myTurn() && t.phase === 'playing') {
      if (t.canShow) parts.push(`<button type="button" class="btn btn-gold" id="btn-show" data-testid="btn-show" title="${esc(tr('show.title'))}">${esc(tr('show.button'))} ×2</button>`);
      parts.push(`<button type="button" class="btn btn-ghost" id="btn-pass" data-testid="btn-pass" title="${esc(tr('table.pass_title'))}"${t.leading ? ' disabled' : ''}>${esc(tr('table.pass'))}</button>`);
      parts.push(`<button type="button" class="btn btn-primary" id="btn-hint" data-testid="btn-hint" title="${esc(tr('table.hint_title'))}">${esc(tr('table.hint'))}</button>`);
      parts.push(timer);
      parts.push(`<button type="button" class="btn btn-green" id="btn-play" data-testid="btn-play" title="${esc(tr('table.play_title'))}" disabled>${esc(tr('table.play'))}</button>`);
    }
    const key = parts.join('');
    if (box.dataset.key !== key) {
      box.dataset.key = key;
      box.innerHTML = key;
      for (const b of box.querySelectorAll('[data-bid]')) b.onclick = () => this.act('ddz.bid', { value: Number(b.dataset.bid) });
      for (const b of box.querySelectorAll('[data-double]')) b.onclick = () => this.act('ddz.double', { double: b.dataset.double === '1' });
      if ($('btn-show')) $('btn-show').onclick = () => this.act('ddz.show', {});
      if ($('btn-pass')) $('btn-pass').onclick = () => this.act('ddz.pass', {});
      if ($('btn-hint')) $('btn-hint').onclick = () => this.hint();
      if ($('btn-play')) $('btn-play').onclick = () => this.play();
      if ($('btn-auto-off')) {
        $('btn-auto-off').onclick = () => {
          sessionStorage.removeItem(AUTO_KEY);
          this.act('ddz.autoplay', { on: false });
        };
      }
    }
    this.onSelectionChange();
    this.view.tick();
  }

  onSelectionChange() {
    const b = $('btn-play');
    if (b) b.disabled = this.view.selected.size === 0 || this.acting;
  }

  async play() {
    const cards = this.view.selectedCards();
    if (!cards.length) return;
    const ok = await this.act('ddz.play', { faces: sortAsc(cards) });
    if (ok) this.view.clearSelection();
  }

  async hint() {
    this.hideTableError();
    const t = this.table;
    const key = `${t.seq}`;
    if (!this.hints || this.hints.key !== key) {
      try {
        const r = await this.conn.request('ddz.hint', {});
        this.hints = { key, plays: (r.plays || []).filter((p) => p.cards && p.cards.length), i: 0 };
        for (const p of this.hints.plays) if (p.faces && p.faces.length) p.cards = p.faces;
      } catch (err) {
        this.showTableError(err);
        return;
      }
    }
    const h = this.hints;
    if (!h.plays.length) {
      this.showTableError({ message: tr('table.nothing_beats') }, 'nothing_beats');
      this.view.clearSelection();
      return;
    }
    this.view.selectCards(h.plays[h.i % h.plays.length].cards);
    h.i++;
  }

  // act sends one table request; a rule error is shown over the table and
  // changes nothing else.
  async act(route, body) {
    if (this.acting && route !== 'ddz.chat') return false;
    const isChat = route === 'ddz.chat';
    if (!isChat) this.acting = true;
    this.onSelectionChange();
    // A move names the table it was made at: one the table has moved past
    // meanwhile (our own timer played for us) is refused as stale_state
    // and changes nothing; the pushes on their way show the table as is.
    if (MOVES.has(route) && this.table && this.table.seq) body = { ...body, seq: this.table.seq };
    try {
      await this.conn.request(route, body);
      if (!isChat) this.hideTableError();
      return true;
    } catch (err) {
      if (err.rule !== 'stale_state') this.showTableError(err);
      return false;
    } finally {
      if (!isChat) this.acting = false;
      this.onSelectionChange();
    }
  }

  showTableError(err, rule) {
    const el = $('table-error');
    el.textContent = err instanceof ProtoError || err instanceof ApiError ? reasonText(err) : err.message || String(err);
    el.dataset.rule = rule || err.rule || err.code || '';
    el.hidden = false;
    // Restart the shake animation.
    el.style.animation = 'none';
    void el.offsetWidth;
    el.style.animation = '';
    clearTimeout(this.errTimer);
    this.errTimer = setTimeout(() => this.hideTableError(), 4000);
  }

  hideTableError() {
    $('table-error').hidden = true;
  }

  onResult(r) {
    const t = this.table;
    if (!t || (r.game_id && t.gameId && r.game_id !== t.gameId)) return;
    t.settlement = r;
    t.phase = 'over';
    t.turn = -1;
    t.deadline = 0;
    this.renderTable();
  }

  showResult() {
    const t = this.table;
    const r = t.settlement;
    t.resultShown = true;
    const me = t.seat;
    const landlord = num(r.landlord, 0);
    const landlordWon = !!r.landlord_won;
    const iWon = (me === landlord) === landlordWon;
    const card = document.querySelector('.result-card');
    card.classList.toggle('lose', !iWon);
    $('result').dataset.won = String(!r.cancelled && iWon);
    $('result').dataset.gameId = t.gameId || '';
    if (r.cancelled) {
      $('result-title').textContent = tr('result.cancelled');
      $('result-sub').textContent = tr('result.cancelled_sub');
    } else {
      $('result-title').textContent = tr(iWon ? 'result.win' : 'result.lose');
      const spring = tr(r.spring ? 'result.with_spring' : r.anti_spring ? 'result.with_anti_spring' : 'result.period');
      $('result-sub').textContent = (landlordWon ? tr('result.landlord_wins', { who: this.view.playerName(t, landlord) }) : tr('result.farmers_win')) + spring;
    }
    const bid = num(r.bid_value, 0);
    const bombs = num(r.bombs, 0);
    const mult = num(r.multiplier, 0);
    const base = num(r.base_stake, 0);
    const scores = (r.scores || []).map((x) => num(x, 0));
    const coins = (r.coins || []).map((x) => num(x, 0));
    const rating = (r.rating || []).map((x) => num(x, 0));
    const rows = [
      [tr('result.bid'), `${bid}`],
      [tr('result.bombs'), bombs ? `${bombs} (×${2 ** bombs})` : '0'],
      [tr('result.spring'), r.spring ? tr('result.spring_x2') : r.anti_spring ? tr('result.anti_spring_x2') : tr('result.no')],
      ...(r.shown ? [[tr('result.shown'), tr('result.shown_x2')]] : []),
      [tr('result.base'), `${base}`],
      [tr('result.multiplier'), `×${mult}`],
      ...((r.doubles || []).length === 3
        ? [[tr('result.doubles'), [0, 1, 2].map((s) => `${t.players[s] && s === me ? tr('you') : this.view.playerName(t, s)} ×${num(r.doubles[s], 1)}`).join(' · ')],
           [tr('result.pair'), me === landlord ? [0, 1, 2].filter((s) => s !== landlord).map((s) => `×${num((r.pairs || [])[s], 0)}`).join(' + ') : `×${num((r.pairs || [])[me], 0)}`]]
        : []),
      [tr('result.points'), signed(scores[me] || 0)],
    ];
    $('result-breakdown').innerHTML = rows.map(([k, v], i) => `<dt${i === rows.length - 1 ? ' class="total"' : ''}>${esc(k)}</dt><dd${i === rows.length - 1 ? ' class="total"' : ''} data-testid="breakdown-${i}">${esc(v)}</dd>`).join('');
    $('result-hands').innerHTML = [0, 1, 2]
      .map((s) => {
        const v = scores[s] || 0;
        return `<div class="row"><span>${esc(this.view.playerName(t, s))}${s === me ? esc(tr('result.you_mark')) : ''}</span><span class="role ${s === landlord ? 'landlord' : 'farmer'}">${esc(tr(s === landlord ? 'role.landlord' : 'role.farmer'))}</span><span class="score ${v > 0 ? 'plus' : v < 0 ? 'minus' : ''}">${signed(v)}</span>${revealedHTML(r, s)}</div>`;
      })
      .join('');
    const delta = $('result-delta');
    const myCoins = coins[me] || 0;
    const bal = num(r.balance_after, 0);
    const rat = rating[me] || 0;
    let html = '';
    if (t.mode === 'practice') {
      html = `${esc(tr('result.points_n', { n: signed(scores[me] || 0) }))}<small>${esc(tr('result.practice_note'))}</small>`;
      delta.className = `result-delta ${tone(scores[me] || 0)}`;
    } else {
      const note = t.players.some((p) => p.bot) ? tr('result.house_note') : '';
      const rated = rat ? tr('result.rating_change', { d: signed(rat), r: num(r.rating_after, 0) }) : '';
      html = `${esc(tr('result.coins_n', { n: signed(myCoins) }))}<small>${esc(note + tr('result.balance', { n: bal.toLocaleString(tr('locale')) }) + rated)}</small>`;
      delta.className = `result-delta ${tone(myCoins)}`;
    }
    delta.innerHTML = html;
    $('result').hidden = false;
    $('result-again').focus();
  }
}

function tone(n) {
  return n > 0 ? 'plus' : n < 0 ? 'minus' : '';
}

function signed(n) {
  return n > 0 ? `+${n}` : String(n);
}

function authErrorText(err) {
  if (err.code === 'unauthenticated') return err.message && !/log in again/i.test(err.message) && currentLang() === 'en' ? err.message : tr('auth.wrong');
  if (err.code === 'conflict') return currentLang() === 'en' ? err.message || tr('auth.taken') : tr('auth.taken');
  return errorText(err);
}

// normAccount reads GET /v1/account, whatever the exact nesting of its
// balance, rating and stats (docs/api.md).
function normAccount(a) {
  const acc = a.account || a.user || a;
  const stats = a.stats || acc.stats || {};
  const wallet = a.wallet || acc.wallet || {};
  const pick = (...xs) => {
    for (const x of xs) if (x !== undefined && x !== null && x !== '') return x;
    return null;
  };
  const coins = pick(a.balance, acc.balance, wallet.balance, a.coins, acc.coins);
  const rating = pick(a.rating, acc.rating, stats.rating);
  return {
    name: pick(acc.display_name, acc.username, a.display_name, a.username) || tr('player'),
    guest: !!pick(acc.guest, a.guest, acc.is_guest),
    coins: coins === null ? null : Number(coins),
    rating: rating === null ? null : Number(rating),
    stats: {
      games: Number(pick(stats.games, stats.games_played) || 0),
      wins: Number(pick(stats.wins, stats.games_won) || 0),
      landlord: Number(pick(stats.landlord_games, stats.as_landlord, stats.landlord) || 0),
      farmer: Number(pick(stats.farmer_games, stats.as_farmer, stats.farmer) || 0),
      best: Number(pick(stats.best_multiplier, stats.best) || 0),
    },
  };
}

const app = new App();
window.lordgame = app; // for debugging from the console
app.start();
