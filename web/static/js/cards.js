// Cards: ranks in the spec's notation ("3"…"10","J","Q","K","A","2","BJ","RJ"),
// faces (physical cards: rank + suit S/H/C/D, "10H", "BJ", "RJ") as the
// server sends them, ordering, and rendering. Suits have no effect on any
// rule; the client shows the suits the server dealt and invents none.

export const RANKS = ['3', '4', '5', '6', '7', '8', '9', '10', 'J', 'Q', 'K', 'A', '2', 'BJ', 'RJ'];
const ORDER = new Map(RANKS.map((r, i) => [r, i]));

export const rankIndex = (r) => (ORDER.has(r) ? ORDER.get(r) : -1);
export const isJoker = (r) => r === 'BJ' || r === 'RJ';

// sortDesc returns the cards sorted from the highest rank to the lowest,
// the way a player holds them (jokers on the left).
export function sortDesc(cards) {
  return [...cards].sort((a, b) => rankIndex(b) - rankIndex(a));
}

// sortAsc sorts from lowest to highest, the spec's notation of a play.
export function sortAsc(cards) {
  return [...cards].sort((a, b) => rankIndex(a) - rankIndex(b));
}

// groupForDisplay orders a play for display: the bigger groups first
// (the trio before its kicker), then by rank, high to low.
export function groupForDisplay(cards) {
  const count = new Map();
  for (const c of cards) count.set(c, (count.get(c) || 0) + 1);
  return [...cards].sort((a, b) => count.get(b) - count.get(a) || rankIndex(a) - rankIndex(b));
}

const SUITS = {
  S: { sym: '\u2660', name: 'spades', red: false },
  H: { sym: '\u2665', name: 'hearts', red: true },
  C: { sym: '\u2663', name: 'clubs', red: false },
  D: { sym: '\u2666', name: 'diamonds', red: true },
};
const SUIT_ORDER = { S: 0, H: 1, C: 2, D: 3 };

// faceRank is the rank of a face ("10H" → "10", "RJ" → "RJ").
export function faceRank(face) {
  if (isJoker(face)) return face;
  return face.slice(0, -1);
}

// faceCard turns a face from the server into a card to render:
// {face, rank, suit}; a joker has no suit.
export function faceCard(face) {
  if (isJoker(face)) return { face, rank: face, suit: null };
  return { face, rank: faceRank(face), suit: SUITS[face.slice(-1)] || null };
}

// sortFacesDesc sorts faces the way a player holds them: high rank first,
// then by suit (S, H, C, D), so the same hand always looks the same.
export function sortFacesDesc(faces) {
  return [...faces].sort((a, b) => rankIndex(faceRank(b)) - rankIndex(faceRank(a)) || (SUIT_ORDER[a.slice(-1)] || 0) - (SUIT_ORDER[b.slice(-1)] || 0));
}

// groupFaces orders a play's faces like groupForDisplay orders ranks.
export function groupFaces(faces) {
  const count = new Map();
  for (const f of faces) count.set(faceRank(f), (count.get(faceRank(f)) || 0) + 1);
  return [...faces].sort((a, b) => count.get(faceRank(b)) - count.get(faceRank(a)) || rankIndex(faceRank(a)) - rankIndex(faceRank(b)) || (SUIT_ORDER[a.slice(-1)] || 0) - (SUIT_ORDER[b.slice(-1)] || 0));
}

// cardLabel is the accessible name of a card ("7♥", "Big joker").
export function cardLabel(c) {
  if (c.rank === 'RJ') return 'Big joker';
  if (c.rank === 'BJ') return 'Little joker';
  return c.suit ? c.rank + c.suit.sym : c.rank;
}

export function prettyCards(cards) {
  return cards.map((r) => (r === 'RJ' ? 'Big joker' : r === 'BJ' ? 'Little joker' : r)).join(' ');
}

// cardEl renders one face-up card. size is "lg" (own hand), "md" (plays) or "sm".
export function cardEl(c, size = 'md') {
  const el = document.createElement('div');
  el.className = `card card-${size}`;
  el.dataset.rank = c.rank;
  if (c.face) el.dataset.card = c.face;
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', cardLabel(c));
  if (isJoker(c.rank)) {
    el.classList.add('joker', c.rank === 'RJ' ? 'red' : 'black');
    el.innerHTML =
      '<span class="idx joker-idx">JOKER</span>' +
      `<span class="joker-art" aria-hidden="true">${jokerSVG(c.rank === 'RJ')}</span>`;
    return el;
  }
  if (c.suit && c.suit.red) el.classList.add('red');
  const sym = c.suit ? c.suit.sym : '';
  el.innerHTML =
    `<span class="idx"><span class="r">${c.rank}</span><span class="s">${sym}</span></span>` +
    `<span class="pip" aria-hidden="true">${sym}</span>` +
    `<span class="idx idx-br" aria-hidden="true"><span class="r">${c.rank}</span><span class="s">${sym}</span></span>`;
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
