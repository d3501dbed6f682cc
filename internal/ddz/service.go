package ddz

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Store is the durable state the service needs; *store.DB implements it.
type Store interface {
	CreateGame(ctx context.Context, g store.NewGame) error
	AppendEvents(ctx context.Context, evs []store.Event) error
	Events(ctx context.Context, gameID int64) ([]store.Event, error)
	UnfinishedGames(ctx context.Context) ([]store.GameRecord, error)
	CancelGame(ctx context.Context, gameID int64) error
	CancelGameFenced(ctx context.Context, gameID, epoch int64) error
	TakeGame(ctx context.Context, gameID int64) (int64, error)
	SettleGame(ctx context.Context, s store.Settlement) (store.Settlement, error)
	Game(ctx context.Context, gameID int64) (store.GameRecord, error)
	Stats(ctx context.Context, userID int64) (store.Stats, error)
	Balance(ctx context.Context, userID int64) (int64, error)
	Account(ctx context.Context, id int64) (store.Account, error)
}

// IDs hands out unique game ids (internal/id satisfies it).
type IDs interface {
	Next() (int64, error)
}

// Errors of the service a client may see.
var (
	ErrNotAtTable       = status.RuleError(status.Conflict, "not_at_table", "you are not at a table")
	ErrAlreadySeated    = status.RuleError(status.Conflict, "already_seated", "you are already at a table; ask ddz.state")
	ErrInsufficientFund = status.RuleError(status.Conflict, "insufficient_balance", "your balance is below the minimum of this mode")
	ErrGameRunning      = status.RuleError(status.Conflict, "game_running", "the game is still running")
)

// Directory is the cluster-wide record of which table each player sits at,
// so that a player is at one table in the whole cluster and requests find
// the node that runs it. Without one, the service's own map is the record.
//
// Ownership: a table belongs to one node, decided compare-and-set in the
// directory. The node that adopts a table raises its epoch in the store
// (store.TakeGame), which refuses log writes of an older epoch, so a node
// that lost a table cannot write it.
type Directory interface {
	// Own records this node as the owner of a new table.
	Own(ctx context.Context, table int64) error
	// Adopt makes this node the owner of an unfinished table unless a live
	// node owns it (false: leave it alone).
	Adopt(ctx context.Context, table int64) (bool, error)
	// Orphans lists the tables whose owner is no longer a live node.
	Orphans(ctx context.Context) ([]int64, error)
	// Claim seats users (bots are <= 0) at table; it fails with
	// ErrAlreadySeated, claiming nothing, when one of them sits at another
	// table.
	Claim(ctx context.Context, table int64, users []int64) error
	// Release frees the users and the owner record of a table that ended,
	// as far as they are still this node's.
	Release(ctx context.Context, table int64, users []int64)
	// Seated reports whether userID sits at a table anywhere.
	Seated(ctx context.Context, userID int64) (bool, error)
	// Online reports whether userID is connected to any gateway.
	Online(ctx context.Context, userID int64) bool
}

// Service runs every Dou Dizhu table of this node.
type Service struct {
	cfg   Config
	st    Store
	push  room.Pusher
	ids   IDs
	log   *slog.Logger
	queue match.Queue
	modes map[string]match.Mode

	dir      Directory       // nil: this node's map is the only record
	metrics  *observe.Game   // nil: not counted
	starts   chan *room.Room // rooms for Run to start
	appender *appender
	outbox   *outbox      // cancels and settlements written once the database answers
	stalled  atomic.Int64 // tables paused by a log write the database did not take

	tchat  atomic.Pointer[tableChatBox]
	ranker atomic.Pointer[rankerBox]

	mu     sync.Mutex
	byUser map[int64]*table
	gens   map[int64]uint64 // newest connection heard of, for seated users
	tables int
}

// New builds the service. Attach a queue with SetQueue before serving.
func New(cfg Config, modes []match.Mode, st Store, push room.Pusher, ids IDs, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: st, push: push, ids: ids, log: log.With("game", "doudizhu"),
		modes: map[string]match.Mode{}, starts: make(chan *room.Room, 1024), byUser: map[int64]*table{}, gens: map[int64]uint64{},
		appender: newAppender(st)}
	s.outbox = newOutbox(st, s.log)
	for _, m := range modes {
		s.modes[m.Name] = m
	}
	return s, nil
}

