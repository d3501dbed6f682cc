package ddz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Push routes of the table.
const (
	RouteMatchStatus = "match.status"
	RouteSnapshot    = "ddz.snapshot"
	RouteEvent       = "ddz.event"
	RouteResult      = "ddz.result"
	RouteChat        = "ddz.message"
)

var (
	errPaused      = status.RuleError(status.Conflict, "game_paused", "the table is waiting for its players to come back")
	errStoreDown   = status.New(status.Unavailable, "the game could not be recorded; it was cancelled")
	errStalled     = status.RuleError(status.Unavailable, "game_stalled", "the game cannot be recorded now: the table is paused until the database answers")
	errNotYourTurn = status.RuleError(status.Conflict, string(ddz.NotYourTurn), "it is not your turn")
)

// table is one game at one room: it implements room.Game, so every method
// runs on the room goroutine.
type table struct {
	svc   *Service
	id    int64
	gid   string
	mode  match.Mode
	seed  int64
	opts  ddz.Options
	users [3]int64
	names [3]string
	bots  [3]bot.Player
	log   *slog.Logger
	room  *room.Room // guarded by Service.mu until the room runs

	g        *ddz.Game
	seq      uint64
	seqs     []uint64 // log seq of every engine event, parallel to g.Events()
	by       []string // record.By of every engine event, parallel to seqs
	left     [3]bool  // the seat's player left (ddz.leave): no pushes, auto-play to the end
	counted  bool     // in Service.tables (guarded by Service.mu)
	online   [3]bool
	auto     [3]bool
	strikes  [3]int
	chat     [3]limiter
	deadline time.Time // when the seat to act times out (or is acted for)

	epoch int64 // owner epoch fencing the log writes (0: unfenced)
	// pre is the turn before the action being committed (markPre), for
	// the records logged ahead of its engine events.
	pre *turnState
	// hold is a set of seats (bit per seat) that get no event pushes
	// because a snapshot holding the events follows at once: a player
	// who comes back hears of the table from the snapshot first.
	hold     uint8
	restored bool // rebuilt from the log after a restart
	takeover bool // restored from a node that died: players are connected
	paused   bool // restored and waiting for its players
	// pending are records whose log write failed while the database did
	// not answer (the engine has applied them): the table is stalled
	// since stalledAt, retrying the write (Timeout) until it lands or
	// Config.StoreGrace has passed. Nothing is announced meanwhile.
	pending    []record
	stalledAt  time.Time
	stallTries int
	finished   bool
	// tctx is the context of the request or timer the table serves now,
	// set on the room goroutine while traces are recorded (nil otherwise):
	// its span is the parent of the table's spans (trace.go).
	tctx context.Context
}

var _ room.Game = (*table)(nil)

func (t *table) human(s int) bool { return t.users[s] > 0 }

// humans are the user ids of the table's human players.
func (t *table) humans() []int64 {
	var out []int64
	for _, u := range t.users {
		if u > 0 {
			out = append(out, u)
		}
	}
	return out
}

// Start creates the game record and deals, or, for a restored table,
// pauses until the players are back.
func (t *table) Start(r *room.Room) {
	if t.tctx != nil { // the match's context, set by Formed while tracing
		t.enter(r, t.tctx)
		defer t.exit(r)
	}
	ctx, cancel := t.storeCtx()
	defer cancel()
	for s, u := range t.users {
		if u <= 0 {
			continue
		}
		name := ""
		if a, err := t.svc.st.Account(ctx, u); err == nil {
			name = a.DisplayName
		}
		t.names[s] = seatName(name, s, false)
	}
	if tc := t.svc.tableChat(); tc != nil {
		tc.PostTable(t.traceCtx(), t.gid, t.humans(), 0, 0, "") // opens its conversation
	}
	if t.restored {
		t.paused = true
		r.SetTimer(t.svc.cfg.Grace)
		if t.takeover && t.anyOnline() {
			// Another node died under the players: those still connected
			// play on at once, the others on auto-play.
			t.resume(r)
		}
		return
	}
	if err := t.svc.createGame(ctx, t); err != nil {
		if errors.Is(err, errAppenderStopped) { // shutting down
			t.stop(r)
			return
		}
		t.log.Error("create game", "err", err)
		t.abort(r, "store_error")
		return
	}
	g, err := ddz.New(t.opts, ddz.SeedFromUint64(uint64(t.seed)))
	if err != nil {
		t.log.Error("new game", "err", err)
		t.abort(r, "internal")
		return
	}
	t.g = g
	recs := []record{{Kind: kindOptions, Options: &tableOptions{Rules: t.opts, Mode: t.mode.Name, Stake: t.mode.Stake, Seed: t.seed}}}
	for _, e := range g.Events() {
		recs = append(recs, engineRecord(e))
	}
	if err := t.append(r, recs); err != nil {
		return
	}
	t.schedule(r)
	for s := range 3 {
		r.Push(s, RouteSnapshot, t.snapshot(r, s))
	}
}

