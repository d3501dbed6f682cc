// Package world is the MMO world: a map cut into area-of-interest cells,
// players entering, moving and leaving, and a fixed-rate tick that sends
// every player at most one update with what changed in its view.
//
// The world's zone runs as a room on the room runtime (one goroutine owns
// the grid and every player's view). Requests from connections (Enter,
// Move, Leave, Disconnect, Chat) are validated at once, under a short
// lock, and queued; the tick applies them. A mover's later move in the
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
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lordgame/lordgame/internal/room"
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

// player is one player. Fields under "sub" are the request side's,
// guarded by World.mu; the rest belong to the zone goroutine.
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

	// zone goroutine
	h       aoi.Handle
	cell    int
	pos     Entity
	sink    Sink
	reset   bool
	inGrid  bool
	events  []int32 // ids whose visibility may have changed this tick
	touched bool
}

// World is one world.
type World struct {
	cfg   Config
	chat  ChatChannel
	rm    *room.Room
	start chan struct{}

	mu       sync.Mutex
	players  map[int32]*player
	byKey    map[int64]*player
	ops      []op
	moves    []*player
	nextID   int32
	spawnSeq uint64
	stopped  bool

	// zone goroutine
	grid     *aoi.Grid
	byHandle []*player
	byID     map[int32]*player
	tickN    uint64
	next     time.Time
	cellBuf  []int
	cellBuf2 []int
	viewBuf  []aoi.Handle
	cellMove [][]Entity // by cell: this tick's moves (storage kept across ticks)
	dirty    []int
	codecs   []Codec
	blobs    [][]cellBlob // by codec, then cell
	touched  []*player
	retry    []*player // coalesced last tick: sent a reset next tick
	upd      Update

	st struct {
		players, online                       atomic.Int64
		ticks, overruns                       atomic.Uint64
		lastTick, maxTick                     atomic.Int64
		movesIn, movesApplied                 atomic.Uint64
		refusedOffMap, refusedFast, refusedNo atomic.Uint64
		pushes, coalesced                     atomic.Uint64
		joins, leaves, expired                atomic.Uint64
		chats                                 atomic.Uint64
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
	w := &World{cfg: cfg, chat: chat, grid: g, players: map[int32]*player{}, byKey: map[int64]*player{},
		cellMove: make([][]Entity, g.Cells()), byID: map[int32]*player{}, start: make(chan struct{})}
	w.rm = room.New(1, nil, zoneGame{w}, nil)
	chat.Subscribe(w.deliverChat)
	return w, nil
}

// Config is the world's configuration.
func (w *World) Config() Config { return w.cfg }

// Run drives the world until ctx ends.
func (w *World) Run(ctx context.Context) error {
	err := w.rm.Run(ctx)
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// zoneGame adapts the zone to the room runtime: the room's timer is the
// tick.
type zoneGame struct{ w *World }

func (z zoneGame) Start(r *room.Room) {
	z.w.next = time.Now().Add(z.w.cfg.Tick)
	r.SetTimer(z.w.cfg.Tick)
}
func (z zoneGame) Handle(*room.Room, int, any) (any, error) { return nil, nil }
func (z zoneGame) Presence(*room.Room, int, bool)           {}
func (z zoneGame) Timeout(r *room.Room) {
	w := z.w
	t0 := time.Now()
	w.tick(t0)
	d := time.Since(t0)
	w.st.lastTick.Store(int64(d))
	if int64(d) > w.st.maxTick.Load() {
		w.st.maxTick.Store(int64(d))
	}
	w.next = w.next.Add(w.cfg.Tick)
	now := time.Now()
	if wait := w.next.Sub(now); wait > 0 {
		r.SetTimer(wait)
		return
	}
	w.st.overruns.Add(1)
	w.next = now
	r.SetTimer(time.Microsecond)
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

func (w *World) queue(o op) error {
	if w.stopped {
		return ErrStopped
	}
	if len(w.ops) >= 2*w.cfg.MaxPlayers+64 {
		return ErrBusy
	}
	w.ops = append(w.ops, o)
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
	p := &player{id: w.nextID, key: key, name: name, subX: x, subZ: z, subAt: time.Now(), sinkSub: sink, budget: w.budgetCap()}
	p.pos = Entity{ID: p.id, X: float32(x), Z: float32(z), Name: name}
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
	return p.pos, nil
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
		w.moves = append(w.moves, p)
	}
	return nil
}

func isBad(f float32) bool { return math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) }

// correct schedules a refused mover's own position into its next update.
func (w *World) correct(p *player) {
	if !p.pend {
		p.pend = true
		p.pendPos = [4]float32{float32(math.NaN())}
		w.moves = append(w.moves, p)
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
		Expired: s.expired.Load(), Chats: s.chats.Load()}
}

type move struct {
	p   *player
	pos [4]float32
}

// tick applies the queued requests and sends every player its update.
func (w *World) tick(now time.Time) {
	w.tickN++
	w.st.ticks.Add(1)
	w.mu.Lock()
	for _, p := range w.players { // expire players past their grace
		if p.sinkSub == nil && !p.graceUntil.IsZero() && now.After(p.graceUntil) {
			if w.remove(p) == nil {
				w.st.expired.Add(1)
			}
		}
	}
	ops := w.ops
	w.ops = nil
	moves := make([]move, 0, len(w.moves))
	for _, p := range w.moves {
		if !p.gone {
			moves = append(moves, move{p, p.pendPos})
		}
		p.pend = false
	}
	w.moves = w.moves[:0]
	w.mu.Unlock()

	for _, o := range ops {
		switch o.kind {
		case opJoin:
			w.join(o.p, o.sink)
		case opLeave:
			w.leave(o.p)
		case opAttach:
			o.p.sink = o.sink
			o.p.reset = true
			o.p.pos.Name = o.name
			w.touch(o.p)
		case opDetach:
			if o.p.sink == o.sink {
				o.p.sink = nil
			}
		}
	}
	for _, m := range moves {
		w.apply(m)
	}
	w.flush()
}

func (w *World) touch(p *player) {
	if !p.touched {
		p.touched = true
		w.touched = append(w.touched, p)
	}
}

func (w *World) join(p *player, sink Sink) {
	h, c, err := w.grid.Insert(float64(p.pos.X), float64(p.pos.Z))
	if err != nil { // the spawn area is inside the map: cannot happen
		return
	}
	p.h, p.cell, p.inGrid, p.sink, p.reset = h, c, true, sink, true
	for int(h) >= len(w.byHandle) {
		w.byHandle = append(w.byHandle, nil)
	}
	w.byHandle[h] = p
	w.byID[p.id] = p
	w.touch(p)
	w.viewBuf = w.grid.AppendView(w.viewBuf[:0], c, w.cfg.ViewRadius)
	for _, oh := range w.viewBuf {
		if q := w.byHandle[oh]; q != p {
			q.events = append(q.events, p.id)
			w.touch(q)
		}
	}
}

func (w *World) leave(p *player) {
	if !p.inGrid {
		return
	}
	c, _ := w.grid.Remove(p.h)
	w.byHandle[p.h] = nil
	delete(w.byID, p.id)
	p.inGrid, p.sink = false, nil
	w.viewBuf = w.grid.AppendView(w.viewBuf[:0], c, w.cfg.ViewRadius)
	for _, oh := range w.viewBuf {
		q := w.byHandle[oh]
		q.events = append(q.events, p.id)
		w.touch(q)
	}
}

func (w *World) apply(m move) {
	p := m.p
	if !p.inGrid {
		return
	}
	if !isBad(m.pos[0]) { // a NaN X marks a correction: keep the position
		from, to, err := w.grid.Move(p.h, float64(m.pos[0]), float64(m.pos[2]))
		if err != nil {
			return
		}
		p.pos.X, p.pos.Y, p.pos.Z, p.pos.V = m.pos[0], m.pos[1], m.pos[2], m.pos[3]
		w.st.movesApplied.Add(1)
		if from != to {
			p.cell = to
			w.cellBuf, w.cellBuf2 = w.grid.Diff(from, to, w.cfg.ViewRadius, w.cellBuf[:0], w.cellBuf2[:0])
			for _, cells := range [2][]int{w.cellBuf, w.cellBuf2} {
				for _, c := range cells {
					for _, oh := range w.grid.Members(c) {
						q := w.byHandle[oh]
						if q == p { // a move of more than one cell lands in an entered cell
							continue
						}
						q.events = append(q.events, p.id)
						p.events = append(p.events, q.id)
						w.touch(q)
					}
				}
			}
		}
	}
	w.touch(p)
	if len(w.cellMove[p.cell]) == 0 {
		w.dirty = append(w.dirty, p.cell)
	}
	w.cellMove[p.cell] = append(w.cellMove[p.cell], p.pos)
}

// cellBlob is one cell's moves encoded by one codec, valid in tick tick
// (its storage is reused: sinks copy what they are handed).
type cellBlob struct {
	b    []byte
	tick uint64
}

func (w *World) codecIndex(c Codec) int {
	for i, x := range w.codecs {
		if x == c {
			return i
		}
	}
	w.codecs = append(w.codecs, c)
	w.blobs = append(w.blobs, make([]cellBlob, len(w.cellMove)))
	return len(w.codecs) - 1
}

// flush builds and sends every player's update.
func (w *World) flush() {
	k := w.cfg.ViewRadius
	u := &w.upd
	for _, p := range w.retry {
		w.touch(p)
	}
	w.retry = w.retry[:0]
	if len(w.dirty) > 0 { // everyone within k of a dirty cell has news
		for _, c := range w.dirty {
			w.viewBuf = w.grid.AppendView(w.viewBuf[:0], c, k)
			for _, oh := range w.viewBuf {
				w.touch(w.byHandle[oh])
			}
		}
	}
	for _, p := range w.touched {
		p.touched = false
		if !p.inGrid {
			p.events = p.events[:0]
			continue
		}
		if p.sink == nil { // disconnected, within the grace: catch up on return
			p.events = p.events[:0]
			continue
		}
		u.Tick, u.Self, u.Reset = w.tickN, p.pos, p.reset
		u.Moved, u.Entered, u.Left = u.Moved[:0], u.Entered[:0], u.Left[:0]
		ci := w.codecIndex(p.sink.Codec())
		w.cellBuf = w.grid.AppendCells(w.cellBuf[:0], p.cell, k)
		for _, c := range w.cellBuf {
			ms := w.cellMove[c]
			if len(ms) == 0 {
				continue
			}
			cb := &w.blobs[ci][c]
			if cb.tick != w.tickN { // first viewer of this cell and codec this tick
				cb.b, cb.tick = p.sink.Codec().AppendMoves(cb.b[:0], ms), w.tickN
			}
			b := cb.b
			u.Moved = append(u.Moved, b)
		}
		if p.reset {
			w.viewBuf = w.grid.AppendView(w.viewBuf[:0], p.cell, k)
			for _, oh := range w.viewBuf {
				if q := w.byHandle[oh]; q != p {
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
				if q := w.lookup(id); q != nil && w.grid.InView(p.cell, q.cell, k) {
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
			w.retry = append(w.retry, p)
			w.st.coalesced.Add(1)
		}
	}
	w.touched = w.touched[:0]
	for _, c := range w.dirty {
		w.cellMove[c] = w.cellMove[c][:0]
	}
	w.dirty = w.dirty[:0]
}

// lookup finds an in-grid player by id (zone goroutine).
func (w *World) lookup(id int32) *player {
	return w.byID[id]
}