// SetMetrics counts hands, settlements and table chat on g. Call it
// before serving.
func (s *Service) SetMetrics(g *observe.Game) { s.metrics = g }

// SetDirectory makes seats cluster-wide. Call it before serving.
func (s *Service) SetDirectory(d Directory) { s.dir = d }

// SetQueue attaches the matchmaking queue (built after the service, since
// the matcher hands its tables to Formed).
func (s *Service) SetQueue(q match.Queue) { s.queue = q }

// Run starts and owns the room goroutine of every table until ctx ends,
// then waits for them. Tables left running stay "running" in the store
// and are restored by Recover at the next start.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.appender.run(ctx) })
	wg.Go(func() { s.outbox.run(ctx) })
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case r := <-s.starts:
			wg.Go(func() {
				if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					s.log.Warn("room stopped", "room_id", r.ID(), "err", err)
				}
			})
		}
	}
}

// Stalled is the number of tables paused because their log cannot be
// written.
func (s *Service) Stalled() int { return int(s.stalled.Load()) }

// OutboxWrites is the number of game writes (cancels, settlements)
// waiting for the database.
func (s *Service) OutboxWrites() int { return int(s.outbox.waiting.Load()) }

// Tables is the number of running tables.
func (s *Service) Tables() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tables
}

// Join queues userID in mode after the checks only this service can make:
// not at a table, balance at least the mode's minimum.
func (s *Service) Join(ctx context.Context, userID int64, mode string) (st match.Status, err error) {
	if observe.Tracing() {
		var span trace.Span
		ctx, span = ddzTracer().Start(ctx, "ddz join", trace.WithAttributes(attribute.Int64("lordgame.user_id", userID), attribute.String("lordgame.mode", mode)))
		defer func() { observe.SpanError(span, err); span.End() }()
	}
	return s.join(ctx, userID, mode)
}

func (s *Service) join(ctx context.Context, userID int64, mode string) (match.Status, error) {
	if s.tableOf(userID) != nil {
		return match.Status{}, ErrAlreadySeated
	}
	if s.dir != nil {
		seated, err := s.dir.Seated(ctx, userID)
		if err != nil {
			return match.Status{}, status.New(status.Unavailable, "cannot check your table now: try again")
		}
		if seated {
			return match.Status{}, ErrAlreadySeated
		}
	}
	m, ok := s.modes[mode]
	if !ok {
		return match.Status{}, match.ErrUnknownMode
	}
	if !m.Practice && m.MinBalance > 0 {
		bal, err := s.st.Balance(ctx, userID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return match.Status{}, err
		}
		if bal < m.MinBalance {
			return match.Status{}, ErrInsufficientFund
		}
	}
	st, err := s.st.Stats(ctx, userID)
	if err != nil {
		return match.Status{}, err
	}
	return s.queue.Join(ctx, userID, mode, st.Rating)
}

// Cancel leaves the queue.
func (s *Service) Cancel(ctx context.Context, userID int64) error { return s.queue.Cancel(ctx, userID) }

// Notify pushes a queue status (the matcher's notify callback).
func (s *Service) Notify(userID int64, st match.Status) {
	_ = s.push.PushUser(userID, RouteMatchStatus, wireStatus(st, ""))
}

func wireStatus(st match.Status, gameID string) *pb.MatchStatus {
	return &pb.MatchStatus{
		State: st.State, Mode: st.Mode, TicketId: st.TicketID, Position: uint32(st.Position),
		EstimatedWaitMs: uint32(st.Estimate / time.Millisecond), WaitedMs: uint32(st.Waited / time.Millisecond),
		GameId: gameID,
	}
}