// Handle serves one request of the player in seat.
func (t *table) Handle(r *room.Room, seat int, msg any) (any, error) {
	if tm, ok := msg.(tracedMsg); ok {
		msg = tm.msg
		t.enter(r, tm.ctx)
		defer t.exit(r)
	}
	if t.finished {
		return nil, status.RuleError(status.Conflict, string(ddz.GameOver), "the hand has ended")
	}
	if m, ok := msg.(*pb.DdzChatReq); ok {
		return t.say(r, seat, m)
	}
	if t.stalled() {
		// The engine is ahead of the log: no view of it goes out until
		// the log catches up (a snapshot then resumes the table).
		return nil, errStalled
	}
	if _, ok := msg.(*pb.DdzStateReq); ok {
		return t.snapshot(r, seat), nil
	}
	if t.paused {
		return nil, errPaused
	}
	switch a := msg.(type) {
	case *pb.DdzBidReq, *pb.DdzPlayReq, *pb.DdzPassReq, *pb.DdzDoubleReq, *pb.DdzShowReq:
		if err := t.stale(a.(interface{ GetSeq() uint64 }).GetSeq()); err != nil {
			return nil, err
		}
	}
	switch m := msg.(type) {
	case *pb.DdzBidReq:
		return t.act(r, seat, ddz.Bid(seat, int(min(m.Value, 99))), true)
	case *pb.DdzPlayReq:
		if len(m.Faces) > 0 {
			f, err := parseFaces(m.Faces)
			if err != nil {
				return nil, err
			}
			return t.act(r, seat, ddz.PlayFaceCards(seat, f), true)
		}
		c, err := parseCards(m.Cards)
		if err != nil {
			return nil, err
		}
		return t.act(r, seat, ddz.PlayCards(seat, c), true)
	case *pb.DdzPassReq:
		return t.act(r, seat, ddz.Pass(seat), true)
	case *pb.DdzDoubleReq:
		return t.act(r, seat, ddz.Double(seat, m.Double), true)
	case *pb.DdzShowReq:
		return t.act(r, seat, ddz.Show(seat), true)
	case *pb.DdzAutoplayReq:
		return t.setAuto(r, seat, m.On)
	case *pb.DdzHintReq:
		return t.hint(seat)
	case *pb.DdzLeaveReq:
		return t.leave(r, seat, m.Confirm)
	}
	return nil, status.New(status.BadRequest, "unknown table request")
}

// stale refuses a move made at seq (0: not checked) when an engine event
// (any seat's move, by a player, a timer or auto-play) came after it, or
// when seq is ahead of the table: the player decided on a table they had
// not seen, e.g. their own timer played for them while the request was on
// its way. Events that do not change the game (online, auto-play on or
// off) do not make a move stale.
func (t *table) stale(seq uint64) error {
	if seq == 0 {
		return nil
	}
	var last uint64
	if n := len(t.seqs); n > 0 {
		last = t.seqs[n-1]
	}
	if seq < last || seq > t.seq {
		return status.RuleError(status.Conflict, "stale_state", fmt.Sprintf("the table has moved on (seq %d, your move was made at %d): look again", t.seq, seq))
	}
	return nil
}

// act applies one action for seat. byPlayer is false when the server acts
// (timeout, auto-play, bot); a player's own action resets the timeout
// count and ends auto-play (spec §11.3.2, §11.3.3).
func (t *table) act(r *room.Room, seat int, e ddz.Event, byPlayer bool) (*pb.DdzActionResp, error) {
	t.markPre()
	evs, err := t.g.Apply(e)
	if err != nil {
		t.pre = nil
		return nil, ruleStatus(err)
	}
	var recs []record
	if byPlayer {
		t.strikes[seat] = 0
		if t.auto[seat] {
			t.auto[seat] = false
			recs = append(recs, record{Kind: kindAutoplay, Seat: seat})
		}
	}
	for _, e := range evs {
		recs = append(recs, engineRecord(e))
	}
	if err := t.commit(r, recs); err != nil {
		return nil, err
	}
	return &pb.DdzActionResp{Seq: t.seq}, nil
}

// commit logs recs, re-arms the timer, announces them, and settles when
// the hand is over.
func (t *table) commit(r *room.Room, recs []record) error {
	first := t.seq + 1
	if err := t.append(r, recs); err != nil {
		return err
	}
	over := t.g.Phase() == ddz.PhaseOver
	if !over && t.turnChanged(recs) {
		t.schedule(r)
	}
	t.announce(r, first, recs)
	if over {
		t.settle(r)
	}
	return nil
}

