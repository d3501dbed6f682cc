package ddz

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// memStore is an in-memory Store, so that tables can run inside a
// synctest bubble with fake time.
type memStore struct {
	mu     sync.Mutex
	games  map[int64]*store.GameRecord
	events map[int64][]store.Event
}

func newMemStore() *memStore {
	return &memStore{games: map[int64]*store.GameRecord{}, events: map[int64][]store.Event{}}
}

func (m *memStore) CreateGame(_ context.Context, g store.NewGame) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.games[g.ID] = &store.GameRecord{ID: g.ID, Mode: g.Mode, Seed: g.Seed, State: store.GameRunning, Players: g.Players}
	return nil
}

func (m *memStore) AppendEvents(_ context.Context, evs []store.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range evs {
		m.events[e.GameID] = append(m.events[e.GameID], e)
	}
	return nil
}

func (m *memStore) Events(_ context.Context, id int64) ([]store.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.Event(nil), m.events[id]...), nil
}

func (m *memStore) UnfinishedGames(context.Context) ([]store.GameRecord, error) { return nil, nil }

func (m *memStore) CancelGame(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.games[id].State = store.GameCancelled
	return nil
}

func (m *memStore) CancelGameFenced(ctx context.Context, id, _ int64) error {
	return m.CancelGame(ctx, id)
}

func (m *memStore) TakeGame(context.Context, int64) (int64, error) { return 1, nil }

func (m *memStore) SettleGame(_ context.Context, s store.Settlement) (store.Settlement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.games[s.GameID].State = store.GameFinished
	if s.Plan != nil {
		var in store.PlanInput
		for _, p := range m.games[s.GameID].Players {
			in.Users[p.Seat] = p.UserID
		}
		for st := range 3 {
			in.Balance[st], in.Rating[st] = 1000, store.DefaultRating
		}
		s.Seats = s.Plan(in)
	}
	m.games[s.GameID].Settlement = &s
	return s, nil
}

func (m *memStore) Game(_ context.Context, id int64) (store.GameRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *m.games[id], nil
}

func (m *memStore) Stats(_ context.Context, uid int64) (store.Stats, error) {
	return store.Stats{UserID: uid, Rating: store.DefaultRating}, nil
}

func (m *memStore) Balance(context.Context, int64) (int64, error) { return 1000, nil }

func (m *memStore) Account(_ context.Context, id int64) (store.Account, error) {
	return store.Account{ID: id, DisplayName: fmt.Sprint("p", id)}, nil
}

// eventLog records the ddz.event pushes user 1 receives, with fake times.
type eventLog struct {
	mu    sync.Mutex
	start time.Time
	got   []string
	snap  *pb.DdzSnapshot
}

func (l *eventLog) PushUser(uid int64, route string, msg proto.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if uid != 1 {
		return nil
	}
	switch m := msg.(type) {
	case *pb.DdzEvent:
		line := fmt.Sprintf("%v %s %d %d", time.Since(l.start), m.Kind, m.Seat, m.Value)
		if len(m.Cards) > 0 && m.Kind == "play" {
			line += fmt.Sprint(" ", m.Cards)
		}
		l.got = append(l.got, line)
	case *pb.DdzSnapshot:
		if l.snap == nil {
			l.snap = m
		}
	}
	return nil
}

