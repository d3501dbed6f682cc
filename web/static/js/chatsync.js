// Chat state kept from the server (docs/protocol-chat.md): the
// conversations, their messages by seq, the read markers and receipts. It
// follows the sync algorithm of the protocol: per conversation `held` is
// the highest seq applied; a push right after it is applied, an older one
// dropped, a newer one kept aside while chat.sync fetches what came
// between. Nothing here is made up: every message, count and marker is
// what the server sent. No DOM; chat.js renders it.

export const PAGE = 30; // messages per history page
const SYNC_LIMIT = 200; // messages per sync batch
const CURSORS_MAX = 100; // cursors per chat.sync (the server's bound)

export const n = (v) => Number(v || 0);
export const id = (v) => String(v || '0');

// Conv is one conversation and what the client holds of it.
export class Conv {
  constructor(c) {
    this.id = id(c.id);
    this.kind = c.kind || '';
    this.msgs = new Map(); // seq -> message (text, phrase, system; tombstones)
    this.held = 0; // highest seq applied (0: nothing loaded yet)
    this.loaded = false; // the newest page was loaded and synced
    this.before = 0; // next history page's before_seq (0: at the beginning)
    this.unread = 0;
    this.peerRead = 0; // private: the other member's read marker
    this.readCounts = new Map(); // group: seq -> members who read it
    this.aside = new Map(); // pushes kept aside during a gap: seq -> message
    this.last = null; // newest message for the list (inbox `last`, then live)
    this.live = 0; // world/table: messages of others pushed since last viewed
    this.gone = false; // left, kicked: no longer tracked
    this.update(c);
  }

  update(c) {
    if (c.kind) this.kind = c.kind;
    if (c.name !== undefined) this.name = c.name || this.name || '';
    this.lastSeq = Math.max(this.lastSeq || 0, n(c.last_seq));
    if (c.peer_id !== undefined) this.peer = id(c.peer_id);
    if (c.owner_id !== undefined) this.owner = id(c.owner_id);
    this.open = !!c.open;
    this.maxMembers = n(c.max_members) || this.maxMembers || 0;
    this.disbanded = !!c.disbanded;
    this.role = c.role || this.role || '';
    this.readSeq = Math.max(this.readSeq || 0, n(c.read_seq));
    this.mutedUntil = n(c.muted_until_ms);
  }

  // sorted is the messages to show, oldest first.
  sorted() {
    return [...this.msgs.values()].sort((a, b) => a.seq - b.seq);
  }
}

// norm turns a protojson ChatMessage into numbers and strings we compare.
export function norm(m) {
  return {
    conv: id(m.conversation_id),
    seq: n(m.seq),
    sender: id(m.sender_id),
    kind: m.kind || 'text',
    text: m.text || '',
    phrase: n(m.phrase),
    clientId: m.client_id || '',
    ref: n(m.ref_seq),
    created: n(m.created_ms),
    recalled: n(m.recalled_ms),
    recalledBy: id(m.recalled_by),
    convKind: m.conversation_kind || '',
    // Display names as the server had them when it sent this (the
    // sender's; a system event's user's): ChatState.names keeps the newest.
    senderName: m.sender_name || '',
    targetName: m.target_name || '',
  };
}

export const isShown = (m) => m.kind === 'text' || m.kind === 'phrase' || m.kind === 'system';
export const isEvent = (m) => m.kind === 'recall' || m.kind === 'delete';

// ChatState owns the conversations and talks to the server for them.
// onChange(convId|null, what) is called after every change.
export class ChatState {
  constructor(conn, me, onChange) {
    this.conn = conn;
    this.me = me; // () => my user id as a string
    this.onChange = onChange;
    this.convs = new Map();
    this.total = 0; // total unread (private and group), from the server
    this.world = null;
    this.viewing = null; // the conversation on screen (read as it arrives)
    this.inboxTimer = 0;
    // user id -> display name, the newest the server gave (with messages,
    // private conversations, members and friends): a rename shows
    // everywhere with the next answer that names the user.
    this.names = new Map();
  }

  // learn keeps the display name the server gave for a user.
  learn(uid, name) {
    uid = id(uid);
    if (name && uid !== '0') this.names.set(uid, name);
  }

