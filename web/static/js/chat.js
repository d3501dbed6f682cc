// The chat panel: world, table, private and group conversations with
// unread badges, read receipts, recall, history paging, groups, friends and
// blocks (docs/protocol-chat.md). It renders what chatsync.js holds from
// the server; nothing shown is made up on the client. The panel slides in
// from the right on a desktop and covers the screen on a phone.

import { ChatState, n, id } from './chatsync.js';
import { esc } from './table.js';
import { byEnglish as L, applyDom } from './i18n.js';

// statusDot draws a presence status the server gave (online, in_game or
// offline): green when online, amber when at a table, grey when away.
function statusDot(status) {
  const on = status !== 'offline';
  const title = { online: 'online', in_game: 'in a game' }[status] || 'offline';
  return `<span class="chat-dot${on ? ' on' : ''}${status === 'in_game' ? ' in-game' : ''}" data-testid="chat-online" data-online="${on}" data-status="${esc(status)}" title="${L(title)}"></span>`;
}

const $ = (x) => document.getElementById(x);
const RECALL_MS = 2 * 60_000; // the server's default window (-chat-recall-window)

const RULE_TEXT = {
  chat_rate_limited: 'You are sending too fast: wait a moment.',
  chat_empty: 'Type a message first.',
  chat_too_long: 'That message is too long.',
  blocked: 'This player does not accept your messages.',
  not_member: 'You are not a member of this conversation.',
  muted: 'You are muted in this group.',
  recall_too_late: 'Too late to recall that message.',
  recall_not_sender: 'You can only recall your own messages.',
  group_invite_only: 'That group is invite-only.',
  group_full: 'That group is full.',
  already_member: 'You are already in that group.',
  owner_cannot_leave: 'The owner cannot leave: hand the group over or disband it.',
  conversation_not_found: 'No such conversation.',
  user_not_found: 'No such player.',
  self: 'That is you.',
  group_bad_name: 'Group names are 1–32 characters.',
  group_disbanded: 'That group was disbanded.',
  already_friends: 'You are friends already.',
  max_groups: 'You are in too many groups.',
  max_friends: 'Too many friends.',
  not_admin: 'Only the owner or an admin may do that.',
  not_owner: 'Only the owner may do that.',
  group_bad_mute: 'A mute lasts up to 30 days.',
};

// Roles by rank, as the server ranks them: an owner or admin may kick
// and mute members who rank lower; only the owner changes roles.
const RANK = { owner: 3, admin: 2, member: 1 };
const rank = (role) => RANK[role] || 0;
// Mute durations offered, in seconds.
const MUTES = [
  [60, '1 minute'],
  [600, '10 minutes'],
  [3600, '1 hour'],
  [86400, '1 day'],
];

function errText(err) {
  if (!err) return '';
  return (RULE_TEXT[err.rule] && L(RULE_TEXT[err.rule])) || err.message || String(err);
}

