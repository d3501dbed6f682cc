package ddz_test

import (
	"testing"

	"github.com/lordgame/lordgame/internal/ddz"
)

func TestStakes(t *testing.T) {
	all := [3]ddz.Payer{ddz.Player, ddz.Player, ddz.Player}
	P, H, N := ddz.Player, ddz.House, ddz.NoPayer
	rich := [3]int64{1000, 1000, 1000}
	tests := []struct {
		name    string
		points  [3]int
		stake   int64
		payer   [3]ddz.Payer
		balance [3]int64
		winner  int
		want    [3]int64
	}{
		{"landlord wins", [3]int{24, -12, -12}, 1, all, rich, 0, [3]int64{24, -12, -12}},
		{"farmers win", [3]int{-8, 4, 4}, 10, all, rich, 1, [3]int64{-80, 40, 40}},
		{"poor farmer pays what it has", [3]int{24, -12, -12}, 1, all, [3]int64{0, 5, 1000}, 0, [3]int64{17, -5, -12}},
		{"poor landlord, odd coin to the farmer who went out", [3]int{-8, 4, 4}, 1, all, [3]int64{5, 0, 0}, 2, [3]int64{-5, 2, 3}},
		{"pair rule: farmers win their own pairs", [3]int{-6, 2, 4}, 1, all, rich, 1, [3]int64{-6, 2, 4}},
		{"pair rule: bot farmer with a doubled pair", [3]int{4, -1, -3}, 2, [3]ddz.Payer{P, H, P}, rich, 0, [3]int64{8, -2, -6}},
		{"pair rule: poor landlord pays in proportion", [3]int{-6, 2, 4}, 1, all, [3]int64{4, 0, 0}, 1, [3]int64{-4, 2, 2}},
		{"pair rule: poor landlord, odd coin to the farmer who went out", [3]int{-6, 2, 4}, 1, all, [3]int64{5, 0, 0}, 1, [3]int64{-5, 2, 3}},
		{"broke loser pays nothing", [3]int{-2, 1, 1}, 1, all, [3]int64{0, 9, 9}, 1, [3]int64{0, 0, 0}},
		{"landlord +12 vs one player and one bot", [3]int{12, -6, -6}, 1, [3]ddz.Payer{P, P, H}, rich, 0, [3]int64{12, -6, -6}},
		{"bot farmer: landlord pays the player and the house", [3]int{-2, 1, 1}, 1, [3]ddz.Payer{P, H, P}, rich, 1, [3]int64{-2, 1, 1}},
		{"player alone with bots wins", [3]int{-2, 1, 1}, 5, [3]ddz.Payer{H, P, H}, rich, 1, [3]int64{-10, 5, 5}},
		{"player alone with bots loses as landlord", [3]int{-4, 2, 2}, 1, [3]ddz.Payer{P, H, H}, rich, 1, [3]int64{-4, 2, 2}},
		{"broke landlord vs bots: the house gets what it paid", [3]int{-8, 4, 4}, 1, [3]ddz.Payer{P, H, H}, [3]int64{3, 0, 0}, 2, [3]int64{-3, 1, 2}},
		{"poor farmer with a bot partner", [3]int{12, -6, -6}, 1, [3]ddz.Payer{P, P, H}, [3]int64{1000, 2, 0}, 0, [3]int64{8, -2, -6}},
		{"bot landlord beats two players", [3]int{24, -12, -12}, 1, [3]ddz.Payer{H, P, P}, [3]int64{0, 1000, 5}, 0, [3]int64{17, -12, -5}},
		{"practice: nobody pays", [3]int{-2, 1, 1}, 1, [3]ddz.Payer{N, N, N}, rich, 1, [3]int64{0, 0, 0}},
		{"a seat playing for nothing", [3]int{2, -1, -1}, 1, [3]ddz.Payer{P, P, N}, rich, 0, [3]int64{1, -1, 0}},
		{"no stake", [3]int{2, -1, -1}, 0, all, rich, 0, [3]int64{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ddz.Stakes(tt.points, tt.stake, tt.payer, tt.balance, tt.winner)
			if got != tt.want {
				t.Fatalf("Stakes(%v, %d, %v, %v) = %v, want %v", tt.points, tt.stake, tt.payer, tt.balance, got, tt.want)
			}
			if got[0]+got[1]+got[2] != 0 {
				t.Errorf("coins %v do not sum to zero", got)
			}
			for s, c := range got {
				if c*int64(tt.points[s]) < 0 || max(c, -c) > max(int64(tt.points[s]), -int64(tt.points[s]))*tt.stake {
					t.Errorf("seat %d moves %d coins for %d points at stake %d", s, c, tt.points[s], tt.stake)
				}
				if tt.payer[s] == ddz.Player && -c > tt.balance[s] {
					t.Errorf("seat %d loses %d with a balance of %d", s, -c, tt.balance[s])
				}
			}
		})
	}
}

func TestRatings(t *testing.T) {
	tests := []struct {
		name        string
		rating      [3]int64
		landlord    int
		landlordWon bool
		winner      int
		want        [3]int64
	}{
		{"even, landlord wins", [3]int64{1500, 1500, 1500}, 0, true, 0, [3]int64{16, -8, -8}},
		{"even, farmers win", [3]int64{1500, 1500, 1500}, 1, false, 2, [3]int64{8, -16, 8}},
		{"strong landlord wins little", [3]int64{1900, 1500, 1500}, 0, true, 0, [3]int64{3, -2, -1}},
		{"weak landlord upsets", [3]int64{1100, 1500, 1500}, 0, true, 0, [3]int64{29, -15, -14}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ddz.Ratings(tt.rating, tt.landlord, tt.landlordWon, tt.winner, 32)
			if got != tt.want {
				t.Fatalf("Ratings(%v, %d, %v) = %v, want %v", tt.rating, tt.landlord, tt.landlordWon, got, tt.want)
			}
			if got[0]+got[1]+got[2] != 0 {
				t.Errorf("rating changes %v do not sum to zero", got)
			}
		})
	}
}
