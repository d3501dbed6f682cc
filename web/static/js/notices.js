// Notices from the operators (proto/lordgame/v1/admin.proto): the
// maintenance banner in force, read from GET /v1/maintenance at start and
// on every reconnect, and the admin.notice pushes (announcements, banner
// set or cleared). Everything shown comes from the server.

import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);

function renderBanner(m) {
  const el = $('maintenance-banner');
  if (!el) return;
  if (!m || !m.text) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  const fmt = (at) => new Date(at).toLocaleString(t('locale'), { dateStyle: 'medium', timeStyle: 'short' });
  el.textContent = t('notice.maintenance', { from: fmt(m.starts_at), to: fmt(m.ends_at), text: m.text });
  el.hidden = false;
}

async function loadBanner() {
  try {
    const r = await fetch('/v1/maintenance', { headers: { Accept: 'application/json' } });
    if (!r.ok) return;
    const body = await r.json();
    renderBanner(body.maintenance);
  } catch {
    // offline: the banner stays as it was and is read again on reconnect
  }
}

// bindNotices shows the banner and routes admin.notice pushes of conn;
// toast shows an announcement.
export function bindNotices(conn, toast) {
  loadBanner();
  conn.on('ready', loadBanner);
  conn.onPush('admin.notice', (n) => {
    if (n.kind === 'announcement') toast(n.text, 'notice');
    else if (n.kind === 'maintenance') renderBanner({ text: n.text, starts_at: Number(n.starts_ms), ends_at: Number(n.ends_ms) });
    else if (n.kind === 'maintenance_cleared') renderBanner(null);
  });
}