  // norm is norm() that also keeps the names the message carries.
  norm(m) {
    const x = norm(m);
    this.learn(x.sender, x.senderName);
    if (x.targetName && x.kind === 'system') {
      try {
        this.learn(JSON.parse(x.text || '{}').user_id, x.targetName);
      } catch {
        // not an event: no target
      }
    }
    return x;
  }

  get(convId) {
    return this.convs.get(id(convId));
  }

  // upsert adds or updates a conversation from a ChatConversation.
  upsert(c) {
    let cv = this.convs.get(id(c.id));
    if (cv) cv.update(c);
    else {
      cv = new Conv(c);
      this.convs.set(cv.id, cv);
    }
    cv.gone = false;
    if (c.peer_id && c.peer_name) this.learn(c.peer_id, c.peer_name);
    return cv;
  }

  // inbox reads the conversations with their unread counts and last
  // messages (on connect, after a reconnect, when a new one shows up).
  async inbox() {
    const r = await this.conn.request('chat.inbox', {});
    const seen = new Set();
    if (r.world) {
      this.world = this.upsert(r.world);
      seen.add(this.world.id);
    }
    for (const e of r.entries || []) {
      const cv = this.upsert(e.conversation || {});
      cv.unread = n(e.unread);
      if (e.last) cv.last = this.norm(e.last);
      seen.add(cv.id);
    }
    // A private or group conversation that is no longer in the inbox was
    // left (or we were kicked while away).
    for (const cv of this.convs.values()) {
      if ((cv.kind === 'private' || cv.kind === 'group') && !seen.has(cv.id)) cv.gone = true;
    }
    this.total = n(r.total_unread);
    this.onChange(null, 'inbox');
  }

  // inboxSoon reads the inbox a moment later (several pushes, one read).
  inboxSoon() {
    clearTimeout(this.inboxTimer);
    this.inboxTimer = setTimeout(() => this.inbox().catch(() => {}), 200);
  }

  // load fetches the newest page of a conversation, then syncs from it so
  // nothing between the page and the live pushes is missed.
  async load(cv) {
    if (cv.loaded || cv.loading) return cv.loading;
    cv.loading = (async () => {
      const r = await this.conn.request('chat.history', { conversation_id: cv.id, limit: PAGE });
      for (const m of (r.messages || []).map((m) => this.norm(m))) this.put(cv, m);
      cv.before = n(r.next_before);
      cv.held = Math.max(cv.held, ...[...cv.msgs.keys()], 0);
      cv.loaded = true;
      await this.sync([cv]);
      this.onChange(cv.id, 'load');
    })();
    try {
      await cv.loading;
    } finally {
      cv.loading = null;
    }
  }

  // older fetches the page before the oldest message shown.
  async older(cv) {
    if (!cv.loaded || !cv.before || cv.paging) return false;
    cv.paging = true;
    try {
      const r = await this.conn.request('chat.history', { conversation_id: cv.id, before_seq: String(cv.before), limit: PAGE });
      for (const m of (r.messages || []).map((m) => this.norm(m))) this.put(cv, m);
      cv.before = n(r.next_before);
      this.onChange(cv.id, 'older');
      return true;
    } finally {
      cv.paging = false;
    }
  }

  // reload forgets what is held of a conversation and loads it again
  // (after a block or an unblock the server shows other messages).
  async reload(cv) {
    cv.msgs.clear();
    cv.readCounts.clear();
    cv.aside.clear();
    cv.held = 0;
    cv.before = 0;
    cv.loaded = false;
    await this.load(cv);
  }

  // sync asks for what came after held in each conversation, until the
  // server says there is no more; kept-aside pushes are then settled.
  async sync(list) {
    let todo = list.filter((cv) => cv.loaded && !cv.gone);
    for (let round = 0; todo.length && round < 50; round++) {
      const more = [];
      for (let i = 0; i < todo.length; i += CURSORS_MAX) {
        const part = todo.slice(i, i + CURSORS_MAX);
        const r = await this.conn.request('chat.sync', {
          cursors: part.map((cv) => ({ conversation_id: cv.id, after_seq: String(cv.held) })),
          limit: SYNC_LIMIT,
        });
        for (const b of r.batches || []) {
          const cv = this.get(b.conversation_id);
          if (!cv) continue;
          for (const m of (b.messages || []).map((m) => this.norm(m))) {
            if (m.seq > cv.held) this.apply(cv, m);
          }
          cv.held = Math.max(cv.held, n(b.next_seq));
          cv.lastSeq = Math.max(cv.lastSeq, n(b.last_seq));
          if (b.has_more) more.push(cv);
        }
      }
      todo = more;
    }
    for (const cv of list) this.settleAside(cv);
    this.onChange(null, 'sync');
  }

