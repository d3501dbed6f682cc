// Package world is the MMO world: a map cut into area-of-interest cells,
// players entering, moving and leaving, and a fixed-rate tick that sends
// every player at most one update with what changed in its view.
//
// The map is split into zones (Config.ZonesX × ZonesZ rectangles of
// cells). Each zone runs as a room on the room runtime: one goroutine owns
// its grid and the views of its players, and ticks on its own. Requests
// from connections (Enter, Move, Leave, Disconnect, Chat) are validated at
// once, under a short lock, and queued to the zone that holds the player;
// its tick applies them. A player who crosses into another zone is handed
// over at that tick, on the same connection: the new zone sends it a reset
// with its whole view. Zones share their border bands: a player within
// ViewRadius cells of a neighbouring zone is mirrored there as a ghost
// (inserted, moved and removed by messages between the zones), so that
// players near a border see the players across it. The zones tick
// together in two phases (World.Run): all step (apply their requests and
// tell their neighbours), then all settle (apply what they were told and
// send their players' updates), so a move is seen across a border in the
// tick that applied it. A mover's later move in the
// same tick replaces its earlier one. At each tick the moves of each cell
// are encoded once per wire codec and the same bytes are handed to every
// viewer of that cell; only a viewer's own entered/left lists are built
// for it. A viewer whose connection is behind (its send queue holds
// Config.Behind frames) is skipped: its state is coalesced, and the next
// update it gets is a reset with its whole current view. The tick never
// waits for a connection.
//
// Protocol adapters (the native routes, the Zinx demo listener) plug in
// as a Sink and a Codec per connection.
package world

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/world/aoi"
)

// Entity is a player as others see it. The ground plane is X, Z; Y and V
// are carried through unchanged.
type Entity struct {
	ID         int32
	X, Y, Z, V float32
	Name       string
}

// Update is one tick's changes in a player's view. Everything in it is
// valid only during Sink.Send: a sink encodes or copies, never keeps it.
type Update struct {
	Tick uint64
	Self Entity
	// Moved holds, for each cell in view with moves this tick, the moves
	// encoded once by the sink's Codec (shared by every viewer).
	Moved [][]byte
	// Entered are players that came into view, with their positions.
	Entered []Entity
	// Left are players that left the view or the world.
	Left []int32
	// Reset: forget every player you know; Entered is the whole view
	// (without yourself).
	Reset bool
}

// Codec encodes one cell's moves for a wire protocol. The world calls it
// once per cell and tick for each codec in use. It runs on the zone
// goroutine and must not block.
type Codec interface {
	AppendMoves(dst []byte, moved []Entity) []byte
}

// Sink is a player's connection as the world sees it. Its methods are
// called from the world's goroutines and must not block.
type Sink interface {
	Codec() Codec
	// Send delivers a tick's update. It returns false, having queued
	// nothing, when the connection is behind: the world then coalesces.
	Send(u *Update) bool
	// Chat delivers a world chat message.
	Chat(m ChatMessage)
}

// ChatMessage is one world chat message.
type ChatMessage struct {
	From   int32
	Name   string
	Text   string
	SentMs int64
}

// ChatChannel carries world chat: the world publishes to it and receives
// what it delivers (from this node or, for a shared channel, others).
type ChatChannel interface {
	Publish(ctx context.Context, m ChatMessage) error
	// Subscribe sets the function that receives every message; the world
	// calls it once, before publishing.
	Subscribe(deliver func(ChatMessage))
}

// LocalChat is the world's own chat channel: a message is delivered to
// this world's players only.
type LocalChat struct {
	mu      sync.Mutex
	deliver func(ChatMessage)
}

func (c *LocalChat) Subscribe(f func(ChatMessage)) { c.mu.Lock(); c.deliver = f; c.mu.Unlock() }
func (c *LocalChat) Publish(_ context.Context, m ChatMessage) error {
	c.mu.Lock()
	f := c.deliver
	c.mu.Unlock()
	if f != nil {
		f(m)
	}
	return nil
}

