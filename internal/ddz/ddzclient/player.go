// Package ddzclient plays Dou Dizhu through the real protocol: a Go client
// connection driven by one of the engine's bots. Tests, the crash-restart
// test and lordbench use it as a headless player; it checks on the way
// what a player may see (own hand only, gap-free events, zero-sum
// results).
//
// Concurrency: pushes arrive on the client's reader goroutine and are
// queued; Play runs the game on the caller's goroutine.
package ddzclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz"
	engine "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Player is one headless player on a connection.
type Player struct {
	C *client.Client
	// Think is the mean time the player waits before each action (drawn
	// uniformly from half to one and a half times it).
	Think time.Duration
	// Stake is the mode's coins per point, for the stake-rule check.
	Stake int64
	// Latency receives the time from sending an action to receiving its
	// ddz.event push (may be nil).
	Latency func(time.Duration)
	// OnViolation, when set, hears each violation as it is found (on the
	// goroutine that found it).
	OnViolation func(string)

	bot    bot.Player
	pushes chan push
	track  tracker // used only by Play's goroutine
	// Requests counts ddz.state round trips (the tracker saves most).
	States int

	mu        sync.Mutex
	sentAt    time.Time // a pending action, zero when none
	seat      int32
	gameID    string
	violation []string
	events    int
	// The house rules of the table (from its snapshots), and the seq of
	// the landlord's show (0 before it), for the show-hand checks.
	house     map[string]bool
	houseGame string
	shownAt   uint64
	// seenGame and seenSeat are the game and seat of the newest snapshot
	// pushed, noted by the reader goroutine (guarded by mu).
	seenGame string
	seenSeat int32
}

type push struct {
	route string
	snap  *pb.DdzSnapshot
	ev    *pb.DdzEvent
	res   *pb.DdzResult
	st    *pb.MatchStatus
	// conn is the client's connection count when the push arrived: pushes
	// of a later connection may follow a gap (those sent while it was away).
	conn uint64
}

// New attaches a player to a connected client. Call it before joining.
func New(c *client.Client, think time.Duration) *Player {
	p := &Player{C: c, Think: think, bot: bot.NewNormal(), pushes: make(chan push, 1024), seat: -1}
	c.On("ddz.snapshot", func(m client.Push) { p.deliver(m, push{route: m.Route, snap: &pb.DdzSnapshot{}}) })
	c.On("ddz.event", func(m client.Push) { p.deliver(m, push{route: m.Route, ev: &pb.DdzEvent{}}) })
	c.On("ddz.result", func(m client.Push) { p.deliver(m, push{route: m.Route, res: &pb.DdzResult{}}) })
	c.On("match.status", func(m client.Push) { p.deliver(m, push{route: m.Route, st: &pb.MatchStatus{}}) })
	return p
}

func (p *Player) deliver(m client.Push, x push) {
	x.conn = p.C.Connections()
	var err error
	switch {
	case x.snap != nil:
		err = m.Decode(x.snap)
		p.noteHouse(x.snap)
	case x.ev != nil:
		err = m.Decode(x.ev)
		p.observe(x.ev)
	case x.res != nil:
		err = m.Decode(x.res)
	case x.st != nil:
		err = m.Decode(x.st)
	}
	if err != nil {
		p.violate("undecodable %s push: %v", m.Route, err)
		return
	}
	select {
	case p.pushes <- x:
	default:
		p.violate("push queue overflow")
	}
}

// observe runs on the reader goroutine: it times the player's pending
// action and checks that pushed hands are the player's own.
func (p *Player) observe(ev *pb.DdzEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events++
	if !p.sentAt.IsZero() && ev.Seat == p.seat {
		switch ev.Kind {
		case "bid", "play", "pass", "double", "show":
			if p.Latency != nil {
				p.Latency(time.Since(p.sentAt))
			}
			p.sentAt = time.Time{}
		}
	}
	// The landlord's event brings the landlord its hand with the bottom
	// cards. The seat is the one of the game's snapshot, noted on this
	// goroutine in push order (the Play loop may take the snapshot later:
	// its seat can still be the last game's).
	if len(ev.Hand) > 0 && ev.Kind != "deal" && !(ev.Kind == "landlord" && (ev.GameId == p.seenGame && ev.Seat == p.seenSeat || ev.GameId == p.gameID && ev.Seat == p.seat)) {
		p.violation = append(p.violation, fmt.Sprintf("event %s of seat %d carried a hand (this player sits at seat %d of game %s)", ev.Kind, ev.Seat, p.seenSeat, p.seenGame))
	}
	// Another seat's cards only under show-hand, after the landlord's show.
	if ev.Kind == "show" {
		if !p.house["show_hand"] {
			p.violation = append(p.violation, fmt.Sprintf("seq %d: a show event at a table without show-hand", ev.Seq))
		}
		p.shownAt = ev.Seq
	}
	if len(ev.ShownFaces) > 0 && (!p.house["show_hand"] || p.shownAt == 0 || ev.Seq < p.shownAt) {
		p.violation = append(p.violation, fmt.Sprintf("seq %d: event %s revealed a hand before any show", ev.Seq, ev.Kind))
	}
	if len(ev.Counter) > 0 && !p.house["card_counter"] {
		p.violation = append(p.violation, fmt.Sprintf("seq %d: a card counter at a table without one", ev.Seq))
	}
}

