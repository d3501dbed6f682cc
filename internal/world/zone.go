package world

import (
	"math/bits"
	"slices"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/internal/world/aoi"
)

// ent is a player as a zone holds it: one of its own players (p set), or
// a ghost, the mirror of a neighbouring zone's player near the border, so
// that this zone's players near the border see it. Only a zone's own
// players have a view and get updates.
type ent struct {
	id      int32
	p       *player // nil for a ghost
	h       aoi.Handle
	cell    int
	pos     Entity
	sink    Sink
	reset   bool
	events  []int32 // ids whose visibility may have changed this tick
	touched bool
	// Own players: the zones that hold a ghost of it, and whether it is
	// in this tick's list of ghosts to update.
	mirror uint64
	dirty  bool
}

// zmsg is a message from one zone to another, about one player.
type zmsg struct {
	kind   zmsgKind
	e      Entity // zGhost, zAdopt: the player as others see it
	p      *player
	sink   Sink   // zAdopt: its connection
	mirror uint64 // zAdopt: the zones holding a ghost of it
}

type zmsgKind uint8

const (
	zGhost   zmsgKind = iota + 1 // insert or move the ghost of e
	zUnghost                     // remove the ghost of the player
	zAdopt                       // the player crossed into this zone: hold it from now on
)

type outMsg struct {
	to int
	m  zmsg
}

// zone is one rectangle of the map's cells, run by its own room.
type zone struct {
	w              *World
	idx            int
	bit            uint64
	x0, x1, z0, z1 int // its cells: columns x0..x1-1, rows z0..z1-1
	rm             *room.Room

	// under World.mu
	ops   []op
	moves []*player
	inbox map[int32]zmsg // from other zones, the latest per player

	// zone goroutine
	grid     *aoi.Grid
	byHandle []*ent
	byID     map[int32]*ent
	tickN    uint64
	began    time.Time // when this tick's step began
	spare    map[int32]zmsg
	out      []outMsg
	cellBuf  []int
	cellBuf2 []int
	viewBuf  []aoi.Handle
	cellMove [][]Entity // by cell: this tick's moves (storage kept across ticks)
	dirty    []int
	codecs   []Codec
	blobs    [][]cellBlob // by codec, then cell
	touched  []*ent
	retry    []*ent // coalesced last tick: sent a reset next tick
	mirrored []*ent // own players whose ghosts change this tick
	upd      Update
	// afterDrain, in tests, runs between a tick's taking of its requests
	// and its handing over of players (requests that arrive meanwhile).
	afterDrain func()

	st struct {
		owned, ghosts atomic.Int64
		ticks         atomic.Uint64
		lastTick      atomic.Int64
	}
}

func newZone(w *World, idx, x0, x1, z0, z1 int) (*zone, error) {
	g, err := aoi.New(w.cfg.grid())
	if err != nil {
		return nil, err
	}
	z := &zone{w: w, idx: idx, bit: 1 << idx, x0: x0, x1: x1, z0: z0, z1: z1, grid: g,
		inbox: map[int32]zmsg{}, spare: map[int32]zmsg{}, byID: map[int32]*ent{}, cellMove: make([][]Entity, g.Cells())}
	z.rm = room.New(int64(idx+1), nil, zoneGame{z}, nil)
	return z, nil
}

// zoneGame adapts a zone to the room runtime: the room runs the phases
// World.Run posts to it, on its goroutine.
type zoneGame struct{ z *zone }

func (g zoneGame) Start(*room.Room)                         {}
func (g zoneGame) Handle(*room.Room, int, any) (any, error) { return nil, nil }
func (g zoneGame) Presence(*room.Room, int, bool)           {}
func (g zoneGame) Timeout(*room.Room)                       {}

type move struct {
	p   *player
	pos [4]float32
}

// tick runs a tick's two phases, step then settle, for this zone alone
// (a world's zones run each phase together: World.Run, World.tick).
func (z *zone) tick(now time.Time) {
	z.step(now)
	z.settle()
}

