// LordGame admin console. It renders what the admin API (docs/api.md,
// "Admin console") returns; every permission is checked by the server, the
// console only greys out what the signed-in role may not do.
'use strict';

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('lordgame-admin-token') || '';
let perms = [];
let current = null; // the player shown in the profile
let lastQuery = null; // the search whose results are listed
let auditBefore = '';
let timer = null;

function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function say(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.hidden = !text;
  m.classList.toggle('error', !!isError);
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + token } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    const msg = data.message || r.statusText;
    const err = new Error(msg);
    err.status = r.status;
    throw err;
  }
  return data;
}

function when(t) {
  return t ? new Date(t).toLocaleString() : '';
}

function applyPerms() {
  document.querySelectorAll('[data-perm]').forEach((el) => {
    const allowed = perms.includes(el.dataset.perm);
    el.querySelectorAll('input,select,textarea,button').forEach((c) => { c.disabled = !allowed; });
    if (el.tagName === 'BUTTON') el.disabled = !allowed;
    el.title = allowed ? '' : 'your role may not do this';
  });
}

async function signedIn() {
  const me = await api('GET', '/v1/admin/me');
  perms = me.permissions;
  $('who').textContent = `${me.username} (${me.role})`;
  $('login').hidden = true;
  $('tabs').hidden = false;
  $('logout').hidden = false;
  applyPerms();
  show('dashboard');
}