// turnChanged reports whether recs touch the seat to act: a move, or its
// auto-play or connection changing. Other seats' changes leave its timer
// running as it was.
func (t *table) turnChanged(recs []record) bool {
	for _, rc := range recs {
		if rc.Event != nil || rc.Seat == t.g.Turn() {
			return true
		}
	}
	return false
}

// append writes recs to the store. A table whose log cannot be written
// because the database does not answer is stalled (stall): it retries the
// write and resumes, or is cancelled after Config.StoreGrace. On any
// other write failure it is cancelled at once: an unrecorded game must not
// go on.
func (t *table) append(r *room.Room, recs []record) error {
	if t.stalled() { // nothing is written past records that are not
		t.pending = append(t.pending, recs...)
		return errStalled
	}
	ctx, cancel := t.storeCtx()
	defer cancel()
	var span trace.Span
	if observe.Tracing() {
		ctx, span = t.span(ctx, "ddz log append", attribute.Int("lordgame.records", len(recs)))
		defer span.End()
	}
	err := t.write(ctx, recs)
	if span != nil {
		observe.SpanError(span, err)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errEncode):
		t.log.Error("encode game event", "err", err)
		t.abort(r, "internal")
		return errStoreDown
	case errors.Is(err, errAppenderStopped):
		// Shutting down: the game stays running in the store and is
		// restored at the next start, here or on another node.
		t.stop(r)
		return status.New(status.Unavailable, "the server is shutting down")
	case errors.Is(err, store.ErrFenced):
		t.lost(r)
		return status.New(status.Unavailable, "the table moved to another server: try again")
	case storeDown(err):
		t.stall(r, recs, err)
		return errStalled
	}
	t.log.Error("append game events", "seq", t.seq+1, "err", err)
	t.abort(r, "store_error")
	return errStoreDown
}

var errEncode = errors.New("ddz: encode game event")

// write logs recs after t.seq and, once they are committed, advances
// t.seq (and the engine events' seqs) past them.
func (t *table) write(ctx context.Context, recs []record) error {
	evs, err := t.encode(recs)
	if err != nil {
		return err
	}
	if err := t.svc.appender.append(ctx, evs); err != nil {
		return err
	}
	t.advance(recs)
	return nil
}

func (t *table) encode(recs []record) ([]store.Event, error) {
	evs := make([]store.Event, 0, len(recs))
	seq := t.seq
	for _, rc := range recs {
		seq++
		ev, err := rc.storeEvent(t.id, seq)
		if err != nil {
			return nil, fmt.Errorf("%w %d: %v", errEncode, seq, err)
		}
		ev.Epoch = t.epoch
		evs = append(evs, ev)
	}
	return evs, nil
}

func (t *table) advance(recs []record) {
	for _, rc := range recs {
		t.seq++
		if rc.Event != nil {
			t.seqs = append(t.seqs, t.seq)
			t.by = append(t.by, rc.By)
		}
	}
}

