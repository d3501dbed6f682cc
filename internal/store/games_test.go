package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func newGame(t *testing.T, db *store.DB, users ...int64) int64 {
	t.Helper()
	g := store.NewGame{ID: newID(), Mode: "ddz.classic", Seed: 1234}
	for i, u := range users {
		g.Players = append(g.Players, store.Player{Seat: i, UserID: u})
	}
	if err := db.CreateGame(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func TestGameLog(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		id := newGame(t, db, 1, 2, 3)
		if err := db.CreateGame(ctx, store.NewGame{ID: id, Mode: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate game: err = %v", err)
		}
		for i, kind := range []string{"deal", "bid", "play"} {
			if err := db.AppendEvent(ctx, store.Event{GameID: id, Seq: int64(i + 1), Kind: kind, Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.AppendEvent(ctx, store.Event{GameID: id, Seq: 2, Kind: "dup"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate seq: err = %v, want ErrConflict", err)
		}
		if err := db.AppendEvent(ctx, store.Event{GameID: 42, Seq: 1, Kind: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown game: err = %v, want ErrNotFound", err)
		}
		evs, err := db.Events(ctx, id)
		if err != nil || len(evs) != 3 || evs[0].Kind != "deal" || evs[2].Seq != 3 || string(evs[1].Payload) != `{"n":1}` {
			t.Fatalf("events = %+v, %v", evs, err)
		}
		id2 := newGame(t, db, 4, 5, 6)
		un, err := db.UnfinishedGames(ctx)
		if err != nil || len(un) != 2 || un[0].ID != id || len(un[0].Players) != 3 || un[0].Players[2].UserID != 3 || un[0].Seed != 1234 {
			t.Fatalf("unfinished = %+v, %v", un, err)
		}
		if err := db.CancelGame(ctx, id2); err != nil {
			t.Fatal(err)
		}
		if err := db.CancelGame(ctx, id2); err != nil {
			t.Errorf("second cancel: %v", err)
		}
		if err := db.CancelGame(ctx, 42); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cancel unknown: %v", err)
		}
		if _, err := db.SettleGame(ctx, store.Settlement{GameID: id2}); !errors.Is(err, store.ErrGameClosed) {
			t.Errorf("settle cancelled: err = %v, want ErrGameClosed", err)
		}
		if g, _ := db.Game(ctx, id2); g.State != store.GameCancelled || g.EndedAt.IsZero() {
			t.Errorf("cancelled game = %+v", g)
		}
		if un, _ := db.UnfinishedGames(ctx); len(un) != 1 {
			t.Errorf("unfinished after cancel = %d, want 1", len(un))
		}
	})
}

func TestSettleGame(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l := mustAccount(t, db, "lord", 1000)
		f1 := mustAccount(t, db, "farmer1", 1000)
		f2 := mustAccount(t, db, "farmer2", 50)
		id := newGame(t, db, f1.ID, l.ID, f2.ID, 0) // seat 3 is a bot
		s := store.Settlement{GameID: id, LandlordSeat: 1, Multiplier: 8, Spring: true, Detail: json.RawMessage(`{"bids":[3]}`),
			Seats: []store.SeatResult{
				{Seat: 0, Win: false, Coins: -200, Rating: -10},
				{Seat: 1, Win: true, Coins: 400, Rating: 20},
				{Seat: 2, Win: false, Coins: -200, Rating: -10}, // only 50 to lose
				{Seat: 3, Win: false, Coins: -200},
			}}
		var wg sync.WaitGroup
		results := make([]store.Settlement, 4)
		for i := range results {
			wg.Go(func() {
				var err error
				if results[i], err = db.SettleGame(ctx, s); err != nil {
					t.Errorf("settle %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		firsts := 0
		for _, r := range results {
			if !r.Replayed {
				firsts++
			}
			if len(r.Seats) != 4 || r.Seats[2].Applied != -50 || r.Seats[1].BalanceAfter != 1400 || r.Seats[1].RatingAfter != store.DefaultRating+20 {
				t.Errorf("settlement result = %+v", r)
			}
		}
		if firsts != 1 {
			t.Errorf("%d settlements were first, want 1", firsts)
		}
		for _, c := range []struct {
			id   int64
			want int64
		}{{l.ID, 1400}, {f1.ID, 800}, {f2.ID, 0}} {
			if bal, _ := db.Balance(ctx, c.id); bal != c.want {
				t.Errorf("balance of %d = %d, want %d", c.id, bal, c.want)
			}
		}
		ls, _ := db.Stats(ctx, l.ID)
		if ls != (store.Stats{UserID: l.ID, Rating: 1520, Games: 1, Wins: 1, LandlordGames: 1, LandlordWins: 1, Springs: 1, BestMultiplier: 8}) {
			t.Errorf("landlord stats = %+v", ls)
		}
		fs, _ := db.Stats(ctx, f1.ID)
		if fs != (store.Stats{UserID: f1.ID, Rating: 1490, Games: 1, FarmerGames: 1}) {
			t.Errorf("farmer stats = %+v", fs)
		}
		g, err := db.Game(ctx, id)
		if err != nil || g.State != store.GameFinished || g.Settlement == nil || g.Settlement.Multiplier != 8 || len(g.Players) != 4 ||
			string(g.Settlement.Detail) != `{"bids":[3]}` || g.Settlement.Seats[0].BalanceAfter != 800 {
			t.Fatalf("finished game = %+v (%+v), %v", g, g.Settlement, err)
		}
		e, err := db.Apply(ctx, store.Entry{UserID: f1.ID, Delta: -200, Key: fmt.Sprintf("game:%d:seat:0", id)})
		if err != nil || !e.Replayed {
			t.Errorf("seat ledger key = %+v, %v; want replayed", e, err)
		}
		if err := db.CancelGame(ctx, id); !errors.Is(err, store.ErrGameClosed) {
			t.Errorf("cancel finished: err = %v, want ErrGameClosed", err)
		}
		if _, err := db.SettleGame(ctx, store.Settlement{GameID: 42}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("settle unknown: err = %v, want ErrNotFound", err)
		}
		if st, _ := db.Stats(ctx, 42); st.Rating != store.DefaultRating || st.Games != 0 {
			t.Errorf("stats of a new user = %+v", st)
		}
	})
}

// TestFencing: after a new owner takes a game, the old owner can neither
// append to its log nor cancel it; the new owner can.
func TestFencing(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		g := store.NewGame{ID: newID(), Mode: "classic", Seed: 1, Epoch: 1, Players: []store.Player{{Seat: 0, UserID: 1}}}
		if err := db.CreateGame(ctx, g); err != nil {
			t.Fatal(err)
		}
		other := newGame(t, db, 2)
		ev := func(seq, epoch int64) store.Event {
			return store.Event{GameID: g.ID, Seq: seq, Kind: "play", Epoch: epoch}
		}
		if err := db.AppendEvents(ctx, []store.Event{ev(1, 1)}); err != nil {
			t.Fatalf("append with the owner's epoch: %v", err)
		}
		epoch, err := db.TakeGame(ctx, g.ID)
		if err != nil || epoch != 2 {
			t.Fatalf("take: epoch %d, %v; want 2", epoch, err)
		}
		if err := db.AppendEvents(ctx, []store.Event{ev(2, 1), {GameID: other, Seq: 1, Kind: "x"}}); !errors.Is(err, store.ErrFenced) {
			t.Errorf("append with the old epoch: %v, want ErrFenced", err)
		}
		if evs, _ := db.Events(ctx, other); len(evs) != 0 {
			t.Errorf("a refused batch wrote %d events of another game", len(evs))
		}
		if err := db.CancelGameFenced(ctx, g.ID, 1); !errors.Is(err, store.ErrFenced) {
			t.Errorf("cancel with the old epoch: %v, want ErrFenced", err)
		}
		if err := db.AppendEvents(ctx, []store.Event{ev(2, 2)}); err != nil {
			t.Errorf("append with the new epoch: %v", err)
		}
		if err := db.CancelGameFenced(ctx, g.ID, 2); err != nil {
			t.Errorf("cancel with the new epoch: %v", err)
		}
		if _, err := db.TakeGame(ctx, g.ID); !errors.Is(err, store.ErrGameClosed) {
			t.Errorf("take of a cancelled game: %v, want ErrGameClosed", err)
		}
		if _, err := db.TakeGame(ctx, 4242); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("take of no game: %v, want ErrNotFound", err)
		}
	})
}

// TestSettleGamePlan: the plan sees balances and ratings as of inside the
// settlement transaction, so a debit made after a caller could have read
// the balance still caps the loss, and the coins of the game sum to zero.
func TestSettleGamePlan(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l := mustAccount(t, db, "planlord", 1000)
		f := mustAccount(t, db, "planfarmer", 300)
		id := newGame(t, db, l.ID, f.ID, 0) // seat 2 is a bot
		stale, _ := db.Balance(ctx, f.ID)   // what a read before the transaction saw
		if _, err := db.Apply(ctx, store.Entry{UserID: f.ID, Delta: -260, Key: "plan-test-spend", Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		calls := 0
		var seen store.PlanInput
		s := store.Settlement{GameID: id, LandlordSeat: 0, Multiplier: 2, Plan: func(in store.PlanInput) []store.SeatResult {
			calls++
			seen = in
			loss := min(int64(100), in.Balance[1])
			return []store.SeatResult{{Seat: 0, Win: true, Coins: loss, Rating: 8}, {Seat: 1, Coins: -loss, Rating: -8}}
		}}
		got, err := db.SettleGame(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if calls == 0 || seen.Users != [3]int64{l.ID, f.ID, 0} || seen.Balance != [3]int64{1000, 40, 0} ||
			seen.Rating != [3]int64{store.DefaultRating, store.DefaultRating, store.DefaultRating} {
			t.Fatalf("plan saw %+v (stale read %d), calls %d", seen, stale, calls)
		}
		if len(got.Seats) != 2 || got.Seats[0].Applied != 40 || got.Seats[1].Applied != -40 || got.Seats[0].BalanceAfter != 1040 || got.Seats[1].BalanceAfter != 0 {
			t.Fatalf("settlement = %+v", got.Seats)
		}
		again, err := db.SettleGame(ctx, s)
		if err != nil || !again.Replayed || again.Seats[0].Applied != 40 {
			t.Fatalf("replayed settlement = %+v, %v", again, err)
		}
		// A second game sees the ratings the first one wrote.
		id2 := newGame(t, db, l.ID, f.ID, 0)
		if _, err := db.SettleGame(ctx, store.Settlement{GameID: id2, LandlordSeat: 0, Plan: func(in store.PlanInput) []store.SeatResult {
			seen = in
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		if seen.Rating[0] != store.DefaultRating+8 || seen.Rating[1] != store.DefaultRating-8 || seen.Balance[0] != 1040 {
			t.Fatalf("second plan saw %+v", seen)
		}
	})
}
