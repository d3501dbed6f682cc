// What the table tells besides the cards in play: the bid history, the
// cards revealed at the end, timeout notices and leaving. Everything here
// renders what the server sent (ddz.snapshot bids, ddz.event timed_out and
// auto, ddz.result hands, ddz.leave's cost); nothing is made up.

import { t as tr, currentLang } from './i18n.js';
import { esc } from './table.js';
import { face, prettyCards } from './cards.js';

const num = (v, d = 0) => (v === undefined || v === null || v === '' ? d : Number(v));

// bidsFromSnapshot reads DdzSnapshot.bids into [{seat, value, timedOut, auto}].
export function bidsFromSnapshot(v) {
  return (v.bids || []).map((e) => ({ seat: num(e.seat), value: num(e.value), timedOut: !!e.timed_out, auto: !!e.auto }));
}

// trackBids keeps t.bidHistory in step with one ddz.event.
export function trackBids(t, e) {
  if (!t.bidHistory) t.bidHistory = [];
  if (e.kind === 'deal' || e.kind === 'redeal') t.bidHistory = [];
  if (e.kind === 'bid' || e.kind === 'call' || e.kind === 'grab') {
    t.bidHistory.push({ seat: num(e.seat), value: num(e.value), timedOut: !!e.timed_out, auto: !!e.auto });
  }
}

// renderBids shows who bid what, in order, for the whole hand.
export function renderBids(el, t) {
  const bids = t.bidHistory || [];
  el.hidden = bids.length === 0;
  el.innerHTML = bids
    .map((b) => {
      const p = t.players[b.seat] || {};
      const who = esc(p.bot ? tr('bot.n', { n: b.seat + 1 }) : p.name || '');
      const what = b.value ? `${b.value}` : esc(tr('bids.pass'));
      const why = b.timedOut ? ` <i>(${esc(tr('bids.time'))})</i>` : b.auto ? ` <i>(${esc(tr('bids.auto'))})</i>` : '';
      return `<span class="bid-item" data-testid="bid-item" data-seat="${b.seat}" data-value="${b.value}">${who} <b>${what}</b>${why}</span>`;
    })
    .join('<span class="bid-sep">·</span>');
}

// timeoutNotice is the line to show when the server acted for a player's
// seat because its timer ran out, or "" for any other event.
export function timeoutNotice(t, e) {
  if (!e.timed_out) return '';
  const mine = num(e.seat) === t.seat;
  const who = mine ? tr('timeout.mine') : tr('timeout.theirs', { who: (t.players[num(e.seat)] || {}).name || tr('timeout.a_player') });
  const p = mine ? 'me' : 'them';
  if (e.kind === 'bid') return num(e.value) ? tr(`timeout.bid.${p}`, { who, n: num(e.value) }) : tr(`timeout.nobid.${p}`, { who });
  if (e.kind === 'pass' || !(e.cards && e.cards.length)) return tr(`timeout.pass.${p}`, { who });
  return tr(`timeout.play.${p}`, { who, cards: prettyCards(e.faces && e.faces.length ? e.faces : e.cards) });
}

// revealedHTML is one seat's cards left at the end (DdzResult.hands), as
// small chips: the physical cards when the server sent them.
export function revealedHTML(r, seat) {
  const h = (r.hands || [])[seat];
  const cards = (h && (h.faces && h.faces.length ? h.faces : h.cards)) || [];
  if (!cards.length) return `<span class="revealed none" data-testid="revealed-${seat}">${esc(tr('revealed.out'))}</span>`;
  const chips = cards
    .map((c) => {
      const f = face(c);
      const cls = f.rank === 'RJ' ? ' joker red' : f.rank === 'BJ' ? ' joker' : f.suit && f.suit.red ? ' red' : '';
      const txt = f.rank === 'RJ' ? 'JOKER+' : f.rank === 'BJ' ? 'JOKER' : f.rank + (f.suit ? f.suit.sym : '');
      return `<span class="mini-card${cls}" data-card="${esc(f.card)}">${esc(txt)}</span>`;
    })
    .join('');
  return `<span class="revealed" data-testid="revealed-${seat}" data-count="${cards.length}">${chips}</span>`;
}

// LeaveFlow asks the server what leaving costs, shows it, and leaves on
// confirmation. conn returns the realtime connection; onLeft runs once
// the server confirmed.
// leaveCost is what leaving costs, from ddz.leave's answer: the server's
// sentence in English, the same facts in the catalogue's words otherwise.
function leaveCost(q) {
  if (currentLang() === 'en' && q.cost) return q.cost;
  const role = q.role ? tr(`role.${q.role}`) : tr('role.bidding');
  return tr('leave.cost', { role, m: num(q.multiplier, 1), n: num(q.at_risk, 0) });
}

export class LeaveFlow {
  constructor(conn, onLeft, onError) {
    this.getConn = conn;
    this.onLeft = onLeft;
    this.onError = onError;
    document.getElementById('leave-stay').onclick = () => this.close();
    document.getElementById('leave-go').onclick = () => this.confirm();
  }

  async open() {
    try {
      const q = await this.getConn().request('ddz.leave', {});
      document.getElementById('leave-cost').textContent = leaveCost(q);
      document.getElementById('leave-dialog').hidden = false;
    } catch (err) {
      this.onError(err);
    }
  }

  close() {
    document.getElementById('leave-dialog').hidden = true;
  }

  async confirm() {
    try {
      await this.getConn().request('ddz.leave', { confirm: true });
      this.close();
      this.onLeft();
    } catch (err) {
      this.close();
      this.onError(err);
    }
  }
}