// noteHouse remembers the house rules of the snapshot's table, on the
// reader goroutine before the events that follow the snapshot.
func (p *Player) noteHouse(s *pb.DdzSnapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.GameId != p.houseGame {
		p.houseGame, p.shownAt = s.GameId, 0
	}
	p.seenGame, p.seenSeat = s.GameId, int32(s.Seat)
	p.house = map[string]bool{}
	for _, h := range s.HouseRules {
		p.house[h] = true
	}
	if s.Shown && p.shownAt == 0 {
		p.shownAt = 1 // shown before this snapshot
	}
}

func (p *Player) violate(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	p.mu.Lock()
	p.violation = append(p.violation, v)
	p.mu.Unlock()
	if p.OnViolation != nil {
		p.OnViolation(v)
	}
}

// Peek returns the violations seen so far without clearing them.
func (p *Player) Peek() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.violation...)
}

// Violations returns and clears the invariant violations seen so far.
func (p *Player) Violations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.violation
	p.violation = nil
	return v
}

// Join queues in mode.
func (p *Player) Join(ctx context.Context, mode string) error {
	return p.C.Request(ctx, "match.join", &pb.MatchJoinReq{Mode: mode}, &pb.MatchJoinResp{})
}

// ErrCancelled is returned by Play when the game was cancelled.
var ErrCancelled = errors.New("ddzclient: game cancelled")

// Play plays until the current (or next) game ends and returns its
// result, as this player saw it.
func (p *Player) Play(ctx context.Context) (*pb.DdzResult, error) {
	var last uint64 // seq of the newest event seen
	acted := uint64(0)
	turn := int32(-1)
	// recent holds the latest events, of any game: an answer to ddz.state
	// is taken when the request is handled, and events that happen after
	// it may arrive before it. A snapshot is followed by the events it
	// does not hold yet. early is a result that came before any snapshot
	// told the player its game.
	var recent []*pb.DdzEvent
	var early *pb.DdzResult
	var conn uint64 // the connection of the newest push taken in
	for {
		var x push
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case x = <-p.pushes:
		}
		switch {
		case x.snap != nil:
			p.mu.Lock()
			p.seat, p.gameID = int32(x.snap.Seat), x.snap.GameId
			p.mu.Unlock()
			p.checkSnapshot(x.snap)
			p.track.reset(x.snap)
			conn = max(conn, x.conn)
			last, turn = x.snap.Seq, x.snap.Turn
			slices.SortFunc(recent, func(a, b *pb.DdzEvent) int { return cmp.Compare(a.Seq, b.Seq) })
			for _, ev := range recent {
				if ev.GameId == x.snap.GameId && ev.Seq == last+1 {
					if ev.Kind == "cancel" {
						return nil, ErrCancelled
					}
					p.track.apply(ev)
					last, turn = ev.Seq, ev.Turn
				}
			}
			if early != nil && early.GameId == x.snap.GameId {
				p.checkResult(early)
				return early, nil
			}
		case x.ev != nil:
			if len(recent) == 256 { // keep the newest half
				recent = append(recent[:0], recent[128:]...)
			}
			recent = append(recent, x.ev)
			if x.ev.GameId != p.game() {
				break
			}
			if x.ev.Kind == "cancel" {
				return nil, ErrCancelled
			}
			// Events are complete while connected; after a reconnect the
			// ones sent meanwhile are missing until the next snapshot.
			if last != 0 && x.ev.Seq != last+1 && x.ev.Seq > last && x.conn == conn {
				p.violate("event seq %d after %d", x.ev.Seq, last)
			}
			conn = max(conn, x.conn)
			if x.ev.Seq > last { // an event the snapshot already holds changes nothing
				p.track.apply(x.ev)
				last, turn = x.ev.Seq, x.ev.Turn
			}
		case x.res != nil && x.res.GameId == p.game():
			p.checkResult(x.res)
			return x.res, nil
		case x.res != nil && p.game() == "":
			early = x.res
		}
		// Checked after every push, also one that changed nothing (another
		// game's, a match status): when it was the last one queued, the
		// player must act now, as nothing more will come until it does.
		if turn == p.mySeat() && last > acted && len(p.pushes) == 0 {
			seq, err := p.act(ctx)
			if err != nil {
				return nil, err
			}
			acted = max(seq, acted)
		}
	}
}

