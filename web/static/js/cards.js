// Cards: the server's physical cards ("3S", "10H", "QC", "2D", "BJ", "RJ":
// rank and suit letter S H C D; jokers have none), ordering, and rendering.
// The server deals 54 distinct cards and sends each one the same way in
// every view, so the client renders exactly what it is sent and never
// makes up a suit. Suits have no effect on any rule.

import { t } from './i18n.js';

export const RANKS = ['3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K', 'A', '2', 'BJ', 'RJ'];
const ORDER = new Map(RANKS.map((r, i) => [r, i]));

export const isJoker = (r) => r === 'BJ' || r === 'RJ';
const SUIT_LETTERS = ['S', 'H', 'C', 'D'];

// rankOf is the rank of a card ("10H" → "10", "BJ" → "BJ"); a plain rank
// is its own rank.
export function rankOf(card) {
  const c = String(card);
  if (isJoker(c) || ORDER.has(c)) return c;
  const r = c.slice(0, -1);
  return ORDER.has(r) && SUIT_LETTERS.includes(c.slice(-1)) ? r : c;
}

// suitOf is the suit index of a card (0 S, 1 H, 2 C, 3 D), -1 for none.
export function suitOf(card) {
  const c = String(card);
  if (isJoker(c) || ORDER.has(c)) return -1;
  return SUIT_LETTERS.indexOf(c.slice(-1));
}

export const rankIndex = (r) => (ORDER.has(rankOf(r)) ? ORDER.get(rankOf(r)) : -1);
const cardIndex = (c) => rankIndex(c) * 4 + Math.max(0, suitOf(c));

// sortDesc returns the cards sorted from the highest rank to the lowest,
// the way a player holds them (jokers on the left).
export function sortDesc(cards) {
  return [...cards].sort((a, b) => cardIndex(b) - cardIndex(a));
}

// sortAsc sorts from lowest to highest, the spec's notation of a play.
export function sortAsc(cards) {
  return [...cards].sort((a, b) => cardIndex(a) - cardIndex(b));
}

// groupForDisplay orders a play for display: the bigger groups first
// (the trio before its kicker), then by rank, high to low.
export function groupForDisplay(cards) {
  const count = new Map();
  for (const c of cards) count.set(rankOf(c), (count.get(rankOf(c)) || 0) + 1);
  return [...cards].sort((a, b) => count.get(rankOf(b)) - count.get(rankOf(a)) || cardIndex(a) - cardIndex(b));
}

const SUITS = [
  { sym: '\u2660', name: 'spades', red: false },
  { sym: '\u2665', name: 'hearts', red: true },
  { sym: '\u2663', name: 'clubs', red: false },
  { sym: '\u2666', name: 'diamonds', red: true },
];

// face is a server card ready to render: {card, rank, suit} (suit null
// for a joker, or for a bare rank from an older server).
export function face(card) {
  const rank = rankOf(card);
  const si = suitOf(card);
  return { card: String(card), rank, suit: si >= 0 ? SUITS[si] : null };
}

// cardLabel is the accessible name of a card ("7♥", "Big joker").
export function cardLabel(c) {
  if (c.rank === 'RJ') return t('card.big_joker');
  if (c.rank === 'BJ') return t('card.little_joker');
  return c.suit ? c.rank + c.suit.sym : c.rank;
}

export function prettyCards(cards) {
  return cards.map((r) => cardLabel(face(r))).join(' ');
}

// cardEl renders one face-up card: a server card string ("10H") or a face.
// size is "lg" (own hand), "md" (plays) or "sm". data-card holds the
// server's card, so every view can be compared with the others.
export function cardEl(card, size = 'md') {
  const c = typeof card === 'string' ? face(card) : card;
  const el = document.createElement('div');
  el.className = `card card-${size}`;
  el.dataset.rank = c.rank;
  el.dataset.card = c.card;
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', cardLabel(c));
  if (isJoker(c.rank)) {
    el.classList.add('joker', c.rank === 'RJ' ? 'red' : 'black');
    el.innerHTML =
      '<span class="idx joker-idx">JOKER</span>' +
      `<span class="joker-art" aria-hidden="true">${jokerSVG(c.rank === 'RJ')}</span>`;
    return el;
  }
  if (!c.suit) {
    el.innerHTML = `<span class="idx"><span class="r">${c.rank}</span></span>`;
    return el;
  }
  if (c.suit.red) el.classList.add('red');
  el.innerHTML =
    `<span class="idx"><span class="r">${c.rank}</span><span class="s">${c.suit.sym}</span></span>` +
    `<span class="pip" aria-hidden="true">${c.suit.sym}</span>` +
    `<span class="idx idx-br" aria-hidden="true"><span class="r">${c.rank}</span><span class="s">${c.suit.sym}</span></span>`;
  return el;
}

export function cardBackEl(size = 'sm') {
  const el = document.createElement('div');
  el.className = `card card-${size} back`;
  el.setAttribute('aria-hidden', 'true');
  return el;
}

function jokerSVG(red) {
  const c = red ? '#c62828' : '#1a1a1a';
  return `<svg viewBox="0 0 40 40" width="100%" height="100%"><path d="M6 30 L10 12 L16 22 L20 8 L24 22 L30 12 L34 30 Z" fill="${c}"/><circle cx="10" cy="11" r="2.6" fill="${c}"/><circle cx="20" cy="7" r="2.6" fill="${c}"/><circle cx="30" cy="11" r="2.6" fill="${c}"/><rect x="6" y="31" width="28" height="4" rx="1.5" fill="${c}"/></svg>`;
}