// Errors (typed: code and rule for the client).
var (
	ErrNotInWorld = status.RuleError(status.Conflict, "not_in_world", "enter the world first")
	ErrFull       = status.RuleError(status.Conflict, "world_full", "the world is full")
	ErrOffMap     = status.RuleError(status.BadRequest, "off_map", "position outside the map")
	ErrTooFast    = status.RuleError(status.BadRequest, "too_fast", "moved faster than the maximum speed")
	ErrChat       = status.RuleError(status.BadRequest, "chat_invalid", "chat text must be 1–200 characters of UTF-8")
	ErrChatRate   = status.RuleError(status.RateLimited, "chat_rate", "too many chat messages")
	ErrBusy       = status.RuleError(status.Unavailable, "world_busy", "the world is busy, try again")
	ErrStopped    = status.RuleError(status.Unavailable, "world_stopped", "the world is stopping")
)

// Stats are the world's counters.
type Stats struct {
	Players, Online                       int64
	Ticks, Overruns                       uint64
	LastTickNs, MaxTickNs                 int64
	MovesIn, MovesApplied                 uint64
	RefusedOffMap, RefusedFast, RefusedNo uint64
	Pushes, Coalesced                     uint64
	Joins, Leaves, Expired                uint64
	Chats                                 uint64
	Handovers                             uint64 // players handed to another zone
}

type opKind uint8

const (
	opJoin opKind = iota + 1
	opLeave
	opAttach
	opDetach
)

type op struct {
	kind opKind
	p    *player
	sink Sink
	name string // opAttach: the name the player came back with
}

// player is one player as the request side knows it, guarded by
// World.mu; the zone that holds it keeps its view in an ent.
type player struct {
	id  int32
	key int64
	// name is the request side's (World.mu; Enter renames a player taken
	// back); the zone goroutine's copy is pos.Name.
	name string

	// sub (World.mu)
	subX, subZ float64
	subAt      time.Time
	budget     float64 // distance the player may still move now (see Move)
	sinkSub    Sink
	graceUntil time.Time
	gone       bool
	pend       bool
	pendPos    [4]float32
	chatTimes  []time.Time
	zone       *zone // the zone its requests go to
	spawn      Entity
}

// World is one world: its players and its zones.
type World struct {
	cfg   Config
	chat  ChatChannel
	grid  *aoi.Grid // the whole map (Contains, CellAt); zones have their own
	zones []*zone
	// zoneOf is the zone of each cell; near, for each cell, the zones
	// (bits) whose rectangle is within ViewRadius cells of it.
	zoneOf []uint8
	near   []uint64

	// tickEnd runs at the end of every zone's tick (OnTickEnd).
	tickEnd []func()

	mu       sync.Mutex
	players  map[int32]*player
	byKey    map[int64]*player
	nextID   int32
	spawnSeq uint64
	stopped  bool

	st struct {
		players, online                       atomic.Int64
		ticks, overruns                       atomic.Uint64
		lastTick, maxTick                     atomic.Int64
		movesIn, movesApplied                 atomic.Uint64
		refusedOffMap, refusedFast, refusedNo atomic.Uint64
		pushes, coalesced                     atomic.Uint64
		joins, leaves, expired                atomic.Uint64
		chats                                 atomic.Uint64
		handovers                             atomic.Uint64
	}
}

// New returns a world; chat nil means a LocalChat. Start it with Run.
func New(cfg Config, chat ChatChannel) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := aoi.New(cfg.grid())
	if err != nil {
		return nil, err
	}
	if chat == nil {
		chat = &LocalChat{}
	}
	w := &World{cfg: cfg, chat: chat, grid: g, players: map[int32]*player{}, byKey: map[int64]*player{}}
	zx, zz := cfg.zones()
	for iz := range zz {
		for ix := range zx {
			z, err := newZone(w, len(w.zones), cfg.CellsX*ix/zx, cfg.CellsX*(ix+1)/zx, cfg.CellsZ*iz/zz, cfg.CellsZ*(iz+1)/zz)
			if err != nil {
				return nil, err
			}
			w.zones = append(w.zones, z)
		}
	}
	w.zoneOf, w.near = make([]uint8, g.Cells()), make([]uint64, g.Cells())
	k := cfg.ViewRadius
	for c := range g.Cells() {
		cx, cz := g.CellXY(c)
		for _, z := range w.zones {
			if cx >= z.x0 && cx < z.x1 && cz >= z.z0 && cz < z.z1 {
				w.zoneOf[c] = uint8(z.idx)
			}
			if cx >= z.x0-k && cx < z.x1+k && cz >= z.z0-k && cz < z.z1+k {
				w.near[c] |= z.bit
			}
		}
	}
	chat.Subscribe(w.deliverChat)
	return w, nil
}

