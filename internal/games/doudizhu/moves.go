package doudizhu

// Play is a set of cards with its label. The zero Play is a pass.
type Play struct {
	Cards Cards `json:"cards"`
	Label Label `json:"label"`
}

// IsPass reports whether p is a pass.
func (p Play) IsPass() bool { return p.Cards.IsEmpty() }

// String formats p as its cards in spec notation; a pass is "[]".
func (p Play) String() string { return p.Cards.String() }

// NewPlay classifies cards into a Play.
func NewPlay(cards Cards) Play { return Play{Cards: cards, Label: Classify(cards)} }

// Moves returns every legal play from hand against the current play prev
// (spec §7–§8), each card multiset exactly once. When prev is the zero
// Label the player leads and may not pass; otherwise the pass comes first.
func Moves(hand Cards, prev Label) []Play {
	return AppendMoves(nil, hand, prev)
}

// AppendMoves is Moves appending to dst, so that a caller can reuse one
// buffer and generate moves without allocating.
func AppendMoves(dst []Play, hand Cards, prev Label) []Play {
	g := gen{dst: dst, hand: hand, size: hand.Len()}
	if !prev.Valid() {
		g.all()
		return g.dst
	}
	g.dst = append(g.dst, Play{})
	switch prev.Type {
	case Rocket:
		return g.dst
	case Bomb:
		g.bombs(prev.Rank + 1)
		g.rocket()
		return g.dst
	}
	g.sameType(prev.Type, prev.Rank+1, prev.Len)
	g.bombs(Three)
	g.rocket()
	return g.dst
}

// gen appends plays of one hand to dst.
type gen struct {
	dst  []Play
	hand Cards
	size int
}

func (g *gen) add(c Cards, l Label) { g.dst = append(g.dst, Play{Cards: c, Label: l}) }

// all generates every play of every type for a leader.
func (g *gen) all() {
	for t := Single; t <= FourTwoPair; t++ {
		g.sameType(t, Three, 0)
	}
	g.bombs(Three)
	g.rocket()
}

// sameType generates plays of type t with main rank at least min and the
// given chain length (0: any length).
func (g *gen) sameType(t Type, min Rank, length int) {
	switch t {
	case Single:
		for r := min; r <= RedJoker; r++ {
			if g.hand[r] > 0 {
				g.add(one(r, 1), Label{Single, r, 1})
			}
		}
	case Pair:
		g.sets(Pair, 2, min)
	case Trio:
		g.sets(Trio, 3, min)
	case TrioSingle:
		g.trioKicker(min, 1)
	case TrioPair:
		g.trioKicker(min, 2)
	case Straight:
		g.chains(Straight, 1, 5, 12, min, length)
	case PairChain:
		g.chains(PairChain, 2, 3, 10, min, length)
	case Airplane:
		g.chains(Airplane, 3, 2, 6, min, length)
	case AirplaneSingle:
		g.airplanes(min, length, false)
	case AirplanePair:
		g.airplanes(min, length, true)
	case FourTwoSingle:
		g.fourTwoSingle(min)
	case FourTwoPair:
		g.fourTwoPair(min)
	}
}

func one(r Rank, k uint8) Cards {
	var c Cards
	c[r] = k
	return c
}

func (g *gen) sets(t Type, k uint8, min Rank) {
	for r := min; r <= Two; r++ {
		if g.hand[r] >= k {
			g.add(one(r, k), Label{t, r, 1})
		}
	}
}

func (g *gen) bombs(min Rank) {
	for r := min; r <= Two; r++ {
		if g.hand[r] == 4 {
			g.add(one(r, 4), Label{Bomb, r, 1})
		}
	}
}

func (g *gen) rocket() {
	if g.hand[BlackJoker] == 1 && g.hand[RedJoker] == 1 {
		var c Cards
		c[BlackJoker], c[RedJoker] = 1, 1
		g.add(c, Label{Rocket, NoRank, 1})
	}
}

// trioKicker generates trio_single (k = 1) or trio_pair (k = 2).
func (g *gen) trioKicker(min Rank, k uint8) {
	t, top := TrioSingle, RedJoker
	if k == 2 {
		t, top = TrioPair, Two
	}
	for r := min; r <= Two; r++ {
		if g.hand[r] < 3 {
			continue
		}
		for x := Three; x <= top; x++ {
			if x != r && g.hand[x] >= k {
				c := one(r, 3)
				c[x] = k
				g.add(c, Label{t, r, 1})
			}
		}
	}
}