// Formed seats a formed match at a new table (the matcher's formed
// callback). The players are registered at the table before it returns,
// so none of them can queue again in between. It returns false when the
// table could not be seated (a player sits at another table).
func (s *Service) Formed(ctx context.Context, m match.Match) bool {
	id, err := s.ids.Next()
	if err != nil {
		s.log.Error("game id", "err", err)
		return false
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	seed := int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	t := s.newTable(id, seed, m.Mode)
	if observe.Tracing() {
		t.tctx = ctx // the parent of the table's first spans (table.Start)
	}
	if s.dir != nil {
		if err := s.dir.Own(ctx, id); err != nil {
			s.log.Error("table owner", "room_id", id, "err", err)
			return false
		}
		t.epoch = 1
	}
	seats := mrand.Perm(3)
	for i, tk := range m.Tickets {
		t.users[seats[i]] = tk.UserID
	}
	for i := len(m.Tickets); i < 3; i++ {
		t.bots[seats[i]] = s.newBot()
		t.names[seats[i]] = seatName("", seats[i], true)
	}
	for st := range 3 {
		t.online[st] = t.human(st)
	}
	if !s.seat(ctx, t) {
		if s.dir != nil {
			s.dir.Release(ctx, id, nil)
		}
		return false
	}
	now := time.Now()
	for _, tk := range m.Tickets {
		_ = s.pushUser(ctx, tk.UserID, RouteMatchStatus, wireStatus(match.Status{
			State: "matched", Mode: m.Mode.Name, TicketID: tk.ID, Waited: now.Sub(tk.Joined)}, t.gid))
	}
	s.start(ctx, t)
	return true
}

func (s *Service) newBot() bot.Player {
	p, err := bot.New(bot.Level(s.cfg.BotLevel))
	if err != nil {
		p = bot.NewNormal()
	}
	return p
}

func (s *Service) newTable(id, seed int64, mode match.Mode) *table {
	opts := ddz.DefaultOptions()
	opts.MaxRedeals = s.cfg.MaxRedeals
	opts.Doubling, opts.ShowHand, opts.CardCounter = mode.Doubling, mode.ShowHand, mode.CardCounter
	return &table{svc: s, id: id, gid: formatID(id), seed: seed, mode: mode, opts: opts,
		log: s.log.With("room_id", id, "mode", mode.Name)}
}

// seat registers t's players; false if one of them is already seated.
func (s *Service) seat(ctx context.Context, t *table) bool {
	if s.dir != nil {
		// A player who left the table (ddz.leave) is not claimed again:
		// they may sit at another table by now.
		var claim []int64
		for st, u := range t.users {
			if !t.left[st] {
				claim = append(claim, u)
			}
		}
		if err := s.dir.Claim(ctx, t.id, claim); err != nil {
			s.log.Warn("table not seated", "room_id", t.id, "err", err)
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range t.users {
		if u > 0 && s.byUser[u] != nil {
			s.log.Error("player already seated", "player_id", u, "room_id", t.id)
			if s.dir != nil {
				s.dir.Release(ctx, t.id, t.users[:])
			}
			return false
		}
	}
	for st, u := range t.users {
		if u > 0 && !t.left[st] {
			s.byUser[u] = t
		}
	}
	s.tables++
	t.counted = true
	return true
}

func (s *Service) start(ctx context.Context, t *table) {
	var users []int64
	for _, u := range t.users {
		users = append(users, max(u, 0))
	}
	r := room.New(t.id, users, t, s.push)
	s.mu.Lock()
	t.room = r
	s.mu.Unlock()
	select {
	case s.starts <- r:
	case <-ctx.Done():
		s.release(t, false)
	}
}

// release forgets t's players (called on t's room goroutine at the end);
// cluster is false when the table only stops here (shutdown, or another
// node took it over) and its records stay for the next owner.
func (s *Service) release(t *table, cluster bool) {
	if s.dir != nil && cluster {
		ctx, cancel := s.storeCtx()
		s.dir.Release(ctx, t.id, t.users[:])
		cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range t.users {
		if u > 0 && s.byUser[u] == t {
			delete(s.byUser, u)
			delete(s.gens, u)
		}
	}
	if t.counted {
		t.counted = false
		s.tables--
	}
}

// Seated reports whether userID sits at a table of this node.
func (s *Service) Seated(userID int64) bool { return s.tableOf(userID) != nil }

func (s *Service) tableOf(userID int64) *table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUser[userID]
}

func (s *Service) createGame(ctx context.Context, t *table) error {
	ng := store.NewGame{ID: t.id, Mode: t.mode.Name, Seed: t.seed, Epoch: t.epoch}
	for st, u := range t.users {
		ng.Players = append(ng.Players, store.Player{Seat: st, UserID: max(u, 0)})
	}
	if observe.Tracing() {
		var span trace.Span
		ctx, span = t.span(ctx, "ddz create game", attribute.String("lordgame.mode", t.mode.Name))
		defer span.End()
		err := s.appender.do(ctx, func(ctx context.Context) error { return s.st.CreateGame(ctx, ng) })
		observe.SpanError(span, err)
		return err
	}
	return s.appender.do(ctx, func(ctx context.Context) error { return s.st.CreateGame(ctx, ng) })
}

// Connected tells the user's table that the player is back.
func (s *Service) Connected(userID int64) { s.ConnectedAt(userID, 0) }

// Disconnected drops the user's ticket and puts their seat on auto-play.
func (s *Service) Disconnected(userID int64) { s.DisconnectedAt(userID, 0) }

// ConnectedAt is Connected for the connection numbered gen: connections of
// a user are numbered in login order (the cluster's presence revision),
// and news of an older connection than the last one heard of is dropped:
// a player who moved to another gateway is not taken offline by the old
// gateway's late report. gen 0 is always applied.
func (s *Service) ConnectedAt(userID int64, gen uint64) {
	if t := s.tableOf(userID); t != nil && s.fresh(userID, gen) {
		s.presence(t, userID, true)
	}
}

// DisconnectedAt is Disconnected for the connection numbered gen.
func (s *Service) DisconnectedAt(userID int64, gen uint64) {
	if !s.fresh(userID, gen) {
		return
	}
	if s.queue != nil {
		_ = s.queue.Cancel(context.Background(), userID)
	}
	if t := s.tableOf(userID); t != nil {
		s.presence(t, userID, false)
	}
}

// fresh records gen as the newest connection of userID heard of, false
// when a newer one was.
func (s *Service) fresh(userID int64, gen uint64) bool {
	if gen == 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUser[userID] == nil {
		return true // remembered only while seated: release forgets it
	}
	if gen < s.gens[userID] {
		return false
	}
	s.gens[userID] = gen
	return true
}

func (s *Service) presence(t *table, userID int64, online bool) {
	r := s.roomOf(t)
	if r == nil {
		return
	}
	if err := r.Presence(userID, online); err != nil && !errors.Is(err, room.ErrClosed) {
		s.log.Warn("presence", "player_id", userID, "err", err)
	}
}

// roomOf is the room that runs t (set once by room.New through Start).
func (s *Service) roomOf(t *table) *room.Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.room
}

// Do hands a table request of userID to their table.
func (s *Service) Do(ctx context.Context, userID int64, msg any) (v any, err error) {
	if observe.Tracing() {
		var span trace.Span
		ctx, span = ddzTracer().Start(ctx, actionName(msg), trace.WithAttributes(attribute.Int64("lordgame.user_id", userID)))
		defer func() { observe.SpanError(span, err); span.End() }()
		msg = tracedMsg{ctx, msg}
	}
	return s.do(ctx, userID, msg)
}

func (s *Service) do(ctx context.Context, userID int64, msg any) (any, error) {
	t := s.tableOf(userID)
	if t == nil {
		return nil, ErrNotAtTable
	}
	r := s.roomOf(t)
	if r == nil {
		return nil, status.New(status.Unavailable, "the table is starting; try again")
	}
	seat := r.Seat(userID)
	v, err := r.Do(ctx, seat, msg)
	switch {
	case errors.Is(err, room.ErrClosed):
		return nil, status.RuleError(status.Conflict, string(ddz.GameOver), "the hand has ended")
	case errors.Is(err, room.ErrBusy):
		return nil, status.New(status.Unavailable, "the table is busy; try again")
	case errors.Is(err, room.ErrStopped), errors.Is(err, context.Canceled):
		// The node is stopping: the table goes on elsewhere.
		return nil, status.New(status.Unavailable, "the table is moving to another server: try again")
	}
	return v, err
}

// planSeats is the settlement of a finished hand for the balances and
// ratings in in: the stake rule for every seat that plays for coins (bot
// seats for the house), the rating rule for the players.
func planSeats(res ddz.Result, stake int64, payer [3]Payer, in store.PlanInput, k int) []store.SeatResult {
	var bal [3]int64
	ratings := [3]int64{store.DefaultRating, store.DefaultRating, store.DefaultRating}
	for st := range 3 {
		if payer[st] == Player {
			bal[st], ratings[st] = in.Balance[st], in.Rating[st]
		}
	}
	coins := Stakes(res.Scores, stake, payer, bal, res.Winner)
	delta := Ratings(ratings, res.Landlord, res.LandlordWon, res.Winner, k)
	var seats []store.SeatResult
	for st := range 3 {
		switch {
		case payer[st] == Player:
			seats = append(seats, store.SeatResult{Seat: st, Win: res.Scores[st] > 0, Coins: coins[st], Rating: delta[st]})
		case payer[st] == House && coins[st] != 0:
			seats = append(seats, store.SeatResult{Seat: st, Win: res.Scores[st] > 0, Coins: coins[st]})
		}
	}
	return seats
}

// payers is who plays for each seat of a game in mode: in practice
// nobody; otherwise a seat's player (on auto-play or not, the seat is
// still theirs) and the house for a bot seat.
func payers(mode match.Mode, users [3]int64) [3]Payer {
	var out [3]Payer
	if mode.Practice {
		return out
	}
	for st, u := range users {
		if u > 0 {
			out[st] = Player
		} else {
			out[st] = House
		}
	}
	return out
}

// settled is what a settlement hands back to the table's pushes.
type settled struct {
	wire    *pb.DdzResult
	balance [3]int64
	rating  [3]int64
}

// settle applies the stake rule and the rating rule to a finished hand and
// records it in one store transaction (idempotent per game and seat).
func (s *Service) settle(ctx context.Context, gameID, epoch int64, mode match.Mode, users [3]int64, res ddz.Result) (out settled, err error) {
	if observe.Tracing() {
		var span trace.Span
		ctx, span = ddzTracer().Start(ctx, "ddz settle", trace.WithAttributes(attribute.Int64("lordgame.room_id", gameID),
			attribute.String("lordgame.mode", mode.Name), attribute.Bool("lordgame.cancelled", res.Cancelled)))
		defer func() { observe.SpanError(span, err); span.End() }()
	}
	return s.settleHand(ctx, gameID, epoch, mode, users, res)
}

func (s *Service) settleHand(ctx context.Context, gameID, epoch int64, mode match.Mode, users [3]int64, res ddz.Result) (settled, error) {
	var coins, rating [3]int64
	gid := formatID(gameID)
	if res.Cancelled {
		out := settled{wire: wireResult(gid, res, coins, rating)}
		err := s.st.CancelGameFenced(ctx, gameID, epoch)
		if err == nil {
			s.metrics.HandEnded(mode.Name, true)
		}
		return out, err
	}
	payer := payers(mode, users)
	sm := store.Settlement{GameID: gameID, LandlordSeat: res.Landlord, Multiplier: int64(res.Multiplier),
		Spring: res.Spring || res.AntiSpring, Detail: mustJSON(res)}
	// Stakes, caps and rating changes are computed inside the settlement
	// transaction from the balances and ratings read there.
	k := s.cfg.RatingK
	sm.Plan = func(in store.PlanInput) []store.SeatResult {
		return planSeats(res, mode.Stake, payer, in, k)
	}
	var out settled
	var got store.Settlement
	err := s.appender.do(ctx, func(ctx context.Context) error {
		var err error
		got, err = s.st.SettleGame(ctx, sm)
		return err
	})
	// A fenced node lost the table to a newer owner, which settles it:
	// not a failure, and not this node's hand.
	if !errors.Is(err, store.ErrFenced) {
		s.metrics.Settled(err)
		if err == nil {
			s.metrics.HandEnded(mode.Name, false)
		}
	}
	if err != nil {
		out.wire = wireResult(gid, res, [3]int64{}, [3]int64{})
		return out, err
	}
	var done [3]bool
	for _, sr := range got.Seats {
		coins[sr.Seat], rating[sr.Seat] = sr.Applied, sr.Rating
		if payer[sr.Seat] == Player {
			out.balance[sr.Seat], out.rating[sr.Seat] = sr.BalanceAfter, sr.RatingAfter
			done[sr.Seat] = true
		}
	}
	// A player the settlement did not touch (practice) still learns their
	// balance and rating, unchanged.
	for st, u := range users {
		if u > 0 && !done[st] {
			if b, err := s.st.Balance(ctx, u); err == nil {
				out.balance[st] = b
			}
			if stats, err := s.st.Stats(ctx, u); err == nil {
				out.rating[st] = stats.Rating
			}
		}
	}
	s.rank(got, users, payer)
	out.wire = wireResult(gid, res, coins, rating)
	return out, nil
}
