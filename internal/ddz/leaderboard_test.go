package ddz

import (
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/leaderboard"
	"github.com/lordgame/lordgame/internal/store"
)

type fakeRanker struct{ got [][]leaderboard.Result }

func (f *fakeRanker) Offer(_ time.Time, rs []leaderboard.Result) bool {
	f.got = append(f.got, rs)
	return true
}

func TestRankOffersPlayersOfFirstSettlement(t *testing.T) {
	s := &Service{}
	f := &fakeRanker{}
	s.SetRanker(f)
	got := store.Settlement{Seats: []store.SeatResult{
		{Seat: 0, Applied: 40, RatingAfter: 1016},
		{Seat: 1, Applied: -20, RatingAfter: 992},
		{Seat: 2, Applied: -20, RatingAfter: 992},
	}}
	users := [3]int64{7, 8, 0}
	payer := [3]Payer{Player, Player, House}
	s.rank(got, users, payer)
	got.Replayed = true
	s.rank(got, users, payer)
	if len(f.got) != 1 {
		t.Fatalf("offers = %d, want 1 (a replayed settlement is not ranked again)", len(f.got))
	}
	want := []leaderboard.Result{{Player: "7", Rating: 1016, Coins: 40}, {Player: "8", Rating: 992, Coins: -20}}
	if len(f.got[0]) != 2 || f.got[0][0] != want[0] || f.got[0][1] != want[1] {
		t.Errorf("offered %v, want %v", f.got[0], want)
	}
}
