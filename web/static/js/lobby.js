// The lobby's panels, all rendered from the server's answers: the
// leaderboard (ddz.leaderboard), the player's recent games (ddz.history,
// each with a replay) and the profile with its stats and avatar
// (ddz.profile, ddz.profile.set). Nothing here is computed in the
// browser but the layout.

import { t, fmtNum } from './i18n.js';
import { esc, initials } from './table.js';

const $ = (id) => document.getElementById(id);

// AVATAR_ART draws the server's built-in avatars (DdzProfile.avatars):
// the animals of the Chinese zodiac, each a glyph on its own colour
// (.avatar-z-NAME in app.css).
const AVATAR_ART = {
  rat: '鼠',
  ox: '牛',
  tiger: '虎',
  rabbit: '兔',
  dragon: '龙',
  snake: '蛇',
  horse: '马',
  goat: '羊',
  monkey: '猴',
  rooster: '鸡',
  dog: '狗',
  pig: '猪',
};

// avatarHTML is a player's avatar: the chosen animal, or the name's
// initials when none was chosen.
export function avatarHTML(avatar, name, cls = '') {
  const art = AVATAR_ART[avatar];
  if (!art) return `<span class="avatar ${cls}" data-avatar="">${esc(initials(name || '?'))}</span>`;
  return `<span class="avatar avatar-zodiac avatar-z-${esc(avatar)} ${cls}" data-avatar="${esc(avatar)}" title="${esc(t(`avatar.${avatar}`))}">${art}</span>`;
}

export function setAvatar(el, avatar, name) {
  const art = AVATAR_ART[avatar];
  el.dataset.avatar = art ? avatar : '';
  for (const c of [...el.classList]) if (c.startsWith('avatar-z-')) el.classList.remove(c);
  el.classList.toggle('avatar-zodiac', !!art);
  if (art) el.classList.add(`avatar-z-${avatar}`);
  el.textContent = art || initials(name || '?');
}

const PAGE = 10;
// RADIUS is how many players above and below the player's own row the
// board shows (DdzLeaderboardReq.radius, 0-10 on the server).
const RADIUS = 2;

export class LobbyPanels {
  // app gives conn (requests), replay(gameId) and toast(text, kind).
  constructor(app) {
    this.app = app;
    this.board = localStorage.getItem('lordgame.lb.board') || 'coins';
    this.period = localStorage.getItem('lordgame.lb.period') || 'week';
    this.offset = 0;
    this.history = [];
    this.cursor = '';
    this.profile = null;
    this.bind();
  }

  get conn() {
    return this.app.conn;
  }

  bind() {
    for (const b of document.querySelectorAll('[data-lb-board]')) {
      b.onclick = () => {
        this.board = b.dataset.lbBoard;
        localStorage.setItem('lordgame.lb.board', this.board);
        this.offset = 0;
        this.loadBoard();
      };
    }
    for (const b of document.querySelectorAll('[data-lb-period]')) {
      b.onclick = () => {
        this.period = b.dataset.lbPeriod;
        localStorage.setItem('lordgame.lb.period', this.period);
        this.offset = 0;
        this.loadBoard();
      };
    }
    $('lb-prev').onclick = () => {
      this.offset = Math.max(0, this.offset - PAGE);
      this.loadBoard();
    };
    $('lb-next').onclick = () => {
      if (this.nextOffset) this.offset = this.nextOffset;
      this.loadBoard();
    };
    $('history-more').onclick = () => this.loadHistory(false);
    $('history-list').onclick = (ev) => {
      const b = ev.target.closest('[data-replay]');
      if (b) this.app.replay(b.dataset.replay);
    };
  }

  // refresh reloads every panel (on entering the lobby and after a game).
  refresh() {
    if (this.conn.state !== 'open') return;
    this.loadBoard();
    this.loadHistory(true);
    this.loadProfile();
    // The boards take a settled game from a queue, a moment after the
    // result: ask once more so the game just played is on them.
    clearTimeout(this.again);
    this.again = setTimeout(() => {
      if (this.app.screen === 'lobby' && this.conn.state === 'open') this.loadBoard();
    }, 1500);
  }

  // rerender draws the panels again from what was loaded (a language
  // change).
  rerender() {
    if (this.lb) this.renderBoard(this.lb);
    this.renderHistory();
    if (this.profile) this.app.renderProfile(this.profile);
  }

