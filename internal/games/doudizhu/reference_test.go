package doudizhu_test

import (
	"math/rand/v2"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// refLabels lists every label the cards fit, straight from the definitions
// of spec §6, without Classify's shortcuts. The spec promises at most one.
func refLabels(c ddz.Cards) []ddz.Label {
	var out []ddz.Label
	add := func(l ddz.Label) {
		for _, o := range out {
			if o == l {
				return
			}
		}
		out = append(out, l)
	}
	n := c.Len()
	if !c.InDeck() || n == 0 || n > 20 {
		return nil
	}
	single := func(r ddz.Rank, k uint8) ddz.Cards { var x ddz.Cards; x[r] = k; return x }
	jokers := c[ddz.BlackJoker] == 1 && c[ddz.RedJoker] == 1
	for r := ddz.Three; r <= ddz.RedJoker; r++ {
		switch {
		case c == single(r, 1):
			add(ddz.Label{Type: ddz.Single, Rank: r, Len: 1})
		case c == single(r, 2) && r <= ddz.Two:
			add(ddz.Label{Type: ddz.Pair, Rank: r, Len: 1})
		case c == single(r, 3):
			add(ddz.Label{Type: ddz.Trio, Rank: r, Len: 1})
		case c == single(r, 4):
			add(ddz.Label{Type: ddz.Bomb, Rank: r, Len: 1})
		}
		if c[r] >= 3 && r <= ddz.Two {
			rest := c.Minus(single(r, 3))
			if n == 4 && rest[r] == 0 {
				add(ddz.Label{Type: ddz.TrioSingle, Rank: r, Len: 1})
			}
			if n == 5 && rest[r] == 0 && rest.Lowest() <= ddz.Two && rest[rest.Lowest()] == 2 {
				add(ddz.Label{Type: ddz.TrioPair, Rank: r, Len: 1})
			}
		}
		if c[r] == 4 && r <= ddz.Two {
			rest := c.Minus(single(r, 4))
			if n == 6 && !jokers {
				add(ddz.Label{Type: ddz.FourTwoSingle, Rank: r, Len: 1})
			}
			if n == 8 {
				pairs := 0
				for x := ddz.Three; x <= ddz.Two; x++ {
					if rest[x] == 2 {
						pairs++
					}
				}
				if pairs == 2 {
					add(ddz.Label{Type: ddz.FourTwoPair, Rank: r, Len: 1})
				}
			}
		}
	}
	if c == single(ddz.BlackJoker, 1).Plus(single(ddz.RedJoker, 1)) {
		add(ddz.Label{Type: ddz.Rocket, Rank: ddz.NoRank, Len: 1})
	}
	for lo := ddz.Three; lo <= ddz.Ace; lo++ {
		for length := 1; lo+ddz.Rank(length)-1 <= ddz.Ace; length++ {
			hi := lo + ddz.Rank(length) - 1
			var run [4]ddz.Cards
			for k := uint8(1); k <= 3; k++ {
				for r := lo; r <= hi; r++ {
					run[k][r] = k
				}
			}
			if length >= 5 && c == run[1] {
				add(ddz.Label{Type: ddz.Straight, Rank: lo, Len: length})
			}
			if length >= 3 && c == run[2] {
				add(ddz.Label{Type: ddz.PairChain, Rank: lo, Len: length})
			}
			if length >= 2 && c == run[3] {
				add(ddz.Label{Type: ddz.Airplane, Rank: lo, Len: length})
			}
			if length < 2 || !c.Contains(run[3]) {
				continue
			}
			wings := c.Minus(run[3])
			ok := true
			for r := ddz.Three; r <= ddz.RedJoker; r++ {
				inChain := r >= lo && r <= hi
				next := r <= ddz.Ace && (r+1 == lo || r == hi+1)
				if (inChain && wings[r] > 0) || wings[r] == 4 || (wings[r] == 3 && next) {
					ok = false
				}
			}
			if ok && wings.Len() == length && !(wings[ddz.BlackJoker] == 1 && wings[ddz.RedJoker] == 1) {
				add(ddz.Label{Type: ddz.AirplaneSingle, Rank: lo, Len: length})
			}
			pairs, other := 0, 0
			for r := ddz.Three; r <= ddz.RedJoker; r++ {
				switch {
				case wings[r] == 0:
				case wings[r] == 2 && r <= ddz.Two && !(r >= lo && r <= hi):
					pairs++
				default:
					other++
				}
			}
			if pairs == length && other == 0 {
				add(ddz.Label{Type: ddz.AirplanePair, Rank: lo, Len: length})
			}
		}
	}
	return out
}

// Classify agrees with the definitions on every sub-multiset of random
// hands, and no set has two labels.
func TestClassifyMatchesDefinitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	hands := 30
	if testing.Short() || raceEnabled {
		hands = 10
	}
	for i := range hands {
		var hand ddz.Cards
		if i%2 == 0 {
			hand = randomHand(rng, 14)
		} else {
			// Trio-heavy hands stress airplanes and their wings.
			for _, r := range rng.Perm(13)[:6] {
				hand[r] = uint8(3 + rng.IntN(2))
			}
			hand[ddz.BlackJoker], hand[ddz.RedJoker] = 1, 1
		}
		var c ddz.Cards
		var walk func(r int)
		walk = func(r int) {
			if r == ddz.NumRanks {
				ref := refLabels(c)
				got := ddz.Classify(c)
				switch {
				case len(ref) > 1:
					t.Fatalf("%v has %d labels: %v", c, len(ref), ref)
				case len(ref) == 0 && got.Valid():
					t.Fatalf("Classify(%v) = %v, want invalid", c, got)
				case len(ref) == 1 && got != ref[0]:
					t.Fatalf("Classify(%v) = %v, want %v", c, got, ref[0])
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
	}
}