function show(tab) {
  document.querySelectorAll('.screen').forEach((s) => { s.hidden = s.id !== tab; });
  document.querySelectorAll('#tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === tab));
  clearInterval(timer);
  timer = null;
  const load = { dashboard: loadDashboard, tables: loadTables, notices: loadMaintenance, nodes: loadNodes, audit: () => loadAudit(true) }[tab];
  if (load) {
    load().catch((e) => say(e.message, true));
    if (tab === 'dashboard') timer = setInterval(() => loadDashboard().catch((e) => say(e.message, true)), 5000);
  }
}

async function loadDashboard() {
  const d = await api('GET', '/v1/admin/dashboard');
  $('d-online').textContent = d.online;
  $('d-tables').textContent = d.tables;
  const queued = Object.values(d.queues).reduce((a, b) => a + b, 0);
  $('d-queued').textContent = queued;
  $('d-house').textContent = d.house_balance === null ? 'unavailable' : d.house_balance;
  const rate = d.nodes.reduce((a, n) => a + (n.errors_per_min || 0), 0);
  $('d-errors').textContent = rate.toFixed(1);
  $('d-nodes').innerHTML = d.nodes.map((n) => `<tr><td>${esc(n.id)}</td><td>${esc(n.roles.join(', '))}</td><td>${n.sessions}</td>` +
    `<td>${n.tables}</td><td>${n.cpu}</td><td>${n.reachable ? n.errors_per_min.toFixed(1) : '?'}</td>` +
    `<td>${n.draining ? '<span class="bad">draining</span>' : '<span class="ok">serving</span>'}</td></tr>`).join('');
  $('d-queues').innerHTML = Object.entries(d.queues).map(([m, n]) => `<li>${esc(m)}: ${n} waiting</li>`).join('') || '<li>no matchmaker reachable</li>';
}

function playerStatus(p) {
  if (!p.banned) return 'active';
  return `banned until ${p.banned_until === 'forever' ? 'forever' : when(p.banned_until)}: ${p.ban_reason}`;
}

async function search(q, open = true) {
  const d = await api('GET', '/v1/admin/players?q=' + encodeURIComponent(q));
  lastQuery = q;
  $('p-results').innerHTML = d.players.map((p) => `<tr class="pick" data-id="${esc(p.user_id)}" data-testid="player-row">` +
    `<td>${esc(p.user_id)}</td><td>${esc(p.username || '(guest)')}</td><td>${esc(p.display_name)}</td>` +
    `<td>${esc(p.roles.join(', '))}</td><td>${esc(playerStatus(p))}</td></tr>`).join('') || '<tr><td colspan="5">no players found</td></tr>';
  if (open && d.players.length === 1) await openPlayer(d.players[0].user_id);
}

// refresh shows the current player again, and the search results (their
// status column) after an action on them.
async function refresh() {
  const d = await openPlayer(current);
  if (lastQuery !== null) await search(lastQuery, false);
  return d;
}

async function openPlayer(id) {
  const d = await api('GET', '/v1/admin/players/' + id);
  current = d.player.user_id;
  $('profile').hidden = false;
  $('pf-name').textContent = `${d.player.display_name} (${d.player.username || 'guest'})`;
  $('pf-id').textContent = d.player.user_id;
  $('pf-balance').textContent = d.balance;
  $('pf-online').textContent = d.online ? 'yes' : 'no';
  $('pf-status').textContent = playerStatus(d.player);
  $('pf-stats').textContent = `${d.stats.rating} / ${d.stats.games} / ${d.stats.wins}`;
  $('pf-ledger').innerHTML = d.ledger.map((e) => `<tr><td>${esc(when(e.at))}</td><td>${e.delta > 0 ? '+' : ''}${e.delta}</td>` +
    `<td>${e.balance_after}</td><td>${esc(e.reason)}</td></tr>`).join('');
  $('pf-games').innerHTML = d.games.map((g) => `<tr><td>${esc(g.id)}</td><td>${esc(g.mode)}</td><td>${g.seat}</td>` +
    `<td>${esc(g.state)}</td><td>${esc(when(g.created_at))}</td></tr>`).join('') || '<tr><td colspan="5">no games</td></tr>';
  return d;
}

async function loadTables() {
  const d = await api('GET', '/v1/admin/tables');
  const canCancel = perms.includes('table.cancel');
  $('t-rows').innerHTML = d.tables.map((t) => `<tr data-testid="table-row"><td>${esc(t.id)}</td><td>${esc(t.node)}</td><td>${esc(t.mode)}</td>` +
    `<td data-testid="table-phase">${esc(t.phase)}${t.paused ? ' (paused)' : ''}</td><td>${t.names.map(esc).join(', ')}</td>` +
    `<td><button type="button" class="cancel" data-id="${esc(t.id)}" data-testid="table-cancel"${canCancel ? '' : ' disabled'}>Cancel and refund</button></td></tr>`).join('') ||
    '<tr><td colspan="6" data-testid="no-tables">no tables running</td></tr>';
  if (d.unreachable && d.unreachable.length) say('not answering: ' + d.unreachable.join(', '), true);
}

async function loadMaintenance() {
  const d = await api('GET', '/v1/admin/maintenance');
  const m = d.maintenance;
  $('m-current').textContent = m ? `${m.text} (${when(m.starts_at)} – ${when(m.ends_at)}, set by ${m.set_by})` : 'none';
}

async function loadNodes() {
  const d = await api('GET', '/v1/admin/nodes');
  const canDrain = perms.includes('node.drain');
  $('n-rows').innerHTML = d.nodes.map((n) => `<tr data-testid="node-row"><td>${esc(n.id)}${n.id === d.self ? ' (this one)' : ''}</td>` +
    `<td>${esc(n.roles.join(', '))}</td><td>${esc(n.version)}</td><td>${n.sessions}</td><td>${n.tables}</td><td>${esc(when(n.last_seen))}</td>` +
    `<td data-testid="node-state">${n.draining ? 'draining' : 'serving'}</td>` +
    `<td><button type="button" class="drain" data-id="${esc(n.id)}" data-testid="node-drain"${canDrain && !n.draining ? '' : ' disabled'}>Drain</button></td></tr>`).join('');
}

function json(v) {
  return v === null || v === undefined ? '' : esc(JSON.stringify(v));
}

async function loadAudit(fresh) {
  if (fresh) auditBefore = '';
  const d = await api('GET', '/v1/admin/audit?limit=50' + (auditBefore ? '&before=' + auditBefore : ''));
  const rows = d.entries.map((e) => `<tr data-testid="audit-row"><td>${esc(when(e.at))}</td><td>${esc(e.actor)}</td><td>${esc(e.action)}</td>` +
    `<td>${esc(e.target)}</td><td>${esc(e.reason)}</td><td class="json">${json(e.before)}</td><td class="json">${json(e.after)}</td></tr>`).join('');
  if (fresh) $('a-rows').innerHTML = rows; else $('a-rows').insertAdjacentHTML('beforeend', rows);
  if (d.entries.length) auditBefore = d.entries[d.entries.length - 1].id;
  $('audit-more').hidden = d.entries.length < 50;
}

function form(id, f) {
  $(id).addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(ev.target).entries());
    f(data, ev.target).catch((e) => say(e.message, true));
  });
}