  settleAside(cv) {
    const seqs = [...cv.aside.keys()].sort((a, b) => a - b);
    for (const s of seqs) {
      const m = cv.aside.get(s);
      if (s <= cv.held) cv.aside.delete(s);
      else if (s === cv.held + 1) {
        cv.aside.delete(s);
        this.apply(cv, m);
        cv.held = s;
      }
    }
    if (cv.aside.size) this.syncSoon(cv);
  }

  // syncSoon syncs one conversation, one call at a time per conversation.
  syncSoon(cv) {
    if (cv.syncing) {
      cv.resync = true;
      return;
    }
    cv.syncing = true;
    this.sync([cv])
      .catch(() => {})
      .finally(() => {
        cv.syncing = false;
        if (cv.resync) {
          cv.resync = false;
          setTimeout(() => this.syncSoon(cv), 300);
        }
      });
  }

  // resume runs after every (re)connect: the inbox, then every loaded
  // conversation from its held seq.
  async resume() {
    await this.inbox();
    await this.sync([...this.convs.values()].filter((cv) => cv.loaded));
  }

  // put stores a message of a page or sync without touching held.
  put(cv, m) {
    if (isEvent(m)) {
      this.tombstone(cv, m);
      return;
    }
    if (isShown(m)) cv.msgs.set(m.seq, m);
  }

  // apply takes one new message (from a sync, a push or a send).
  apply(cv, m) {
    this.put(cv, m);
    if (m.seq > cv.held) cv.held = m.seq;
    cv.lastSeq = Math.max(cv.lastSeq, m.seq);
    if (isShown(m) && m.kind !== 'system') cv.last = m;
    if (m.kind === 'system') this.systemEvent(cv, m);
  }

  tombstone(cv, ev) {
    const t = cv.msgs.get(ev.ref);
    if (t) {
      t.text = '';
      t.phrase = 0;
      t.recalled = ev.created;
      t.recalledBy = ev.sender;
    }
    if (cv.last && cv.last.seq === ev.ref) cv.last = { ...cv.last, text: '', recalled: ev.created, recalledBy: ev.sender };
  }

  systemEvent(cv, m) {
    let e = {};
    try {
      e = JSON.parse(m.text || '{}');
    } catch {
      return;
    }
    m.event = e;
    const about = id(e.user_id);
    if ((e.event === 'kick' || e.event === 'leave') && about === this.me()) cv.gone = true;
    if (e.event === 'kick' && about === this.me()) cv.kicked = true; // the panel tells the player once
    if (e.event === 'disbanded') cv.disbanded = true;
    if (about === this.me()) {
      if (e.event === 'role_admin') cv.role = 'admin';
      if (e.event === 'role_member') cv.role = 'member';
      if (e.event === 'role_owner') cv.role = 'owner';
      if (e.event === 'muted' || e.event === 'unmuted') this.inboxSoon();
    }
    if (e.event === 'role_owner') cv.owner = about;
  }

  // onPush handles chat.msg.
  onPush(body) {
    const m = this.norm(body);
    let cv = this.get(m.conv);
    if (!cv) {
      // A conversation we did not know: a new private one, a group we were
      // invited to, a table that started. The inbox (or the table's open)
      // brings it; count what is needed from the server.
      if (m.convKind === 'table' || m.convKind === 'world') {
        cv = this.upsert({ id: m.conv, kind: m.convKind });
      } else {
        this.inboxSoon();
        return;
      }
    }
    if (cv.gone && m.kind !== 'system') return;
    const mine = m.sender === this.me();
    const counts = !mine && (m.kind === 'text' || m.kind === 'phrase');
    if (!cv.loaded) {
      // Not on screen yet: only the list's last line and counts change.
      if (isShown(m) && m.kind !== 'system') cv.last = m;
      if (isEvent(m)) this.tombstone(cv, m);
      cv.lastSeq = Math.max(cv.lastSeq, m.seq);
      this.count(cv, m, counts);
      if (m.kind === 'system') this.systemEvent(cv, m);
      this.onChange(cv.id, 'push');
      return;
    }
    if (m.seq <= cv.held) return; // already applied
    if (m.seq === cv.held + 1) {
      this.apply(cv, m);
      this.count(cv, m, counts);
    } else {
      cv.aside.set(m.seq, m);
      if (counts && this.viewing !== cv.id) this.countLater(cv);
      this.syncSoon(cv);
    }
    this.onChange(cv.id, 'push');
  }

