// Table rendering and hand interaction. The view reads the model (model.js)
// and calls back into the app for every action; it never talks to the
// server itself.

import { t as t_, has } from './i18n.js';
import { cardEl, cardBackEl, groupForDisplay, sortDesc } from './cards.js';
import { next, prev, typeName, COUNTER_RANKS } from './model.js';

const $ = (id) => document.getElementById(id);

// The narrowest visible strip of a covered hand card, in CSS px: below it
// the hand goes to two rows (a finger needs about this much to hit a card).
const MIN_STRIP = 34;

const CROWN = '<svg class="crown" viewBox="0 0 30 20" aria-hidden="true"><path d="M2 18 L4 5 L10 11 L15 2 L20 11 L26 5 L28 18 Z" fill="#f2c14e" stroke="#7a5200" stroke-width="1.2"/></svg>';

export function initials(name) {
  const s = String(name || '?').trim();
  return (s[0] || '?').toUpperCase();
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export class TableView {
  constructor(app) {
    this.app = app;
    this.selected = new Set(); // indexes into the rendered (sorted) hand
    this.handCards = []; // the hand as rendered: the server's cards, high to low
    this.handDeal = 0;
    this.drag = null;
    this.lastHandKey = '';
    this.chatTimers = [0, 0, 0];
    this.chat = [null, null, null];
    this.shownPlays = ['', '', ''];
    this.setupHand();
    setInterval(() => this.tick(), 250);
    window.addEventListener('resize', () => this.fitHand());
  }

  // ---------- hand selection: click/tap, and drag across ----------
  setupHand() {
    const hand = $('hand');
    const cardAt = (x, y) => {
      const el = document.elementFromPoint(x, y);
      const c = el && el.closest('#hand .card');
      return c ? Number(c.dataset.i) : -1;
    };
    hand.addEventListener('pointerdown', (ev) => {
      const i = cardAt(ev.clientX, ev.clientY);
      if (i < 0) return;
      ev.preventDefault();
      const on = !this.selected.has(i);
      this.drag = { on, seen: new Set([i]), id: ev.pointerId };
      this.setSel(i, on);
    });
    const move = (ev) => {
      if (!this.drag || ev.pointerId !== this.drag.id) return;
      const i = cardAt(ev.clientX, ev.clientY);
      if (i < 0 || this.drag.seen.has(i)) return;
      this.drag.seen.add(i);
      this.setSel(i, this.drag.on);
    };
    const end = (ev) => {
      if (this.drag && ev.pointerId === this.drag.id) this.drag = null;
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', end);
    window.addEventListener('pointercancel', end);
    // A double click on the felt clears the selection.
    document.querySelector('.felt').addEventListener('dblclick', (ev) => {
      if (!ev.target.closest('.card, button')) this.clearSelection();
    });
  }

  setSel(i, on) {
    if (on) this.selected.add(i);
    else this.selected.delete(i);
    const el = $('hand').querySelector(`.card[data-i="${i}"]`);
    if (el) el.classList.toggle('sel', on);
    this.app.onSelectionChange();
  }

  clearSelection() {
    this.selected.clear();
    for (const el of $('hand').querySelectorAll('.card.sel')) el.classList.remove('sel');
    this.app.onSelectionChange();
  }

  selectedCards() {
    return [...this.selected].sort((a, b) => a - b).map((i) => this.handCards[i]);
  }

  // selectCards selects exactly the given cards (a hint's faces) in the hand.
  selectCards(cards) {
    this.selected.clear();
    const want = [...cards];
    this.handCards.forEach((c, i) => {
      const k = want.indexOf(c);
      if (k >= 0) {
        want.splice(k, 1);
        this.selected.add(i);
      }
    });
    for (const el of $('hand').querySelectorAll('.card')) el.classList.toggle('sel', this.selected.has(Number(el.dataset.i)));
    this.app.onSelectionChange();
  }

  // ---------- rendering ----------
  render(t) {
    const me = t.seat;
    $('table-mode').textContent = modeName(t.mode);
    $('multiplier').textContent = t.multiplier || (t.highestBid || 1);
    $('bid-value').textContent = t.landlord >= 0 ? t.highestBid : t.highestBid ? t.highestBid : '–';
    this.renderBottom(t);
    this.renderSeat($('seat-right'), t, next(me), 'right');
    this.renderSeat($('seat-left'), t, prev(me), 'left');
    this.renderMe(t);
    this.renderHand(t);
    this.renderPlayed($('played-right'), t, next(me), 1);
    this.renderPlayed($('played-left'), t, prev(me), 2);
    this.renderPlayed($('played-me'), t, me, 0);
    this.renderCenter(t);
    this.renderCounter(t);
    this.tick();
  }

  // renderCounter draws the card counter (记牌器) the server sends: per
  // rank, the cards this player has not seen. Hidden without one.
  renderCounter(t) {
    const el = $('card-counter');
    if (!el) return;
    const on = !!t.counter && t.phase !== 'over' && t.phase !== 'waiting';
    el.hidden = !on;
    if (!on) return;
    const key = t.counter.join(',');
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    el.innerHTML =
      `<span class="counter-title">${esc(t_('counter.title'))}</span>` +
      COUNTER_RANKS.map((r, i) => {
        const n = t.counter[i];
        const label = r === 'BJ' ? t_('counter.bj') : r === 'RJ' ? t_('counter.rj') : r;
        return `<span class="counter-cell${n === 0 ? ' none' : ''}" data-testid="counter-${r}" data-rank="${r}" data-count="${n}"><b>${esc(label)}</b><i>${n}</i></span>`;
      }).join('');
  }

  renderBottom(t) {
    const box = $('bottom-cards');
    const key = t.bottom.join(',') + '|' + t.phase;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    if (t.bottom.length) {
      for (const c of sortDesc(t.bottom)) box.append(cardEl(c, 'sm'));
    } else {
      for (let i = 0; i < 3; i++) box.append(cardBackEl('sm'));
    }
  }

  playerName(t, seat) {
    const p = t.players[seat] || {};
    // A bot's name is the server's "Bot N": said in the page's language.
    if (p.bot) return t_('bot.n', { n: seat + 1 });
    return p.name || t_('seat.n', { n: seat + 1 });
  }

  roleHTML(t, seat) {
    if (t.landlord < 0) return `<span class="role">${esc(t_('role.bidding'))}</span>`;
    return seat === t.landlord
      ? `<span class="role landlord" data-testid="role">${esc(t_('role.landlord'))}</span>`
      : `<span class="role farmer" data-testid="role">${esc(t_('role.farmer'))}</span>`;
  }

  badgesHTML(t, seat) {
    const b = [];
    if (t.auto[seat]) b.push(`<span class="badge auto">${esc(t_('badge.auto'))}</span>`);
    if (!t.online[seat]) b.push(`<span class="badge off">${esc(t_('badge.offline'))}</span>`);
    if ((t.players[seat] || {}).bot) b.push(`<span class="badge">${esc(t_('badge.bot'))}</span>`);
    return `<div class="badges">${b.join('')}</div>`;
  }

  renderSeat(el, t, seat) {
    const p = t.players[seat] || {};
    const n = t.handSizes[seat] || 0;
    const turn = t.turn === seat && (t.phase === 'bidding' || t.phase === 'doubling' || t.phase === 'playing');
    el.classList.toggle('turn', turn);
    el.dataset.seat = seat;
    el.innerHTML =
      `<div class="avatar-wrap">${seat === t.landlord ? CROWN : ''}<div class="avatar${p.bot ? ' bot' : ''}${seat === t.landlord ? ' landlord' : ''}">${esc(initials(p.name))}</div>${turn ? '<div class="timer" data-testid="countdown"></div>' : ''}</div>` +
      `<div class="name" data-testid="opp-name">${esc(this.playerName(t, seat))}</div>` +
      this.roleHTML(t, seat) +
      (t.doubles[seat] === 2 ? `<span class="badge double" data-testid="badge-double">${esc(t_('double.badge'))}</span>` : '') +
      `<div class="count-stack${n > 0 && n <= 2 ? ' low' : ''}" title="${esc(t_('replay.cards', { n }))}"><div class="card back"></div><span class="n" data-testid="opp-count">${n}</span></div>` +
      this.badgesHTML(t, seat);
    // The landlord's shown hand (明牌), as the server sends it.
    if (t.shown && seat === t.landlord && t.shownHand.length) {
      const row = document.createElement('div');
      row.className = 'shown-hand';
      row.dataset.testid = 'shown-hand';
      row.dataset.count = String(t.shownHand.length);
      row.title = t_('show.shown');
      for (const c of t.shownHand) row.append(cardEl(c, 'sm'));
      el.append(row);
    }
  }

  renderMe(t) {
    const seat = t.seat;
    const p = t.players[seat] || {};
    $('me-info').classList.toggle('turn', t.turn === seat && (t.phase === 'bidding' || t.phase === 'doubling' || t.phase === 'playing'));
    $('me-info').innerHTML =
      `<div class="avatar-wrap">${seat === t.landlord ? CROWN : ''}<div class="avatar${seat === t.landlord ? ' landlord' : ''}">${esc(initials(p.name))}</div></div>` +
      `<div class="who"><span class="name" data-testid="me-name">${esc(p.name || t_('you'))}</span>${this.roleHTML(t, seat)}${t.doubles[seat] === 2 ? `<span class="badge double" data-testid="my-double">${esc(t_('double.badge'))}</span>` : ''}${t.shown && seat === t.landlord ? `<span class="badge shown" data-testid="my-shown">${esc(t_('show.badge'))}</span>` : ''}${t.auto[seat] ? `<span class="badge auto">${esc(t_('table.auto'))}</span>` : ''}</div>`;
  }

  renderPlayed(el, t, seat, pos) {
    const l = t.last[seat];
    const chat = this.chat[seat];
    let key = 'none';
    if (l) key = l.kind + ':' + (l.cards ? l.cards.join(',') : l.value);
    key += '|' + t.deal;
    el.dataset.seat = seat;
    // Every card the seat has played this deal, as the server sent them
    // (events and snapshots): for tests and tools, like data-seq.
    el.dataset.played = ((t.played && t.played[seat]) || []).join(',');
    el.classList.toggle('to-beat', !!t.current && t.current.seat === seat && t.phase === 'playing');
    // The chat bubble lives in its own slot, so a message does not replay
    // the cards' animation.
    let bubble = el.querySelector('.chat-bubble');
    if (chat) {
      if (!bubble || bubble.dataset.id !== String(chat.id)) {
        if (bubble) bubble.remove();
        bubble = document.createElement('div');
        bubble.className = 'say chat chat-bubble';
        bubble.dataset.testid = 'chat-bubble';
        bubble.dataset.id = String(chat.id);
        bubble.textContent = chat.text;
        el.append(bubble);
      }
    } else if (bubble) bubble.remove();
    if (this.shownPlays[pos] === key) return;
    this.shownPlays[pos] = key;
    const old = el.querySelector('.stack');
    if (old) old.remove();
    const stack = document.createElement('div');
    stack.className = 'stack';
    if (l && l.kind === 'play') {
      const tag = typeName(l.label);
      const row = document.createElement('div');
      row.className = 'cards fresh' + (l.cards.length > 12 ? ' huge' : l.cards.length > 7 ? ' many' : '');
      for (const c of groupForDisplay(l.cards)) row.append(cardEl(c, 'md'));
      stack.append(row);
      if (tag) {
        const s = document.createElement('span');
        s.className = 'type-tag' + (l.label.type === 'bomb' || l.label.type === 'rocket' ? ' boom' : '');
        s.textContent = tag;
        stack.append(s);
      }
    } else if (l) {
      const s = document.createElement('div');
      s.className = 'say' + (l.kind !== 'pass' && l.value ? ' bid' : '');
      if (l.kind === 'pass') s.textContent = t_('table.pass');
      else if (l.kind === 'bid') s.textContent = l.value ? t_(l.value > 1 ? 'bid.pts' : 'bid.n', { n: l.value }) : t_('bid.none');
      else if (l.kind === 'double') s.textContent = t_(l.value ? 'double.yes' : 'double.no');
      stack.append(s);
    }
    el.prepend(stack);
  }

  renderHand(t) {
    const hand = $('hand');
    const cards = sortDesc(t.hand);
    const key = cards.join(',');
    if (key === this.lastHandKey) return;
    const fresh = !this.lastHandKey && cards.length >= 17;
    // The cards are the server's: a card keeps its place and selection by
    // its identity; cards new to the hand in the same deal (the bottom,
    // for the landlord) are highlighted.
    const before = new Set(this.handDeal === t.deal ? this.handCards : []);
    const selectedCards = new Set([...this.selected].map((i) => this.handCards[i]));
    const added = new Set(before.size ? cards.filter((c) => !before.has(c)) : []);
    this.handCards = cards;
    this.handDeal = t.deal;
    this.lastHandKey = key;
    this.selected = new Set();
    cards.forEach((c, i) => {
      if (selectedCards.has(c)) this.selected.add(i);
    });
    hand.replaceChildren();
    cards.forEach((c, i) => {
      const el = cardEl(c, 'lg');
      el.dataset.i = i;
      el.dataset.testid = 'hand-card';
      if (fresh) {
        el.classList.add('new');
        el.style.animationDelay = `${i * 18}ms`;
      }
      if (added.has(c)) {
        el.classList.add('added');
        setTimeout(() => el.classList.remove('added'), 2500);
      }
      if (this.selected.has(i)) el.classList.add('sel');
      hand.append(el);
    });
    this.fitHand();
  }

  // fitHand lays the hand out in the width there is: one row when every
  // card shows a strip of at least MIN_STRIP px, else two rows (the higher
  // cards behind, the lower in front, each card's index corner visible), so
  // a 20-card hand on a phone stays readable and every card can be tapped.
  fitHand() {
    const hand = $('hand');
    const n = this.handCards.length;
    const cards = [...hand.querySelectorAll('.card')];
    if (!n || !cards.length) return;
    const w = hand.parentElement.clientWidth - 24;
    const cw = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--card-lg-w')) || 84;
    // The visible strip of each covered card, as wide as fits, at most 60% of a card.
    const stripFor = (k) => Math.min(cw * 0.6, Math.max(12, (w - cw) / Math.max(1, k - 1)));
    const two = stripFor(n) < MIN_STRIP && n > 1;
    const per = two ? Math.ceil(n / 2) : n;
    const rows = two ? [cards.slice(0, per), cards.slice(per)] : [cards];
    hand.replaceChildren(
      ...rows.map((rc) => {
        const row = document.createElement('div');
        row.className = 'hand-row';
        row.append(...rc);
        return row;
      }),
    );
    hand.classList.toggle('two-rows', two);
    document.body.classList.toggle('hand-two-rows', two);
    hand.style.setProperty('--overlap', `${-(cw - stripFor(per))}px`);
  }

  renderCenter(t) {
    const el = $('center-msg');
    let html = '';
    const b = (k) => `<b>${esc(t_(k))}</b>`;
    if (t.phase === 'waiting') html = esc(t_('center.waiting'));
    else if (t.phase === 'bidding') {
      html = t.turn === t.seat ? `${b('center.your_bid')} — ${esc(t_('center.want_landlord'))}` : esc(t_('center.bidding', { who: this.playerName(t, t.turn) }));
    } else if (t.phase === 'doubling') {
      html = t.turn === t.seat ? `${b('center.your_double')} — ${esc(t_('center.double_hint'))}` : esc(t_('center.doubling', { who: this.playerName(t, t.turn) }));
    } else if (t.phase === 'playing') {
      if (t.turn === t.seat && t.leading) html = `${b('center.your_lead')} — ${esc(t_('center.play_any'))}`;
      else if (t.turn === t.seat && t.current) {
        const what = typeName(t.current.label).replace('!', '').toLowerCase() || t_('center.play');
        html = `${b('center.your_turn')} — ${esc(t_('center.beat', { who: this.playerName(t, t.current.seat), what }))}`;
      } else if (t.turn === t.seat) html = `${b('center.your_turn')} — ${esc(t_('center.beat_it'))}`;
      else html = esc(t_('center.thinking', { who: this.playerName(t, t.turn) }));
    } else if (t.phase === 'paused') html = esc(t_('center.paused'));
    else if (t.phase === 'over') html = '';
    el.innerHTML = html;
  }

  // tick updates the countdowns.
  tick() {
    const t = this.app.table;
    if (!t) return;
    const left = t.deadline ? Math.max(0, Math.ceil((t.deadline - Date.now()) / 1000)) : null;
    for (const el of document.querySelectorAll('#screen-table .timer')) {
      el.textContent = left === null ? '' : String(left);
      el.classList.toggle('urgent', left !== null && left <= 5);
      el.hidden = left === null;
    }
  }

  showChat(seat, text) {
    const id = Math.random();
    this.chat[seat] = { id, text };
    clearTimeout(this.chatTimers[seat]);
    this.chatTimers[seat] = setTimeout(() => {
      if (this.chat[seat] && this.chat[seat].id === id) {
        this.chat[seat] = null;
        if (this.app.table) this.render(this.app.table);
      }
    }, 3500);
    if (this.app.table) this.render(this.app.table);
  }

  reset() {
    this.selected.clear();
    this.handCards = [];
    this.handDeal = 0;
    this.lastHandKey = '';
    this.shownPlays = ['', '', ''];
    this.chat = [null, null, null];
    $('hand').replaceChildren();
    $('bottom-cards').dataset.key = '';
  }
}

export function modeName(m) {
  if (!m) return t_('mode.table');
  return has(`mode.${m}`) ? t_(`mode.${m}`) : m.charAt(0).toUpperCase() + m.slice(1);
}