// storeDown reports whether a failed write says the database does not
// answer now (store.ErrUnavailable), or that it did not answer within the
// write's deadline: worth retrying, not a reason to cancel at once.
func storeDown(err error) bool {
	return errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// Stalled-table retries: the first after stallMinWait, doubling up to
// stallMaxWait, each attempt bounded by stallTry.
const (
	stallMinWait = 200 * time.Millisecond
	stallMaxWait = 5 * time.Second
	stallTry     = 3 * time.Second
)

func (t *table) stalled() bool { return !t.stalledAt.IsZero() }

// clearStall ends the stall (the write landed, or the table ends).
func (t *table) clearStall() {
	if t.stalled() {
		t.pending, t.stalledAt = nil, time.Time{}
		t.svc.stalled.Add(-1)
	}
}

// stall pauses the table after the write of recs failed with the database
// down: the seats are told (a "paused" event, reason "store") and the
// room timer, which no turn needs meanwhile, drives the retries.
func (t *table) stall(r *room.Room, recs []record, err error) {
	t.pending = append([]record(nil), recs...)
	t.stalledAt, t.stallTries = time.Now(), 0
	t.svc.stalled.Add(1)
	t.deadline = time.Time{}
	t.log.Warn("game log not written: table paused until the database answers", "seq", t.seq+1,
		"grace", t.svc.cfg.StoreGrace, "err", err)
	r.SetTimer(backoff(1, stallMinWait, stallMaxWait))
	// The notice takes the next seq; the snapshot that resumes the table,
	// or the cancel, comes after it.
	ev := &pb.DdzEvent{GameId: t.gid, Seq: t.seq + 1, Kind: kindPaused, Turn: -1, Reason: "store"}
	r.Broadcast(RouteEvent, func(s int) proto.Message {
		if t.left[s] {
			return nil
		}
		return ev
	})
}

// retry writes the pending records again. They may have been committed
// after all (the first write timed out with the commit on its way): a
// conflict on their seqs whose log holds them counts as written.
func (t *table) retry(r *room.Room) {
	t.stallTries++
	ctx, cancel := context.WithTimeout(context.Background(), stallTry)
	defer cancel()
	all := t.pending
	err := t.write(ctx, t.pending)
	if errors.Is(err, store.ErrConflict) {
		if n := t.landed(ctx); n > 0 {
			t.advance(t.pending[:n])
			t.pending = t.pending[n:]
			err = t.write(ctx, t.pending)
		}
	}
	switch {
	case err == nil:
		t.unstall(r, all)
	case errors.Is(err, errAppenderStopped):
		// Shutting down: the store holds the log up to t.seq and the
		// next start restores the table from it.
		t.stop(r)
	case errors.Is(err, store.ErrFenced):
		t.lost(r)
	case !storeDown(err):
		t.log.Error("append game events after a database outage", "seq", t.seq+1, "err", err)
		t.cancelStalled(r)
	case time.Since(t.stalledAt) >= t.svc.cfg.StoreGrace:
		t.log.Warn("database still down after the grace: table cancelled", "tries", t.stallTries, "err", err)
		t.cancelStalled(r)
	default:
		r.SetTimer(backoff(t.stallTries+1, stallMinWait, stallMaxWait))
	}
}

// landed is how many of the pending records the log holds at their seqs
// (written by an earlier attempt whose answer was lost).
func (t *table) landed(ctx context.Context) int {
	want, err := t.encode(t.pending)
	if err != nil {
		return 0
	}
	evs, err := t.svc.st.Events(ctx, t.id)
	if err != nil {
		return 0
	}
	n := 0
	for i, w := range want {
		j := int(t.seq) + i
		if j >= len(evs) || evs[j].Seq != w.Seq || evs[j].Kind != w.Kind {
			break
		}
		n++
	}
	return n
}

// unstall resumes the table once its log caught up: every seat gets a
// snapshot (the action that hit the outage included), the turn timer
// starts again, and a hand that ended is settled.
func (t *table) unstall(r *room.Room, recs []record) {
	for _, rc := range recs {
		// A player whose ddz.leave hit the outage has left now.
		if rc.Kind == kindAutoplay && rc.Reason == reasonLeft && !t.left[rc.Seat] {
			t.left[rc.Seat] = true
			t.svc.leave(t, t.users[rc.Seat])
		}
	}
	t.log.Info("game log written after the database came back: table resumed", "tries", t.stallTries,
		"paused", time.Since(t.stalledAt).Round(time.Millisecond))
	t.clearStall()
	t.pre = nil
	over := t.g.Phase() == ddz.PhaseOver
	if !over {
		t.schedule(r)
	}
	for s := range 3 {
		if !t.left[s] {
			r.Push(s, RouteSnapshot, t.snapshot(r, s))
		}
	}
	if over {
		t.settle(r)
	}
}

// cancelStalled cancels a stalled table: the seats are told now and the
// store through the outbox, as soon as it answers.
func (t *table) cancelStalled(r *room.Room) { t.cancel(r, "store_error", false) }

// announce pushes recs (seq from first) to every seat, each with its own
// hand where the event deals one.
func (t *table) announce(r *room.Room, first uint64, recs []record) {
	sizes := t.handSizes()
	turn, leading := int32(t.g.Turn()), t.g.Leading()
	pre := t.pre
	t.pre = nil
	left, dl := t.timeLeft()
	before := pre != nil // records before the action's first engine event
	// Records before a "landlord" or "redeal" in recs (the bid that ended
	// the auction) show the table between the two: nobody to act, and
	// the landlord without the bottom cards yet.
	between := -1
	for i, rc := range recs {
		if rc.Event != nil && (rc.Event.Kind == ddz.KindLandlord || rc.Event.Kind == ddz.KindRedeal) {
			between = i
		}
	}
	for i, rc := range recs {
		ev := rc.wire(t.gid, first+uint64(i))
		before = before && rc.Event == nil
		ev.Turn, ev.Leading, ev.TimeLeftMs, ev.DeadlineMs, ev.HandSizes = turn, leading, left, dl, sizes
		if before {
			// The table as it was before the action: a client that
			// applies the events one by one never sees a state that did
			// not exist.
			ev.Turn, ev.Leading = pre.turn, pre.leading
		} else if i < between {
			ev.Turn, ev.Leading, ev.TimeLeftMs, ev.DeadlineMs = -1, false, 0, 0
			if e := recs[between].Event; e.Kind == ddz.KindLandlord {
				sz := append([]uint32(nil), sizes...)
				sz[e.Seat] -= uint32(e.Cards.Len())
				ev.HandSizes = sz
			}
		}
		dealt := rc.Event != nil && (rc.Event.Kind == ddz.KindDeal || rc.Event.Kind == ddz.KindLandlord)
		if t.g.Shown() && t.g.Landlord() >= 0 {
			ev.ShownFaces = t.g.HandFaces(t.g.Landlord()).Strings()
		}
		r.Broadcast(RouteEvent, func(s int) proto.Message {
			if t.hold&(1<<s) != 0 || t.left[s] {
				return nil
			}
			own := ev
			if t.opts.CardCounter || t.g.CanShow(s) {
				own = proto.Clone(ev).(*pb.DdzEvent)
				own.CanShow = t.g.CanShow(s)
				if t.opts.CardCounter {
					own.Counter = counterWire(t.g.Counter(s))
				}
			}
			if !dealt || (rc.Event.Kind == ddz.KindLandlord && s != rc.Event.Seat) {
				return own
			}
			if own == ev {
				own = proto.Clone(ev).(*pb.DdzEvent)
			}
			own.Hand, own.HandFaces = cardStrings(t.g.View(s).Hand), t.g.HandFaces(s).Strings()
			return own
		})
	}
}

// turnState is whose turn it is and whether they lead.
type turnState struct {
	turn    int32
	leading bool
}

// markPre remembers the turn before an engine action.
func (t *table) markPre() { t.pre = &turnState{turn: int32(t.g.Turn()), leading: t.g.Leading()} }

func (t *table) handSizes() []uint32 {
	v := t.g.View(0)
	return []uint32{uint32(v.HandSizes[0]), uint32(v.HandSizes[1]), uint32(v.HandSizes[2])}
}

func (t *table) timeLeft() (uint32, int64) {
	if t.deadline.IsZero() {
		return 0, 0
	}
	return uint32(max(time.Until(t.deadline), 0) / time.Millisecond), t.deadline.UnixMilli()
}

// schedule arms the timer for the seat to act: its decision timer (spec
// §11.1), the auto-play delay, or a bot's think time.
func (t *table) schedule(r *room.Room) {
	s := t.g.Turn()
	if s < 0 {
		r.StopTimer()
		t.deadline = time.Time{}
		return
	}
	d := t.svc.cfg.FollowTimeout
	switch {
	case t.bots[s] != nil:
		d = t.svc.cfg.BotDelay
	case t.auto[s]:
		d = t.svc.cfg.AutoPlayDelay
	case t.g.Phase() == ddz.PhaseBidding, t.g.Phase() == ddz.PhaseDoubling:
		d = t.svc.cfg.BidTimeout
	case t.g.Leading():
		d = t.svc.cfg.LeadTimeout
	}
	r.SetTimer(d)
	t.deadline = r.Deadline()
}

// Timeout acts for the seat to act: a bot's move, an auto-play move, or
// the default action of spec §11.2 after the decision timer ran out.
func (t *table) Timeout(r *room.Room) {
	if t.finished {
		return
	}
	if observe.Tracing() {
		ctx, span := ddzTracer().Start(context.Background(), "ddz timeout", trace.WithAttributes(attribute.Int64("lordgame.room_id", t.id)))
		t.enter(r, ctx)
		defer func() { t.exit(r); span.End() }()
	}
	if t.stalled() {
		t.retry(r)
		return
	}
	if t.paused {
		t.graceOver(r)
		return
	}
	if t.finished || t.g.Phase() == ddz.PhaseOver {
		return
	}
	s := t.g.Turn()
	v := t.g.View(s)
	switch {
	case t.bots[s] != nil:
		if _, err := t.act(r, s, t.bots[s].Act(&v), false); err != nil && !t.finished && !t.stalled() {
			t.log.Warn("bot move refused", "seat", s, "err", err)
			t.defaultAction(r, s, nil, "")
		}
	case t.auto[s]:
		t.defaultAction(r, s, nil, byAuto)
	default:
		t.strikes[s]++
		pre := []record{{Kind: kindTimeout, Seat: s}}
		t.defaultAction(r, s, pre, byTimeout)
	}
}

// defaultAction applies spec §11.2 for seat, logging pre first and
// marking the action with by (record.By); after AutoPlayAfter timeouts in
// a row the seat goes to auto-play.
func (t *table) defaultAction(r *room.Room, s int, pre []record, by string) {
	e, ok := t.g.DefaultAction()
	if !ok {
		return
	}
	if by == byAuto && e.Kind == ddz.KindDouble {
		// Auto-play doubles as a bot would, by hand strength; a timeout
		// does not double (the default action).
		v := t.g.View(s)
		if h, ok := bot.House(&v); ok && h.Kind == ddz.KindDouble {
			e = h
		}
	}
	t.markPre()
	evs, err := t.g.Apply(e)
	if err != nil { // the engine's own default action: a bug
		t.log.Error("default action refused", "seat", s, "err", err)
		t.abort(r, "internal")
		return
	}
	recs := pre
	for i, e := range evs {
		rc := engineRecord(e)
		if i == 0 {
			rc.By = by
		}
		recs = append(recs, rc)
		// The switch to auto-play follows the seat's own action, before
		// what the action caused (a redeal, the end).
		if i == 0 && len(pre) > 0 && t.strikes[s] >= t.svc.cfg.AutoPlayAfter && !t.auto[s] {
			t.auto[s] = true
			recs = append(recs, record{Kind: kindAutoplay, Seat: s, Value: 1})
		}
	}
	_ = t.commit(r, recs)
}

// setAuto switches auto-play for seat on request.
func (t *table) setAuto(r *room.Room, seat int, on bool) (*pb.DdzActionResp, error) {
	if t.auto[seat] == on {
		return &pb.DdzActionResp{Seq: t.seq}, nil
	}
	t.auto[seat] = on
	if !on {
		t.strikes[seat] = 0
	}
	if err := t.commit(r, []record{{Kind: kindAutoplay, Seat: seat, Value: b2i(on)}}); err != nil {
		return nil, err
	}
	return &pb.DdzActionResp{Seq: t.seq}, nil
}

// Presence handles a player's connection going up or down: down puts the
// seat on auto-play at once (spec §11.4); up sends the full view back.
func (t *table) Presence(r *room.Room, seat int, online bool) {
	if t.finished || t.left[seat] || (!online && !t.online[seat]) { // already away
		return
	}
	t.online[seat] = online
	if t.paused {
		if online && t.allOnline() {
			t.resume(r)
		} else if online {
			r.Push(seat, RouteSnapshot, t.snapshot(r, seat))
		}
		return
	}
	recs := []record{{Kind: kindOnline, Seat: seat, Value: b2i(online)}}
	if !online && !t.auto[seat] {
		t.auto[seat] = true
		recs = append(recs, record{Kind: kindAutoplay, Seat: seat, Value: 1})
	}
	if online {
		t.hold = 1 << seat
	}
	err := t.commit(r, recs)
	t.hold = 0
	if err != nil {
		return
	}
	if online {
		r.Push(seat, RouteSnapshot, t.snapshot(r, seat))
	}
}

func (t *table) anyOnline() bool {
	for s := range 3 {
		if t.human(s) && t.online[s] {
			return true
		}
	}
	return false
}

func (t *table) allOnline() bool {
	for s := range 3 {
		if t.human(s) && !t.left[s] && !t.online[s] {
			return false
		}
	}
	return true
}

// resume starts a restored table again: players who are still away play
// on auto-play.
func (t *table) resume(r *room.Room) {
	t.paused = false
	var recs []record
	for s := range 3 {
		recs = append(recs, record{Kind: kindOnline, Seat: s, Value: b2i(t.online[s] || !t.human(s))})
		if t.human(s) && !t.online[s] && !t.auto[s] {
			t.auto[s] = true
			recs = append(recs, record{Kind: kindAutoplay, Seat: s, Value: 1})
		}
	}
	t.log.Info("restored game resumed")
	t.hold = 0b111 // everyone gets a snapshot next
	err := t.commit(r, recs)
	t.hold = 0
	if err != nil {
		return
	}
	for s := range 3 {
		r.Push(s, RouteSnapshot, t.snapshot(r, s))
	}
}

// graceOver ends the wait of a restored table: it resumes if any player
// came back, and is cancelled with no coins moved otherwise.
func (t *table) graceOver(r *room.Room) {
	for s := range 3 {
		// A player who left chose auto-play: the hand goes on for them.
		if t.human(s) && (t.online[s] || t.left[s]) {
			t.resume(r)
			return
		}
	}
	t.log.Info("restored game cancelled: nobody came back")
	t.abort(r, "players_gone")
}

// abort cancels the game with no coins moved and closes the table.
func (t *table) abort(r *room.Room, reason string) { t.cancel(r, reason, true) }

// cancel ends the game with no coins moved, closes the table and tells
// the seats. The store learns it at once when now is set and the
// database answers, otherwise through the outbox, retried until it lands.
func (t *table) cancel(r *room.Room, reason string, now bool) {
	if t.finished {
		return
	}
	queue := !now
	if now {
		ctx, cancel := t.storeCtx()
		err := t.svc.st.CancelGameFenced(ctx, t.id, t.epoch)
		cancel()
		switch {
		case errors.Is(err, store.ErrFenced):
			t.lost(r)
			return
		case err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGameClosed):
			t.log.Error("cancel game: written once the database answers", "err", err)
			queue = true
		}
	}
	if queue {
		t.svc.outbox.add(t.id, t.epoch, reason)
	}
	if t.stalled() {
		t.seq++ // the "paused" notice had the next seq
		t.clearStall()
	}
	t.finish(r)
	// The cancel follows the last event (a connected client drops an event
	// whose seq it has seen: an admin cancels tables with players on them).
	t.seq++
	ev := &pb.DdzEvent{GameId: t.gid, Seq: t.seq, Kind: kindCancel, Turn: -1, Reason: reason}
	r.Broadcast(RouteEvent, func(int) proto.Message { return ev })
}

