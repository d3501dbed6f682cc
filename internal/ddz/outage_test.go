package ddz_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// flakyStore is the table service's store with a switch for a database
// outage: while down, every call the tables make fails the way the store
// reports an outage (store.ErrUnavailable). loseNext makes the next log
// write commit but answer unavailable, as when a connection breaks after
// the commit.
type flakyStore struct {
	*store.DB
	down     atomic.Bool
	loseNext atomic.Bool
	// failSettles settlements fail as if the database were down.
	failSettles atomic.Int32
	settles     atomic.Int32 // settlements asked for
}

func (f *flakyStore) fail() error {
	if f.down.Load() {
		return fmt.Errorf("store: database unavailable: %w", store.ErrUnavailable)
	}
	return nil
}

func (f *flakyStore) AppendEvents(ctx context.Context, evs []store.Event) error {
	if f.loseNext.CompareAndSwap(true, false) {
		if err := f.DB.AppendEvents(ctx, evs); err != nil {
			return err
		}
		return fmt.Errorf("store: connection reset after commit: %w", store.ErrUnavailable)
	}
	if err := f.fail(); err != nil {
		return err
	}
	return f.DB.AppendEvents(ctx, evs)
}

func (f *flakyStore) CreateGame(ctx context.Context, g store.NewGame) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.DB.CreateGame(ctx, g)
}

func (f *flakyStore) Events(ctx context.Context, id int64) ([]store.Event, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.DB.Events(ctx, id)
}

func (f *flakyStore) CancelGameFenced(ctx context.Context, id, epoch int64) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.DB.CancelGameFenced(ctx, id, epoch)
}

func (f *flakyStore) SettleGame(ctx context.Context, s store.Settlement) (store.Settlement, error) {
	f.settles.Add(1)
	if f.failSettles.Add(-1) >= 0 {
		return store.Settlement{}, fmt.Errorf("store: settle game: %w", store.ErrUnavailable)
	}
	if err := f.fail(); err != nil {
		return store.Settlement{}, err
	}
	return f.DB.SettleGame(ctx, s)
}

func (f *flakyStore) Balance(ctx context.Context, uid int64) (int64, error) {
	if err := f.fail(); err != nil {
		return 0, err
	}
	return f.DB.Balance(ctx, uid)
}

func (f *flakyStore) Stats(ctx context.Context, uid int64) (store.Stats, error) {
	if err := f.fail(); err != nil {
		return store.Stats{}, err
	}
	return f.DB.Stats(ctx, uid)
}

// outageNode is a node whose tables use a flakyStore; turn timers are long
// enough that no timeout acts during a test.
func outageNode(t *testing.T, grace time.Duration) (*node, *flakyStore) {
	t.Helper()
	var fs *flakyStore
	n := startNodeWith(t, t.TempDir(), func(c *ddz.Config, _ *match.Config) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = time.Minute, time.Minute, time.Minute
		c.StoreGrace = grace
	}, func(db *store.DB) ddz.Store {
		fs = &flakyStore{DB: db}
		return fs
	})
	return n, fs
}

// pushes collects the ddz.event and ddz.snapshot pushes of each client.
type pushes struct {
	events [3]chan *pb.DdzEvent
	snaps  [3]chan *pb.DdzSnapshot
}

func watch(cs [3]*client.Client) *pushes {
	p := &pushes{}
	for i, c := range cs {
		p.events[i] = make(chan *pb.DdzEvent, 256)
		p.snaps[i] = make(chan *pb.DdzSnapshot, 16)
		c.On("ddz.event", func(m client.Push) {
			e := &pb.DdzEvent{}
			if m.Decode(e) == nil {
				select {
				case p.events[i] <- e:
				default:
				}
			}
		})
		c.On("ddz.snapshot", func(m client.Push) {
			s := &pb.DdzSnapshot{}
			if m.Decode(s) == nil {
				select {
				case p.snaps[i] <- s:
				default:
				}
			}
		})
	}
	return p
}

// event waits for client i's next push of kind, skipping the others.
func (p *pushes) event(t *testing.T, i int, kind string, within time.Duration) *pb.DdzEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e := <-p.events[i]:
			if e.Kind == kind {
				return e
			}
		case <-deadline:
			t.Fatalf("client %d: no %q event within %v", i, kind, within)
			return nil
		}
	}
}

func (p *pushes) snapshot(t *testing.T, i int, within time.Duration) *pb.DdzSnapshot {
	t.Helper()
	select {
	case s := <-p.snaps[i]:
		return s
	case <-time.After(within):
		t.Fatalf("client %d: no snapshot within %v", i, within)
		return nil
	}
}

// toAct is the index of the client whose seat acts first.
func toAct(t *testing.T, snaps [3]*pb.DdzSnapshot) int {
	t.Helper()
	for i, s := range snaps {
		if s.Turn == int32(s.Seat) {
			return i
		}
	}
	t.Fatal("nobody to act")
	return -1
}

