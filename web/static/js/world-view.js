// Draws the world model on a canvas: the map and its grid around your
// player, the cells you see (the server sends what is in them), every
// player in view at its interpolated position, where you are walking to,
// and a small overview of the whole map. The camera follows your player.

import { t } from './i18n.js';

const COLORS = {
  outside: '#06182a',
  map: '#0f3b2e',
  grid: 'rgba(255, 255, 255, 0.08)',
  view: 'rgba(242, 193, 78, 0.07)',
  viewEdge: 'rgba(242, 193, 78, 0.35)',
  edge: 'rgba(255, 255, 255, 0.45)',
  self: '#f2c14e',
  other: '#5fb4ff',
  label: '#f3f6f4',
  target: 'rgba(242, 193, 78, 0.8)',
};

export class WorldView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.dpr = 1;
    this.w = 0;
    this.h = 0;
    // The camera of the last frame: world (camX, camZ) at the canvas
    // centre, scale pixels per world unit.
    this.camX = 0;
    this.camZ = 0;
    this.scale = 1;
  }

  // resize matches the canvas's pixels to its CSS size.
  resize() {
    const r = this.canvas.getBoundingClientRect();
    this.dpr = Math.min(3, window.devicePixelRatio || 1);
    this.w = Math.max(1, Math.round(r.width));
    this.h = Math.max(1, Math.round(r.height));
    this.canvas.width = Math.round(this.w * this.dpr);
    this.canvas.height = Math.round(this.h * this.dpr);
  }

  sx(x) {
    return this.w / 2 + (x - this.camX) * this.scale;
  }
  // +Z is up on the screen.
  sy(z) {
    return this.h / 2 - (z - this.camZ) * this.scale;
  }

  // toWorld turns a point on the canvas (CSS pixels from its top left)
  // into a world position, with the camera of the last frame.
  toWorld(px, py) {
    return { x: this.camX + (px - this.w / 2) / this.scale, z: this.camZ - (py - this.h / 2) / this.scale };
  }

  draw(model, now, target) {
    const { ctx } = this;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = COLORS.outside;
    ctx.fillRect(0, 0, this.w, this.h);
    const m = model.map;
    if (!m) return;
    const cw = (m.maxX - m.minX) / m.cellsX;
    const ch = (m.maxZ - m.minZ) / m.cellsZ;
    const r = m.viewRadius;
    const self = model.self;
    const me = self ? model.drawnAt(self, now) : { x: (m.minX + m.maxX) / 2, z: (m.minZ + m.maxZ) / 2 };
    // Fit the cells in view, and a margin, on the canvas.
    const vw = (2 * r + 1) * cw * 1.25;
    const vh = (2 * r + 1) * ch * 1.25;
    this.scale = Math.min(this.w / vw, this.h / vh);
    this.camX = me.x;
    this.camZ = me.z;

    this.drawMap(m, cw, ch);
    if (self) this.drawView(model, m, cw, ch, self);
    if (target) this.drawTarget(target, now);
    this.drawPlayers(model, now);
    this.drawOverview(model, now);
  }

  drawMap(m, cw, ch) {
    const { ctx } = this;
    const x0 = this.sx(m.minX);
    const x1 = this.sx(m.maxX);
    const y0 = this.sy(m.maxZ);
    const y1 = this.sy(m.minZ);
    ctx.fillStyle = COLORS.map;
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 1; i < m.cellsX; i++) {
      const x = Math.round(this.sx(m.minX + i * cw)) + 0.5;
      if (x < 0 || x > this.w) continue;
      ctx.moveTo(x, Math.max(0, y0));
      ctx.lineTo(x, Math.min(this.h, y1));
    }
    for (let j = 1; j < m.cellsZ; j++) {
      const y = Math.round(this.sy(m.minZ + j * ch)) + 0.5;
      if (y < 0 || y > this.h) continue;
      ctx.moveTo(Math.max(0, x0), y);
      ctx.lineTo(Math.min(this.w, x1), y);
    }
    ctx.stroke();
    ctx.strokeStyle = COLORS.edge;
    ctx.lineWidth = 2;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  }

  // drawView shades the cells whose players the server sends you: those
  // within the view radius of the cell your player is in.
  drawView(model, m, cw, ch, self) {
    const { ctx } = this;
    const r = m.viewRadius;
    const { cx, cz } = model.cellOf(self.x, self.z);
    const c0 = Math.max(0, cx - r);
    const c1 = Math.min(m.cellsX - 1, cx + r);
    const r0 = Math.max(0, cz - r);
    const r1 = Math.min(m.cellsZ - 1, cz + r);
    const x0 = this.sx(m.minX + c0 * cw);
    const x1 = this.sx(m.minX + (c1 + 1) * cw);
    const y0 = this.sy(m.minZ + (r1 + 1) * ch);
    const y1 = this.sy(m.minZ + r0 * ch);
    ctx.fillStyle = COLORS.view;
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.strokeStyle = COLORS.viewEdge;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([6, 4]);
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.setLineDash([]);
  }

  drawTarget(t, now) {
    const { ctx } = this;
    const x = this.sx(t.x);
    const y = this.sy(t.z);
    const pulse = 6 + 3 * Math.sin(now / 150);
    ctx.strokeStyle = COLORS.target;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, pulse, 0, Math.PI * 2);
    ctx.moveTo(x - 4, y);
    ctx.lineTo(x + 4, y);
    ctx.moveTo(x, y - 4);
    ctx.lineTo(x, y + 4);
    ctx.stroke();
  }

  drawPlayers(model, now) {
    const { ctx } = this;
    const rad = Math.max(5, Math.min(10, this.scale * 1.6));
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    const list = [...model.players.values()].sort((a, b) => (a.id === model.selfId) - (b.id === model.selfId));
    for (const p of list) {
      const pos = model.drawnAt(p, now);
      const x = this.sx(pos.x);
      const y = this.sy(pos.z);
      if (x < -20 || x > this.w + 20 || y < -20 || y > this.h + 20) continue;
      const mine = p.id === model.selfId;
      ctx.fillStyle = mine ? COLORS.self : COLORS.other;
      ctx.beginPath();
      ctx.arc(x, y, mine ? rad + 1 : rad, 0, Math.PI * 2);
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.55)';
      ctx.stroke();
      ctx.fillStyle = COLORS.label;
      ctx.fillText(mine ? t('world.you') : p.name || `#${p.id}`, x, y - rad - 3);
    }
  }

  // drawOverview is the whole map in a corner: your player, the others
  // you know of, and the part of the map on the canvas.
  drawOverview(model, now) {
    const { ctx } = this;
    const m = model.map;
    const size = Math.min(120, this.w * 0.28, this.h * 0.4);
    if (size < 50) return;
    const mw = m.maxX - m.minX;
    const mh = m.maxZ - m.minZ;
    const k = size / Math.max(mw, mh);
    const w = mw * k;
    const h = mh * k;
    const ox = this.w - w - 10;
    const oy = 10;
    const px = (x) => ox + (x - m.minX) * k;
    const py = (z) => oy + h - (z - m.minZ) * k;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
    ctx.fillRect(ox - 4, oy - 4, w + 8, h + 8);
    ctx.fillStyle = COLORS.map;
    ctx.fillRect(ox, oy, w, h);
    ctx.save();
    ctx.beginPath();
    ctx.rect(ox, oy, w, h);
    ctx.clip();
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.5)';
    ctx.lineWidth = 1;
    const tl = this.toWorld(0, 0);
    const br = this.toWorld(this.w, this.h);
    ctx.strokeRect(px(tl.x), py(tl.z), (br.x - tl.x) * k, (tl.z - br.z) * k);
    ctx.restore();
    for (const p of model.players.values()) {
      const pos = model.drawnAt(p, now);
      const mine = p.id === model.selfId;
      ctx.fillStyle = mine ? COLORS.self : COLORS.other;
      const s = mine ? 4 : 2;
      ctx.fillRect(px(pos.x) - s / 2, py(pos.z) - s / 2, s, s);
    }
  }
}
