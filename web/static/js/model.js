// The table as the client knows it, built from the server's snapshots and
// events. Everything here is public information plus the player's own hand;
// the server never sends more (spec §4.2).

import { t, has } from './i18n.js';
import { sortDesc, sortAsc } from './cards.js';

// faces is a message's physical cards: its faces field (the server's
// cards with their suits), or the plain ranks of an older server.
const faces = (f, ranks) => (f && f.length ? f : ranks || []);

export const next = (s) => (s + 1) % 3;
export const prev = (s) => (s + 2) % 3;

export function emptyTable() {
  return {
    gameId: '',
    mode: '',
    seat: 0,
    players: [{}, {}, {}],
    phase: 'waiting', // waiting | bidding | playing | over
    turn: -1,
    leading: false,
    hand: [],
    handSizes: [0, 0, 0],
    landlord: -1,
    bottom: [],
    highestBid: 0,
    multiplier: 0,
    baseStake: 1,
    current: null, // {seat, cards, label}
    last: [null, null, null], // what each seat did last, for display
    bids: [null, null, null],
    deadline: 0, // local ms when the turn times out
    timeoutMs: 0,
    auto: [false, false, false],
    online: [true, true, true],
    result: null,
    settlement: null,
    deal: 0,
    played: [[], [], []],
    phrases: [],
    seq: 0,
    cancelled: false,
    // House rules (docs/rules.md §14), all from the server.
    houseRules: [], // "doubling", "show_hand", "card_counter"
    doubles: [0, 0, 0], // 0 not chosen, 1 ×1, 2 ×2
    shown: false, // the landlord showed the hand
    shownHand: [], // the landlord's remaining cards, as the server sends them
    canShow: false,
    counter: null, // 15 counts, 3 … RJ, of the cards this player has not seen
  };
}

// The ranks of a card counter, in the server's order.
export const COUNTER_RANKS = ['3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K', 'A', '2', 'BJ', 'RJ'];

// removeCards takes cards out of a hand (one copy each).
export function removeCards(hand, cards) {
  const out = [...hand];
  for (const c of cards) {
    const i = out.indexOf(c);
    if (i >= 0) out.splice(i, 1);
  }
  return out;
}

// The server speaks protojson: fields at their zero value are left out
// (a missing seat or turn is 0, a missing list is empty) and 64-bit numbers
// arrive as strings. The helpers below read fields with that in mind.

// applyEvent updates t with one ddz.event push (DdzEvent in ddz.proto).
// Every event carries the turn, the timer and the hand sizes after it, so
// those are taken from the server rather than worked out here.
export function applyEvent(t, e) {
  const seat = num(e.seat, 0);
  const cards = faces(e.faces, e.cards);
  const hand = faces(e.hand_faces, e.hand);
  const value = num(e.value, 0);
  switch (e.kind) {
    case 'deal':
      t.phase = 'bidding';
      t.deal = value || t.deal + 1;
      t.landlord = -1;
      t.bottom = [];
      t.highestBid = 0;
      t.multiplier = 0;
      t.current = null;
      t.last = [null, null, null];
      t.bids = [null, null, null];
      t.played = [[], [], []];
      t.result = null;
      t.settlement = null;
      t.hand = [];
      t.doubles = [0, 0, 0];
      t.shown = false;
      t.shownHand = [];
      break;
    case 'bid':
      t.bids[seat] = { kind: 'bid', value };
      t.last[seat] = { kind: 'bid', value };
      if (value > t.highestBid) t.highestBid = value;
      break;
    case 'redeal':
      t.last = [null, null, null];
      t.bids = [null, null, null];
      t.highestBid = 0;
      t.redeals = (t.redeals || 0) + 1;
      break;
    case 'landlord':
      t.landlord = seat;
      t.bottom = cards;
      t.highestBid = value || t.highestBid;
      t.phase = (t.houseRules || []).includes('doubling') ? 'doubling' : 'playing';
      t.current = null;
      t.last = [null, null, null];
      if (seat === t.seat && !hand.length && t.hand.length === 17) t.hand = sortDesc([...t.hand, ...cards]);
      break;
    case 'play':
    case 'pass': {
      if (e.kind === 'pass' || cards.length === 0) {
        t.last[seat] = { kind: 'pass' };
      } else {
        if (!t.current) t.last = [null, null, null]; // a new round begins
        const label = e.type ? { type: e.type } : null;
        t.last[seat] = { kind: 'play', cards, label };
        t.current = { seat, cards, label };
        if (seat === t.seat && !hand.length) t.hand = removeCards(t.hand, cards);
        if (t.played) t.played[seat] = [...(t.played[seat] || []), ...cards];
      }
      break;
    }
    case 'double':
      t.doubles[seat] = 1 + value;
      t.last[seat] = { kind: 'double', value };
      if (seat === t.landlord) {
        t.phase = 'playing';
        t.last = [null, null, null];
      }
      break;
    case 'show':
      t.shown = true;
      t.shownHand = sortDesc(cards);
      break;
    case 'autoplay':
      t.auto[seat] = value === 1;
      break;
    case 'online':
      t.online[seat] = value === 1;
      break;
    case 'end':
      t.phase = 'over';
      break;
    case 'cancel':
      t.phase = 'over';
      t.cancelled = true;
      break;
    default:
      break; // "timeout" and kinds this client does not know
  }
  if (e.multiplier !== undefined) t.multiplier = num(e.multiplier, t.multiplier);
  if (hand.length) t.hand = sortDesc(hand);
  if (e.hand_sizes && e.hand_sizes.length === 3) t.handSizes = e.hand_sizes.map((n) => num(n, 0));
  if (e.shown_faces && e.shown_faces.length) t.shownHand = sortDesc(e.shown_faces);
  else if (t.shown && t.landlord >= 0 && (t.handSizes[t.landlord] || 0) === 0) t.shownHand = [];
  if (e.counter && e.counter.length === COUNTER_RANKS.length) t.counter = e.counter.map((n) => num(n, 0));
  if (e.kind !== 'chat') t.canShow = !!e.can_show;
  if (e.kind !== 'chat') {
    t.turn = num(e.turn, 0);
    t.leading = !!e.leading;
    setDeadline(t, e);
    // The seat to act leads: the round is over, nothing is left to beat.
    if (t.leading) t.current = null;
  }
  if (t.phase === 'over') {
    t.turn = -1;
    t.deadline = 0;
  }
  t.seq = Math.max(t.seq || 0, num(e.seq, 0));
}