// finish closes the table. The players are free at once, before the last
// pushes, so a client that queues again on the result is not refused.
func (t *table) finish(r *room.Room) {
	t.finished = true
	t.svc.release(t, true)
	r.Close()
}

// stop closes the table on this node only: it stays running in the store
// and its owner and seat records stay, so that it is restored at the next
// start or adopted by another node.
func (t *table) stop(r *room.Room) {
	t.clearStall()
	t.finished = true
	t.svc.release(t, false)
	r.Close()
}

// lost stops a table that another node took over (the store refused this
// node's epoch): nothing is written, the new owner drives it.
func (t *table) lost(r *room.Room) {
	if t.finished {
		return
	}
	t.log.Warn("table taken over by another node: stopped here", "epoch", t.epoch)
	t.stop(r)
}

// settle moves coins and ratings through the store and pushes the result.
// When the database does not answer, the table closes all the same and
// the settlement goes through the outbox: the seats get their result once
// it lands (SettleGame is idempotent, so a retry never pays twice).
func (t *table) settle(r *room.Room) {
	res, _ := t.g.Result()
	ctx, cancel := t.storeCtx()
	defer cancel()
	out, err := t.svc.settle(ctx, t.id, t.epoch, t.mode, t.users, res)
	if errors.Is(err, store.ErrFenced) {
		t.lost(r)
		return
	}
	if err != nil && storeDown(err) {
		t.log.Warn("settle game: written once the database answers", "err", err)
		t.finish(r)
		t.settleLater(res)
		return
	}
	if err != nil {
		// The game stays "running" in the store with its end in the log:
		// Recover settles it at the next start.
		t.log.Error("settle game", "err", err)
	}
	t.finish(r)
	for s, msg := range t.results(out, res) {
		if msg != nil {
			r.Push(s, RouteResult, msg)
		}
	}
}

