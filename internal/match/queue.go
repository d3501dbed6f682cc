package match

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
)

// Errors a client may see; each names its rule.
var (
	ErrUnknownMode   = status.RuleError(status.BadRequest, "unknown_mode", "no such game mode")
	ErrAlreadyQueued = status.RuleError(status.Conflict, "already_queued", "already waiting in a queue")
	ErrNotQueued     = status.RuleError(status.Conflict, "not_queued", "not waiting in a queue")
)

// Ticket is one player waiting for a table.
type Ticket struct {
	ID     string
	UserID int64
	Mode   string
	Rating int64
	Joined time.Time
}

// Match is a formed table: one to three tickets and bots in the other
// seats.
type Match struct {
	Mode    Mode
	Tickets []Ticket
	Bots    int
}

// Status is what a waiting player is told.
type Status struct {
	State    string // "queued", "matched" or "cancelled"
	Mode     string
	TicketID string
	Position int           // 1-based
	Estimate time.Duration // until the table forms
	Waited   time.Duration
}

// Queue is how callers reach matchmaking: the in-process Matcher or a
// cluster-wide implementation.
type Queue interface {
	// Join queues userID in mode with its rating.
	Join(ctx context.Context, userID int64, mode string, rating int64) (Status, error)
	// Cancel removes the user's ticket. ErrNotQueued once the table formed.
	Cancel(ctx context.Context, userID int64) error
}

var _ Queue = (*Matcher)(nil)

// Matcher is the in-process matchmaker.
type Matcher struct {
	cfg    Config
	formed func(ctx context.Context, m Match)
	notify func(userID int64, st Status)
	waited func(mode string, d time.Duration)
	now    func() time.Time
	seq    atomic.Uint64

	mu     sync.Mutex
	queues map[string]*queue
	users  map[int64]*entry // every ticket from Join until handed over or cancelled
}

type queue struct {
	mode    Mode
	waiting []*entry // join order
	avgWait time.Duration
}

type entry struct {
	t       Ticket
	placing bool // in a formed match whose Formed call has not returned
	lastPos int
	lastEst time.Duration
	sc      trace.SpanContext // the span of the join, while tracing
}

// New builds a matcher. formed receives every table, on the Run goroutine;
// notify receives queue status updates for waiting players (both may be
// slow: no lock is held while they run).
func New(cfg Config, formed func(ctx context.Context, m Match), notify func(userID int64, st Status)) (*Matcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Matcher{cfg: cfg, formed: formed, notify: notify, now: time.Now,
		queues: map[string]*queue{}, users: map[int64]*entry{}}
	// Ticket ids start at the clock, so that a matcher that takes over
	// the tickets of another never hands out one of theirs.
	m.seq.Store(uint64(time.Now().UnixMicro()))
	for _, md := range cfg.Modes {
		avg := md.BotWait
		if avg == 0 {
			avg = 30 * time.Second
		}
		m.queues[md.Name] = &queue{mode: md, avgWait: avg}
	}
	return m, nil
}

// OnWaited has f told, for every ticket placed at a table, how long it
// waited (for the queue wait metric). Call it before Run.
func (m *Matcher) OnWaited(f func(mode string, d time.Duration)) { m.waited = f }

// Join queues a player. A user already holding a ticket gets
// ErrAlreadyQueued.
func (m *Matcher) Join(ctx context.Context, userID int64, mode string, rating int64) (st Status, err error) {
	var sc trace.SpanContext
	if observe.Tracing() {
		var span trace.Span
		_, span = observe.Tracer("match").Start(ctx, "match join", trace.WithAttributes(
			attribute.Int64("lordgame.user_id", userID), attribute.String("lordgame.mode", mode)))
		defer func() {
			span.SetAttributes(attribute.String("lordgame.ticket_id", st.TicketID), attribute.Int("lordgame.position", st.Position))
			observe.SpanError(span, err)
			span.End()
		}()
		sc = span.SpanContext()
	}
	return m.join(userID, mode, rating, sc)
}