func gameID(t *testing.T, s *pb.DdzSnapshot) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s.GameId, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// countKind is how many events of kind the stored log of game holds, and
// the log's last seq.
func countKind(t *testing.T, db *store.DB, game int64, kind string) (n int, last uint64) {
	t.Helper()
	evs, err := db.Events(t.Context(), game)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evs {
		if int64(i+1) != e.Seq {
			t.Fatalf("log of %d: entry %d has seq %d", game, i, e.Seq)
		}
		if e.Kind == kind {
			n++
		}
	}
	return n, uint64(len(evs))
}

// TestStoreOutagePausesAndResumes: a bid that cannot be logged answers
// unavailable and pauses the table (every seat gets a "paused" event);
// once the database answers, the bid is logged once, every seat gets a
// snapshot with it and the hand goes on. The same when the write had
// committed but its answer was lost.
func TestStoreOutagePausesAndResumes(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("committed=%v", lost), func(t *testing.T) {
			n, fs := outageNode(t, 20*time.Second)
			cs, snaps, _ := seated(t, n)
			p := watch(cs)
			a := toAct(t, snaps)
			game := gameID(t, snaps[a])
			if lost {
				fs.loseNext.Store(true)
			} else {
				fs.down.Store(true)
			}
			err := cs[a].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 1}, &pb.DdzActionResp{})
			wantRule(t, "bid with the database down", err, "unavailable", "game_stalled")
			for i := range 3 {
				e := p.event(t, i, "paused", 2*time.Second)
				if e.Reason != "store" || e.Seq != snaps[i].Seq+1 || e.GameId != snaps[i].GameId {
					t.Errorf("client %d: paused event %v, want reason store, seq %d", i, e, snaps[i].Seq+1)
				}
			}
			if !lost {
				err = cs[(a+1)%3].Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, &pb.DdzSnapshot{})
				wantRule(t, "ddz.state while paused", err, "unavailable", "game_stalled")
				err = cs[(a+1)%3].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 2}, &pb.DdzActionResp{})
				wantRule(t, "another bid while paused", err, "unavailable", "game_stalled")
				time.Sleep(700 * time.Millisecond) // a few retries fail
				if bids, _ := countKind(t, n.db, game, "bid"); bids != 0 {
					t.Fatalf("%d bids logged while the database was down", bids)
				}
				if got := n.svc.Stalled(); got != 1 {
					t.Errorf("%d tables stalled, want 1", got)
				}
				fs.down.Store(false)
			}
			var next int32
			for i := range 3 {
				s := p.snapshot(t, i, 5*time.Second)
				if s.Phase != "bidding" || s.Seq <= snaps[i].Seq || len(s.Bids) != 1 ||
					s.Bids[0].Seat != int32(snaps[a].Seat) || s.Bids[0].Value != 1 || s.Turn == int32(snaps[a].Seat) {
					t.Errorf("client %d: snapshot after the outage: phase %s seq %d bids %v turn %d", i, s.Phase, s.Seq, s.Bids, s.Turn)
				}
				next = s.Turn
			}
			if got := n.svc.Stalled(); got != 0 {
				t.Errorf("%d tables stalled after the resume, want 0", got)
			}
			bids, last := countKind(t, n.db, game, "bid")
			if bids != 1 {
				t.Errorf("log holds %d bids, want 1", bids)
			}
			for i, s := range snaps {
				if int32(s.Seat) != next {
					continue
				}
				var resp pb.DdzActionResp
				if err := cs[i].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 2}, &resp); err != nil {
					t.Fatalf("bid after the outage: %v", err)
				}
				if resp.Seq != last+1 {
					t.Errorf("bid after the outage has seq %d, want %d", resp.Seq, last+1)
				}
			}
		})
	}
}

