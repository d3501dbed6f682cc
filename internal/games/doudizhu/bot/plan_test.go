package bot

import (
	"math/rand/v2"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// The plan splits the whole hand into legal plays, and its cost counts them.
func TestPlanCoversHand(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := newPlanner()
	for range 2000 {
		deck := ddz.Deck()
		rng.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
		hand, _ := ddz.CardsOf(deck[:1+rng.IntN(20)]...)
		var union ddz.Cards
		groups := p.groups(hand)
		for _, g := range groups {
			if !g.Label.Valid() {
				t.Fatalf("hand %v: group %v is not a play", hand, g.Cards)
			}
			union = union.Plus(g.Cards)
		}
		if union != hand {
			t.Fatalf("hand %v: groups %v cover %v", hand, groups, union)
		}
		if c := p.cost(hand) / 16; c != len(groups) {
			t.Fatalf("hand %v: cost says %d plays, plan has %d: %v", hand, c, len(groups), groups)
		}
	}
}

func TestPlanExamples(t *testing.T) {
	tests := []struct {
		hand  string
		plays int
	}{
		{"3 4 5 6 7", 1},
		{"3 3 3 4", 1},
		{"3 3 3 4 4 4 5 6", 1},
		{"3 4 5 6 7 9 9 9 J", 2},
		{"BJ RJ 2 2 2 2 3", 3},
		{"3 3 4 4 5 5 K", 2},
	}
	p := newPlanner()
	for _, tt := range tests {
		if got := p.groups(ddz.MustParse(tt.hand)); len(got) != tt.plays {
			t.Errorf("plan of %q = %v, want %d plays", tt.hand, got, tt.plays)
		}
	}
}