func (m *Matcher) join(userID int64, mode string, rating int64, sc trace.SpanContext) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.queues[mode]
	if !ok {
		return Status{}, ErrUnknownMode
	}
	if _, ok := m.users[userID]; ok {
		return Status{}, ErrAlreadyQueued
	}
	e := &entry{t: Ticket{
		ID:     strconv.FormatUint(m.seq.Add(1), 10),
		UserID: userID, Mode: mode, Rating: rating, Joined: m.now(),
	}, sc: sc}
	m.users[userID] = e
	q.waiting = append(q.waiting, e)
	st := q.status(e, len(q.waiting), m.now())
	e.lastPos, e.lastEst = st.Position, st.Estimate
	return st, nil
}

// Restore puts back a ticket that another matcher issued (a standby
// taking over the queue): it keeps its id and its place by join time.
func (m *Matcher) Restore(t Ticket) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.queues[t.Mode]
	if !ok {
		return ErrUnknownMode
	}
	if _, ok := m.users[t.UserID]; ok {
		return ErrAlreadyQueued
	}
	e := &entry{t: t}
	m.users[t.UserID] = e
	i, _ := slices.BinarySearchFunc(q.waiting, t.Joined, func(x *entry, at time.Time) int { return x.t.Joined.Compare(at) })
	q.waiting = slices.Insert(q.waiting, i, e)
	return nil
}

// Joined is when userID's ticket joined, zero without one.
func (m *Matcher) Joined(userID int64) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.users[userID]; ok {
		return e.t.Joined
	}
	return time.Time{}
}

// Drop removes userID's waiting ticket without telling the player (its
// Join is being undone).
func (m *Matcher) Drop(userID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.users[userID]
	if !ok || e.placing {
		return
	}
	q := m.queues[e.t.Mode]
	q.waiting = slices.DeleteFunc(q.waiting, func(x *entry) bool { return x == e })
	delete(m.users, userID)
}

// Cancel removes the user's ticket while it waits.
func (m *Matcher) Cancel(_ context.Context, userID int64) error {
	m.mu.Lock()
	e, ok := m.users[userID]
	if !ok || e.placing {
		m.mu.Unlock()
		return ErrNotQueued
	}
	q := m.queues[e.t.Mode]
	q.waiting = slices.DeleteFunc(q.waiting, func(x *entry) bool { return x == e })
	delete(m.users, userID)
	m.mu.Unlock()
	if m.notify != nil {
		m.notify(userID, Status{State: "cancelled", Mode: e.t.Mode, TicketID: e.t.ID, Waited: m.now().Sub(e.t.Joined)})
	}
	return nil
}

// Waiting is the number of tickets in mode's queue.
func (m *Matcher) Waiting(mode string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q, ok := m.queues[mode]; ok {
		return len(q.waiting)
	}
	return 0
}

// Run forms tables every Tick until ctx ends.
func (m *Matcher) Run(ctx context.Context) error {
	tick := time.NewTicker(m.cfg.Tick)
	defer tick.Stop()
	lastStatus := m.now()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
		m.Step(ctx)
		if now := m.now(); now.Sub(lastStatus) >= m.cfg.StatusEvery {
			lastStatus = now
			m.sendStatus()
		}
	}
}

// Step forms every table it can now and hands each to Formed. Run calls
// it every Tick; tests call it directly.
func (m *Matcher) Step(ctx context.Context) {
	m.mu.Lock()
	now := m.now()
	var out []Match
	for _, q := range m.queues {
		out = append(out, q.form(now)...)
	}
	for _, mt := range out {
		for _, t := range mt.Tickets {
			m.users[t.UserID].placing = true
			if m.waited != nil {
				m.waited(mt.Mode.Name, now.Sub(t.Joined))
			}
		}
	}
	m.mu.Unlock()
	for _, mt := range out {
		m.form(ctx, mt)
		m.mu.Lock()
		for _, t := range mt.Tickets {
			delete(m.users, t.UserID)
		}
		m.mu.Unlock()
	}
}

// form hands mt to formed, under a span of its own while tracing ("match
// formed", the root of the table's trace, linked to the tickets' joins).
func (m *Matcher) form(ctx context.Context, mt Match) {
	if !observe.Tracing() {
		m.formed(ctx, mt)
		return
	}
	var links []trace.Link
	m.mu.Lock()
	for _, t := range mt.Tickets {
		if e := m.users[t.UserID]; e != nil && e.sc.IsValid() {
			links = append(links, trace.Link{SpanContext: e.sc})
		}
	}
	m.mu.Unlock()
	ctx, span := observe.Tracer("match").Start(ctx, "match formed", trace.WithNewRoot(), trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("lordgame.mode", mt.Mode.Name), attribute.Int("lordgame.players", len(mt.Tickets))))
	defer span.End()
	m.formed(ctx, mt)
}