// Config is the world's configuration.
func (w *World) Config() Config { return w.cfg }

// Zones is the number of zones.
func (w *World) Zones() int { return len(w.zones) }

// OnTickEnd adds f to run at the end of every zone's tick, on the zone's
// goroutine (zones tick concurrently): sinks that collect their sends
// deliver them there. Call it before Run.
func (w *World) OnTickEnd(f func()) { w.tickEnd = append(w.tickEnd, f) }

// ZoneStats are one zone's counters.
type ZoneStats struct {
	Players, Ghosts int64 // the players it holds, and the ghosts of its neighbours' players
	Ticks           uint64
	LastTickNs      int64
}

// ZoneStats returns zone i's counters.
func (w *World) ZoneStats(i int) ZoneStats {
	z := w.zones[i]
	return ZoneStats{Players: z.st.owned.Load(), Ghosts: z.st.ghosts.Load(), Ticks: z.st.ticks.Load(), LastTickNs: z.st.lastTick.Load()}
}

// Run drives the world's zones until ctx ends: each zone is a room with
// its own goroutine, and at every tick they all step, then all settle
// (zone.step, zone.settle), so that what crosses a border is seen in the
// same tick. A tick that takes longer than the interval is an overrun: the
// next starts at once.
func (w *World) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(w.zones))
	for _, z := range w.zones {
		go func() { errs <- z.rm.Run(ctx) }()
	}
	w.drive(ctx)
	cancel()
	var first error
	for range w.zones {
		if err := <-errs; err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
		}
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	return first
}