func (p *Player) game() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gameID
}

func (p *Player) mySeat() int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seat
}

// act thinks, fetches the table, and makes the bot's move. It returns the
// seq of the state it acted on: later events that give the turn back (the
// landlord leading right after winning the bid) make it act again.
func (p *Player) act(ctx context.Context) (uint64, error) {
	if p.Think > 0 {
		// Uniform in [Think/2, 3·Think/2): the mean is Think, and many
		// players matched in the same instant do not act in lockstep.
		d := p.Think/2 + time.Duration(rand.Int64N(int64(p.Think)))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	v, ok := p.track.view()
	seq := p.track.seq
	if ok && v.Phase == engine.PhasePlaying && !v.Leading && v.CurrentSeat < 0 {
		p.violate("tracked view at seq %d follows no play", seq)
		ok = false
	}
	if !ok || v.Turn != v.Seat || v.Phase == engine.PhaseOver {
		var err error
		if v, seq, err = p.state(ctx); err != nil || v.Turn != v.Seat || v.Phase == engine.PhaseOver {
			return seq, err
		}
	}
	err := p.move(ctx, &v, seq)
	var ce *client.Error
	if errors.As(err, &ce) && ce.Code == "bad_request" && ok {
		// The tracked view was wrong: start over from the server's, and
		// say how the two differ.
		tracked, tseq := v.HandFaces, seq
		if v, seq, err = p.state(ctx); err != nil || v.Turn != v.Seat || v.Phase == engine.PhaseOver {
			p.violate("tracked view refused: %v (tracked hand at seq %d: %v)", ce, tseq, tracked)
			return seq, err
		}
		p.violate("tracked view refused: %v (tracked hand at seq %d: %v; the server's at seq %d: %v)", ce, tseq, tracked, seq, v.HandFaces)
		err = p.move(ctx, &v, seq)
	}
	return seq, ignoreRace(err)
}

// state fetches the table with ddz.state and resets the tracker from it.
func (p *Player) state(ctx context.Context) (engine.View, uint64, error) {
	p.States++
	snap := &pb.DdzSnapshot{}
	if err := p.C.Request(ctx, "ddz.state", &pb.DdzStateReq{}, snap); err != nil {
		return engine.View{Turn: -1}, 0, ignoreRace(err)
	}
	if snap.GameId != p.game() {
		return engine.View{Turn: -1}, 0, nil
	}
	p.noteHouse(snap)
	p.checkSnapshot(snap)
	p.track.reset(snap)
	if snap.Phase == "paused" {
		return engine.View{Turn: -1}, snap.Seq, nil
	}
	v, err := ddz.ViewOf(snap)
	if err == nil && v.Phase == engine.PhasePlaying && !v.Leading && v.CurrentSeat < 0 {
		err = fmt.Errorf("seq %d: playing, not leading, and no current play", snap.Seq)
	}
	if err != nil {
		p.violate("snapshot: %v", err)
		return engine.View{Turn: -1}, snap.Seq, nil
	}
	return v, snap.Seq, nil
}

// move sends the bot's action for v, the table at seq: a move the table
// has moved past meanwhile is refused (stale_state) and changes nothing.
func (p *Player) move(ctx context.Context, v *engine.View, seq uint64) error {
	e := p.bot.Act(v)
	var req proto.Message = &pb.DdzPassReq{Seq: seq}
	route := "ddz.pass"
	switch e.Kind {
	case engine.KindBid:
		route, req = "ddz.bid", &pb.DdzBidReq{Value: uint32(e.Value), Seq: seq}
	case engine.KindDouble:
		route, req = "ddz.double", &pb.DdzDoubleReq{Double: e.Value == 1, Seq: seq}
	case engine.KindShow:
		route, req = "ddz.show", &pb.DdzShowReq{Seq: seq}
	case engine.KindPlay:
		if !e.Cards.IsEmpty() {
			// The bot picks ranks; the play names the physical cards held.
			faces, ok := v.HandFaces.Pick(e.Cards)
			if !ok {
				return fmt.Errorf("ddzclient: hand %v lacks the cards %v the bot chose", v.HandFaces, e.Cards)
			}
			route, req = "ddz.play", &pb.DdzPlayReq{Faces: faces.Strings(), Seq: seq}
		}
	}
	p.mu.Lock()
	p.sentAt = time.Now()
	p.mu.Unlock()
	err := p.C.Request(ctx, route, req, &pb.DdzActionResp{})
	if err != nil {
		p.mu.Lock()
		p.sentAt = time.Time{}
		p.mu.Unlock()
	}
	return err
}

// ignoreRace drops the errors a well-behaved player can get when the
// server acted for it first (auto-play, timeout), the game just ended, or
// the table paused (game_stalled: the database did not take the move; the
// snapshot that resumes the table says whether it stands).
func ignoreRace(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) {
		switch ce.Rule {
		case "not_your_turn", "game_over", "wrong_phase", "not_at_table", "game_paused", "stale_state", "game_stalled":
			return nil
		}
	}
	return err
}