function wire() {
  document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => { say(''); show(b.dataset.tab); }));
  form('login-form', async (d) => {
    const r = await fetch('/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: d.username, password: d.password }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.message || 'sign-in failed');
    token = body.access_token;
    sessionStorage.setItem('lordgame-admin-token', token);
    try {
      await signedIn();
    } catch (e) {
      token = '';
      sessionStorage.removeItem('lordgame-admin-token');
      throw e;
    }
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem('lordgame-admin-token');
    location.reload();
  });
  form('search-form', (d) => search(d.q));
  $('p-results').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-id]');
    if (tr) openPlayer(tr.dataset.id).catch((e) => say(e.message, true));
  });
  form('kick-form', async (d, f) => {
    const r = await api('POST', `/v1/admin/players/${current}/kick`, { reason: d.reason });
    say(r.kicked ? 'player disconnected' : 'player was not connected');
    f.reset();
    // The cluster forgets the session a moment after it is closed: show
    // the profile again until it says offline (at most 3 s).
    for (let i = 0; i < 10; i++) {
      const p = await refresh();
      if (!r.kicked || !p.online) break;
      await new Promise((ok) => setTimeout(ok, 300));
    }
  });
  form('ban-form', async (d, f) => {
    await api('POST', `/v1/admin/players/${current}/ban`, { reason: d.reason, duration: d.duration });
    say('player banned');
    f.reset();
    await refresh();
  });
  form('unban-form', async (d, f) => {
    await api('POST', `/v1/admin/players/${current}/unban`, { reason: d.reason });
    say('player unbanned');
    f.reset();
    await refresh();
  });
  form('coins-form', async (d, f) => {
    const r = await api('POST', `/v1/admin/players/${current}/coins`, { delta: Number(d.delta), reason: d.reason });
    say('balance is now ' + r.balance);
    f.reset();
    await openPlayer(current);
  });
  $('tables-refresh').addEventListener('click', () => loadTables().catch((e) => say(e.message, true)));
  $('t-rows').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.cancel');
    if (!b) return;
    const reason = 'cancelled from the admin console';
    api('POST', `/v1/admin/tables/${b.dataset.id}/cancel`, { reason })
      .then(() => { say('table cancelled, stakes refunded'); return loadTables(); })
      .catch((e) => say(e.message, true));
  });
  form('announce-form', async (d, f) => {
    await api('POST', '/v1/admin/announce', { text: d.text });
    say('announcement sent');
    f.reset();
  });
  form('maintenance-form', async (d) => {
    await api('PUT', '/v1/admin/maintenance', { text: d.text, starts_at: new Date(d.starts).toISOString(), ends_at: new Date(d.ends).toISOString() });
    say('maintenance banner scheduled');
    await loadMaintenance();
  });
  $('maintenance-clear').addEventListener('click', () => {
    api('DELETE', '/v1/admin/maintenance').then(() => { say('maintenance banner cleared'); return loadMaintenance(); })
      .catch((e) => say(e.message, true));
  });
  $('n-rows').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.drain');
    if (!b) return;
    api('POST', `/v1/admin/nodes/${encodeURIComponent(b.dataset.id)}/drain`, { reason: 'drained from the admin console' })
      .then(() => { say('node draining'); return loadNodes(); })
      .catch((e) => say(e.message, true));
  });
  $('audit-more').addEventListener('click', () => loadAudit(false).catch((e) => say(e.message, true)));
}

wire();
if (token) {
  signedIn().catch(() => {
    token = '';
    sessionStorage.removeItem('lordgame-admin-token');
  });
}
