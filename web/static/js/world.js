// The world page (/world): log in (or play as a guest), enter the MMO
// world over the realtime connection, walk with the arrow keys or by
// clicking, see the players in view move, talk in the world chat. What is
// drawn comes from the server's world.enter answer and world.tick pushes;
// the page only asks to move. After a dropped connection it reconnects and
// enters again, which within the server's grace period gives back the same
// player where it was.

import { Api, errorText } from './api.js';
import { Conn, kickText } from './ws.js';
import { t, has, bindLangSwitch } from './i18n.js';
import { WorldModel } from './world-model.js';
import { WorldView } from './world-view.js';

const $ = (id) => document.getElementById(id);

const CHAT_KEEP = 100; // chat lines kept on the page
// A move covers at most this share of what the server allows for the time
// since the previous one, leaving room for timers and network jitter.
const SPEED_SHARE = 0.75;

const KEYS = {
  ArrowUp: [0, 1],
  ArrowDown: [0, -1],
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  w: [0, 1],
  s: [0, -1],
  a: [-1, 0],
  d: [1, 0],
  W: [0, 1],
  S: [0, -1],
  A: [-1, 0],
  D: [1, 0],
};

// why is what to tell the player about a refused request: the catalogue's
// words for the server's rule (world.rule.*, else the lobby's rule.*) in
// the page's language; without a rule known there, the words for its code
// (errorText: the server's message in English).
function why(err) {
  if (!err) return '';
  for (const key of [`world.rule.${err.rule}`, `rule.${err.rule}`]) if (err.rule && has(key)) return t(key);
  return errorText(err);
}

class WorldApp {
  constructor() {
    this.api = new Api('/v1');
    this.model = new WorldModel();
    this.view = new WorldView($('world-canvas'));
    this.state = '';
    this.wantIn = true; // enter on every (re)connect unless the player left
    this.keys = new Set();
    this.target = null; // where a click asked to walk to
    // Movement: base is the last position the server accepted from us;
    // one move is in flight at a time, so base is always what the server
    // measures the next move from.
    this.base = null;
    this.inFlight = false;
    this.lastSent = 0;
    this.moveTimer = 0;
    this.retryTimer = 0;
    // What the gate and the connection banner say, kept as functions so a
    // language switch says it again in the new language.
    this.gateText = () => t('world.gate_text');
    this.connText = () => t('conn.reconnecting');
    this.conn = new Conn({
      getToken: () => this.api.token(),
      refreshToken: () => this.api.refresh().then(() => this.api.token()),
      onAuthFailed: () => this.loggedOut(),
    });
    this.api.onSessionLost = () => this.loggedOut();
    this.bindConn();
    this.bindInput();
    this.bindChat();
    this.bindGate();
    this.bindLang();
    new ResizeObserver(() => this.view.resize()).observe($('world-stage'));
    this.view.resize();
    requestAnimationFrame((t) => this.frame(t));
  }

  start() {
    if (!this.api.loggedIn) {
      this.loggedOut();
      return;
    }
    this.setState('connecting');
    this.conn.start();
  }

  setState(s) {
    this.state = s;
    $('world').dataset.state = s;
    $('world-leave').disabled = s !== 'in';
    const gate = s === 'auth' || s === 'left' || s === 'closed';
    $('world-gate').hidden = !gate;
    $('world-guest').hidden = s !== 'auth';
    $('world-enter').hidden = s !== 'left' && s !== 'closed';
    if (s === 'auth') this.gateText = () => t('world.gate_text');
    if (s === 'left') this.gateText = () => t('world.left');
    $('world-gate-text').textContent = this.gateText();
    this.renderStatus();
  }

  loggedOut() {
    this.wantIn = true;
    this.conn.stop();
    this.model.clear();
    this.renderPlayers();
    this.setState('auth');
  }

  toast(text, kind = '') {
    const el = document.createElement('div');
    el.className = `toast ${kind}`;
    el.dataset.testid = 'toast';
    el.textContent = text;
    $('toasts').append(el);
    setTimeout(() => el.remove(), 4500);
  }