  async loadBoard() {
    const want = { board: this.board, period: this.period, offset: this.offset, limit: PAGE, radius: RADIUS };
    this.markTabs();
    try {
      const r = await this.conn.request('ddz.leaderboard', want);
      if (want.board !== this.board || want.period !== this.period || want.offset !== this.offset) return;
      this.lb = r;
      this.renderBoard(r);
    } catch (err) {
      $('lb-list').innerHTML = `<li class="empty">${esc(t('lb.unavailable'))}</li>`;
      $('leaderboard').dataset.state = 'error';
      if (err.code !== 'closed') console.warn('leaderboard', err);
    }
  }

  markTabs() {
    for (const b of document.querySelectorAll('[data-lb-board]')) b.setAttribute('aria-selected', String(b.dataset.lbBoard === this.board));
    for (const b of document.querySelectorAll('[data-lb-period]')) b.setAttribute('aria-selected', String(b.dataset.lbPeriod === this.period));
  }

  // renderBoard shows the page (r.entries) and the player's neighbourhood
  // (r.around) in the server's rank order, each rank once, with a gap
  // marker where the server's ranks do not follow on. Every rank and score
  // is the server's.
  renderBoard(r) {
    const me = this.app.userId();
    const byRank = new Map();
    for (const e of r.entries || []) byRank.set(Number(e.rank), { e, part: 'top' });
    for (const e of r.around || []) if (!byRank.has(Number(e.rank))) byRank.set(Number(e.rank), { e, part: 'around' });
    const rows = [];
    let prev = 0;
    for (const [rank, { e, part }] of [...byRank].sort((a, b) => a[0] - b[0])) {
      if (rows.length && rank > prev + 1) rows.push(`<li class="lb-gap" data-testid="lb-gap" title="${esc(t('lb.gap'))}" aria-label="${esc(t('lb.gap'))}">⋯</li>`);
      rows.push(this.rowHTML(e, e.user_id === me, part));
      prev = rank;
    }
    $('lb-list').innerHTML = rows.length ? rows.join('') : `<li class="empty" data-testid="lb-empty">${esc(t('lb.empty'))}</li>`;
    const mine = r.me;
    $('lb-me').innerHTML = mine
      ? `<span>${esc(t('lb.you'))}</span> <b data-testid="lb-me-rank">#${esc(mine.rank)}</b> <span data-testid="lb-me-score">${esc(this.score(mine.score))}</span>`
      : `<span data-testid="lb-me-none">${esc(t('lb.unranked'))}</span>`;
    $('lb-me').dataset.rank = mine ? String(mine.rank) : '';
    $('lb-me').dataset.score = mine ? String(mine.score ?? 0) : '';
    this.nextOffset = Number(r.next_offset || 0);
    $('lb-prev').disabled = this.offset === 0;
    $('lb-next').disabled = !this.nextOffset;
    $('leaderboard').dataset.state = 'ready';
    $('leaderboard').dataset.board = r.board;
    $('leaderboard').dataset.period = r.period;
    $('leaderboard').dataset.periodKey = r.period_key || '';
  }

  score(v) {
    const n = Number(v || 0);
    return this.board === 'coins' ? t('lb.coins', { n: (n > 0 ? '+' : '') + fmtNum(n) }) : fmtNum(n);
  }

  rowHTML(e, mine, part) {
    return (
      `<li class="lb-row${mine ? ' mine' : ''}" data-testid="lb-row" data-part="${part}"${mine ? ' aria-current="true"' : ''} data-user="${esc(e.user_id)}" data-rank="${esc(e.rank)}" data-score="${esc(e.score ?? 0)}">` +
      `<span class="lb-rank">${esc(e.rank)}</span>${avatarHTML(e.avatar, e.name, 'avatar-sm')}` +
      `<span class="lb-name">${esc(e.name)}</span><span class="lb-score">${esc(this.score(e.score))}</span></li>`
    );
  }

  async loadHistory(fresh) {
    if (fresh) {
      this.cursor = '';
      this.historyDone = false;
    }
    if (this.historyBusy) return;
    this.historyBusy = true;
    try {
      const r = await this.conn.request('ddz.history', { cursor: this.cursor, limit: PAGE });
      const games = r.games || [];
      this.history = fresh ? games : [...this.history, ...games];
      this.cursor = r.next_cursor || '';
      this.historyDone = !this.cursor;
      this.renderHistory();
    } catch (err) {
      if (err.code !== 'closed') this.app.toast(t('history.failed'), 'err');
    } finally {
      this.historyBusy = false;
    }
  }

  renderHistory() {
    const rows = this.history.map((g) => this.gameHTML(g));
    $('history-list').innerHTML = rows.length ? rows.join('') : `<li class="empty" data-testid="history-empty">${esc(t('history.empty'))}</li>`;
    $('history-more').hidden = this.historyDone;
  }

