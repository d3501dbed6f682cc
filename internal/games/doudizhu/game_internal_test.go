package doudizhu

import "testing"

// rig starts a game whose landlord, seat 0, will hold landlord (20 cards
// with the bottom) and seat 1 holds farmer; the rest of the deck goes to
// seat 2 and to seat 0's remaining cards.
func rig(t *testing.T, landlord, farmer string) *Game {
	t.Helper()
	g, err := New(Options{FirstBidder: 0}, SeedFromUint64(1))
	if err != nil {
		t.Fatal(err)
	}
	l, f := MustParse(landlord), MustParse(farmer)
	full, _ := CardsOf(Deck()...)
	rest := full.Minus(l).Minus(f)
	if l.Len() != 20 || f.Len() != 17 || !full.Contains(l.Plus(f)) {
		t.Fatalf("bad rig: %d and %d cards", l.Len(), f.Len())
	}
	g.hands[1], g.hands[2] = f, rest
	// The bottom is the three highest cards of the landlord's hand.
	var bottom Cards
	for r, n := RedJoker, 0; n < 3; r-- {
		for l[r]-bottom[r] > 0 && n < 3 {
			bottom[r]++
			n++
		}
	}
	g.hands[0], g.bottom = l.Minus(bottom), bottom
	if _, err := g.Bid(0, 3); err != nil {
		t.Fatal(err)
	}
	return g
}

func playAll(t *testing.T, g *Game, steps []string) {
	t.Helper()
	for _, s := range steps {
		seat := g.Turn()
		if _, err := g.Play(seat, MustParse(s)); err != nil {
			t.Fatalf("seat %d plays %q: %v", seat, s, err)
		}
	}
}

// Spring with four bombs and the rocket: k = 5 (spec §10.1).
func TestSpringAndBombs(t *testing.T) {
	g := rig(t, "3 3 3 3 4 4 4 4 5 5 5 5 6 6 6 6 7 7 BJ RJ", "8 8 8 8 9 9 9 9 10 10 10 10 J J J J Q")
	playAll(t, g, []string{
		"3 3 3 3", "[]", "[]", "4 4 4 4", "[]", "[]", "5 5 5 5", "[]", "[]",
		"6 6 6 6", "[]", "[]", "7 7", "[]", "[]", "BJ RJ",
	})
	r, ok := g.Result()
	want := Result{Landlord: 0, LandlordWon: true, Winner: 0, BaseStake: 1, BidValue: 3, Bombs: 5,
		Spring: true, Multiplier: 192, Uncapped: 192, Scores: [3]int{384, -192, -192}}
	if !ok || r != want {
		t.Errorf("result %+v, want %+v", r, want)
	}
}

// Anti-spring: the landlord's only play is the opening lead (spec §10.4.3
// shape, with a bomb and the rocket).
func TestAntiSpring(t *testing.T) {
	g := rig(t, "3 3 3 3 9 9 9 9 10 10 10 10 J J J J K K K K", "4 5 6 7 8 Q Q Q Q 2 2 2 2 A A BJ RJ")
	playAll(t, g, []string{"3", "BJ RJ", "[]", "[]", "4 5 6 7 8", "[]", "[]", "A A", "[]", "[]",
		"Q Q Q Q", "[]", "[]", "2 2 2 2"})
	r, _ := g.Result()
	if !r.AntiSpring || r.LandlordWon || r.Winner != 1 || r.Bombs != 3 || r.Multiplier != 48 || r.Scores != [3]int{-96, 48, 48} {
		t.Errorf("result %+v, want anti-spring M 48 scores -96 48 48", r)
	}
}

// A bomb on a bomb counts twice; four_two does not count (spec §10.1).
func TestBombCount(t *testing.T) {
	g := rig(t, "3 3 3 3 4 4 4 4 5 5 5 5 6 6 6 6 7 7 7 7", "8 8 8 8 9 9 9 9 10 10 10 10 J J J J Q")
	playAll(t, g, []string{"3 3 3 3 4 5", "8 8 8 8", "[]", "[]"})
	if g.bombs != 1 || g.Multiplier() != 6 {
		t.Fatalf("after four_two and a bomb: k %d multiplier %d, want 1 6", g.bombs, g.Multiplier())
	}
	playAll(t, g, []string{"9 9 9 9", "[]", "[]"})
	if g.bombs != 2 || g.Multiplier() != 12 {
		t.Fatalf("k %d multiplier %d, want 2 12", g.bombs, g.Multiplier())
	}
	// A landlord bomb, then a higher farmer bomb on top: both count.
	playAll(t, g, []string{"10 10 10 10", "[]", "[]", "Q", "[]", "6 6 6 6", "J J J J"})
	r, _ := g.Result()
	if r.Bombs != 5 || r.LandlordWon || r.AntiSpring || r.Multiplier != 96 {
		t.Errorf("result %+v, want k 5, farmers win, M 96", r)
	}
}

// Spec §8.3: a pass does not stop a player from playing later in the same
// round; §4.3: a four may be broken up.
func TestPassThenPlaySameRound(t *testing.T) {
	g := rig(t, "3 3 3 3 4 4 4 4 5 5 5 5 6 6 6 6 7 7 7 7", "8 8 8 8 9 9 9 9 10 10 10 10 J J J J Q")
	playAll(t, g, []string{"3 3 3"}) // a trio out of a four
	if _, err := g.Pass(1); err != nil {
		t.Fatal(err)
	}
	// Seat 2 holds the rest of the deck, three queens among it.
	playAll(t, g, []string{"Q Q Q", "[]"})
	if g.curSeat != 2 || g.turn != 1 {
		t.Fatalf("current seat %d turn %d, want 2 and 1", g.curSeat, g.turn)
	}
	// Seat 1 passed before and plays now in the same round.
	if _, err := g.Play(1, MustParse("J J J J")); err != nil {
		t.Fatalf("seat 1 plays after passing: %v", err)
	}
}

// Spec §3.1.1: a random first bidder is drawn uniformly from the seed.
func TestRandomFirstBidder(t *testing.T) {
	var seen [3]int
	for i := range 3000 {
		g, _ := New(DefaultOptions(), SeedFromUint64(uint64(i)))
		seen[g.FirstBidder()]++
		if g.Turn() != g.FirstBidder() {
			t.Fatalf("turn %d, first bidder %d", g.Turn(), g.FirstBidder())
		}
	}
	for s, n := range seen {
		if n < 900 || n > 1100 {
			t.Errorf("seat %d bids first %d times of 3000", s, n)
		}
	}
}