  // ---------------------------------------------------------------- connection
  bindConn() {
    this.conn.on('state', (s, info) => {
      const banner = $('conn-banner');
      if (s === 'reconnecting') {
        banner.hidden = false;
        const secs = info && info.delay ? Math.max(1, Math.round(info.delay / 1000)) : 0;
        const attempt = info && info.attempt;
        this.setConnText(() => (secs ? t('conn.lost', { n: secs, a: attempt }) : t('conn.reconnecting')));
        $('conn-retry').hidden = !secs;
        if (this.state === 'in' || this.state === 'entering') this.setState('connecting');
      } else if (s === 'open' || s === 'idle') {
        banner.hidden = true;
      }
    });
    $('conn-retry').onclick = () => {
      if (this.conn.state === 'closed' || this.conn.state === 'idle') this.conn.start();
      else this.conn.reconnectNow();
    };
    this.conn.on('kick', (reason, text, message) => {
      const say = () => kickText(reason, message);
      $('conn-banner').hidden = false;
      this.setConnText(say);
      $('conn-retry').hidden = false;
      $('conn-retry').dataset.i18n = 'conn.reconnect';
      $('conn-retry').textContent = t('conn.reconnect');
      this.toast(text, 'err');
      if (!this.conn.want) {
        // A kick after which the connection stays down (logged in
        // elsewhere, banned): offer to come back by hand.
        clearInterval(this.moveTimer);
        this.setState('closed');
        this.gateText = say;
        $('world-gate-text').textContent = say();
      }
    });
    this.conn.on('ready', () => {
      $('conn-retry').dataset.i18n = 'conn.retry';
      $('conn-retry').textContent = t('conn.retry');
      if (this.wantIn) this.enter();
      else this.setState('left');
    });
    this.conn.onPush('world.tick', (t) => this.onTick(t));
    this.conn.onPush('world.chat_msg', (m) => this.onChat(m));
  }

  setConnText(fn) {
    this.connText = fn;
    $('conn-text').textContent = fn();
  }

  // ---------------------------------------------------------------- language
  bindLang() {
    bindLangSwitch(() => this.relabel());
  }

  // relabel writes again what the page wrote in the old language.
  relabel() {
    $('world-gate-text').textContent = this.gateText();
    $('conn-text').textContent = this.connText();
    for (const b of $('world-chat-log').querySelectorAll('li.mine > b')) b.textContent = t('world.you');
    this.renderPlayers();
  }

  async enter() {
    clearTimeout(this.retryTimer);
    this.wantIn = true;
    this.setState('entering');
    let r;
    try {
      r = await this.conn.request('world.enter', {});
    } catch (err) {
      if (err.code === 'closed' || err.code === 'timeout') return; // the next 'ready' enters again
      if (err.code === 'unavailable') {
        this.retryTimer = setTimeout(() => this.conn.state === 'open' && this.wantIn && this.enter(), 1000);
        return;
      }
      this.toast(why(err), 'err');
      this.setState('closed');
      return;
    }
    if (!this.wantIn) return;
    this.model.enter(r, performance.now());
    const self = this.model.self;
    this.base = { x: self.x, z: self.z };
    this.inFlight = false;
    this.target = null;
    this.lastSent = performance.now();
    clearInterval(this.moveTimer);
    this.moveTimer = setInterval(() => this.step(), this.model.tickMs);
    this.setState('in');
    this.markMoving();
    this.renderPlayers();
  }

  async leave() {
    this.wantIn = false;
    clearInterval(this.moveTimer);
    this.target = null;
    try {
      await this.conn.request('world.leave', {});
    } catch (err) {
      if (err.rule !== 'not_in_world' && err.code !== 'closed') this.toast(why(err), 'err');
    }
    this.model.clear();
    this.renderPlayers();
    this.setState('left');
  }

