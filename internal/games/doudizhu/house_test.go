package doudizhu_test

import (
	"reflect"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// houseOpts returns options with a fixed first bidder and the house rules
// given.
func houseOpts(doubling, show, counter bool) ddz.Options {
	o := seatOpts(0)
	o.Doubling, o.ShowHand, o.CardCounter = doubling, show, counter
	return o
}

// TestSettleHouseRules: doubling multiplies each farmer's stake by the
// farmer's and the landlord's choice; show-hand doubles M; the cap applies
// to every pair.
func TestSettleHouseRules(t *testing.T) {
	tests := []struct {
		name   string
		r      ddz.Result
		cap    int
		m      int
		pairs  [3]int
		scores [3]int
	}{
		{"landlord x2 applies to both pairs", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 1, BidValue: 3, Doubles: [3]int{2, 1, 1}}, 0, 3, [3]int{0, 6, 6}, [3]int{12, -6, -6}},
		{"one farmer x2", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 1, BidValue: 2, Doubles: [3]int{1, 2, 1}}, 0, 2, [3]int{0, 4, 2}, [3]int{6, -4, -2}},
		{"all x2, landlord loses, bomb", ddz.Result{Landlord: 0, BaseStake: 1, BidValue: 1, Bombs: 1, Doubles: [3]int{2, 2, 2}}, 0, 2, [3]int{0, 8, 8}, [3]int{-16, 8, 8}},
		{"spring, shown, landlord x2", ddz.Result{Landlord: 1, LandlordWon: true, BaseStake: 1, BidValue: 1, Spring: true, Shown: true, Doubles: [3]int{2, 2, 1}}, 0, 4, [3]int{16, 0, 8}, [3]int{-16, 24, -8}},
		{"anti-spring, two bombs, farmers x2", ddz.Result{Landlord: 2, BaseStake: 1, BidValue: 2, Bombs: 2, AntiSpring: true, Doubles: [3]int{1, 2, 2}}, 0, 16, [3]int{32, 64, 0}, [3]int{32, 64, -96}},
		{"pairs capped", ddz.Result{Landlord: 2, BaseStake: 1, BidValue: 2, Bombs: 2, AntiSpring: true, Doubles: [3]int{1, 2, 2}}, 24, 16, [3]int{24, 24, 0}, [3]int{24, 24, -48}},
		{"nobody doubles", ddz.Result{Landlord: 0, BaseStake: 1, BidValue: 3, Doubles: [3]int{1, 1, 1}}, 0, 3, [3]int{0, 3, 3}, [3]int{-6, 3, 3}},
		{"base stake", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 5, BidValue: 1, Doubles: [3]int{1, 1, 2}}, 0, 1, [3]int{0, 1, 2}, [3]int{15, -5, -10}},
		{"shown without doubling", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 1, BidValue: 3, Shown: true}, 0, 6, [3]int{}, [3]int{12, -6, -6}},
		{"shown, bombs, capped", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 1, BidValue: 3, Bombs: 3, Shown: true}, 32, 32, [3]int{}, [3]int{64, -32, -32}},
		{"shown, spring, bomb", ddz.Result{Landlord: 2, LandlordWon: true, BaseStake: 1, BidValue: 2, Bombs: 1, Spring: true, Shown: true}, 0, 16, [3]int{}, [3]int{-16, -16, 32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.Settle(tt.cap)
			if r.Multiplier != tt.m || r.Pairs != tt.pairs || r.Scores != tt.scores {
				t.Errorf("Settle = M %d pairs %v scores %v, want M %d pairs %v scores %v", r.Multiplier, r.Pairs, r.Scores, tt.m, tt.pairs, tt.scores)
			}
			if r.Scores[0]+r.Scores[1]+r.Scores[2] != 0 {
				t.Errorf("scores %v do not sum to zero", r.Scores)
			}
		})
	}
}