  count(cv, m, counts) {
    if (isEvent(m) && (cv.kind === 'private' || cv.kind === 'group')) {
      // A recalled message no longer counts: the server recounts.
      if (this.viewing !== cv.id) this.inboxSoon();
      return;
    }
    if (!counts || this.viewing === cv.id) return;
    if (cv.kind === 'private' || cv.kind === 'group') {
      if (m.seq > cv.readSeq) {
        cv.unread++;
        this.total++;
      }
    } else cv.live++;
  }

  countLater(cv) {
    if (cv.kind === 'private' || cv.kind === 'group') this.inboxSoon();
    else cv.live++;
  }

  // markRead moves the read marker to held (the conversation is on screen)
  // and takes the server's counts.
  async markRead(cv) {
    cv.live = 0;
    if (cv.kind === 'world' || cv.gone || !cv.loaded) return;
    if (cv.held <= cv.readSeq && !cv.unread) return;
    if (cv.reading) {
      cv.rereading = true;
      return;
    }
    cv.reading = true;
    try {
      const r = await this.conn.request('chat.read', { conversation_id: cv.id, seq: String(cv.held) });
      cv.readSeq = Math.max(cv.readSeq, n(r.read_seq));
      if (cv.kind === 'private' || cv.kind === 'group') {
        cv.unread = n(r.unread);
        this.total = n(r.total_unread);
      }
      this.onChange(cv.id, 'read');
    } finally {
      cv.reading = false;
      if (cv.rereading) {
        cv.rereading = false;
        this.markRead(cv).catch(() => {});
      }
    }
  }

  // onReceipt handles chat.receipt: the peer read up to read_seq.
  onReceipt(body) {
    const cv = this.get(body.conversation_id);
    if (!cv) return;
    cv.peerRead = Math.max(cv.peerRead, n(body.read_seq));
    this.onChange(cv.id, 'receipt');
  }

  // receipts asks how many have read my newest messages (private: the
  // peer's marker is the newest of mine it has read; group: counts).
  async receipts(cv) {
    if (cv.kind !== 'private' && cv.kind !== 'group') return;
    const me = this.me();
    const mine = cv.sorted().filter((m) => m.sender === me && m.kind !== 'system').slice(-CURSORS_MAX);
    if (!mine.length) return;
    const r = await this.conn.request('chat.receipts', { conversation_id: cv.id, seqs: mine.map((m) => String(m.seq)) });
    const counts = (r.read_counts || []).map(n);
    mine.forEach((m, i) => {
      cv.readCounts.set(m.seq, counts[i] || 0);
      if (cv.kind === 'private' && counts[i] > 0) cv.peerRead = Math.max(cv.peerRead, m.seq);
    });
    this.onChange(cv.id, 'receipts');
  }

  // send posts a message; the caller keeps clientId for a retry of the
  // same message after a timeout or a lost connection.
  async send(cv, body) {
    const r = await this.conn.request('chat.send', body);
    const m = this.norm(r.message || {});
    let target = cv;
    if (!target || target.id !== m.conv) target = this.get(m.conv) || this.upsert({ id: m.conv, kind: m.convKind });
    if (target.loaded) {
      if (m.seq === target.held + 1) this.apply(target, m);
      else if (m.seq > target.held) {
        target.aside.set(m.seq, m);
        this.syncSoon(target);
      }
    } else target.last = m;
    target.readSeq = Math.max(target.readSeq, m.seq);
    this.onChange(target.id, 'sent');
    return m;
  }

  async recall(cv, seq) {
    const r = await this.conn.request('chat.recall', { conversation_id: cv.id, seq: String(seq) });
    const ev = this.norm(r.event || {});
    // The recall event has a seq of its own, like any message.
    if (ev.seq === cv.held + 1) this.apply(cv, ev);
    else {
      this.tombstone(cv, ev);
      if (ev.seq > cv.held) this.syncSoon(cv);
    }
    this.onChange(cv.id, 'recall');
  }
}