function clock(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const now = new Date();
  const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === now.toDateString() ? t : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${t}`;
}

const SYSTEM_TEXT = {
  created: (a) => L('{by} created the group', a),
  join: (a) => L('{user} joined', a),
  invite: (a) => L('{by} added {user}', a),
  leave: (a) => L('{user} left', a),
  kick: (a) => L('{by} removed {user}', a),
  muted: (a) => L('{by} muted {user}', a),
  unmuted: (a) => L('{by} unmuted {user}', a),
  role_admin: (a) => L('{user} is now an admin', a),
  role_member: (a) => L('{user} is now a member', a),
  role_owner: (a) => L('{user} is now the owner', a),
  disbanded: (a) => L('{by} disbanded the group', a),
};

export class ChatPanel {
  // conn: the protocol client; me(): my user id; names(uid): a name the
  // app knows (the table's players) or ''; tableSay(body): ddz.chat.
  // seatUser(seat): the user id of a human at that seat of the table, or ''.
  constructor({ conn, me, names, tableSay, phrases, toast, seatUser }) {
    this.conn = conn;
    this.me = () => id(me());
    this.names = names || (() => '');
    this.tableSay = tableSay;
    this.phrases = phrases || (() => []);
    this.toast = toast || (() => {});
    this.seatUser = seatUser || (() => '');
    this.state = new ChatState(conn, this.me, (cid, what) => this.changed(cid, what));
    this.open = false;
    this.view = 'list'; // list | conv | people
    this.active = null; // conversation id on screen
    this.tableId = '';
    this.tableConv = null;
    this.friends = { friends: [], blocked: [] };
    this.drafts = new Map(); // conversation id -> {text, clientId}
    this.muteFor = 600; // the mute duration chosen last (seconds)
    this.seq = 0;
    this.skew = 0;
    this.build();
    this.bindConn();
    setInterval(() => {
      if (this.open && this.view === 'conv') this.renderMsgs(false);
    }, 15_000);
    setInterval(() => {
      // Group read counts have no push: ask while the group is on screen.
      const cv = this.current();
      if (cv && cv.kind === 'group' && this.conn.state === 'open' && document.visibilityState === 'visible') this.state.receipts(cv).catch(() => {});
    }, 4000);
    document.addEventListener('visibilitychange', () => this.readIfSeen());
  }

  // ---------------------------------------------------------------- DOM
  build() {
    const fab = document.createElement('button');
    fab.type = 'button';
    fab.id = 'chat-toggle';
    fab.className = 'icon-btn chat-toggle';
    fab.dataset.testid = 'chat-toggle';
    fab.setAttribute('aria-label', L('Messages'));
    fab.setAttribute('aria-expanded', 'false');
    fab.innerHTML =
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2h-7l-5 4v-4H5a2 2 0 0 1-2-2zm4 3v2h10V8zm0 4v2h7v-2z"/></svg>' +
      '<span class="chat-badge" id="chat-total" data-testid="chat-total" data-count="0" hidden>0</span>';
    fab.onclick = (ev) => {
      ev.stopPropagation();
      this.toggle();
    };
    this.fab = fab;
    this.badge = fab.querySelector('#chat-total'); // the launcher is out of the page until a screen mounts it

    const p = document.createElement('aside');
    p.id = 'chat-panel';
    p.className = 'chat-panel';
    p.dataset.testid = 'chat-panel';
    p.hidden = true;
    p.setAttribute('aria-label', L('Messages'));
    p.innerHTML = `
<header class="chat-head">
  <button type="button" class="icon-btn chat-back" id="chat-back" data-testid="chat-back" data-i18n-en-attr="aria-label:Back" aria-label="Back" hidden>&#8592;</button>
  <h2 id="chat-title" data-testid="chat-title">Messages</h2>
  <span class="chat-head-tools" id="chat-head-tools"></span>
  <button type="button" class="icon-btn" id="chat-close" data-testid="chat-close" data-i18n-en-attr="aria-label:Close" aria-label="Close">&#10005;</button>
</header>
<nav class="chat-tabs" id="chat-tabs">
  <button type="button" class="tab active" id="chat-tab-chats" data-testid="chat-tab-chats" data-i18n-en>Chats</button>
  <button type="button" class="tab" id="chat-tab-people" data-testid="chat-tab-people" data-i18n-en>People</button>
</nav>
<section class="chat-list" id="chat-list-view">
  <p class="chat-me"><span data-i18n-en>Your player id:</span> <b id="chat-my-id" data-testid="chat-my-id"></b></p>
  <form class="chat-row" id="chat-dm-form" novalidate>
    <input id="chat-dm-id" data-testid="chat-dm-id" inputmode="numeric" placeholder="Player id" aria-label="Player id to message" data-i18n-en-attr="placeholder:Player id;aria-label:Player id to message">
    <button class="btn btn-primary btn-small" type="submit" data-testid="chat-dm-go" data-i18n-en>Message</button>
  </form>
  <form class="chat-row" id="chat-group-form" novalidate>
    <input id="chat-group-name" data-testid="chat-group-name" maxlength="32" placeholder="New group name" aria-label="New group name" data-i18n-en-attr="placeholder:New group name;aria-label:New group name">
    <label class="chat-check"><input type="checkbox" id="chat-group-open" data-testid="chat-group-open" checked> <span data-i18n-en>open</span></label>
    <button class="btn btn-gold btn-small" type="submit" data-testid="chat-group-create" data-i18n-en>Create</button>
  </form>
  <form class="chat-row" id="chat-join-form" novalidate>
    <input id="chat-join-id" data-testid="chat-join-id" inputmode="numeric" placeholder="Group id" aria-label="Group id to join" data-i18n-en-attr="placeholder:Group id;aria-label:Group id to join">
    <button class="btn btn-ghost btn-small" type="submit" data-testid="chat-join-go" data-i18n-en>Join group</button>
  </form>
  <p class="chat-error" id="chat-list-error" data-testid="chat-list-error" role="alert" hidden></p>
  <div class="chat-convs" id="chat-convs" data-testid="chat-convs"></div>
</section>
<section class="chat-people" id="chat-people-view" hidden>
  <form class="chat-row" id="chat-friend-form" novalidate>
    <input id="chat-friend-id" data-testid="chat-friend-id" inputmode="numeric" placeholder="Player id" aria-label="Player id" data-i18n-en-attr="placeholder:Player id;aria-label:Player id">
    <button class="btn btn-primary btn-small" type="submit" data-testid="chat-friend-add" data-i18n-en>Add friend</button>
  </form>
  <p class="chat-error" id="chat-people-error" role="alert" hidden></p>
  <div id="chat-friends" data-testid="chat-friends"></div>
</section>
<section class="chat-conv-view" id="chat-conv-view" hidden>
  <div class="chat-members" id="chat-members" data-testid="chat-members" hidden></div>
  <div class="chat-msgs" id="chat-msgs" data-testid="chat-msgs" tabindex="0"></div>
  <div class="chat-phrases" id="chat-phrases" hidden></div>
  <p class="chat-error" id="chat-error" data-testid="chat-error" role="alert" hidden></p>
  <form class="chat-compose" id="chat-compose" novalidate>
    <input id="chat-input" data-testid="chat-input" maxlength="500" placeholder="Message" aria-label="Message" data-i18n-en-attr="aria-label:Message" autocomplete="off">
    <button class="btn btn-primary btn-small" type="submit" id="chat-send" data-testid="chat-send" data-i18n-en>Send</button>
  </form>
</section>
`;
    applyDom(p);
    const menu = document.createElement('div');
    menu.className = 'chat-user-menu panel';
    menu.id = 'chat-user-menu';
    menu.dataset.testid = 'chat-user-menu';
    menu.hidden = true;
    document.body.append(p, menu);
    this.panel = p;

    $('chat-close').onclick = () => this.toggle(false);
    $('chat-back').onclick = () => this.showList();
    $('chat-tab-chats').onclick = () => this.showList();
    $('chat-tab-people').onclick = () => this.showPeople();
    $('chat-dm-form').onsubmit = (ev) => {
      ev.preventDefault();
      const uid = $('chat-dm-id').value.trim();
      if (uid) this.openPrivate(uid).then((ok) => ok && ($('chat-dm-id').value = ''));
    };
    $('chat-group-form').onsubmit = (ev) => {
      ev.preventDefault();
      this.createGroup($('chat-group-name').value.trim(), $('chat-group-open').checked);
    };
    $('chat-join-form').onsubmit = (ev) => {
      ev.preventDefault();
      const gid = $('chat-join-id').value.trim();
      if (gid) this.joinGroup(gid);
    };
    $('chat-friend-form').onsubmit = (ev) => {
      ev.preventDefault();
      const uid = $('chat-friend-id').value.trim();
      if (uid) this.friendAct('friend.request', uid).then((ok) => ok && ($('chat-friend-id').value = ''));
    };
    $('chat-compose').onsubmit = (ev) => {
      ev.preventDefault();
      this.sendText();
    };
    $('chat-input').oninput = () => {
      // Another text is another message: a new client id.
      if (this.active) this.drafts.delete(this.active);
    };
    $('chat-msgs').onscroll = () => {
      if ($('chat-msgs').scrollTop < 60) this.loadOlder();
    };
    $('chat-msgs').onclick = (ev) => {
      const r = ev.target.closest('[data-recall]');
      if (r) {
        this.recall(Number(r.dataset.recall));
        return;
      }
      const s = ev.target.closest('[data-user]');
      if (s) {
        ev.stopPropagation();
        this.userMenu(s.dataset.user, s);
      }
    };
    $('chat-members').onclick = (ev) => {
      const s = ev.target.closest('[data-user]');
      if (s) {
        ev.stopPropagation();
        this.userMenu(s.dataset.user, s);
      }
    };
    $('chat-convs').onclick = (ev) => {
      const b = ev.target.closest('[data-conv-id]');
      if (b) this.showConv(b.dataset.convId);
    };
    $('chat-friends').onclick = (ev) => {
      const b = ev.target.closest('[data-act]');
      if (!b) return;
      const uid = b.dataset.uid;
      if (b.dataset.act === 'message') this.openPrivate(uid);
      else this.friendAct(b.dataset.act, uid);
    };
    document.addEventListener('click', (ev) => {
      if (!$('chat-user-menu').hidden && !ev.target.closest('#chat-user-menu')) $('chat-user-menu').hidden = true;
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !$('chat-user-menu').hidden) $('chat-user-menu').hidden = true;
    });
    // A player at the table: a tap on the avatar or name offers a
    // message, a friend request or a block.
    document.addEventListener('click', (ev) => {
      const el = ev.target.closest('.seat .avatar, .seat .name');
      const seat = el && el.closest('.seat');
      if (!seat) return;
      const uid = id(this.seatUser(Number(seat.dataset.seat)));
      if (uid === '0' || uid === this.me()) return;
      ev.stopPropagation();
      this.userMenu(uid, el);
    });
  }

  // mount puts the launcher on the screen shown: a round button at the
  // bottom right of the lobby, one more icon in the table's top bar.
  mount(screen) {
    const host = screen === 'table' ? document.querySelector('.table-menu') : screen === 'lobby' ? document.body : null;
    if (!host) {
      this.fab.remove();
      this.toggle(false);
      return;
    }
    this.fab.classList.toggle('chat-fab', screen === 'lobby');
    if (this.fab.parentNode !== host) host.insertBefore(this.fab, screen === 'table' ? host.querySelector('#btn-chat') : null);
  }

  toggle(open) {
    const show = open === undefined ? !this.open : open;
    this.open = show;
    this.panel.hidden = !show;
    this.fab.setAttribute('aria-expanded', String(show));
    document.body.classList.toggle('chat-open', show);
    if (show) {
      if (this.view === 'conv' && this.current()) this.showConv(this.active);
      else this.showList();
    } else this.state.viewing = null;
  }

  // ---------------------------------------------------------------- server
  bindConn() {
    this.conn.onPush('chat.msg', (b) => this.state.onPush(b));
    this.conn.onPush('chat.receipt', (b) => this.state.onReceipt(b));
    this.conn.onPush('friend.event', (b) => this.onFriendEvent(b));
    this.conn.onPush('presence.event', (b) => this.onPresence(b));
    this.conn.on('ready', (ack) => {
      this.skew = n(ack && ack.server_time_ms) ? n(ack.server_time_ms) - Date.now() : 0;
      this.resume();
    });
  }

  async resume() {
    if (this.user !== this.me()) {
      // Another player logged in on this page: start from nothing.
      this.user = this.me();
      this.state.convs.clear();
      this.state.names.clear();
      this.state.world = null;
      this.state.total = 0;
      this.tableConv = null;
      this.drafts.clear();
      this.showList();
    }
    try {
      await this.state.resume();
      await this.loadFriends();
      if (this.tableId && !this.tableConv) this.openTable(this.tableId);
      const cv = this.current();
      if (cv && this.open && this.view === 'conv') {
        await this.state.load(cv);
        this.state.receipts(cv).catch(() => {});
      }
      this.readIfSeen();
    } catch (err) {
      if (err.code !== 'closed' && err.code !== 'unavailable') console.warn('chat: resume failed', err);
    }
  }

  // setTable follows the Dou Dizhu table the player sits at ('' for none).
  setTable(gameId) {
    gameId = gameId || '';
    if (gameId === this.tableId) return;
    this.tableId = gameId;
    const old = this.tableConv;
    this.tableConv = null;
    if (old) {
      this.state.convs.delete(old.id);
      if (this.active === old.id) this.showList();
    }
    if (gameId && this.conn.state === 'open') this.openTable(gameId);
    this.render();
  }

  async openTable(gameId, attempt = 0) {
    try {
      const r = await this.conn.request('chat.open', { kind: 'table', table_id: gameId });
      if (this.tableId !== gameId) return;
      const cv = this.state.upsert(r.conversation || {});
      cv.kind = 'table';
      this.tableConv = cv;
      this.render();
      if (this.active === cv.id) await this.state.load(cv);
    } catch (err) {
      // The conversation is made right after the table starts.
      if (err.rule === 'conversation_not_found' && attempt < 8 && this.tableId === gameId) setTimeout(() => this.openTable(gameId, attempt + 1), 500 * (attempt + 1));
    }
  }

  async loadFriends() {
    try {
      const r = await this.conn.request('friend.list', {});
      this.friends = { friends: r.friends || [], blocked: (r.blocked || []).map(id) };
      for (const f of this.friends.friends) this.state.learn(f.user_id, f.name);
      this.friends.blocked.forEach((uid, i) => this.state.learn(uid, (r.blocked_names || [])[i]));
      this.renderPeople();
    } catch {
      // shown again at the next connect
    }
  }

  // onPresence applies a friend's status change (the newest since_ms wins;
  // friend.list on connect gives the statuses to start from).
  onPresence(b) {
    const f = this.friends.friends.find((x) => id(x.user_id) === id(b.user_id));
    if (!f) return;
    const since = n(b.since_ms);
    if (since && since < n(f.presence_since)) return;
    f.presence_since = since;
    f.status = b.status || 'offline';
    f.online = f.status !== 'offline';
    this.renderPeople();
    this.render();
  }

  onFriendEvent(b) {
    const who = this.nameOf(id(b.user_id));
    const text = { request: L('{who} wants to be your friend.', { who }), accepted: L('{who} accepted your friend request.', { who }), declined: L('{who} declined your friend request.', { who }), removed: '' }[b.event];
    if (text) this.toast(text);
    this.loadFriends();
  }

  // ---------------------------------------------------------------- changes
  changed(cid, what) {
    for (const cv of this.state.convs.values()) {
      if (cv.kicked && !cv.told) {
        cv.told = true;
        this.toast(L('You were removed from {group}.', { group: this.title(cv) }));
      }
    }
    if (cid && cid === this.active && this.open && this.view === 'conv' && (what === 'push' || what === 'sync')) {
      const cv = this.current();
      if (cv && cv.kind === 'group' && !$('chat-members').hidden && cv.held !== this.membersAt) this.membersSoon(cv);
    }
    if (cid && cid === this.active && this.open && this.view === 'conv') {
      this.renderMsgs(what === 'push' || what === 'sent' || what === 'load' || what === 'sync', what === 'older');
      if (what === 'push' || what === 'sync' || what === 'load' || what === 'sent') this.readIfSeen();
      const cv = this.current();
      if (cv && cv.kind === 'group' && (what === 'push' || what === 'load')) this.receiptsSoon(cv);
      if (cv && cv.kind === 'private' && what === 'load') this.state.receipts(cv).catch(() => {});
    } else if (!cid && this.open && this.view === 'conv') {
      this.renderMsgs(true);
      this.readIfSeen();
    }
    this.render();
  }

  receiptsSoon(cv) {
    clearTimeout(this.rcTimer);
    this.rcTimer = setTimeout(() => this.state.receipts(cv).catch(() => {}), 500);
  }

  current() {
    const cv = this.active ? this.state.get(this.active) : null;
    return cv && !cv.gone ? cv : null;
  }

  // readIfSeen marks the conversation on screen read.
  readIfSeen() {
    const cv = this.current();
    if (!cv || !this.open || this.view !== 'conv' || document.visibilityState !== 'visible') {
      this.state.viewing = null;
      return;
    }
    this.state.viewing = cv.id;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.state.markRead(cv).catch(() => {}), 80);
  }

  // ---------------------------------------------------------------- views
  showList() {
    this.view = 'list';
    this.active = null;
    this.state.viewing = null;
    $('chat-user-menu').hidden = true;
    this.render();
  }

  showPeople() {
    this.view = 'people';
    this.active = null;
    this.state.viewing = null;
    this.loadFriends();
    this.render();
  }

  async showConv(cid) {
    const cv = this.state.get(cid);
    if (!cv) return;
    const switched = this.active !== cv.id;
    this.view = 'conv';
    this.active = cv.id;
    if (switched) {
      $('chat-members').hidden = true;
      this.setError('');
      const d = this.drafts.get(cv.id);
      $('chat-input').value = d ? d.text : '';
    }
    this.render();
    this.renderMsgs(true);
    try {
      await this.state.load(cv);
      if (cv.kind === 'private' || cv.kind === 'group') this.state.receipts(cv).catch(() => {});
      this.readIfSeen();
    } catch (err) {
      this.setError(errText(err));
    }
  }

  title(cv) {
    if (!cv) return L('Messages');
    if (cv.kind === 'world') return L('World');
    if (cv.kind === 'table') return L('Table');
    if (cv.kind === 'private') return this.nameOf(cv.peer);
    return cv.name || L('Group {id}', { id: cv.id });
  }

  nameOf(uid) {
    uid = id(uid);
    if (uid === this.me()) return L('You');
    // The newest display name the server gave for the user (with a
    // message, a member or friend list, a private conversation), else the
    // table's name for a player there, else the end of the id.
    return this.state.names.get(uid) || this.names(uid) || L('Player ·{id}', { id: uid.slice(-6) });
  }

  // status is a friend's presence as the server last told it: online,
  // in_game or offline; null for someone who is not a friend.
  status(uid) {
    const f = this.friends.friends.find((x) => id(x.user_id) === uid);
    if (!f) return null;
    return f.status || (f.online ? 'online' : 'offline');
  }

  online(uid) {
    const s = this.status(uid);
    return s === null ? null : s !== 'offline';
  }

  render() {
    const v = this.view;
    const cv = this.current();
    if (v === 'conv' && !cv) {
      this.view = 'list';
      this.active = null;
      return this.render();
    }
    const total = this.state.total;
    const badge = this.badge;
    badge.textContent = total > 99 ? '99+' : String(total);
    badge.dataset.count = String(total);
    badge.hidden = total === 0;
    if (!this.open) return;
    $('chat-my-id').textContent = this.me();
    $('chat-my-id').dataset.userId = this.me();
    $('chat-list-view').hidden = v !== 'list';
    $('chat-people-view').hidden = v !== 'people';
    $('chat-conv-view').hidden = v !== 'conv';
    $('chat-tabs').hidden = v === 'conv';
    $('chat-back').hidden = v !== 'conv';
    $('chat-head-tools').hidden = v !== 'conv';
    $('chat-tab-chats').classList.toggle('active', v === 'list');
    $('chat-tab-people').classList.toggle('active', v === 'people');
    $('chat-title').textContent = v === 'conv' ? this.title(cv) : L('Messages');
    this.panel.dataset.view = v;
    this.panel.dataset.conv = cv ? cv.id : '';
    this.panel.dataset.kind = cv ? cv.kind : '';
    if (v === 'list') this.renderList();
    if (v === 'people') this.renderPeople();
    if (v === 'conv') this.renderHead(cv);
  }

  listed() {
    const out = [];
    if (this.state.world) out.push(this.state.world);
    if (this.tableConv) out.push(this.tableConv);
    const rest = [...this.state.convs.values()].filter((c) => !c.gone && (c.kind === 'private' || c.kind === 'group'));
    rest.sort((a, b) => ((b.last && b.last.created) || 0) - ((a.last && a.last.created) || 0) || Number(b.id) - Number(a.id));
    return out.concat(rest);
  }

  renderList() {
    const html = this.listed()
      .map((cv) => {
        const count = cv.kind === 'private' || cv.kind === 'group' ? cv.unread : cv.live;
        const last = cv.last ? this.preview(cv.last) : '';
        const dot = cv.kind === 'private' ? this.dot(cv.peer) : '';
        const sub = cv.kind === 'group' ? `<span class="tag">#${esc(cv.id)}</span>` : cv.kind === 'world' ? `<span class="tag">${L('everyone')}</span>` : '';
        return `<button type="button" class="chat-conv-item" data-testid="chat-conv" data-conv-id="${esc(cv.id)}" data-kind="${esc(cv.kind)}" data-unread="${count}">
  <span class="chat-conv-title">${dot}<b data-testid="chat-conv-title">${esc(this.title(cv))}</b> ${sub}</span>
  <span class="chat-conv-last">${last}</span>
  <span class="chat-badge${cv.kind === 'world' || cv.kind === 'table' ? ' soft' : ''}" data-testid="chat-unread" ${count ? '' : 'hidden'}>${count > 99 ? '99+' : count}</span>
</button>`;
      })
      .join('');
    const box = $('chat-convs');
    if (box.dataset.html !== html) {
      box.dataset.html = html;
      box.innerHTML = html;
    }
  }

  dot(uid) {
    const s = this.status(id(uid));
    return s === null ? '' : statusDot(s);
  }

  preview(m) {
    const who = m.sender === this.me() ? L('You: ') : '';
    if (m.recalled) return `<i>${esc(who)}message recalled</i>`;
    return esc(who + (m.text || ''));
  }

  renderHead(cv) {
    const tools = [];
    if (cv.kind === 'private') {
      const blocked = this.friends.blocked.includes(cv.peer);
      tools.push(`<button type="button" class="btn btn-ghost btn-small" data-testid="chat-block" data-act="${blocked ? 'friend.unblock' : 'friend.block'}">${L(blocked ? 'Unblock' : 'Block')}</button>`);
    }
    if (cv.kind === 'group') {
      tools.push(`<span class="tag" data-testid="chat-group-id" data-group-id="${esc(cv.id)}">#${esc(cv.id)}</span>`);
      tools.push(`<button type="button" class="btn btn-ghost btn-small" data-testid="chat-members-btn">${L('Members')}</button>`);
      if (cv.role !== 'owner' && !cv.disbanded) tools.push(`<button type="button" class="btn btn-ghost btn-small" data-testid="chat-leave">${L('Leave')}</button>`);
      if (cv.role === 'owner' && !cv.disbanded) {
        if (this.confirming === cv.id)
          tools.push(
            `<span class="chat-confirm">${L('Disband the group?')}</span><button type="button" class="btn btn-red btn-small" data-testid="chat-disband-confirm">${L('Disband')}</button><button type="button" class="btn btn-ghost btn-small" data-testid="chat-disband-cancel">${L('Cancel')}</button>`,
          );
        else tools.push(`<button type="button" class="btn btn-ghost btn-small" data-testid="chat-disband">${L('Disband')}</button>`);
      }
    }
    const key = `${cv.id}|${tools.join('')}`;
    const box = $('chat-head-tools');
    if (box.dataset.key !== key) {
      box.dataset.key = key;
      box.innerHTML = tools.join('');
      const b = box.querySelector('[data-testid=chat-block]');
      if (b) b.onclick = () => this.friendAct(b.dataset.act, cv.peer);
      const mb = box.querySelector('[data-testid=chat-members-btn]');
      if (mb) mb.onclick = () => this.toggleMembers(cv);
      const lv = box.querySelector('[data-testid=chat-leave]');
      if (lv) lv.onclick = () => this.leaveGroup(cv);
      const db = box.querySelector('[data-testid=chat-disband]');
      if (db)
        db.onclick = () => {
          this.confirming = cv.id;
          this.render();
        };
      const dc = box.querySelector('[data-testid=chat-disband-cancel]');
      if (dc)
        dc.onclick = () => {
          this.confirming = null;
          this.render();
        };
      const dy = box.querySelector('[data-testid=chat-disband-confirm]');
      if (dy) dy.onclick = () => this.disband(cv);
    }
    const table = cv.kind === 'table';
    const ph = $('chat-phrases');
    ph.hidden = !table;
    if (table) {
      const phrases = this.phrases();
      const k = phrases.join('|');
      if (ph.dataset.key !== k) {
        ph.dataset.key = k;
        ph.innerHTML = phrases.map((p, i) => `<button type="button" class="chip" data-testid="chat-panel-phrase" data-phrase="${i + 1}">${esc(p)}</button>`).join('');
        for (const b of ph.querySelectorAll('[data-phrase]')) b.onclick = () => this.sayTable({ phrase: Number(b.dataset.phrase) });
      }
    }
    const closed = cv.disbanded || (cv.kind === 'group' && cv.mutedUntil > Date.now() + this.skew);
    $('chat-input').disabled = !!cv.disbanded;
    $('chat-send').disabled = !!cv.disbanded;
    $('chat-input').placeholder = L(cv.disbanded ? 'This group was disbanded' : closed ? 'You are muted in this group' : 'Message');
  }

  // renderMsgs draws the messages of the conversation on screen. stick
  // keeps the view at the bottom when it was there; older keeps the
  // messages in place while a page is added above.
  renderMsgs(stick, older = false) {
    const cv = this.current();
    const box = $('chat-msgs');
    if (!cv) return;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const fromBottom = box.scrollHeight - box.scrollTop;
    const me = this.me();
    const now = Date.now() + this.skew;
    const parts = [];
    if (cv.loaded && !cv.before) parts.push(`<div class="chat-start" data-testid="chat-start">${L('Start of the conversation')}</div>`);
    else if (cv.loaded) parts.push(`<div class="chat-start" data-testid="chat-more">${L('Scroll up for older messages')}</div>`);
    else parts.push('<div class="chat-start"><span class="spinner"></span></div>');
    for (const m of cv.sorted()) {
      if (m.kind === 'system') {
        parts.push(`<div class="chat-sys" data-testid="chat-msg" data-seq="${m.seq}" data-kind="system">${esc(this.systemText(m))}</div>`);
        continue;
      }
      const mine = m.sender === me;
      const tomb = !!m.recalled;
      const who = mine ? L('You') : this.nameOf(m.sender);
      let body;
      if (tomb) body = `<span class="chat-tomb" data-testid="chat-tombstone">${L(m.recalledBy === m.sender ? (mine ? 'You recalled a message' : 'Message recalled') : 'Message deleted by a moderator')}</span>`;
      else body = `<span class="chat-body" data-testid="chat-body">${esc(m.text)}</span>`;
      let status = '';
      if (mine && !tomb && cv.kind === 'private') {
        const read = m.seq <= cv.peerRead;
        status = `<span class="chat-status${read ? ' read' : ''}" data-testid="chat-receipt" data-read="${read}">${L(read ? 'Read' : 'Sent')}</span>`;
      } else if (mine && !tomb && cv.kind === 'group' && cv.readCounts.has(m.seq)) {
        const c = cv.readCounts.get(m.seq);
        status = `<span class="chat-status${c ? ' read' : ''}" data-testid="chat-read-count" data-count="${c}">${L('Read by {n}', { n: c })}</span>`;
      }
      const recall = mine && !tomb && now - m.created < RECALL_MS ? `<button type="button" class="link-btn chat-recall" data-testid="chat-recall" data-recall="${m.seq}">${L('Recall')}</button>` : '';
      const name = mine ? `<span class="chat-who">${L('You')}</span>` : `<button type="button" class="chat-who link-btn" data-testid="chat-sender" data-user="${esc(m.sender)}" title="${esc(L('Player id {id}', { id: m.sender }))}">${esc(who)}</button>`;
      parts.push(`<div class="chat-msg${mine ? ' mine' : ''}${tomb ? ' tomb' : ''}" data-testid="chat-msg" data-seq="${m.seq}" data-sender="${esc(m.sender)}" data-mine="${mine}" data-tombstone="${tomb}">
  <div class="chat-meta">${name}<time>${esc(clock(m.created))}</time></div>
  <div class="chat-bubble-line">${body}</div>
  <div class="chat-foot">${status}${recall}</div>
</div>`);
    }
    const html = parts.join('');
    if (box.dataset.html === html && box.dataset.conv === cv.id) return;
    const sameConv = box.dataset.conv === cv.id;
    box.dataset.html = html;
    box.dataset.conv = cv.id;
    box.dataset.held = String(cv.held);
    box.innerHTML = html;
    if (older && sameConv) box.scrollTop = box.scrollHeight - fromBottom;
    else if (!sameConv || (stick && atBottom) || stick === 'force') box.scrollTop = box.scrollHeight;
  }

  systemText(m) {
    let e = m.event;
    if (!e) {
      try {
        e = JSON.parse(m.text || '{}');
      } catch {
        e = {};
      }
    }
    const f = SYSTEM_TEXT[e.event];
    if (!f) return L('Group updated');
    return f({ by: this.nameOf(e.by), user: this.nameOf(e.user_id) });
  }

  setError(text, el = 'chat-error') {
    $(el).textContent = text;
    $(el).hidden = !text;
  }

  // ---------------------------------------------------------------- actions
  async loadOlder() {
    const cv = this.current();
    if (!cv || !cv.loaded || !cv.before || cv.paging) return;
    try {
      await this.state.older(cv);
    } catch (err) {
      this.setError(errText(err));
    }
  }

  clientId() {
    this.seq++;
    return `w${Date.now().toString(36)}-${this.seq}-${Math.random().toString(36).slice(2, 8)}`;
  }

  async sendText() {
    const cv = this.current();
    const input = $('chat-input');
    const text = input.value.trim();
    if (!cv || !text || this.sending) return;
    this.setError('');
    if (cv.kind === 'table') {
      if (await this.sayTable({ text })) input.value = '';
      return;
    }
    // A retry of the same text keeps its client id: the server stores it once.
    let d = this.drafts.get(cv.id);
    if (!d || d.text !== text) {
      d = { text, clientId: this.clientId() };
      this.drafts.set(cv.id, d);
    }
    this.sending = true;
    $('chat-send').disabled = true;
    try {
      await this.state.send(cv, { conversation_id: cv.id, client_id: d.clientId, kind: 'text', text });
      this.drafts.delete(cv.id);
      if (this.active === cv.id) input.value = '';
      this.renderMsgs('force');
    } catch (err) {
      this.setError(errText(err));
    } finally {
      this.sending = false;
      $('chat-send').disabled = false;
    }
  }

  // sayTable sends through ddz.chat (the table's bubbles); the line lands
  // in the table conversation a moment later, which a sync then fetches.
  async sayTable(body) {
    const cv = this.current();
    try {
      await this.tableSay(body);
    } catch (err) {
      this.setError(errText(err));
      return false;
    }
    if (cv) {
      const want = cv.held + 1;
      for (let i = 0; i < 6 && cv.held < want && this.tableConv === cv; i++) {
        await new Promise((r) => setTimeout(r, 250 * (i + 1)));
        await this.state.sync([cv]).catch(() => {});
      }
      this.renderMsgs('force');
    }
    return true;
  }

  async recall(seq) {
    const cv = this.current();
    if (!cv) return;
    this.setError('');
    try {
      await this.state.recall(cv, seq);
    } catch (err) {
      this.setError(errText(err));
    }
  }

  async openPrivate(uid) {
    this.setError('', 'chat-list-error');
    $('chat-user-menu').hidden = true;
    try {
      const r = await this.conn.request('chat.open', { kind: 'private', user_id: String(uid) });
      const cv = this.state.upsert(r.conversation || {});
      if (!this.open) this.toggle(true);
      await this.showConv(cv.id);
      return true;
    } catch (err) {
      this.setError(errText(err), this.view === 'people' ? 'chat-people-error' : 'chat-list-error');
      return false;
    }
  }

  async createGroup(name, open) {
    this.setError('', 'chat-list-error');
    if (!name) {
      this.setError(L('Give the group a name.'), 'chat-list-error');
      return;
    }
    try {
      const r = await this.conn.request('group.create', { name, open });
      const cv = this.state.upsert(r.group || {});
      $('chat-group-name').value = '';
      await this.showConv(cv.id);
    } catch (err) {
      this.setError(errText(err), 'chat-list-error');
    }
  }

  async joinGroup(gid) {
    this.setError('', 'chat-list-error');
    try {
      await this.conn.request('group.join', { conversation_id: String(gid) });
      await this.state.inbox();
      const cv = this.state.get(gid);
      $('chat-join-id').value = '';
      if (cv) await this.showConv(cv.id);
    } catch (err) {
      this.setError(errText(err), 'chat-list-error');
    }
  }

  async leaveGroup(cv) {
    this.setError('');
    try {
      await this.conn.request('group.leave', { conversation_id: cv.id });
      cv.gone = true;
      this.showList();
      await this.state.inbox();
    } catch (err) {
      this.setError(errText(err));
    }
  }

  async toggleMembers(cv) {
    const box = $('chat-members');
    if (!box.hidden) {
      box.hidden = true;
      return;
    }
    if (await this.loadMembers(cv)) box.hidden = false;
  }

  membersSoon(cv) {
    clearTimeout(this.memTimer);
    this.memTimer = setTimeout(() => {
      if (this.current() === cv && !$('chat-members').hidden) this.loadMembers(cv);
    }, 150);
  }

  // loadMembers asks the server for the group's members (names, roles,
  // mutes, online) and draws them with the moderation the caller's role
  // allows: nothing here is decided on the client alone, the server
  // checks every action again and its refusal is shown.
  async loadMembers(cv) {
    try {
      const r = await this.conn.request('group.members', { conversation_id: cv.id });
      if (r.group) cv.update(r.group);
      this.membersAt = cv.held;
      this.members = r.members || [];
      for (const m of this.members) this.state.learn(m.user_id, m.name);
      if (this.current() === cv) this.renderMembers(cv);
      this.render();
      return true;
    } catch (err) {
      this.setError(errText(err));
      return false;
    }
  }

  renderMembers(cv) {
    const box = $('chat-members');
    const ms = this.members || [];
    const me = this.me();
    const mine = rank(cv.role);
    const now = Date.now() + this.skew;
    const head = L(ms.length === 1 ? '{n} member' : '{n} members', { n: ms.length }) + (cv.maxMembers ? ` / ${cv.maxMembers}` : '') + ' · ' + L(cv.open ? 'open' : 'invite-only');
    const rows = ms.map((m) => {
      const uid = id(m.user_id);
      const on = !!m.online;
      const role = m.role || 'member';
      const muted = n(m.muted_until_ms) > now;
      const self = uid === me;
      const who = self ? `<span>${L('You')}</span>` : `<button type="button" class="link-btn" data-user="${esc(uid)}" data-testid="chat-member-name">${esc(this.nameOf(uid))}</button>`;
      const acts = [];
      if (!self && !cv.disbanded && mine >= RANK.admin && rank(role) < mine) {
        if (muted) acts.push(`<button type="button" class="link-btn" data-mod="unmute" data-testid="chat-unmute">${L('Unmute')}</button>`);
        else {
          acts.push(
            `<select data-testid="chat-mute-duration" aria-label="${esc(L('Mute for'))}">${MUTES.map(([sec, label], i) => `<option value="${sec}"${sec === this.muteFor ? ' selected' : ''}>${esc(L(label))}</option>`).join('')}</select>`,
            `<button type="button" class="link-btn" data-mod="mute" data-testid="chat-mute">${L('Mute')}</button>`,
          );
        }
        acts.push(`<button type="button" class="link-btn danger" data-mod="kick" data-testid="chat-kick">${L('Remove from group')}</button>`);
      }
      if (!self && !cv.disbanded && cv.role === 'owner') {
        if (role === 'member') acts.push(`<button type="button" class="link-btn" data-mod="admin" data-testid="chat-promote">${L('Make admin')}</button>`);
        if (role === 'admin') acts.push(`<button type="button" class="link-btn" data-mod="member" data-testid="chat-demote">${L('Remove admin')}</button>`);
      }
      const mutedTag = muted ? `<span class="tag" data-testid="chat-muted" data-until="${n(m.muted_until_ms)}">${esc(L('muted until {time}', { time: clock(n(m.muted_until_ms)) }))}</span>` : '';
      return `<div class="chat-member" data-testid="chat-member" data-user-id="${esc(uid)}" data-role="${esc(role)}" data-muted="${muted}"><span class="chat-dot${on ? ' on' : ''}" data-testid="chat-online" data-online="${on}"></span>${who}<span class="tag">${esc(L(role))}</span>${mutedTag}<span class="chat-member-acts">${acts.join('')}</span></div>`;
    });
    const invite =
      mine >= RANK.admin && !cv.disbanded
        ? `<form class="chat-row" data-testid="chat-invite-form"><input data-testid="chat-invite-id" inputmode="numeric" placeholder="${esc(L('Player id'))}" aria-label="${esc(L('Player id to add'))}"><button class="btn btn-ghost btn-small" type="submit" data-testid="chat-invite-go">${esc(L('Add to group'))}</button></form>`
        : '';
    box.innerHTML = `<div class="chat-members-head">${esc(head)}</div>${rows.join('')}${invite}`;
    for (const sel of box.querySelectorAll('select')) sel.onchange = () => (this.muteFor = Number(sel.value));
    for (const b of box.querySelectorAll('[data-mod]')) {
      b.onclick = (ev) => {
        ev.stopPropagation();
        const row = b.closest('[data-user-id]');
        const sel = row.querySelector('select');
        this.moderate(cv, b.dataset.mod, row.dataset.userId, sel ? Number(sel.value) : 0);
      };
    }
    const form = box.querySelector('form');
    if (form) {
      form.onsubmit = async (ev) => {
        ev.preventDefault();
        const uid = form.querySelector('input').value.trim();
        if (!uid) return;
        try {
          await this.conn.request('group.invite', { conversation_id: cv.id, user_id: uid });
          await this.loadMembers(cv); // the list again, from the server
        } catch (err) {
          this.setError(errText(err));
        }
      };
    }
  }

  // moderate runs one owner/admin action on a member, then shows the
  // members as the server has them now.
  async moderate(cv, act, uid, seconds) {
    this.setError('');
    const [route, body] = {
      kick: ['group.kick', { conversation_id: cv.id, user_id: uid }],
      mute: ['group.mute', { conversation_id: cv.id, user_id: uid, seconds }],
      unmute: ['group.mute', { conversation_id: cv.id, user_id: uid, seconds: 0 }],
      admin: ['group.role', { conversation_id: cv.id, user_id: uid, role: 'admin' }],
      member: ['group.role', { conversation_id: cv.id, user_id: uid, role: 'member' }],
    }[act];
    try {
      await this.conn.request(route, body);
    } catch (err) {
      this.setError(errText(err));
    }
    await this.loadMembers(cv);
  }

  // disband ends the group (the owner confirmed in the head).
  async disband(cv) {
    this.setError('');
    this.confirming = null;
    try {
      await this.conn.request('group.disband', { conversation_id: cv.id });
      cv.disbanded = true;
      await this.state.sync([cv]).catch(() => {});
    } catch (err) {
      this.setError(errText(err));
    }
    if (!$('chat-members').hidden) await this.loadMembers(cv);
    this.render();
    this.renderMsgs(true);
  }

  // userMenu offers what can be done with another player.
  userMenu(uid, anchor) {
    const menu = $('chat-user-menu');
    const blocked = this.friends.blocked.includes(uid);
    const f = this.friends.friends.find((x) => id(x.user_id) === uid);
    const friendBtn = f ? '' : `<button type="button" data-act="friend.request" data-testid="chat-menu-friend">${L('Add friend')}</button>`;
    menu.innerHTML = `<div class="chat-menu-title">${esc(this.nameOf(uid))}<br><small>${esc(L('Player id {id}', { id: uid }))}</small></div>
<button type="button" data-act="message" data-testid="chat-menu-message">${L('Message')}</button>
${friendBtn}
<button type="button" data-act="${blocked ? 'friend.unblock' : 'friend.block'}" data-testid="chat-menu-block">${L(blocked ? 'Unblock' : 'Block')}</button>`;
    menu.dataset.userId = uid;
    const r = anchor.getBoundingClientRect();
    menu.style.top = `${Math.max(8, Math.min(r.bottom + 4, innerHeight - 170))}px`;
    menu.style.left = `${Math.max(8, Math.min(r.left, innerWidth - 190))}px`;
    menu.hidden = false;
    for (const b of menu.querySelectorAll('[data-act]')) {
      b.onclick = (ev) => {
        ev.stopPropagation();
        menu.hidden = true;
        if (b.dataset.act === 'message') this.openPrivate(uid);
        else this.friendAct(b.dataset.act, uid);
      };
    }
  }

  async friendAct(route, uid) {
    const errEl = this.view === 'people' ? 'chat-people-error' : this.view === 'conv' ? 'chat-error' : 'chat-list-error';
    this.setError('', errEl);
    try {
      await this.conn.request(route, { user_id: String(uid) });
      const done = {
        'friend.request': L('Friend request sent.'),
        'friend.accept': L('You are friends now.'),
        'friend.block': L('{who} is blocked: you no longer see their messages.', { who: this.nameOf(uid) }),
        'friend.unblock': L('{who} is unblocked.', { who: this.nameOf(uid) }),
      }[route];
      if (done) this.toast(done);
      await this.loadFriends();
      if (route === 'friend.block' || route === 'friend.unblock') {
        // What is hidden changed: take the shared conversations again.
        const shared = [...this.state.convs.values()].filter((c) => c.loaded && c.kind !== 'private');
        await Promise.all(shared.map((c) => this.state.reload(c).catch(() => {})));
      }
      this.render();
      if (this.view === 'conv') this.renderMsgs(true);
      return true;
    } catch (err) {
      this.setError(errText(err), errEl);
      return false;
    }
  }

  renderPeople() {
    if (!this.open || this.view !== 'people') return;
    const fs = this.friends.friends;
    const row = (f) => {
      const uid = id(f.user_id);
      const st = f.status || (f.online ? 'online' : 'offline');
      let acts = '';
      if (f.state === 'accepted') acts = `<button type="button" class="btn btn-ghost btn-small" data-act="message" data-uid="${uid}">${L('Message')}</button><button type="button" class="link-btn" data-act="friend.remove" data-uid="${uid}">${L('Remove')}</button>`;
      else if (f.state === 'pending_in') acts = `<button type="button" class="btn btn-green btn-small" data-act="friend.accept" data-uid="${uid}" data-testid="chat-friend-accept">${L('Accept')}</button><button type="button" class="link-btn" data-act="friend.decline" data-uid="${uid}">${L('Decline')}</button>`;
      else acts = `<span class="tag">${L('request sent')}</span><button type="button" class="link-btn" data-act="friend.remove" data-uid="${uid}">${L('Withdraw')}</button>`;
      const accepted = f.state === 'accepted';
      const dot = accepted ? statusDot(st) : '';
      const playing = accepted && st === 'in_game' ? `<span class="tag" data-testid="chat-in-game">${L('in a game')}</span>` : '';
      return `<div class="chat-friend" data-testid="chat-friend" data-user-id="${uid}" data-state="${esc(f.state)}">${dot}<b>${esc(this.nameOf(uid))}</b>${playing}<span class="chat-friend-acts">${acts}</span></div>`;
    };
    const blocked = this.friends.blocked
      .map((uid) => `<div class="chat-friend" data-testid="chat-blocked" data-user-id="${uid}"><b>${esc(this.nameOf(uid))}</b><span class="chat-friend-acts"><button type="button" class="link-btn" data-act="friend.unblock" data-uid="${uid}" data-testid="chat-unblock">${L('Unblock')}</button></span></div>`)
      .join('');
    $('chat-friends').innerHTML =
      `<h3>${L('Friends')}</h3>${fs.length ? fs.map(row).join('') : `<p class="chat-empty">${L('No friends yet: add one by player id, or from a name in a chat.')}</p>`}` +
      `<h3>${L('Blocked')}</h3>${blocked || `<p class="chat-empty">${L('Nobody.')}</p>`}`;
  }
}