  onTick(t) {
    if (!this.wantIn || (this.state !== 'in' && this.state !== 'entering')) return;
    this.model.applyTick(t, performance.now());
    this.renderPlayers();
  }

  // ---------------------------------------------------------------- moving
  bindInput() {
    const typing = (ev) => ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    window.addEventListener('keydown', (ev) => {
      if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey || !KEYS[ev.key]) return;
      ev.preventDefault();
      this.keys.add(ev.key);
      this.target = null;
      this.markMoving();
    });
    window.addEventListener('keyup', (ev) => {
      this.keys.delete(ev.key);
      this.markMoving();
    });
    window.addEventListener('blur', () => {
      this.keys.clear();
      this.markMoving();
    });
    // A click or tap walks there; holding and dragging steers.
    const canvas = $('world-canvas');
    const aim = (ev) => {
      const r = canvas.getBoundingClientRect();
      const w = this.view.toWorld(ev.clientX - r.left, ev.clientY - r.top);
      this.target = this.model.clamp(w.x, w.z);
      this.markMoving();
    };
    canvas.addEventListener('pointerdown', (ev) => {
      if (this.state !== 'in' || !this.model.map) return;
      ev.preventDefault();
      try {
        canvas.setPointerCapture(ev.pointerId);
      } catch {
        // the pointer is already gone: a click without a drag
      }
      aim(ev);
      $('world-help').hidden = true;
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (this.state === 'in' && this.model.map && canvas.hasPointerCapture(ev.pointerId)) aim(ev);
    });
    $('world-chat-input').addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') ev.target.blur();
    });
    $('world-leave').onclick = () => this.leave();
  }

  // direction is the unit vector of the arrow keys held, or null.
  direction() {
    let dx = 0;
    let dz = 0;
    for (const k of this.keys) {
      dx += KEYS[k][0];
      dz += KEYS[k][1];
    }
    const n = Math.hypot(dx, dz);
    return n ? { dx: dx / n, dz: dz / n } : null;
  }

  // markMoving tells the page whether the player is still asking to move,
  // and the last position the server accepted (its goal): once not
  // moving, the pushes bring the player's own position to the goal.
  markMoving() {
    const w = $('world');
    w.dataset.moving = String(this.keys.size > 0 || !!this.target || this.inFlight);
    if (this.base) {
      w.dataset.goalX = String(this.base.x);
      w.dataset.goalZ = String(this.base.z);
    }
  }

  // step sends the next move, once per tick at most: a stretch the server
  // accepts for the time since the previous move, towards the keys'
  // direction or the clicked target, kept on the map.
  step() {
    if (this.state !== 'in' || this.inFlight || !this.base) return;
    const dir = this.direction();
    if (!dir && !this.target) {
      this.markMoving();
      return;
    }
    const now = performance.now();
    // After a pause, start with a tick's stretch, not a leap.
    const since = now - this.lastSent;
    const dt = (since > 2 * this.model.tickMs ? this.model.tickMs : Math.max(this.model.tickMs, since)) / 1000;
    const reach = this.model.maxSpeed * dt * SPEED_SHARE;
    let next;
    if (dir) {
      next = this.model.clamp(this.base.x + dir.dx * reach, this.base.z + dir.dz * reach);
    } else {
      const dx = this.target.x - this.base.x;
      const dz = this.target.z - this.base.z;
      const d = Math.hypot(dx, dz);
      if (d <= reach) {
        next = { ...this.target };
        this.target = null;
      } else {
        next = this.model.clamp(this.base.x + (dx / d) * reach, this.base.z + (dz / d) * reach);
      }
    }
    if (Math.abs(next.x - this.base.x) < 1e-3 && Math.abs(next.z - this.base.z) < 1e-3) return; // at the edge
    this.inFlight = true;
    this.lastSent = now;
    this.conn
      .request('world.move', { x: next.x, y: 0, z: next.z, v: 0 })
      .then(() => {
        this.base = next;
      })
      .catch((err) => {
        // Refused (too fast, off the map): base stays what the server
        // kept. Not in the world any more (the server forgot us): enter.
        if (err.rule === 'not_in_world' && this.wantIn && this.conn.state === 'open') this.enter();
      })
      .finally(() => {
        this.inFlight = false;
        this.markMoving();
      });
  }

  // ---------------------------------------------------------------- chat
  bindChat() {
    $('world-chat-form').onsubmit = async (ev) => {
      ev.preventDefault();
      const input = $('world-chat-input');
      const text = input.value.trim();
      if (!text) return;
      if (this.state !== 'in') {
        this.toast(t('world.must_enter'), 'err');
        return;
      }
      try {
        await this.conn.request('world.chat', { text });
        // Sent: cleared, unless the player typed on while it was on its way.
        if (input.value.trim() === text) input.value = '';
      } catch (err) {
        this.toast(why(err), 'err');
      }
    };
  }

  onChat(m) {
    const log = $('world-chat-log');
    const li = document.createElement('li');
    li.dataset.testid = 'world-chat-line';
    const from = Number(m.from) || 0;
    li.dataset.from = String(from);
    const who = document.createElement('b');
    who.textContent = from === this.model.selfId ? t('world.you') : m.name || `#${from}`;
    if (from === this.model.selfId) li.className = 'mine';
    const text = document.createElement('span');
    text.textContent = m.text || '';
    li.append(who, text);
    log.append(li);
    $('world-chat-empty').hidden = true;
    while (log.children.length > CHAT_KEEP) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  bindGate() {
    $('world-guest').onclick = async () => {
      $('world-guest').disabled = true;
      try {
        await this.api.guest();
        this.start();
      } catch (err) {
        this.toast(errorText(err), 'err');
      } finally {
        $('world-guest').disabled = false;
      }
    };
    $('world-enter').onclick = () => {
      this.wantIn = true;
      $('conn-banner').hidden = true;
      if (this.conn.state === 'open') this.enter();
      else {
        this.setState('connecting');
        this.conn.start();
      }
    };
  }

  // ---------------------------------------------------------------- rendering
  // renderPlayers writes the players the server says are in view, with
  // their server positions, into the page (a hidden list for tests and
  // screen readers) and the status line.
  renderPlayers() {
    const list = $('world-players');
    const items = [];
    for (const p of this.model.players.values()) {
      const li = document.createElement('li');
      li.dataset.testid = 'world-player';
      li.dataset.id = String(p.id);
      li.dataset.x = String(p.x);
      li.dataset.z = String(p.z);
      if (p.id === this.model.selfId) li.dataset.self = 'true';
      li.dataset.name = p.name || ''; // the display name the server gave
      const who = p.id === this.model.selfId ? t('you') : p.name || t('player.n', { n: p.id });
      li.textContent = t('world.player_at', { who, x: p.x.toFixed(1), z: p.z.toFixed(1) });
      items.push(li);
    }
    list.replaceChildren(...items);
    const w = $('world');
    w.dataset.selfId = String(this.model.selfId || '');
    w.dataset.inView = String(Math.max(0, this.model.players.size - (this.model.self ? 1 : 0)));
    w.dataset.tick = String(this.model.tick);
    this.renderStatus();
  }

  renderStatus() {
    const el = $('world-status');
    const self = this.model.self;
    if (this.state === 'in' && self) {
      const others = this.model.players.size - 1;
      el.textContent = t('world.status', { id: self.id, x: self.x.toFixed(0), z: self.z.toFixed(0), n: others });
    } else if (this.state === 'connecting' || this.state === 'entering') {
      el.textContent = t('world.connecting');
    } else {
      el.textContent = '';
    }
  }

  frame(t) {
    if (!document.hidden) this.view.draw(this.model, t, this.state === 'in' ? this.target : null);
    requestAnimationFrame((n) => this.frame(n));
  }
}

const app = new WorldApp();
window.lordworld = app; // for debugging in the console and for the tests
app.start();