// step is a tick's first phase: the messages of other zones, then the
// queued requests are applied, and the zone tells its neighbours where its
// movers went (ghosts, handovers).
func (z *zone) step(now time.Time) {
	w := z.w
	z.began = time.Now()
	z.tickN++
	z.st.ticks.Add(1)
	if z.idx == 0 {
		w.st.ticks.Add(1)
	}
	w.mu.Lock()
	if z.idx == 0 { // one zone expires the players past their grace
		for _, p := range w.players {
			if p.sinkSub == nil && !p.graceUntil.IsZero() && now.After(p.graceUntil) {
				if w.remove(p) == nil {
					w.st.expired.Add(1)
				}
			}
		}
	}
	inbox := z.inbox
	z.inbox, z.spare = z.spare, inbox
	// Requests queued for a player another zone took over meanwhile follow
	// it there, after its adoption (a zone takes the other zones' messages
	// before its requests): a leave, a reconnect, a move are never lost.
	ops := z.ops[:0:0]
	for _, o := range z.ops {
		if o.p.zone != z {
			o.p.zone.ops = append(o.p.zone.ops, o)
		} else {
			ops = append(ops, o)
		}
	}
	z.ops = nil
	moves := make([]move, 0, len(z.moves))
	for _, p := range z.moves {
		switch {
		case p.gone:
			p.pend = false
		case p.zone != z:
			p.zone.moves = append(p.zone.moves, p)
		default:
			moves = append(moves, move{p, p.pendPos})
			p.pend = false
		}
	}
	z.moves = z.moves[:0]
	w.mu.Unlock()
	if z.afterDrain != nil {
		z.afterDrain()
	}

	z.receive(inbox)
	for _, o := range ops {
		switch o.kind {
		case opJoin:
			z.join(o.p, o.sink)
		case opLeave:
			if e := z.own(o.p); e != nil {
				z.remove(e)
			}
		case opAttach:
			if e := z.own(o.p); e != nil {
				e.sink, e.reset, e.pos.Name = o.sink, true, o.name
				z.touch(e)
				z.mirror(e)
			}
		case opDetach:
			if e := z.own(o.p); e != nil && e.sink == o.sink {
				e.sink = nil
			}
		}
	}
	for _, m := range moves {
		if e := z.own(m.p); e != nil {
			z.apply(e, m.pos)
		}
	}
	z.syncGhosts()
	z.deliver()
}

// settle is a tick's second phase, once every zone has stepped: the zone
// applies what its neighbours told it in their step (so that players see
// moves across a border in the same tick, and a player handed over gets
// its new zone's view at once), and sends every player of the zone its
// update.
func (z *zone) settle() {
	w := z.w
	w.mu.Lock()
	inbox := z.inbox
	z.inbox, z.spare = z.spare, inbox
	w.mu.Unlock()
	z.receive(inbox)
	z.syncGhosts()
	z.flush()
	for _, f := range w.tickEnd {
		f()
	}
	z.deliver()
	z.st.lastTick.Store(int64(time.Since(z.began)))
}

// receive applies the messages of other zones.
func (z *zone) receive(inbox map[int32]zmsg) {
	for id, m := range inbox {
		switch m.kind {
		case zGhost:
			z.ghost(m.e)
		case zUnghost:
			if e := z.byID[id]; e != nil && e.p == nil {
				z.remove(e)
			}
		case zAdopt:
			z.adopt(m)
		}
	}
	clear(inbox)
}

// deliver hands the messages of this phase to the zones they are for.
func (z *zone) deliver() {
	w := z.w
	if len(z.out) > 0 {
		w.mu.Lock()
		for _, o := range z.out {
			t := w.zones[o.to]
			if o.m.kind == zAdopt {
				o.m.p.zone = t
			}
			t.inbox[o.m.e.ID] = o.m
		}
		w.mu.Unlock()
		clear(z.out)
		z.out = z.out[:0]
	}
}

// eachZone yields the zone indexes of a bit set.
func eachZone(set uint64) func(func(int) bool) {
	return func(yield func(int) bool) {
		for set != 0 {
			i := bits.TrailingZeros64(set)
			set &^= 1 << i
			if !yield(i) {
				return
			}
		}
	}
}

// own is the zone's entry of its own player p, nil when it holds none.
func (z *zone) own(p *player) *ent {
	if e := z.byID[p.id]; e != nil && e.p == p {
		return e
	}
	return nil
}

func (z *zone) send(to int, m zmsg) { z.out = append(z.out, outMsg{to, m}) }

func (z *zone) touch(e *ent) {
	if !e.touched {
		e.touched = true
		z.touched = append(z.touched, e)
	}
}

// mirror marks an own player whose ghosts in the neighbouring zones must
// follow it this tick.
func (z *zone) mirror(e *ent) {
	if !e.dirty && len(z.w.zones) > 1 {
		e.dirty = true
		z.mirrored = append(z.mirrored, e)
	}
}

// insert puts e in the grid at its position and tells the players in view.
func (z *zone) insert(e *ent) bool {
	h, c, err := z.grid.Insert(float64(e.pos.X), float64(e.pos.Z))
	if err != nil { // positions come validated: cannot happen
		return false
	}
	e.h, e.cell = h, c
	for int(h) >= len(z.byHandle) {
		z.byHandle = append(z.byHandle, nil)
	}
	z.byHandle[h] = e
	z.byID[e.id] = e
	z.viewBuf = z.grid.AppendView(z.viewBuf[:0], c, z.w.cfg.ViewRadius)
	for _, oh := range z.viewBuf {
		if q := z.byHandle[oh]; q != e && q.p != nil {
			q.events = append(q.events, e.id)
			z.touch(q)
		}
	}
	if e.p == nil {
		z.st.ghosts.Add(1)
	} else {
		z.st.owned.Add(1)
	}
	return true
}