// drive runs the ticks until ctx ends.
func (w *World) drive(ctx context.Context) {
	done := make(chan struct{}, len(w.zones))
	// phase runs f on every zone's goroutine and waits for them all.
	phase := func(f func(z *zone)) bool {
		for _, z := range w.zones {
			if err := z.rm.Post(func() { f(z); done <- struct{}{} }); err != nil {
				return false // the room stopped: ctx ended
			}
		}
		for range w.zones {
			select {
			case <-done:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	timer := time.NewTimer(w.cfg.Tick)
	defer timer.Stop()
	next := time.Now().Add(w.cfg.Tick)
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		t0 := time.Now()
		ok := false
		if len(w.zones) == 1 {
			ok = phase(func(z *zone) { z.tick(t0) })
		} else {
			ok = phase(func(z *zone) { z.step(t0) }) && phase(func(z *zone) { z.settle() })
		}
		if !ok {
			return
		}
		d := time.Since(t0)
		w.st.lastTick.Store(int64(d))
		if int64(d) > w.st.maxTick.Load() {
			w.st.maxTick.Store(int64(d))
		}
		next = next.Add(w.cfg.Tick)
		wait := time.Until(next)
		if wait <= 0 {
			w.st.overruns.Add(1)
			next, wait = time.Now(), 0
		}
		timer.Reset(wait)
	}
}

// tick runs one tick of every zone, step then settle, on the caller's
// goroutine (tests and benchmarks drive the world this way instead of
// Run).
func (w *World) tick(now time.Time) {
	for _, z := range w.zones {
		z.step(now)
	}
	for _, z := range w.zones {
		z.settle()
	}
}

// zoneAt is the zone of a position on the map.
func (w *World) zoneAt(x, z float64) *zone {
	return w.zones[w.zoneOf[w.grid.CellAt(x, z)]]
}

// budgetCap is the most a player may move at once: a quarter more than
// MaxSpeed allows in a tick, or in 250 ms for shorter ticks (moves a
// network hiccup delays arrive together: a TCP retransmit is 200 ms).
func (w *World) budgetCap() float64 {
	return w.cfg.MaxSpeed * max(w.cfg.Tick, 250*time.Millisecond).Seconds() * 1.25
}

// spawn picks a start position: a low-discrepancy (R2) sequence over the
// spawn area, so that joins spread evenly instead of piling up.
func (w *World) spawnPos() (float64, float64) {
	const a1, a2 = 0.7548776662466927, 0.5698402909980532
	w.spawnSeq++
	n := float64(w.spawnSeq)
	fx, fz := math.Mod(0.5+a1*n, 1), math.Mod(0.5+a2*n, 1)
	c := w.cfg
	return c.SpawnMinX + fx*(c.SpawnMaxX-c.SpawnMinX), c.SpawnMinZ + fz*(c.SpawnMaxZ-c.SpawnMinZ)
}

// queue adds a request for the zone that holds o.p (World.mu held).
func (w *World) queue(o op) error {
	if w.stopped {
		return ErrStopped
	}
	z := o.p.zone
	if len(z.ops) >= 2*w.cfg.MaxPlayers+64 {
		return ErrBusy
	}
	z.ops = append(z.ops, o)
	return nil
}

// Enter puts a player in the world and returns it as others see it. key
// identifies a returning user (a user id; 0 for anonymous players): a
// player with that key still in the world (within the disconnect grace,
// or on another connection) is taken back with its position, and sink
// replaces the old connection. The players in view come in the next
// update, a reset.
func (w *World) Enter(key int64, name string, sink Sink) (Entity, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if key != 0 {
		if p := w.byKey[key]; p != nil {
			if name == "" {
				name = p.name
			}
			if err := w.queue(op{kind: opAttach, p: p, sink: sink, name: name}); err != nil {
				return Entity{}, err
			}
			p.name = name // renamed while away: others see it from the next tick
			if p.sinkSub == nil {
				w.st.online.Add(1)
			}
			p.sinkSub, p.graceUntil = sink, time.Time{}
			e := Entity{ID: p.id, X: float32(p.subX), Z: float32(p.subZ), Name: p.name}
			if p.pend {
				e.Y, e.V = p.pendPos[1], p.pendPos[3]
			}
			return e, nil
		}
	}
	if len(w.players) >= w.cfg.MaxPlayers {
		return Entity{}, ErrFull
	}
	w.nextID++
	if w.nextID <= 0 {
		w.nextID = 1
	}
	x, z := w.spawnPos()
	p := &player{id: w.nextID, key: key, name: name, subX: x, subZ: z, subAt: time.Now(), sinkSub: sink, budget: w.budgetCap(),
		zone: w.zoneAt(x, z)}
	p.spawn = Entity{ID: p.id, X: float32(x), Z: float32(z), Name: name}
	if err := w.queue(op{kind: opJoin, p: p, sink: sink}); err != nil {
		return Entity{}, err
	}
	w.players[p.id] = p
	if key != 0 {
		w.byKey[key] = p
	}
	w.st.players.Add(1)
	w.st.online.Add(1)
	w.st.joins.Add(1)
	return p.spawn, nil
}

// PlayerOf is the player of key (a user id) in the world.
func (w *World) PlayerOf(key int64) (int32, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.byKey[key]; p != nil {
		return p.id, true
	}
	return 0, false
}

// Move asks to move player id; it is applied at the next tick, a later
// move in the same tick replacing it. Off the map or faster than
// MaxSpeed is refused (the player's next update then carries the
// position the world keeps).
func (w *World) Move(id int32, x, y, z, v float32) error {
	now := time.Now()
	w.st.movesIn.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.players[id]
	if p == nil {
		w.st.refusedNo.Add(1)
		return ErrNotInWorld
	}
	fx, fz := float64(x), float64(z)
	if !w.grid.Contains(fx, fz) || isBad(y) || isBad(v) {
		w.st.refusedOffMap.Add(1)
		w.correct(p)
		return ErrOffMap
	}
	// A distance budget: it refills at MaxSpeed (and a quarter, for
	// clients whose timers run a little fast) up to one tick's travel (at
	// least 250 ms's), and each move spends its length. Sustained speed
	// stays within the limit and a jump is refused, while two moves that a
	// network hiccup delivered together (each within the speed, the second
	// right after the first) pass.
	budget := min(w.budgetCap(), p.budget+1.25*w.cfg.MaxSpeed*now.Sub(p.subAt).Seconds())
	d := math.Hypot(fx-p.subX, fz-p.subZ)
	if d > budget {
		p.budget, p.subAt = budget, now
		w.st.refusedFast.Add(1)
		w.correct(p)
		return ErrTooFast
	}
	p.budget = budget - d
	p.subX, p.subZ, p.subAt = fx, fz, now
	p.pendPos = [4]float32{x, y, z, v}
	if !p.pend {
		p.pend = true
		p.zone.moves = append(p.zone.moves, p)
	}
	return nil
}

func isBad(f float32) bool { return math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) }

// correct schedules a refused mover's own position into its next update.
func (w *World) correct(p *player) {
	if !p.pend {
		p.pend = true
		p.pendPos = [4]float32{float32(math.NaN())}
		p.zone.moves = append(p.zone.moves, p)
	}
}

// Leave removes player id at once.
func (w *World) Leave(id int32) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.players[id]
	if p == nil {
		return ErrNotInWorld
	}
	return w.remove(p)
}