// TestDoublingPhase: after the auction the farmers, then the landlord,
// choose; the rules refuse everything else and leave the game unchanged.
func TestDoublingPhase(t *testing.T) {
	g := newGame(t, houseOpts(true, true, false), 7)
	mustApply(t, g, ddz.Bid(0, 3))
	if g.Phase() != ddz.PhaseDoubling || g.Turn() != 1 || g.Expect() != ddz.KindDouble || g.Landlord() != 0 {
		t.Fatalf("after the auction: phase %v turn %d expect %q landlord %d", g.Phase(), g.Turn(), g.Expect(), g.Landlord())
	}
	refused := []struct {
		e    ddz.Event
		rule ddz.Rule
	}{
		{ddz.Double(0, true), ddz.NotYourTurn},
		{ddz.Event{Kind: ddz.KindDouble, Seat: 1, Value: 2}, ddz.BadChoice},
		{ddz.PlayCards(1, ddz.MustParse(g.View(1).Hand.Lowest().String())), ddz.WrongPhase},
		{ddz.Show(1), ddz.WrongPhase},
		{ddz.Bid(1, 3), ddz.WrongPhase},
	}
	for _, tt := range refused {
		before := snapshot(t, g)
		_, err := g.Apply(tt.e)
		wantRule(t, g, before, err, tt.rule)
	}
	mustApply(t, g, ddz.Double(1, true))
	mustApply(t, g, ddz.Double(2, false))
	if g.Turn() != 0 || g.Phase() != ddz.PhaseDoubling {
		t.Fatalf("the landlord chooses last: turn %d phase %v", g.Turn(), g.Phase())
	}
	mustApply(t, g, ddz.Double(0, true))
	if g.Phase() != ddz.PhasePlaying || g.Turn() != 0 || !g.Leading() {
		t.Fatalf("after doubling: phase %v turn %d leading %v", g.Phase(), g.Turn(), g.Leading())
	}
	if d := g.Doubles(); d != [3]int{2, 2, 1} {
		t.Fatalf("doubles %v, want [2 2 1]", d)
	}
	if v := g.View(2); v.Doubles != [3]int{2, 2, 1} {
		t.Fatalf("view doubles %v", v.Doubles)
	}
	before := snapshot(t, g)
	_, err := g.Apply(ddz.Double(0, true))
	wantRule(t, g, before, err, ddz.WrongPhase)
}

// TestShowHand: the landlord shows before the first play for ×2 and
// every view then holds the landlord's remaining hand.
func TestShowHand(t *testing.T) {
	g := newGame(t, houseOpts(false, true, false), 11)
	mustApply(t, g, ddz.Bid(0, 2))
	mustApply(t, g, ddz.Bid(1, 0))
	mustApply(t, g, ddz.Bid(2, 0))
	if g.Landlord() != 0 || g.Phase() != ddz.PhasePlaying {
		t.Fatalf("landlord %d phase %v", g.Landlord(), g.Phase())
	}
	if !g.CanShow(0) || g.CanShow(1) || !g.View(0).CanShow || g.View(1).CanShow {
		t.Fatal("only the landlord to act may show")
	}
	for s := range 3 {
		if v := g.View(s); v.Shown || v.ShownFaces != nil {
			t.Fatalf("seat %d sees a hand before the show", s)
		}
	}
	evs := mustApply(t, g, ddz.Show(0))
	if len(evs) != 1 || evs[0].Kind != ddz.KindShow || !reflect.DeepEqual(evs[0].Faces, g.HandFaces(0)) || evs[0].Multiplier != 4 {
		t.Fatalf("show events %+v", evs)
	}
	if g.Multiplier() != 4 || g.Turn() != 0 {
		t.Fatalf("multiplier %d turn %d after the show", g.Multiplier(), g.Turn())
	}
	before := snapshot(t, g)
	_, err := g.Apply(ddz.Show(0))
	wantRule(t, g, before, err, ddz.TooLate)
	e, _ := g.DefaultAction()
	mustApply(t, g, e)
	for s := range 3 {
		v := g.View(s)
		if !v.Shown || !reflect.DeepEqual(v.ShownFaces, g.HandFaces(0)) || len(v.ShownFaces) != 19 {
			t.Fatalf("seat %d: shown %v faces %v, want the landlord's 19 cards", s, v.Shown, v.ShownFaces)
		}
	}
	r := playOut(t, g)
	if !r.Shown || r.Multiplier%4 != 0 {
		t.Fatalf("result %+v: shown ×2 missing", r)
	}

	// Too late once a card is played, and refused where the rule is off.
	g = newGame(t, houseOpts(false, true, false), 11)
	mustApply(t, g, ddz.Bid(0, 3))
	e, _ = g.DefaultAction()
	mustApply(t, g, e)
	mustApply(t, g, ddz.Pass(1))
	mustApply(t, g, ddz.Pass(2))
	before = snapshot(t, g)
	_, err = g.Apply(ddz.Show(0))
	wantRule(t, g, before, err, ddz.TooLate)

	g = newGame(t, seatOpts(0), 11)
	mustApply(t, g, ddz.Bid(0, 3))
	for _, a := range []ddz.Event{ddz.Show(0), ddz.Double(0, true)} {
		before = snapshot(t, g)
		_, err = g.Apply(a)
		wantRule(t, g, before, err, ddz.RuleOff)
	}
	if v := g.View(1); v.ShownFaces != nil || v.HasCounter || v.Doubles != [3]int{} {
		t.Fatalf("house rules off, view has %+v", v)
	}
}