// chains generates runs of k cards per rank, minLen to maxLen ranks long.
func (g *gen) chains(t Type, k uint8, minLen, maxLen int, min Rank, length int) {
	if length != 0 {
		minLen, maxLen = length, length
	}
	for lo := int(min); lo+minLen-1 <= int(Ace); lo++ {
		var c Cards
		for n := 1; n <= maxLen && lo+n-1 <= int(Ace); n++ {
			r := lo + n - 1
			if g.hand[r] < k {
				break
			}
			c[r] = k
			if n >= minLen && n*int(k) <= g.size {
				g.add(c, Label{t, Rank(lo), n})
			}
		}
	}
}

func (g *gen) fourTwoSingle(min Rank) {
	for f := min; f <= Two; f++ {
		if g.hand[f] != 4 {
			continue
		}
		for a := Three; a <= RedJoker; a++ {
			if a == f || g.hand[a] == 0 {
				continue
			}
			if a <= Two && g.hand[a] >= 2 {
				c := one(f, 4)
				c[a] = 2
				g.add(c, Label{FourTwoSingle, f, 1})
			}
			for b := a + 1; b <= RedJoker; b++ {
				if b == f || g.hand[b] == 0 || (a == BlackJoker && b == RedJoker) {
					continue
				}
				c := one(f, 4)
				c[a], c[b] = 1, 1
				g.add(c, Label{FourTwoSingle, f, 1})
			}
		}
	}
}

func (g *gen) fourTwoPair(min Rank) {
	for f := min; f <= Two; f++ {
		if g.hand[f] != 4 {
			continue
		}
		for a := Three; a <= Two; a++ {
			if a == f || g.hand[a] < 2 {
				continue
			}
			for b := a + 1; b <= Two; b++ {
				if b == f || g.hand[b] < 2 {
					continue
				}
				c := one(f, 4)
				c[a], c[b] = 2, 2
				g.add(c, Label{FourTwoPair, f, 1})
			}
		}
	}
}

// airplanes generates airplane_single (pairs false) or airplane_pair.
func (g *gen) airplanes(min Rank, length int, pairs bool) {
	per, maxLen := 4, 5
	if pairs {
		per, maxLen = 5, 4
	}
	minLen := 2
	if length != 0 {
		minLen, maxLen = length, length
	}
	for lo := int(min); lo+minLen-1 <= int(Ace); lo++ {
		var chain Cards
		for n := 1; n <= maxLen && lo+n-1 <= int(Ace); n++ {
			r := lo + n - 1
			if g.hand[r] < 3 {
				break
			}
			chain[r] = 3
			if n < minLen || n*per > g.size {
				continue
			}
			l := Label{AirplaneSingle, Rank(lo), n}
			if pairs {
				l.Type = AirplanePair
				g.pairWings(chain, l, Three, n)
			} else {
				g.singleWings(chain, l, lo, r, Three, n)
			}
		}
	}
}

// singleWings adds n wing cards from ranks at or above from to c, under
// the wing rules of spec §6.16. lo and hi bound the chain.
func (g *gen) singleWings(c Cards, l Label, lo, hi int, from Rank, n int) {
	if n == 0 {
		g.add(c, l)
		return
	}
	for r := from; r <= RedJoker; r++ {
		ri := int(r)
		if ri >= lo && ri <= hi {
			continue
		}
		if r == RedJoker && c[BlackJoker] == 1 {
			continue // §6.16.2
		}
		limit := int(g.hand[r])
		if limit > 3 {
			limit = 3
		}
		if ri <= int(Ace) && (ri == lo-1 || ri == hi+1) && limit > 2 {
			limit = 2 // §6.16.5
		}
		if limit > n {
			limit = n
		}
		for k := 1; k <= limit; k++ {
			c[r] = uint8(k)
			g.singleWings(c, l, lo, hi, r+1, n-k)
		}
		c[r] = 0
	}
}

// pairWings adds n pairs of distinct ranks at or above from, outside the chain.
func (g *gen) pairWings(c Cards, l Label, from Rank, n int) {
	if n == 0 {
		g.add(c, l)
		return
	}
	for r := from; r <= Two; r++ {
		if c[r] != 0 || g.hand[r] < 2 {
			continue
		}
		c[r] = 2
		g.pairWings(c, l, r+1, n-1)
		c[r] = 0
	}
}