// results is the ddz.result of each seat (nil for a seat whose player
// left).
func (t *table) results(out settled, res ddz.Result) [3]*pb.DdzResult {
	if !res.Cancelled {
		out.wire.Hands = t.finalHands()
	}
	var msgs [3]*pb.DdzResult
	for s := range 3 {
		if t.left[s] {
			continue
		}
		msg := proto.Clone(out.wire).(*pb.DdzResult)
		msg.BalanceAfter, msg.RatingAfter = out.balance[s], out.rating[s]
		msgs[s] = msg
	}
	return msgs
}

// settleLater hands the settlement of the closed table to the outbox,
// which pushes each player's result once it lands.
func (t *table) settleLater(res ddz.Result) {
	svc, id, epoch, mode, users := t.svc, t.id, t.epoch, t.mode, t.users
	var left [3]bool
	copy(left[:], t.left[:])
	hands := t.finalHands()
	svc.outbox.addJob(outboxJob{game: id, what: "settle", do: func(ctx context.Context) error {
		out, err := svc.settle(ctx, id, epoch, mode, users, res)
		if err != nil {
			return err
		}
		if !res.Cancelled {
			out.wire.Hands = hands
		}
		for s, u := range users {
			if u <= 0 || left[s] {
				continue
			}
			msg := proto.Clone(out.wire).(*pb.DdzResult)
			msg.BalanceAfter, msg.RatingAfter = out.balance[s], out.rating[s]
			_ = svc.push.PushUser(u, RouteResult, msg)
		}
		return nil
	}})
}