// playOut finishes g with default actions.
func playOut(t *testing.T, g *ddz.Game) ddz.Result {
	t.Helper()
	for g.Phase() != ddz.PhaseOver {
		e, _ := g.DefaultAction()
		mustApply(t, g, e)
	}
	r, _ := g.Result()
	return r
}

// TestCardCounter: the counter is the deck minus the seat's hand minus
// every card played, i.e. what the two other seats hold, at every step.
func TestCardCounter(t *testing.T) {
	g := newGame(t, houseOpts(true, false, true), 5)
	check := func() {
		t.Helper()
		for s := range 3 {
			v := g.View(s)
			want := g.View((s + 1) % 3).Hand.Plus(g.View((s + 2) % 3).Hand)
			if g.Landlord() < 0 {
				want = want.Plus(bottomOf(g)) // the bottom is not seen yet
			}
			if !v.HasCounter || v.Counter != want {
				t.Fatalf("seat %d counter %v, want %v", s, v.Counter, want)
			}
		}
	}
	check()
	mustApply(t, g, ddz.Bid(0, 3))
	check()
	for g.Phase() != ddz.PhaseOver {
		e, _ := g.DefaultAction()
		mustApply(t, g, e)
		check()
	}
}

// bottomOf is the bottom of a deal still bidding: what no hand holds.
func bottomOf(g *ddz.Game) ddz.Cards {
	var held ddz.Cards
	for s := range 3 {
		held = held.Plus(g.View(s).Hand)
	}
	var deck ddz.Cards
	for r := ddz.Three; r <= ddz.Two; r++ {
		deck[r] = 4
	}
	deck[ddz.BlackJoker], deck[ddz.RedJoker] = 1, 1
	return deck.Minus(held)
}

// TestDoublingTimeout: the default action in the doubling phase is ×1.
func TestDoublingTimeout(t *testing.T) {
	g := newGame(t, houseOpts(true, false, false), 3)
	mustApply(t, g, ddz.Bid(0, 1))
	mustApply(t, g, ddz.Bid(1, 0))
	mustApply(t, g, ddz.Bid(2, 0))
	for range 3 {
		e, ok := g.DefaultAction()
		if !ok || e.Kind != ddz.KindDouble || e.Value != 0 {
			t.Fatalf("default action %+v", e)
		}
		mustApply(t, g, e)
	}
	if g.Doubles() != [3]int{1, 1, 1} || g.Phase() != ddz.PhasePlaying {
		t.Fatalf("doubles %v phase %v", g.Doubles(), g.Phase())
	}
	r := playOut(t, g)
	if r.Doubles != [3]int{1, 1, 1} {
		t.Fatalf("result doubles %v", r.Doubles)
	}
	// ×1 everywhere scores as without doubling.
	plain := r
	plain.Doubles = [3]int{}
	plain.Settle(0)
	if plain.Scores != r.Scores {
		t.Fatalf("scores %v, without doubling %v", r.Scores, plain.Scores)
	}
}