// TestTimersAndAutoplay runs an idle table on fake time: every seat times
// out at the spec's 15 s bid timer, goes to auto-play after two timeouts
// in a row, is then played for after the 1 s auto-play delay, and the
// hand is cancelled after three all-pass deals.
func TestTimersAndAutoplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		_, log := classicTable(ctx, t)
		log.mu.Lock()
		snap := log.snap
		log.mu.Unlock()
		if snap == nil || snap.TimeLeftMs != 15000 || snap.Turn < 0 {
			t.Fatalf("first snapshot %v, want a 15 s bid timer", snap)
		}
		first := snap.Turn
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		log.mu.Lock()
		defer log.mu.Unlock()
		s := func(k int32) int32 { return (first + k) % 3 }
		want := []string{
			// deal 1: three timeouts of 15 s, all pass, redeal
			fmt.Sprintf("15s timeout %d 0", s(0)), fmt.Sprintf("15s bid %d 0", s(0)),
			fmt.Sprintf("30s timeout %d 0", s(1)), fmt.Sprintf("30s bid %d 0", s(1)),
			fmt.Sprintf("45s timeout %d 0", s(2)), fmt.Sprintf("45s bid %d 0", s(2)),
			fmt.Sprintf("45s redeal %d 1", s(0)), fmt.Sprintf("45s deal %d 2", s(1)),
			// deal 2: second timeouts switch each seat to auto-play
			fmt.Sprintf("1m0s timeout %d 0", s(1)), fmt.Sprintf("1m0s bid %d 0", s(1)), fmt.Sprintf("1m0s autoplay %d 1", s(1)),
			fmt.Sprintf("1m15s timeout %d 0", s(2)), fmt.Sprintf("1m15s bid %d 0", s(2)), fmt.Sprintf("1m15s autoplay %d 1", s(2)),
			fmt.Sprintf("1m30s timeout %d 0", s(0)), fmt.Sprintf("1m30s bid %d 0", s(0)), fmt.Sprintf("1m30s autoplay %d 1", s(0)),
			fmt.Sprintf("1m30s redeal %d 2", s(1)), fmt.Sprintf("1m30s deal %d 3", s(2)),
			// deal 3: auto-play acts after 1 s; the third all-pass deal ends the hand
			fmt.Sprintf("1m31s bid %d 0", s(2)), fmt.Sprintf("1m32s bid %d 0", s(0)), fmt.Sprintf("1m33s bid %d 0", s(1)),
			fmt.Sprintf("1m33s redeal %d 3", s(2)), fmt.Sprintf("1m33s end -1 0"),
		}
		if fmt.Sprint(log.got) != fmt.Sprint(want) {
			t.Errorf("events:\n got %q\nwant %q", log.got, want)
		}
	})
}

// TestLeadAndFollowTimers checks the 30 s lead and 20 s follow timers and
// the default actions: the lowest single when leading, a pass when
// following; and that a player's own action resets the timeout count.
func TestLeadAndFollowTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		svc, log := classicTable(ctx, t)
		log.mu.Lock()
		first := log.snap.Turn
		seats := log.snap.Seats
		log.mu.Unlock()
		uid := func(seat int32) int64 {
			var id int64
			fmt.Sscan(seats[seat].UserId, &id)
			return id
		}
		if _, err := svc.Do(ctx, uid(first), &pb.DdzBidReq{Value: 3}); err != nil {
			t.Fatal(err)
		}
		v, _ := svc.Do(ctx, uid(first), &pb.DdzStateReq{})
		lowest := v.(*pb.DdzSnapshot).Hand[0]
		if tl := v.(*pb.DdzSnapshot).TimeLeftMs; tl != 30000 {
			t.Errorf("lead timer %d ms, want 30000", tl)
		}
		time.Sleep(30*time.Second + 20*time.Second + time.Millisecond)
		synctest.Wait()
		log.mu.Lock()
		defer log.mu.Unlock()
		got := log.got[len(log.got)-4:]
		want := []string{
			fmt.Sprintf("30s timeout %d 0", first), fmt.Sprintf("30s play %d 0 [%s]", first, lowest),
			fmt.Sprintf("50s timeout %d 0", (first+1)%3), fmt.Sprintf("50s pass %d 0", (first+1)%3),
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events %q, want %q", got, want)
		}
	})
}

// TestOtherSeatsKeepTheClock checks that another seat dropping does not
// restart the timer of the seat to act, and that the dropped seat is then
// played for at once when its turn comes (auto-play, spec §11.4).
func TestOtherSeatsKeepTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		svc, log := classicTable(ctx, t)
		log.mu.Lock()
		first := log.snap.Turn
		var next int64
		fmt.Sscan(log.snap.Seats[(first+1)%3].UserId, &next)
		log.mu.Unlock()
		time.Sleep(10 * time.Second)
		svc.Disconnected(next)
		time.Sleep(6 * time.Second)
		synctest.Wait()
		log.mu.Lock()
		defer log.mu.Unlock()
		n := (first + 1) % 3
		want := []string{
			fmt.Sprintf("10s online %d 0", n), fmt.Sprintf("10s autoplay %d 1", n),
			fmt.Sprintf("15s timeout %d 0", first), fmt.Sprintf("15s bid %d 0", first),
			fmt.Sprintf("16s bid %d 0", n),
		}
		if fmt.Sprint(log.got) != fmt.Sprint(want) {
			t.Errorf("events:\n got %q\nwant %q", log.got, want)
		}
	})
}

