package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

// TestHouse settles games with bot seats, some at once, and checks that
// the bot seats' coins land in the house, that the house balance is the
// sum of its entries, that every game's coins sum to zero with the house
// included, that every wallet is the sum of its ledger, and that a
// replayed settlement changes nothing.
func TestHouse(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if b, err := db.HouseBalance(ctx); err != nil || b != 0 {
			t.Fatalf("new house = %d, %v; want 0", b, err)
		}
		a := mustAccount(t, db, "alice", 100)
		b := mustAccount(t, db, "bob", 100)
		// Each game: the seats' users (0 = bot) and coins.
		games := []struct {
			users [3]int64
			coins [3]int64
		}{
			{[3]int64{a.ID, b.ID, 0}, [3]int64{12, -6, -6}},  // landlord +12 vs one player, one bot
			{[3]int64{a.ID, 0, 0}, [3]int64{-4, 2, 2}},       // landlord loses to two bots
			{[3]int64{0, a.ID, b.ID}, [3]int64{-24, 12, 12}}, // two farmers beat a bot landlord
			{[3]int64{b.ID, 0, a.ID}, [3]int64{8, -4, -4}},   // landlord bob
			{[3]int64{a.ID, b.ID, 0}, [3]int64{-6, 3, 3}},    // landlord alice loses
			{[3]int64{0, b.ID, a.ID}, [3]int64{16, -8, -8}},  // bot landlord wins
			{[3]int64{a.ID, 0, b.ID}, [3]int64{0, 0, 0}},     // nothing moves
			{[3]int64{b.ID, a.ID, 0}, [3]int64{-2, 1, 1}},    // landlord bob loses
			{[3]int64{0, 0, a.ID}, [3]int64{1, 1, -2}},       // a farmer... alice landlord loses
			{[3]int64{a.ID, b.ID, 0}, [3]int64{6, -3, -3}},   // the last one
		}
		var ids []int64
		var wg sync.WaitGroup
		for _, g := range games {
			id := newGame(t, db, g.users[0], g.users[1], g.users[2])
			ids = append(ids, id)
			s := store.Settlement{GameID: id, LandlordSeat: 0, Multiplier: 1}
			for st, c := range g.coins {
				s.Seats = append(s.Seats, store.SeatResult{Seat: st, Win: c > 0, Coins: c})
			}
			for range 2 { // each game settled twice at once: one applies
				wg.Go(func() {
					if _, err := db.SettleGame(ctx, s); err != nil {
						t.Errorf("settle %d: %v", id, err)
					}
				})
			}
		}
		wg.Wait()
		var wantHouse int64
		for _, g := range games {
			for st, u := range g.users {
				if u == 0 {
					wantHouse += g.coins[st]
				}
			}
		}
		house, err := db.HouseBalance(ctx)
		if err != nil || house != wantHouse {
			t.Fatalf("house = %d, %v; want %d", house, err, wantHouse)
		}
		entries, err := db.HouseLedger(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 || entries[0].BalanceAfter != house {
			t.Errorf("newest house entry = %+v, want balance after %d", entries, house)
		}
		perGame := map[int64]int64{}
		var sum int64
		for _, e := range entries {
			sum += e.Delta
			perGame[e.GameID] += e.Delta
			if e.Key != fmt.Sprintf("game:%d:seat:%d", e.GameID, e.Seat) {
				t.Errorf("house entry key = %q for game %d seat %d", e.Key, e.GameID, e.Seat)
			}
		}
		if sum != house {
			t.Errorf("house entries sum to %d, balance %d", sum, house)
		}
		for _, u := range []store.Account{a, b} {
			led, err := db.Ledger(ctx, u.ID, 1000)
			if err != nil {
				t.Fatal(err)
			}
			bal, _ := db.Balance(ctx, u.ID)
			var total int64
			for _, e := range led {
				total += e.Delta
				var gid int64
				if n, _ := fmt.Sscanf(e.Key, "game:%d:seat:", &gid); n == 1 && strings.HasPrefix(e.Key, "game:") {
					perGame[gid] += e.Delta
				}
			}
			if total != bal {
				t.Errorf("%s: ledger sums to %d, balance %d", u.Username, total, bal)
			}
		}
		for _, id := range ids {
			if perGame[id] != 0 {
				t.Errorf("game %d: coins sum to %d with the house, want 0", id, perGame[id])
			}
		}
		// alice: +12 -4 +12 -4 -6 -8 +0 +1 -2 +6 = +7 on 100.
		if bal, _ := db.Balance(ctx, a.ID); bal != 107 {
			t.Errorf("alice = %d, want 107", bal)
		}
	})
}
