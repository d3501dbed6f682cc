// Cards: ranks in the spec's notation ("3"…"10","J","Q","K","A","2","BJ","RJ"),
// ordering, and rendering. Suits have no effect on any rule and the server
// never sends them; the client derives one per card, deterministically,
// only so that a hand looks like real cards.

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

const SUITS = [
  { sym: '\u2660', name: 'spades', red: false },
  { sym: '\u2665', name: 'hearts', red: true },
  { sym: '\u2663', name: 'clubs', red: false },
  { sym: '\u2666', name: 'diamonds', red: true },
];

// withSuits pairs every card of a list with a suit: the k-th copy of a rank
// in the list gets suit (rank + k) mod 4, so the four 7s of a bomb show four
// different suits and neighbouring singles differ. avoid (rank → Set of
// suit indexes) names suits to skip when another one is free, e.g. the
// suits already showing in the player's own hand.
export function withSuits(cards, avoid) {
  const used = new Map();
  return cards.map((rank) => {
    if (isJoker(rank)) return { rank, suit: null };
    let u = used.get(rank);
    if (!u) used.set(rank, (u = new Set()));
    const av = avoid && avoid.get(rank);
    const base = rankIndex(rank);
    let pick = -1;
    for (let j = 0; j < 4 && pick < 0; j++) if (!u.has((base + j) % 4) && !(av && av.has((base + j) % 4))) pick = (base + j) % 4;
    for (let j = 0; j < 4 && pick < 0; j++) if (!u.has((base + j) % 4)) pick = (base + j) % 4;
    if (pick < 0) pick = base % 4;
    u.add(pick);
    return { rank, suit: SUITS[pick], si: pick };
  });
}

// suitsByRank maps rank → Set of suit indexes of suited cards.
export function suitsByRank(suited) {
  const m = new Map();
  for (const c of suited) {
    if (!c.suit) continue;
    if (!m.has(c.rank)) m.set(c.rank, new Set());
    m.get(c.rank).add(c.si);
  }
  return m;
}

// groupSuited orders suited cards like groupForDisplay orders ranks.
export function groupSuited(suited) {
  const count = new Map();
  for (const c of suited) count.set(c.rank, (count.get(c.rank) || 0) + 1);
  return [...suited].sort((a, b) => count.get(b.rank) - count.get(a.rank) || rankIndex(a.rank) - rankIndex(b.rank));
}

// cardLabel is the accessible name of a card ("7♥", "Big joker").
export function cardLabel(c) {
  if (c.rank === 'RJ') return 'Big joker';
  if (c.rank === 'BJ') return 'Little joker';
  return c.rank + c.suit.sym;
}

export function prettyCards(cards) {
  return cards.map((r) => (r === 'RJ' ? 'Big joker' : r === 'BJ' ? 'Little joker' : r)).join(' ');
}

// cardEl renders one face-up card. size is "lg" (own hand), "md" (plays) or "sm".
export function cardEl(c, size = 'md') {
  const el = document.createElement('div');
  el.className = `card card-${size}`;
  el.dataset.rank = c.rank;
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', cardLabel(c));
  if (isJoker(c.rank)) {
    el.classList.add('joker', c.rank === 'RJ' ? 'red' : 'black');
    el.innerHTML =
      '<span class="idx joker-idx">JOKER</span>' +
      `<span class="joker-art" aria-hidden="true">${jokerSVG(c.rank === 'RJ')}</span>`;
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