// TestStaleMove: a move that names the seq it was made at is refused with
// conflict/stale_state when a move came after it (here the landlord's own
// timer played for them), or when the seq is ahead of the table, and
// changes nothing; events that do not change the game (a seat going
// offline and onto auto-play) leave it fresh; seq 0 is not checked.
func TestStaleMove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		svc, log := classicTable(ctx, t)
		log.mu.Lock()
		first, seats, seq0 := log.snap.Turn, log.snap.Seats, log.snap.Seq
		log.mu.Unlock()
		uid := func(seat int32) int64 {
			var id int64
			fmt.Sscan(seats[seat].UserId, &id)
			return id
		}
		state := func(seat int32) *pb.DdzSnapshot {
			v, err := svc.Do(ctx, uid(seat), &pb.DdzStateReq{})
			if err != nil {
				t.Fatal(err)
			}
			return v.(*pb.DdzSnapshot)
		}
		wantStale := func(what string, err error) {
			t.Helper()
			if se := status.From(err); err == nil || se.Code != status.Conflict || se.Rule != "stale_state" {
				t.Errorf("%s: err = %v, want conflict (stale_state)", what, err)
			}
		}
		// Ahead of the table: refused.
		_, err := svc.Do(ctx, uid(first), &pb.DdzBidReq{Value: 3, Seq: seq0 + 5})
		wantStale("bid ahead of the table", err)
		// The third seat goes offline: online and autoplay events follow
		// seq0, which stays fresh for the first seat's bid.
		third := (first + 2) % 3
		svc.Disconnected(uid(third))
		synctest.Wait()
		if s := state(first).Seq; s != seq0+2 {
			t.Fatalf("after the disconnect seq %d, want %d", s, seq0+2)
		}
		resp, err := svc.Do(ctx, uid(first), &pb.DdzBidReq{Value: 3, Seq: seq0})
		if err != nil {
			t.Fatalf("bid at seq %d after non-game events: %v", seq0, err)
		}
		atBid := resp.(*pb.DdzActionResp).Seq
		// The landlord's lead timer plays for them; the next seat's pass
		// made at the bid's seq is stale and changes nothing.
		time.Sleep(30*time.Second + time.Millisecond)
		synctest.Wait()
		next := (first + 1) % 3
		before := state(next)
		if before.Turn != next || before.Seq <= atBid {
			t.Fatalf("after the lead timer: turn %d seq %d, want turn %d after seq %d", before.Turn, before.Seq, next, atBid)
		}
		_, err = svc.Do(ctx, uid(next), &pb.DdzPassReq{Seq: atBid})
		wantStale("pass made before the timer's play", err)
		if after := state(next); after.Seq != before.Seq || after.Turn != next {
			t.Errorf("a stale pass changed the table: seq %d turn %d, was %d %d", after.Seq, after.Turn, before.Seq, before.Turn)
		}
		// At the current seq, and with no seq, the moves go through.
		if _, err := svc.Do(ctx, uid(next), &pb.DdzPassReq{Seq: before.Seq}); err != nil {
			t.Errorf("pass at the current seq: %v", err)
		}
		if _, err := svc.Do(ctx, uid(third), &pb.DdzPassReq{}); err != nil {
			t.Errorf("pass without a seq: %v", err)
		}
	})
}

// classicTable starts a service on the memory store inside the caller's
// synctest bubble and seats users 1, 2 and 3 at a classic table; log
// hears every push.
func classicTable(ctx context.Context, t *testing.T) (*Service, *eventLog) {
	t.Helper()
	log := &eventLog{start: time.Now()}
	svc, err := New(DefaultConfig(), match.DefaultConfig().Modes, newMemStore(), log, &counter{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = svc.Run(ctx) }()
	mode, _ := match.DefaultConfig().Mode("classic")
	svc.Formed(ctx, match.Match{Mode: mode, Tickets: []match.Ticket{{UserID: 1}, {UserID: 2}, {UserID: 3}}})
	synctest.Wait()
	return svc, log
}