function setDeadline(t, m) {
  const left = num(m.time_left_ms, 0);
  if (left > 0) {
    t.deadline = Date.now() + left;
    t.timeoutMs = left;
  } else {
    t.deadline = 0;
  }
}

// applySnapshot replaces the table with a ddz.snapshot (DdzSnapshot).
export function applySnapshot(t, v) {
  t.gameId = v.game_id || t.gameId;
  t.mode = v.mode || t.mode;
  t.seat = num(v.seat, 0);
  t.phase = v.phase || 'bidding';
  t.deal = num(v.deal, 1);
  t.turn = num(v.turn, 0);
  t.leading = !!v.leading;
  setDeadline(t, v);
  t.hand = sortDesc(faces(v.hand_faces, v.hand));
  const seats = v.seats || [];
  t.players = [0, 1, 2].map((s) => {
    const p = seats.find((x) => num(x.seat, 0) === s) || {};
    return { name: p.name || '', bot: !!p.bot, user_id: p.user_id || '0' };
  });
  t.handSizes = [0, 1, 2].map((s) => num((seats.find((x) => num(x.seat, 0) === s) || {}).cards, 0));
  t.auto = [0, 1, 2].map((s) => !!(seats.find((x) => num(x.seat, 0) === s) || {}).autoplay);
  t.online = [0, 1, 2].map((s) => {
    const p = seats.find((x) => num(x.seat, 0) === s);
    return p ? !!p.online || !!p.bot : true;
  });
  t.played = [0, 1, 2].map((s) => {
    const p = seats.find((x) => num(x.seat, 0) === s) || {};
    return faces(p.played_faces, p.played);
  });
  t.landlord = num(v.landlord, 0);
  t.bottom = faces(v.bottom_faces, v.bottom);
  t.highestBid = num(v.highest_bid, 0);
  t.multiplier = num(v.multiplier, 0);
  t.baseStake = num(v.base_stake, 0);
  t.phrases = v.phrases || t.phrases || [];
  const cur = v.current && v.current.cards && v.current.cards.length ? v.current : null;
  t.current = cur ? { seat: num(v.current_seat, 0), cards: faces(cur.faces, cur.cards), label: cur.type ? { type: cur.type } : null } : null;
  t.last = [null, null, null];
  t.bids = [null, null, null];
  for (const e of v.log || []) {
    if (e.kind === 'bid') t.bids[num(e.seat, 0)] = { kind: 'bid', value: num(e.value, 0) };
    if (e.kind === 'redeal' || e.kind === 'deal') t.bids = [null, null, null];
  }
  if (t.phase === 'bidding') {
    for (let s = 0; s < 3; s++) if (t.bids[s]) t.last[s] = { ...t.bids[s] };
  } else if (t.phase === 'playing') {
    for (const e of v.round || []) {
      const s = num(e.seat, 0);
      if (e.kind === 'play' && e.cards && e.cards.length) t.last[s] = { kind: 'play', cards: faces(e.faces, e.cards), label: e.type ? { type: e.type } : null };
      else if (e.kind === 'pass' || e.kind === 'play') t.last[s] = { kind: 'pass' };
    }
  }
  if (t.phase === 'over') {
    t.turn = -1;
    t.deadline = 0;
  }
  t.seq = num(v.seq, 0);
  t.houseRules = v.house_rules || [];
  t.doubles = [0, 1, 2].map((s) => num((v.doubles || [])[s], 0));
  t.shown = !!v.shown;
  t.shownHand = sortDesc(v.shown_faces || []);
  t.canShow = !!v.can_show;
  t.counter = v.counter && v.counter.length === COUNTER_RANKS.length ? v.counter.map((n) => num(n, 0)) : null;
  if (t.phase === 'doubling') {
    for (let s = 0; s < 3; s++) if (t.doubles[s]) t.last[s] = { kind: 'double', value: t.doubles[s] - 1 };
  }
}

export function num(v, d) {
  if (v === undefined || v === null || v === '') return d;
  const n = Number(v);
  return Number.isFinite(n) ? n : d;
}

// sameCards reports whether two card lists hold the same cards.
export function sameCards(a, b) {
  if (a.length !== b.length) return false;
  const x = sortAsc(a);
  const y = sortAsc(b);
  return x.every((c, i) => c === y[i]);
}

// typeName is a play type's name in the current language (type.* in the
// catalogue), "" for none.
export const typeName = (label) => (label && label.type && has(`type.${label.type}`) ? t(`type.${label.type}`) : '');
