// The replay viewer: steps forwards and backwards through a finished
// game's record (ddz.game), from the deal through every bid and play to
// the result. The hands come from the record's deals and the plays from
// its events: the viewer shows the server's cards and invents none.

import { t } from './i18n.js';
import { cardEl, sortDesc } from './cards.js';
import { esc } from './table.js';

const $ = (id) => document.getElementById(id);

// Events a viewer steps through; the others (options, online, autoplay,
// timeout) change no card.
// double and show are the house rules' (docs/rules.md §14).
const STEP_KINDS = new Set(['deal', 'bid', 'call', 'grab', 'landlord', 'double', 'show', 'play', 'pass', 'redeal', 'end', 'cancel']);

// replayState is the table after the first n steps of a record.
export function replayState(rec, steps, n) {
  const st = { hands: [[], [], []], bottom: [], bottomShown: false, landlord: -1, last: [null, null, null], bids: [], multiplier: 1, event: null, deal: 0, doubles: [0, 0, 0], shown: false };
  const deals = rec.deals || [];
  for (let i = 0; i < n && i < steps.length; i++) {
    const e = steps[i];
    const seat = Number(e.seat || 0);
    st.event = e;
    switch (e.kind) {
      case 'deal': {
        const d = deals.find((x) => Number(x.seq) === Number(e.seq)) || deals[st.deal];
        st.deal++;
        st.hands = [0, 1, 2].map((s) => [...((d && d.hands && d.hands[s] && d.hands[s].faces) || [])]);
        st.bottom = [...((d && d.bottom && d.bottom.faces) || [])];
        st.bottomShown = false;
        st.doubles = [0, 0, 0];
        st.shown = false;
        st.landlord = -1;
        st.last = [null, null, null];
        st.bids = [];
        break;
      }
      case 'bid':
      case 'call':
      case 'grab':
        st.bids.push({ seat, value: Number(e.value || 0), kind: e.kind });
        st.last[seat] = { bid: Number(e.value || 0), kind: e.kind };
        break;
      case 'landlord':
        st.landlord = seat;
        st.bottomShown = true;
        st.hands[seat] = [...st.hands[seat], ...(e.faces || st.bottom)];
        st.last = [null, null, null];
        break;
      case 'play': {
        const faces = e.faces || [];
        st.hands[seat] = st.hands[seat].filter((c) => !faces.includes(c));
        st.last[seat] = { cards: faces, type: e.type };
        // A play leads a new round when both others passed: their passes
        // are over. Bids left from the auction go too.
        const others = [(seat + 1) % 3, (seat + 2) % 3];
        const lead = others.every((o) => st.last[o] && st.last[o].pass);
        for (const o of others) if (st.last[o] && (lead || !(st.last[o].cards || st.last[o].pass))) st.last[o] = null;
        break;
      }
      case 'pass':
        st.last[seat] = { pass: true };
        break;
      case 'double':
        st.doubles[seat] = 1 + Number(e.value || 0);
        st.last[seat] = { bid: Number(e.value || 0), kind: 'double' };
        break;
      case 'show':
        st.shown = true;
        break;
      default:
        break;
    }
    if (e.multiplier) st.multiplier = Number(e.multiplier);
  }
  return st;
}

export class ReplayView {
  constructor(app) {
    this.app = app;
    this.rec = null;
    this.steps = [];
    this.n = 0;
    $('replay-close').onclick = () => this.close();
    $('replay-first').onclick = () => this.go(0);
    $('replay-prev').onclick = () => this.go(this.n - 1);
    $('replay-next').onclick = () => this.go(this.n + 1);
    $('replay-last').onclick = () => this.go(this.steps.length);
    document.addEventListener('keydown', (ev) => {
      if ($('replay').hidden) return;
      if (ev.key === 'ArrowRight') this.go(this.n + 1);
      else if (ev.key === 'ArrowLeft') this.go(this.n - 1);
      else if (ev.key === 'Escape') this.close();
    });
  }

  async open(gameId) {
    try {
      const rec = await this.app.conn.request('ddz.game', { game_id: gameId });
      this.rec = rec;
      this.steps = (rec.events || []).filter((e) => STEP_KINDS.has(e.kind));
      this.names = (rec.players || []).map((_, s) => t('seat.n', { n: s + 1 }));
      const h = this.app.lobby.history.find((g) => g.game_id === gameId);
      if (h && h.names) this.names = h.names.map((x, s) => x || this.names[s]);
      // A bot ("0" in the record) is named in the page's language, as at the table.
      this.names = this.names.map((x, s) => ((rec.players || [])[s] === '0' ? t('bot.n', { n: s + 1 }) : x));
      this.mySeat = h ? Number(h.seat ?? 0) : -1; // protojson leaves out seat 0
      $('replay').hidden = false;
      $('replay').dataset.gameId = gameId;
      this.go(1);
    } catch (err) {
      this.app.toast(t('replay.failed'), 'err');
    }
  }