func (z *zone) join(p *player, sink Sink) {
	e := &ent{id: p.id, p: p, pos: p.spawn, sink: sink, reset: true}
	if z.insert(e) {
		z.touch(e)
		z.mirror(e)
	}
}

// remove takes e out of the grid and tells the players in view; an own
// player's ghosts go too.
func (z *zone) remove(e *ent) {
	c, _ := z.grid.Remove(e.h)
	z.byHandle[e.h] = nil
	delete(z.byID, e.id)
	z.viewBuf = z.grid.AppendView(z.viewBuf[:0], c, z.w.cfg.ViewRadius)
	for _, oh := range z.viewBuf {
		if q := z.byHandle[oh]; q.p != nil {
			q.events = append(q.events, e.id)
			z.touch(q)
		}
	}
	if e.p == nil {
		z.st.ghosts.Add(-1)
		return
	}
	z.st.owned.Add(-1)
	for to := range eachZone(e.mirror) {
		z.send(to, zmsg{kind: zUnghost, e: Entity{ID: e.id}})
	}
	e.p, e.sink, e.mirror = nil, nil, 0
}

// ghost inserts or moves the ghost of a neighbouring zone's player.
func (z *zone) ghost(pos Entity) {
	e := z.byID[pos.ID]
	if e == nil {
		z.insert(&ent{id: pos.ID, pos: pos})
		return
	}
	if e.p != nil { // this zone holds the player: an older message
		return
	}
	if e.pos != pos {
		z.place(e, pos)
	}
}

// adopt takes over a player that crossed into the zone, on the same
// connection; its first update here is a reset with its whole view.
func (z *zone) adopt(m zmsg) {
	e := z.byID[m.e.ID]
	if e == nil {
		e = &ent{id: m.e.ID, pos: m.e}
		if !z.insert(e) {
			return
		}
	} else if e.p != nil {
		return
	} else if e.pos != m.e {
		z.place(e, m.e)
	}
	z.st.ghosts.Add(-1)
	z.st.owned.Add(1)
	e.p, e.sink, e.reset, e.mirror = m.p, m.sink, true, m.mirror
	e.events = e.events[:0]
	z.touch(e)
	z.mirror(e)
}

// apply applies an own player's move (a NaN X: a refused move, whose
// player is told the position the world keeps).
func (z *zone) apply(e *ent, pos [4]float32) {
	if !isBad(pos[0]) {
		z.place(e, Entity{ID: e.id, X: pos[0], Y: pos[1], Z: pos[2], V: pos[3], Name: e.pos.Name})
		z.w.st.movesApplied.Add(1)
		z.mirror(e)
		if to := int(z.w.zoneOf[e.cell]); to != z.idx {
			z.handOver(e, to)
			return
		}
	} else { // its cell's viewers, itself included, get where it is
		z.moved(e)
	}
	z.touch(e)
}

// place moves e to pos: the players in the cells that entered and left its
// view are told, and its cell's viewers get the move this tick.
func (z *zone) place(e *ent, pos Entity) {
	from, to, err := z.grid.Move(e.h, float64(pos.X), float64(pos.Z))
	if err != nil {
		return
	}
	e.pos = pos
	if from != to {
		e.cell = to
		z.cellBuf, z.cellBuf2 = z.grid.Diff(from, to, z.w.cfg.ViewRadius, z.cellBuf[:0], z.cellBuf2[:0])
		for _, cells := range [2][]int{z.cellBuf, z.cellBuf2} {
			for _, c := range cells {
				for _, oh := range z.grid.Members(c) {
					q := z.byHandle[oh]
					if q == e { // a move of more than one cell lands in an entered cell
						continue
					}
					if q.p != nil {
						q.events = append(q.events, e.id)
						z.touch(q)
					}
					if e.p != nil {
						e.events = append(e.events, q.id)
					}
				}
			}
		}
	}
	z.moved(e)
}

// moved gives e's position to the viewers of its cell this tick.
func (z *zone) moved(e *ent) {
	if len(z.cellMove[e.cell]) == 0 {
		z.dirty = append(z.dirty, e.cell)
	}
	z.cellMove[e.cell] = append(z.cellMove[e.cell], e.pos)
}

