package doudizhu_test

import (
	"flag"
	"math/rand/v2"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

var bruteHands = flag.Int("brute", 2000, "random hands for the move generation property test")

// randomHand draws n cards from a shuffled deck.
func randomHand(rng *rand.Rand, n int) ddz.Cards {
	deck := ddz.Deck()
	rng.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
	c, _ := ddz.CardsOf(deck[:n]...)
	return c
}

// brute lists every sub-multiset of hand that is a legal play against prev.
func brute(hand ddz.Cards, prev ddz.Label) map[ddz.Cards]ddz.Label {
	out := map[ddz.Cards]ddz.Label{}
	var c ddz.Cards
	var walk func(r int)
	walk = func(r int) {
		if r == ddz.NumRanks {
			l := ddz.Classify(c)
			if l.Valid() && (!prev.Valid() || ddz.Beats(l, prev)) {
				out[c] = l
			}
			return
		}
		for k := uint8(0); k <= hand[r]; k++ {
			c[r] = k
			walk(r + 1)
		}
		c[r] = 0
	}
	walk(0)
	return out
}

// checkMoves compares Moves with brute force for one hand and play to beat.
func checkMoves(t *testing.T, hand ddz.Cards, prev ddz.Label) {
	t.Helper()
	moves := ddz.Moves(hand, prev)
	want := brute(hand, prev)
	seen := map[ddz.Cards]bool{}
	passes := 0
	for i, m := range moves {
		if m.IsPass() {
			passes++
			if i != 0 {
				t.Errorf("hand %v prev %v: pass at index %d, want first", hand, prev, i)
			}
			continue
		}
		if seen[m.Cards] {
			t.Errorf("hand %v prev %v: %v generated twice", hand, prev, m.Cards)
		}
		seen[m.Cards] = true
		if got := ddz.Classify(m.Cards); got != m.Label {
			t.Errorf("hand %v: move %v labelled %v, classifies as %v", hand, m.Cards, m.Label, got)
		}
		if _, ok := want[m.Cards]; !ok {
			t.Errorf("hand %v prev %v: generated %v (%v), not legal", hand, prev, m.Cards, m.Label)
		}
	}
	for c, l := range want {
		if !seen[c] {
			t.Errorf("hand %v prev %v: missing %v (%v)", hand, prev, c, l)
		}
	}
	if wantPasses := map[bool]int{true: 1, false: 0}[prev.Valid()]; passes != wantPasses {
		t.Errorf("hand %v prev %v: %d passes, want %d", hand, prev, passes, wantPasses)
	}
}

func TestMovesBruteForce(t *testing.T) {
	n := *bruteHands
	if testing.Short() || raceEnabled {
		n /= 10
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		hand := randomHand(rng, 1+rng.IntN(20))
		prev := ddz.Label{}
		if i%2 == 1 {
			// Beat a random play of a random hand.
			other := ddz.Moves(randomHand(rng, 1+rng.IntN(20)), ddz.Label{})
			prev = other[rng.IntN(len(other))].Label
		}
		checkMoves(t, hand, prev)
		if t.Failed() {
			return
		}
	}
}

func TestMovesExamples(t *testing.T) {
	tests := []struct {
		name, hand, prev string
		want             int // number of moves, pass included
	}{
		{"lead one card", "3", "", 1},
		{"lead rocket", "BJ RJ", "", 3},
		{"after rocket only pass", "2 2 2 2", "BJ RJ", 1},
		{"bomb over bomb", "4 4 4 4 BJ RJ", "3 3 3 3", 3},
		{"nothing higher", "3 4", "2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := ddz.Classify(ddz.MustParse(tt.prev))
			got := ddz.Moves(ddz.MustParse(tt.hand), prev)
			if len(got) != tt.want {
				t.Errorf("Moves(%q, %q) = %v, want %d moves", tt.hand, tt.prev, got, tt.want)
			}
			checkMoves(t, ddz.MustParse(tt.hand), prev)
		})
	}
}