  close() {
    $('replay').hidden = true;
    this.rec = null;
  }

  go(n) {
    if (!this.rec) return;
    this.n = Math.max(0, Math.min(n, this.steps.length));
    this.render();
  }

  render() {
    const st = replayState(this.rec, this.steps, this.n);
    const box = $('replay');
    box.dataset.step = String(this.n);
    box.dataset.steps = String(this.steps.length);
    box.dataset.kind = st.event ? st.event.kind : '';
    $('replay-step').textContent = t('replay.step', { n: this.n, of: this.steps.length });
    $('replay-mult').textContent = `×${st.multiplier}`;
    $('replay-event').textContent = st.event ? this.describe(st.event) : t('replay.start');
    const bottom = $('replay-bottom');
    bottom.replaceChildren(...(st.bottomShown ? sortDesc(st.bottom).map((c) => cardEl(c, 'sm')) : []));
    bottom.dataset.count = String(st.bottomShown ? st.bottom.length : 0);
    for (let s = 0; s < 3; s++) {
      const el = $(`replay-seat-${s}`);
      const role = st.landlord < 0 ? '' : t(s === st.landlord ? 'role.landlord' : 'role.farmer');
      const you = s === this.mySeat ? ` <span class="tag">${esc(t('replay.you'))}</span>` : '';
      const house = (st.doubles[s] === 2 ? ` <span class="tag">${esc(t('double.badge'))}</span>` : '') + (st.shown && s === st.landlord ? ` <span class="tag" data-testid="replay-shown">${esc(t('show.badge'))}</span>` : '');
      const acting = st.event && Number(st.event.seat) === s && st.event.kind !== 'deal' && st.event.kind !== 'end';
      el.classList.toggle('acting', !!acting);
      el.dataset.count = String(st.hands[s].length);
      el.querySelector('.replay-name').innerHTML = `${esc(this.names[s] || '')}${you}${house} <span class="muted">${esc(role)}</span> <span class="replay-count">${esc(t('replay.cards', { n: st.hands[s].length }))}</span>`;
      const hand = el.querySelector('.replay-hand');
      hand.replaceChildren(...sortDesc(st.hands[s]).map((c) => cardEl(c, 'sm')));
      const last = el.querySelector('.replay-last');
      const l = st.last[s];
      if (l && l.cards) last.replaceChildren(...l.cards.map((c) => cardEl(c, 'sm')));
      else last.textContent = l ? (l.pass ? t('replay.pass') : this.bidText(l)) : '';
    }
    $('replay-first').disabled = $('replay-prev').disabled = this.n === 0;
    $('replay-next').disabled = $('replay-last').disabled = this.n >= this.steps.length;
  }

  bidText(l) {
    if (l.kind === 'bid') return l.bid ? t('bid.n', { n: l.bid }) : t('bid.none');
    return l.bid ? t(`${l.kind}.yes`) : t(`${l.kind}.no`);
  }

  describe(e) {
    const who = this.names[Number(e.seat || 0)] || '';
    switch (e.kind) {
      case 'deal':
        return t('replay.deal', { n: Number(e.value || 1), who });
      case 'bid':
      case 'call':
      case 'grab':
        return `${who}: ${this.bidText({ kind: e.kind, bid: Number(e.value || 0) })}`;
      case 'landlord':
        return t('replay.landlord', { who });
      case 'double':
        return `${who}: ${this.bidText({ kind: 'double', bid: Number(e.value || 0) })}`;
      case 'show':
        return t('replay.show', { who });
      case 'play':
        return `${who}: ${t(`type.${e.type}`) || e.type}${e.timed_out ? ` (${t('replay.timed_out')})` : e.auto ? ` (${t('replay.auto')})` : ''}`;
      case 'pass':
        return `${who}: ${t('replay.pass')}${e.timed_out ? ` (${t('replay.timed_out')})` : ''}`;
      case 'redeal':
        return t('replay.redeal');
      case 'cancel':
        return t('replay.cancelled');
      case 'end': {
        const r = this.rec.result;
        if (!r) return t('replay.end');
        return t(r.landlord_won ? 'replay.landlord_won' : 'replay.farmers_won', { m: r.multiplier || 1 });
      }
      default:
        return e.kind;
    }
  }
}