func (w *World) remove(p *player) error {
	if err := w.queue(op{kind: opLeave, p: p}); err != nil && !errors.Is(err, ErrStopped) {
		return err
	}
	p.gone = true
	delete(w.players, p.id)
	if p.key != 0 && w.byKey[p.key] == p {
		delete(w.byKey, p.key)
	}
	if p.sinkSub != nil {
		w.st.online.Add(-1)
	}
	p.sinkSub = nil
	w.st.players.Add(-1)
	w.st.leaves.Add(1)
	return nil
}

// Disconnect tells the world that sink, player id's connection, closed.
// An anonymous player leaves at once; a keyed one stays for the grace
// period. A sink that was already replaced changes nothing.
func (w *World) Disconnect(id int32, sink Sink) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.players[id]
	if p == nil || p.sinkSub != sink {
		return
	}
	if p.key == 0 || w.cfg.Grace == 0 {
		_ = w.remove(p)
		return
	}
	p.sinkSub = nil
	p.graceUntil = time.Now().Add(w.cfg.Grace)
	w.st.online.Add(-1)
	_ = w.queue(op{kind: opDetach, p: p, sink: sink})
}

// Chat sends text from player id to the whole world.
func (w *World) Chat(ctx context.Context, id int32, text string) error {
	n := utf8.RuneCountInString(text)
	if n == 0 || n > MaxChat || !utf8.ValidString(text) {
		return ErrChat
	}
	now := time.Now()
	w.mu.Lock()
	p := w.players[id]
	if p == nil {
		w.mu.Unlock()
		return ErrNotInWorld
	}
	keep := p.chatTimes[:0]
	for _, t := range p.chatTimes {
		if now.Sub(t) < w.cfg.ChatWindow {
			keep = append(keep, t)
		}
	}
	p.chatTimes = keep
	if len(keep) >= w.cfg.ChatRate {
		w.mu.Unlock()
		return ErrChatRate
	}
	p.chatTimes = append(p.chatTimes, now)
	m := ChatMessage{From: p.id, Name: p.name, Text: text, SentMs: now.UnixMilli()}
	w.mu.Unlock()
	w.st.chats.Add(1)
	return w.chat.Publish(ctx, m)
}

// deliverChat hands a chat message to every connected player.
func (w *World) deliverChat(m ChatMessage) {
	w.mu.Lock()
	sinks := make([]Sink, 0, len(w.players))
	for _, p := range w.players {
		if p.sinkSub != nil {
			sinks = append(sinks, p.sinkSub)
		}
	}
	w.mu.Unlock()
	for _, s := range sinks {
		s.Chat(m)
	}
}

// Stats returns the counters.
func (w *World) Stats() Stats {
	s := &w.st
	return Stats{Players: s.players.Load(), Online: s.online.Load(), Ticks: s.ticks.Load(), Overruns: s.overruns.Load(),
		LastTickNs: s.lastTick.Load(), MaxTickNs: s.maxTick.Load(), MovesIn: s.movesIn.Load(), MovesApplied: s.movesApplied.Load(),
		RefusedOffMap: s.refusedOffMap.Load(), RefusedFast: s.refusedFast.Load(), RefusedNo: s.refusedNo.Load(),
		Pushes: s.pushes.Load(), Coalesced: s.coalesced.Load(), Joins: s.joins.Load(), Leaves: s.leaves.Load(),
		Expired: s.expired.Load(), Chats: s.chats.Load(), Handovers: s.handovers.Load()}
}