// TestStoreOutageCancels: a table whose database stays down past the
// grace is cancelled (every seat gets a "cancel" event, reason
// store_error, and is free again); the cancel reaches the store once it
// answers, through the outbox, and no coin moved.
func TestStoreOutageCancels(t *testing.T) {
	n, fs := outageNode(t, 500*time.Millisecond)
	cs, snaps, uids := seated(t, n)
	p := watch(cs)
	a := toAct(t, snaps)
	game := gameID(t, snaps[a])
	fs.down.Store(true)
	err := cs[a].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 3}, &pb.DdzActionResp{})
	wantRule(t, "bid with the database down", err, "unavailable", "game_stalled")
	for i := range 3 {
		paused := p.event(t, i, "paused", 2*time.Second)
		e := p.event(t, i, "cancel", 5*time.Second)
		if e.Reason != "store_error" || e.Seq != paused.Seq+1 {
			t.Errorf("client %d: cancel %v, want reason store_error, seq %d", i, e, paused.Seq+1)
		}
	}
	// The players are free: the queue itself answers unavailable while the
	// database is down, not already_seated.
	err = cs[0].Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{})
	wantRule(t, "match.join with the database down", err, "unavailable", "")
	time.Sleep(1500 * time.Millisecond) // the outbox keeps trying
	if g, err := n.db.Game(t.Context(), game); err != nil || g.State != store.GameRunning {
		t.Fatalf("game while the database is down: %v %v, want still running", g.State, err)
	}
	if st, ob := n.svc.Stalled(), n.svc.OutboxWrites(); st != 0 || ob != 1 {
		t.Errorf("cancelled table while the database is down: %d stalled, %d outbox writes; want 0, 1", st, ob)
	}
	fs.down.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := n.db.Game(t.Context(), game)
		if err != nil {
			t.Fatal(err)
		}
		if g.State == store.GameCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("game %s 10 s after the database came back, want cancelled", g.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for end := time.Now().Add(time.Second); n.svc.OutboxWrites() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Errorf("%d outbox writes a second after the cancel landed", n.svc.OutboxWrites())
			break
		}
	}
	for _, u := range uids {
		if b, err := n.db.Balance(t.Context(), u); err != nil || b != 1000 {
			t.Errorf("player %d: balance %d %v, want 1000", u, b, err)
		}
	}
	if bids, _ := countKind(t, n.db, game, "bid"); bids != 0 {
		t.Errorf("log of the cancelled game holds %d bids, want 0", bids)
	}
	if err := cs[0].Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
		t.Errorf("match.join after the cancel: %v", err)
	}
}

// TestSettleOutage: a hand that ends while the database does not answer
// is settled through the outbox once it does: the player gets the result
// then, with the coins that really moved, paid once (the player's and the
// house's coins sum to what they were).
func TestSettleOutage(t *testing.T) {
	var fs *flakyStore
	n := startNodeWith(t, t.TempDir(), func(_ *ddz.Config, mc *match.Config) {
		mc.Modes[0].BotWait = 20 * time.Millisecond // bots fill the table
	}, func(db *store.DB) ddz.Store {
		fs = &flakyStore{DB: db}
		return fs
	})
	uid := n.user(t, 1000)
	c := n.dial(t, uid)
	house, err := n.db.HouseBalance(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fs.failSettles.Store(3)
	res, seats := playVsBots(t, n, c, 1)
	if got := fs.settles.Load(); got < 4 {
		t.Errorf("%d settlement attempts, want at least 4 (3 failed)", got)
	}
	r, seat := res[0], seats[0]
	id := gameID(t, &pb.DdzSnapshot{GameId: r.GameId})
	rec, err := n.db.Game(t.Context(), id)
	if err != nil || rec.State != store.GameFinished {
		t.Fatalf("game after the outage: %v %v, want finished", rec.State, err)
	}
	bal, err := n.db.Balance(t.Context(), uid)
	if err != nil {
		t.Fatal(err)
	}
	if bal != 1000+r.Coins[seat] || r.BalanceAfter != bal {
		t.Errorf("balance %d, result says %d coins and balance %d (from 1000)", bal, r.Coins[seat], r.BalanceAfter)
	}
	after, err := n.db.HouseBalance(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if (bal-1000)+(after-house) != 0 {
		t.Errorf("coins not conserved: player %+d, house %+d", bal-1000, after-house)
	}
}

// TestSQLiteLocked: the real SQLite file locked by another process (BEGIN
// EXCLUSIVE) under a running table: the bid that cannot be written
// answers unavailable (after the busy timeout), the seats are told the
// table is paused, and once the lock is gone the table resumes with the
// bid logged once.
func TestSQLiteLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for SQLite's busy timeout")
	}
	dir := t.TempDir()
	n := startNode(t, dir, func(c *ddz.Config, _ *match.Config) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = time.Minute, time.Minute, time.Minute
	})
	cs, snaps, _ := seated(t, n)
	p := watch(cs)
	a := toAct(t, snaps)
	game := gameID(t, snaps[a])

	locker, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	unlock := func() {
		if locked {
			locked = false
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Error(err)
			}
		}
	}
	defer unlock()

	err = cs[a].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 2}, &pb.DdzActionResp{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "unavailable" {
		t.Fatalf("bid with the file locked: %v, want unavailable", err)
	}
	for i := range 3 {
		if e := p.event(t, i, "paused", 15*time.Second); e.Reason != "store" {
			t.Errorf("client %d: paused event %v, want reason store", i, e)
		}
	}
	unlock()
	for i := range 3 {
		s := p.snapshot(t, i, 10*time.Second)
		if len(s.Bids) != 1 || s.Bids[0].Value != 2 {
			t.Errorf("client %d after the lock: bids %v, want the bid of 2", i, s.Bids)
		}
	}
	if bids, _ := countKind(t, n.db, game, "bid"); bids != 1 {
		t.Errorf("log holds %d bids, want 1", bids)
	}
}