// hint lists plays for the seat to act, cheapest first (doudizhu.Hints).
func (t *table) hint(seat int) (*pb.DdzHintResp, error) {
	if t.g.Phase() != ddz.PhasePlaying {
		return nil, status.RuleError(status.Conflict, string(ddz.WrongPhase), "hints are given while playing")
	}
	if t.g.Turn() != seat {
		return nil, errNotYourTurn
	}
	v := t.g.View(seat)
	resp := &pb.DdzHintResp{}
	for _, p := range ddz.Hints(v.Hand, v.Current.Label) {
		if len(resp.Plays) >= 32 {
			break
		}
		faces, _ := v.HandFaces.Pick(p.Cards)
		resp.Plays = append(resp.Plays, &pb.DdzCards{Cards: cardStrings(p.Cards), Type: p.Label.Type.String(), Faces: faces.Strings()})
	}
	return resp, nil
}

// snapshot is seat's full view of the table (spec §4.2: own hand only).
func (t *table) snapshot(r *room.Room, seat int) *pb.DdzSnapshot {
	out := &pb.DdzSnapshot{
		GameId: t.gid, Mode: t.mode.Name, Seat: uint32(seat), Seq: t.seq,
		BaseStake: uint32(max(t.mode.Stake, 0)), Phrases: t.svc.cfg.Phrases, Turn: -1, Landlord: -1, CurrentSeat: -1,
	}
	if t.g == nil {
		out.Phase = "starting"
		return out
	}
	v := t.g.View(seat)
	out.Phase = v.Phase.String()
	if t.paused {
		out.Phase = "paused"
	}
	out.Deal, out.Turn, out.Leading = uint32(v.Deal), int32(v.Turn), v.Leading
	out.TimeLeftMs, out.DeadlineMs = t.timeLeft()
	out.Hand, out.Landlord, out.Bottom = cardStrings(v.Hand), int32(v.Landlord), cardStrings(v.Bottom)
	out.HandFaces, out.BottomFaces = v.HandFaces.Strings(), v.BottomFaces.Strings()
	out.HighestBid, out.Multiplier = uint32(v.HighestBid), uint32(v.Multiplier)
	out.CurrentSeat = int32(v.CurrentSeat)
	if v.Current.Label.Valid() {
		out.Current = &pb.DdzCards{Cards: cardStrings(v.Current.Cards), Type: v.Current.Label.Type.String(), Faces: v.CurrentFaces.Strings()}
	}
	first := len(t.seqs) - len(v.Log)
	for i, e := range v.Log {
		ev := wireEvent(t.gid, t.seqs[first+i], e)
		if first+i < len(t.by) {
			ev.TimedOut, ev.Auto = t.by[first+i] == byTimeout, t.by[first+i] == byAuto
		}
		out.Log = append(out.Log, ev)
		if e.Kind == ddz.KindBid || e.Kind == ddz.KindCall || e.Kind == ddz.KindGrab {
			out.Bids = append(out.Bids, ev)
		}
	}
	out.Round = out.Log[len(out.Log)-len(v.Round):]
	out.HouseRules = t.opts.HouseRules()
	if t.opts.Doubling && v.Landlord >= 0 {
		out.Doubles = []uint32{uint32(v.Doubles[0]), uint32(v.Doubles[1]), uint32(v.Doubles[2])}
	}
	out.Shown, out.ShownFaces, out.CanShow = v.Shown, v.ShownFaces.Strings(), v.CanShow
	if v.HasCounter {
		out.Counter = counterWire(v.Counter)
	}
	for s := range 3 {
		out.Seats = append(out.Seats, &pb.DdzSeat{
			Seat: uint32(s), UserId: formatID(max(t.users[s], 0)), Name: t.names[s], Bot: !t.human(s),
			Cards: uint32(v.HandSizes[s]), Autoplay: t.auto[s], Online: t.online[s] || !t.human(s),
			Played: cardStrings(v.Played[s]), PlayedFaces: v.PlayedFaces[s].Strings(),
		})
	}
	return out
}