func (m *Matcher) sendStatus() {
	if m.notify == nil {
		return
	}
	type upd struct {
		uid int64
		st  Status
	}
	var ups []upd
	m.mu.Lock()
	now := m.now()
	for _, q := range m.queues {
		for i, e := range q.waiting {
			st := q.status(e, i+1, now)
			if st.Position == e.lastPos && st.Estimate/time.Second == e.lastEst/time.Second {
				continue
			}
			e.lastPos, e.lastEst = st.Position, st.Estimate
			ups = append(ups, upd{e.t.UserID, st})
		}
	}
	m.mu.Unlock()
	for _, u := range ups {
		m.notify(u.uid, u.st)
	}
}

func (q *queue) status(e *entry, pos int, now time.Time) Status {
	waited := now.Sub(e.t.Joined)
	est := max(q.avgWait-waited, 0)
	if q.mode.BotWait > 0 {
		est = min(est, max(q.mode.BotWait-waited, 0))
	}
	if q.mode.Practice || len(q.waiting) >= 3 {
		est = 0
	}
	return Status{State: "queued", Mode: q.mode.Name, TicketID: e.t.ID, Position: pos, Estimate: est, Waited: waited}
}

// window is the rating difference e accepts after waiting until now.
func (q *queue) window(e *entry, now time.Time) int64 {
	return q.mode.Window + q.mode.WindowPerSecond*int64(now.Sub(e.t.Joined)/time.Second)
}

// form takes the tables that can be formed now out of the queue, oldest
// ticket first: each with the two closest ratings that both sides' windows
// accept, or, past the bot wait (at once for practice), with bots.
func (q *queue) form(now time.Time) []Match {
	var out []Match
	taken := map[*entry]bool{}
	for _, a := range q.waiting {
		if taken[a] {
			continue
		}
		if q.mode.Practice {
			taken[a] = true
			out = append(out, Match{Mode: q.mode, Tickets: []Ticket{a.t}, Bots: 2})
			continue
		}
		group := q.closest(a, taken, func(b *entry) bool {
			d := abs(a.t.Rating - b.t.Rating)
			return d <= max(q.window(a, now), q.window(b, now))
		})
		if len(group) < 2 && (q.mode.BotWait == 0 || now.Sub(a.t.Joined) < q.mode.BotWait) {
			continue
		}
		taken[a] = true
		mt := Match{Mode: q.mode, Tickets: []Ticket{a.t}}
		for _, b := range group {
			taken[b] = true
			mt.Tickets = append(mt.Tickets, b.t)
		}
		mt.Bots = 3 - len(mt.Tickets)
		q.observe(now.Sub(a.t.Joined))
		out = append(out, mt)
	}
	if len(taken) > 0 {
		q.waiting = slices.DeleteFunc(q.waiting, func(e *entry) bool { return taken[e] })
	}
	return out
}

// closest returns up to two untaken tickets other than a that ok accepts,
// nearest in rating first.
func (q *queue) closest(a *entry, taken map[*entry]bool, ok func(*entry) bool) []*entry {
	var best []*entry
	for _, b := range q.waiting {
		if b == a || taken[b] || !ok(b) {
			continue
		}
		best = append(best, b)
		slices.SortStableFunc(best, func(x, y *entry) int {
			return int(abs(x.t.Rating-a.t.Rating) - abs(y.t.Rating-a.t.Rating))
		})
		if len(best) > 2 {
			best = best[:2]
		}
	}
	return best
}

// observe folds a formed table's wait into the estimate (an exponential
// moving average).
func (q *queue) observe(w time.Duration) { q.avgWait = (q.avgWait*7 + w) / 8 }

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// String describes a match for logs.
func (mt Match) String() string {
	return fmt.Sprintf("%s: %d players, %d bots", mt.Mode.Name, len(mt.Tickets), mt.Bots)
}