// handOver gives own player e, which crossed into zone to, to that zone.
// It stays here as a ghost (it is in this zone's border band), which the
// new zone keeps up to date from now on.
func (z *zone) handOver(e *ent, to int) {
	// The ghosts in the other zones follow at once (the new zone takes
	// them over with the player).
	want := z.w.near[e.cell] &^ z.bit &^ (1 << to)
	for i := range eachZone(want) {
		z.send(i, zmsg{kind: zGhost, e: e.pos})
	}
	for i := range eachZone(e.mirror &^ want &^ (1 << to)) {
		z.send(i, zmsg{kind: zUnghost, e: Entity{ID: e.id}})
	}
	z.send(to, zmsg{kind: zAdopt, e: e.pos, p: e.p, sink: e.sink, mirror: want | z.bit})
	e.p, e.sink, e.mirror, e.reset = nil, nil, 0, false
	e.events = e.events[:0]
	z.st.owned.Add(-1)
	z.st.ghosts.Add(1)
	z.w.st.handovers.Add(1)
}

// syncGhosts tells the neighbouring zones where this tick's movers are:
// a ghost is inserted or moved in every zone whose border band holds the
// player, and removed from the zones whose band it left.
func (z *zone) syncGhosts() {
	for _, e := range z.mirrored {
		e.dirty = false
		if e.p == nil { // handed over or gone this tick
			continue
		}
		want := z.w.near[e.cell] &^ z.bit
		for to := range eachZone(want) {
			z.send(to, zmsg{kind: zGhost, e: e.pos})
		}
		for to := range eachZone(e.mirror &^ want) {
			z.send(to, zmsg{kind: zUnghost, e: Entity{ID: e.id}})
		}
		e.mirror = want
	}
	z.mirrored = z.mirrored[:0]
}

// cellBlob is one cell's moves encoded by one codec, valid in tick tick
// (its storage is reused: sinks copy what they are handed).
type cellBlob struct {
	b    []byte
	tick uint64
}

func (z *zone) codecIndex(c Codec) int {
	for i, x := range z.codecs {
		if x == c {
			return i
		}
	}
	z.codecs = append(z.codecs, c)
	z.blobs = append(z.blobs, make([]cellBlob, len(z.cellMove)))
	return len(z.codecs) - 1
}

// flush builds and sends every own player's update.
func (z *zone) flush() {
	w := z.w
	k := w.cfg.ViewRadius
	u := &z.upd
	for _, e := range z.retry {
		z.touch(e)
	}
	z.retry = z.retry[:0]
	for _, c := range z.dirty { // everyone within k of a dirty cell has news
		z.viewBuf = z.grid.AppendView(z.viewBuf[:0], c, k)
		for _, oh := range z.viewBuf {
			if q := z.byHandle[oh]; q.p != nil {
				z.touch(q)
			}
		}
	}
	for _, p := range z.touched {
		p.touched = false
		if p.p == nil || p.sink == nil { // a ghost, gone, or disconnected within the grace
			p.events = p.events[:0]
			continue
		}
		u.Tick, u.Self, u.Reset = z.tickN, p.pos, p.reset
		u.Moved, u.Entered, u.Left = u.Moved[:0], u.Entered[:0], u.Left[:0]
		ci := z.codecIndex(p.sink.Codec())
		z.cellBuf = z.grid.AppendCells(z.cellBuf[:0], p.cell, k)
		for _, c := range z.cellBuf {
			ms := z.cellMove[c]
			if len(ms) == 0 {
				continue
			}
			cb := &z.blobs[ci][c]
			if cb.tick != z.tickN { // first viewer of this cell and codec this tick
				cb.b, cb.tick = p.sink.Codec().AppendMoves(cb.b[:0], ms), z.tickN
			}
			u.Moved = append(u.Moved, cb.b)
		}
		if p.reset {
			z.viewBuf = z.grid.AppendView(z.viewBuf[:0], p.cell, k)
			for _, oh := range z.viewBuf {
				if q := z.byHandle[oh]; q != p {
					u.Entered = append(u.Entered, q.pos)
				}
			}
		} else if len(p.events) > 0 {
			ev := p.events
			slices.Sort(ev)
			prev := int32(-1)
			for _, id := range ev {
				if id == prev {
					continue
				}
				prev = id
				if q := z.byID[id]; q != nil && z.grid.InView(p.cell, q.cell, k) {
					u.Entered = append(u.Entered, q.pos)
				} else {
					u.Left = append(u.Left, id)
				}
			}
		}
		p.events = p.events[:0]
		if !u.Reset && len(u.Moved) == 0 && len(u.Entered) == 0 && len(u.Left) == 0 {
			continue
		}
		if p.sink.Send(u) {
			p.reset = false
			w.st.pushes.Add(1)
		} else {
			p.reset = true
			z.retry = append(z.retry, p)
			w.st.coalesced.Add(1)
		}
	}
	z.touched = z.touched[:0]
	for _, c := range z.dirty {
		z.cellMove[c] = z.cellMove[c][:0]
	}
	z.dirty = z.dirty[:0]
}
