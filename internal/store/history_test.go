package store_test

import (
	"errors"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func TestHistoryPages(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "hista", 100)
		b := mustAccount(t, db, "histb", 100)
		var ids []int64
		for i := range 5 {
			id := newGame(t, db, a.ID, b.ID, 0)
			switch i {
			case 2:
				if err := db.CancelGame(ctx, id); err != nil {
					t.Fatal(err)
				}
			case 4: // still running: not in the history
			default:
				_, err := db.SettleGame(ctx, store.Settlement{GameID: id, LandlordSeat: 0, Multiplier: 2, Seats: []store.SeatResult{
					{Seat: 0, Win: true, Coins: 4, Rating: 10}, {Seat: 1, Coins: -2, Rating: -5}, {Seat: 2, Coins: -2}}})
				if err != nil {
					t.Fatal(err)
				}
			}
			ids = append(ids, id)
		}
		p1, err := db.History(ctx, a.ID, 0, 2)
		if err != nil || len(p1) != 2 || p1[0].ID != ids[3] || p1[1].ID != ids[2] {
			t.Fatalf("page 1 = %+v, %v; want games %d, %d", p1, err, ids[3], ids[2])
		}
		if p1[0].Settlement == nil || p1[0].Settlement.Seats[0].RatingAfter != store.DefaultRating+30 || len(p1[0].Players) != 3 || p1[0].Players[1].UserID != b.ID {
			t.Errorf("page 1 game = %+v", p1[0])
		}
		if p1[1].State != store.GameCancelled || p1[1].Settlement != nil {
			t.Errorf("cancelled game = %+v", p1[1])
		}
		p2, err := db.History(ctx, a.ID, p1[1].ID, 2)
		if err != nil || len(p2) != 2 || p2[0].ID != ids[1] || p2[1].ID != ids[0] {
			t.Fatalf("page 2 = %+v, %v", p2, err)
		}
		if p3, err := db.History(ctx, a.ID, p2[1].ID, 2); err != nil || len(p3) != 0 {
			t.Errorf("page 3 = %+v, %v", p3, err)
		}
		if other, err := db.History(ctx, 999, 0, 10); err != nil || len(other) != 0 {
			t.Errorf("a stranger's history = %+v, %v", other, err)
		}
		if _, err := db.History(ctx, a.ID, 0, 0); err == nil {
			t.Error("limit 0 accepted")
		}
	})
}

func TestProfilesAndAvatar(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "proa", 100)
		b := mustAccount(t, db, "prob", 100)
		if err := db.SetAvatar(ctx, a.ID, "tiger"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetAvatar(ctx, 424242, "tiger"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("avatar of nobody: %v", err)
		}
		got, err := db.Profiles(ctx, []int64{a.ID, b.ID, 424242})
		if err != nil || len(got) != 2 {
			t.Fatalf("profiles = %+v, %v", got, err)
		}
		if got[a.ID].Avatar != "tiger" || got[b.ID].Avatar != "" || got[a.ID].DisplayName != a.DisplayName {
			t.Errorf("profiles = %+v", got)
		}
		if empty, err := db.Profiles(ctx, nil); err != nil || len(empty) != 0 {
			t.Errorf("no ids: %v, %v", empty, err)
		}
	})
}