  gameHTML(g) {
    // protojson leaves out zeros: a missing seat or landlord is seat 0.
    const seat = Number(g.seat ?? 0);
    const landlord = g.state === 'cancelled' ? -1 : Number(g.landlord ?? 0);
    let outcome;
    if (g.state === 'cancelled') outcome = `<span class="tag">${esc(t('history.cancelled'))}</span>`;
    else outcome = `<span class="tag ${g.won ? 'win' : 'loss'}">${esc(t(g.won ? 'history.won' : 'history.lost'))}</span>`;
    const role = landlord < 0 ? '' : t(seat === landlord ? 'role.landlord' : 'role.farmer');
    const coins = Number(g.coins || 0);
    const when = new Date(Number(g.ended_at_ms || g.created_at_ms || 0));
    // A bot's seat is named in the page's language (the server's names say "Bot N").
    const names = (g.names || []).map((x, i) => ((g.bots || [])[i] ? t('bot.n', { n: i + 1 }) : x));
    const others = names.filter((_, i) => i !== seat).join(', ');
    return (
      `<li class="history-row" data-testid="history-row" data-game-id="${esc(g.game_id)}" data-state="${esc(g.state)}" data-coins="${coins}" data-won="${!!g.won}">` +
      `<div class="history-main">${outcome} <b>${esc(t(`mode.${g.mode}`))}</b> <span class="muted">${esc(role)}</span>` +
      (g.multiplier ? ` <span class="muted">×${esc(g.multiplier)}</span>` : '') +
      `<div class="muted small">${esc(when.toLocaleString(t('locale')))} · ${esc(t('history.with', { names: others }))}</div></div>` +
      `<span class="history-coins ${coins > 0 ? 'up' : coins < 0 ? 'down' : ''}">${coins > 0 ? '+' : ''}${esc(fmtNum(coins))}</span>` +
      `<button type="button" class="btn btn-ghost btn-small" data-testid="replay-btn" data-replay="${esc(g.game_id)}">${esc(t('history.replay'))}</button></li>`
    );
  }

  async loadProfile() {
    try {
      this.profile = await this.conn.request('ddz.profile', {});
      this.app.renderProfile(this.profile);
    } catch (err) {
      if (err.code !== 'closed') console.warn('profile', err);
    }
  }

  async saveProfile(body) {
    this.profile = await this.conn.request('ddz.profile.set', body);
    this.app.renderProfile(this.profile);
    this.loadBoard();
    return this.profile;
  }
}

// statsRows are the profile's numbers as the server computed them.
export function statsRows(p) {
  const n = (v) => Number(v || 0);
  const rate = (v, games) => (n(games) ? `${n(v)}%` : '–');
  return [
    ['games', t('stats.games'), fmtNum(n(p.games))],
    ['wins', t('stats.wins'), fmtNum(n(p.wins))],
    ['win-rate', t('stats.win_rate'), rate(p.win_rate, p.games)],
    ['landlord', t('stats.landlord'), `${n(p.landlord_wins)}/${n(p.landlord_games)} · ${rate(p.landlord_win_rate, p.landlord_games)}`],
    ['farmer', t('stats.farmer'), `${n(p.farmer_wins)}/${n(p.farmer_games)} · ${rate(p.farmer_win_rate, p.farmer_games)}`],
    ['springs', t('stats.springs'), fmtNum(n(p.springs))],
    ['best', t('stats.best'), n(p.best_multiplier) ? `×${n(p.best_multiplier)}` : '–'],
  ];
}

// ratingChart draws the rating after each recent game as a line.
export function ratingChart(points) {
  const ps = (points || []).map((p) => Number(p.rating || 0));
  if (ps.length < 2) return `<p class="muted small" data-testid="rating-chart-empty">${esc(t('stats.no_history'))}</p>`;
  const w = 240;
  const h = 48;
  const lo = Math.min(...ps);
  const hi = Math.max(...ps);
  const span = Math.max(1, hi - lo);
  const xy = ps.map((v, i) => `${((i / (ps.length - 1)) * w).toFixed(1)},${(h - 4 - ((v - lo) / span) * (h - 8)).toFixed(1)}`);
  return (
    `<svg class="rating-chart" data-testid="rating-chart" data-points="${ps.length}" data-last="${ps[ps.length - 1]}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(t('stats.rating_over_time'))}">` +
    `<polyline fill="none" stroke="currentColor" stroke-width="2" points="${xy.join(' ')}"/></svg>` +
    `<div class="muted small">${esc(t('stats.rating_range', { lo, hi }))}</div>`
  );
}

export const AVATARS = Object.keys(AVATAR_ART);