// checkSnapshot checks that a snapshot shows this seat's hand and nobody
// else's cards.
func (p *Player) checkSnapshot(s *pb.DdzSnapshot) {
	if s.Phase == "starting" {
		return
	}
	others := 0
	for _, st := range s.Seats {
		if st.Seat == s.Seat && int(st.Cards) != len(s.Hand) {
			p.violate("snapshot hand has %d cards, seat shows %d", len(s.Hand), st.Cards)
		}
		if st.Seat != s.Seat {
			others += int(st.Cards)
		}
	}
	show, counter := slices.Contains(s.HouseRules, "show_hand"), slices.Contains(s.HouseRules, "card_counter")
	switch {
	case len(s.ShownFaces) > 0 && (!show || !s.Shown):
		p.violate("snapshot reveals a hand (%d cards) without a show", len(s.ShownFaces))
	case s.Shown && s.Landlord >= 0 && int(s.Landlord) < len(s.Seats) && len(s.ShownFaces) != int(s.Seats[s.Landlord].Cards):
		p.violate("snapshot shows %d cards of the landlord, who holds %d", len(s.ShownFaces), s.Seats[s.Landlord].Cards)
	case len(s.Counter) > 0 && !counter:
		p.violate("snapshot has a card counter at a table without one")
	case counter && len(s.Counter) != engine.NumRanks:
		p.violate("snapshot card counter has %d ranks", len(s.Counter))
	case counter:
		// The counter is what the others hold, plus the bottom while
		// nobody has taken it.
		n := 0
		for _, c := range s.Counter {
			n += int(c)
		}
		if s.Landlord < 0 {
			others += 3
		}
		if n != others {
			p.violate("snapshot card counter counts %d cards, the others hold %d", n, others)
		}
	}
}

// checkResult checks a result: points and coins sum to zero, no seat
// moves more coins than its points times the stake, and winners never
// lose coins.
func (p *Player) checkResult(r *pb.DdzResult) {
	if r.Cancelled {
		return
	}
	var points, coins int64
	for s := range r.Scores {
		points += r.Scores[s]
		if s < len(r.Coins) {
			c := r.Coins[s]
			coins += c
			if abs(c) > abs(r.Scores[s])*p.Stake || c*r.Scores[s] < 0 {
				p.violate("seat %d: %d coins for %d points at stake %d", s, c, r.Scores[s], p.Stake)
			}
		}
	}
	if points != 0 {
		p.violate("game %s: points sum to %d", r.GameId, points)
	}
	if coins != 0 {
		p.violate("game %s: coins sum to %d", r.GameId, coins)
	}
	if r.BalanceAfter < 0 {
		p.violate("game %s: balance %d after settlement", r.GameId, r.BalanceAfter)
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Sync fetches the table with ddz.state and queues it as if it had been
// pushed, so Play can pick up a game after a reconnect whatever pushes
// arrived before the handlers saw them.
func (p *Player) Sync(ctx context.Context) error {
	s := &pb.DdzSnapshot{}
	if err := p.C.Request(ctx, "ddz.state", &pb.DdzStateReq{}, s); err != nil {
		return err
	}
	p.noteHouse(s)
	select {
	case p.pushes <- push{route: "ddz.snapshot", snap: s, conn: p.C.Connections()}:
	default:
		p.violate("push queue overflow")
	}
	return nil
}