// say handles ddz.chat.
func (t *table) say(r *room.Room, seat int, m *pb.DdzChatReq) (*pb.DdzChatResp, error) {
	msg, err := t.svc.chatLine(m)
	if err != nil {
		return nil, err
	}
	if !t.chat[seat].allow(time.Now(), t.svc.cfg.ChatBurst, t.svc.cfg.ChatWindow) {
		return nil, status.RuleError(status.RateLimited, "chat_rate_limited", "too many chat messages; wait a moment")
	}
	msg.GameId, msg.Seat, msg.UserId, msg.SentAtMs = t.gid, int32(seat), formatID(max(t.users[seat], 0)), time.Now().UnixMilli()
	r.Broadcast(RouteChat, func(s int) proto.Message {
		if t.left[s] {
			return nil
		}
		return msg
	})
	t.svc.metrics.ChatMessage("table")
	if tc := t.svc.tableChat(); tc != nil {
		if !tc.PostTable(t.traceCtx(), t.gid, t.humans(), t.users[seat], msg.Phrase, msg.Text) {
			t.log.Warn("table chat line not kept: the chat queue is full")
		}
	}
	return &pb.DdzChatResp{}, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// storeCtx bounds one store call made from a room goroutine, which has no
// request context of its own.
func (s *Service) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
