// The world as the server last described it: the map, your player and the
// players in your view, kept from world.enter and the world.tick pushes
// (docs/protocol-world.md). Nothing here is invented: a position changes
// only when the server says so. For drawing, a player glides from where it
// was drawn to its newest position over one tick (interpolation), so moves
// sent ten times a second look continuous.

const num = (v) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

export class WorldModel {
  constructor() {
    this.selfId = 0;
    this.map = null; // {minX, maxX, minZ, maxZ, cellsX, cellsZ, viewRadius}
    this.tickMs = 100;
    this.maxSpeed = 40;
    this.tick = 0;
    // id → {id, name, x, z, fromX, fromZ, at}: x, z are the server's
    // position; fromX, fromZ where the glide towards it started, at when.
    this.players = new Map();
  }

  // enter takes a WorldEnterResp: the map, the tick, the speed and your
  // player. The players in view follow in the next tick (a reset).
  enter(r, now) {
    const m = r.map || {};
    this.map = {
      minX: num(m.min_x ?? m.minX),
      maxX: num(m.max_x ?? m.maxX),
      minZ: num(m.min_z ?? m.minZ),
      maxZ: num(m.max_z ?? m.maxZ),
      cellsX: Math.max(1, num(m.cells_x ?? m.cellsX)),
      cellsZ: Math.max(1, num(m.cells_z ?? m.cellsZ)),
      viewRadius: Math.max(1, num(m.view_radius ?? m.viewRadius)),
    };
    this.tickMs = Math.max(10, num(r.tick_ms ?? r.tickMs) || 100);
    this.maxSpeed = num(r.max_speed ?? r.maxSpeed) || 40;
    const self = r.self || {};
    if (this.selfId && this.selfId !== num(self.id)) this.players.clear();
    this.selfId = num(self.id);
    this.place(self, now, true);
  }

  // applyTick applies a WorldTick push in the documented order.
  // A reset forgets everyone; a player it lists again glides on from
  // where it was drawn instead of jumping.
  applyTick(t, now) {
    let before = null;
    if (t.reset) {
      before = new Map(this.players);
      for (const id of before.keys()) if (id !== this.selfId) this.players.delete(id);
    }
    for (const id of t.left || []) {
      const n = num(id);
      if (n !== this.selfId) this.players.delete(n);
    }
    for (const e of t.entered || []) {
      const id = num(e.id);
      const known = before && before.get(id);
      if (known && !this.players.has(id)) this.players.set(id, known);
      this.place(e, now, !known);
    }
    for (const e of t.moved || []) {
      const id = num(e.id);
      if (this.players.has(id)) this.place(e, now, false);
    }
    this.tick = num(t.tick);
  }

  // place puts player e at its server position; jump skips the glide (a
  // player that just came into view appears where it is).
  place(e, now, jump) {
    const id = num(e.id);
    if (!id) return;
    const x = num(e.x);
    const z = num(e.z);
    const old = this.players.get(id);
    if (!old || jump) {
      this.players.set(id, { id, name: e.name || (old && old.name) || '', x, z, fromX: x, fromZ: z, at: now });
      return;
    }
    const cur = this.drawnAt(old, now);
    old.fromX = cur.x;
    old.fromZ = cur.z;
    old.x = x;
    old.z = z;
    old.at = now;
    if (e.name) old.name = e.name;
  }

  // drawnAt is where player p is drawn at time now: on its way from where
  // the last glide started to the server's position, one tick long.
  drawnAt(p, now) {
    const a = Math.min(1, Math.max(0, (now - p.at) / this.tickMs));
    return { x: p.fromX + (p.x - p.fromX) * a, z: p.fromZ + (p.z - p.fromZ) * a };
  }

  get self() {
    return this.players.get(this.selfId) || null;
  }

  // cellOf is the grid cell (column, row) of a position, edges included.
  cellOf(x, z) {
    const m = this.map;
    const cw = (m.maxX - m.minX) / m.cellsX;
    const ch = (m.maxZ - m.minZ) / m.cellsZ;
    return {
      cx: Math.min(m.cellsX - 1, Math.max(0, Math.floor((x - m.minX) / cw))),
      cz: Math.min(m.cellsZ - 1, Math.max(0, Math.floor((z - m.minZ) / ch))),
    };
  }

  // clamp keeps a position on the map (its edges are on it).
  clamp(x, z) {
    const m = this.map;
    return { x: Math.min(m.maxX, Math.max(m.minX, x)), z: Math.min(m.maxZ, Math.max(m.minZ, z)) };
  }

  clear() {
    this.players.clear();
    this.tick = 0;
  }
}
