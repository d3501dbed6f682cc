package ddz

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

type nopPush struct{}

func (nopPush) PushUser(int64, string, proto.Message) error { return nil }

type counter struct{ n atomic.Int64 }

func (c *counter) Next() (int64, error) { return c.n.Add(1), nil }

// writeGame stores a game and its log: the whole hand when finish is set,
// else only the deal and the first bid.
func writeGame(t *testing.T, db *store.DB, id, seed int64, users [3]int64, finish bool) ddz.Result {
	t.Helper()
	ctx := t.Context()
	ng := store.NewGame{ID: id, Mode: "classic", Seed: seed}
	for s, u := range users {
		ng.Players = append(ng.Players, store.Player{Seat: s, UserID: u})
	}
	if err := db.CreateGame(ctx, ng); err != nil {
		t.Fatal(err)
	}
	opts := ddz.DefaultOptions()
	opts.MaxRedeals = 3
	g, err := ddz.New(opts, ddz.SeedFromUint64(uint64(seed)))
	if err != nil {
		t.Fatal(err)
	}
	if finish {
		if err := bot.Run(g, [3]bot.Player{bot.NewNormal(), bot.NewNormal(), bot.NewNormal()}); err != nil {
			t.Fatal(err)
		}
	} else if _, err := g.Apply(ddz.Bid(g.Turn(), 1)); err != nil {
		t.Fatal(err)
	}
	recs := []record{{Kind: kindOptions, Options: &tableOptions{Rules: opts, Mode: "classic", Stake: 1}}}
	for _, e := range g.Events() {
		recs = append(recs, engineRecord(e))
	}
	var evs []store.Event
	for i, rc := range recs {
		ev, err := rc.storeEvent(id, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if err := db.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	res, _ := g.Result()
	return res
}

func TestRecover(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	db, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var users [3]int64
	for i := range users {
		users[i] = int64(100 + i)
		if _, err := db.CreateAccount(ctx, store.NewAccount{ID: users[i], Guest: true, DeviceID: fmt.Sprint("dev-", i), InitialCoins: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	ended := writeGame(t, db, 1, 11, users, true) // crashed between "end" and settling
	writeGame(t, db, 2, 22, [3]int64{users[0], 0, 0}, false)
	if err := db.CreateGame(ctx, store.NewGame{ID: 3, Mode: "classic", Seed: 3, Players: []store.Player{{Seat: 0, UserID: users[1]}, {Seat: 1}, {Seat: 2}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvents(ctx, []store.Event{{GameID: 3, Seq: 1, Kind: "garbage", Payload: []byte(`{"kind":"play"}`)}}); err != nil {
		t.Fatal(err)
	}

	cfg := DefaultConfig()
	cfg.Grace = time.Hour
	svc, err := New(cfg, match.DefaultConfig().Modes, db, nopPush{}, &counter{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = svc.Run(ctx) })
	resumed, settledN, cancelled, err := svc.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if resumed != 1 || settledN != 1 || cancelled != 1 {
		t.Fatalf("Recover = %d resumed, %d settled, %d cancelled; want 1, 1, 1", resumed, settledN, cancelled)
	}
	// The ended game is settled with the engine's scores.
	g1, _ := db.Game(ctx, 1)
	if g1.State != store.GameFinished {
		t.Fatalf("game 1 %s, want finished", g1.State)
	}
	for s, u := range users {
		bal, _ := db.Balance(ctx, u)
		if want := 1000 + int64(ended.Scores[s]); bal != want {
			t.Errorf("seat %d balance %d, want %d", s, bal, want)
		}
	}
	// Settling again moves nothing.
	if _, err := svc.settle(ctx, 1, 0, match.Mode{Name: "classic", Stake: 1}, users, ended); err != nil {
		t.Fatal(err)
	}
	for s, u := range users {
		if bal, _ := db.Balance(ctx, u); bal != 1000+int64(ended.Scores[s]) {
			t.Errorf("seat %d balance %d after a second settlement", s, bal)
		}
	}
	if g3, _ := db.Game(ctx, 3); g3.State != store.GameCancelled {
		t.Errorf("game with a broken log: %s, want cancelled", g3.State)
	}
	// The game in progress waits, paused, for its player.
	v, err := svc.Do(ctx, users[0], &pb.DdzStateReq{})
	if err != nil {
		t.Fatal(err)
	}
	if s := v.(*pb.DdzSnapshot); s.Phase != "paused" || s.GameId != "2" || len(s.Hand) != 17 {
		t.Errorf("restored table: phase %s game %s hand %d; want paused game 2 with 17 cards", s.Phase, s.GameId, len(s.Hand))
	}
	if _, err := svc.Do(ctx, users[0], &pb.DdzPassReq{}); err == nil || err.Error() != errPaused.Error() {
		t.Errorf("action on a paused table: %v, want game_paused", err)
	}
	// Nothing is left to recover twice.
	if games, _ := db.UnfinishedGames(ctx); len(games) != 1 || games[0].ID != 2 {
		t.Errorf("unfinished games after Recover: %v, want only game 2", games)
	}
}
