package doudizhu_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

func newGame(t testing.TB, opts ddz.Options, seed uint64) *ddz.Game {
	t.Helper()
	g, err := ddz.New(opts, ddz.SeedFromUint64(seed))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// seatOpts returns the default options with a fixed first bidder.
func seatOpts(first int) ddz.Options {
	o := ddz.DefaultOptions()
	o.FirstBidder = first
	return o
}

func mustApply(t testing.TB, g *ddz.Game, e ddz.Event) []ddz.Event {
	t.Helper()
	evs, err := g.Apply(e)
	if err != nil {
		t.Fatalf("Apply(%+v): %v", e, err)
	}
	return evs
}

// wantRule checks that err is a *RuleError for rule and that g did not
// change.
func wantRule(t *testing.T, g *ddz.Game, before []byte, err error, rule ddz.Rule) {
	t.Helper()
	var re *ddz.RuleError
	if !errors.As(err, &re) || re.Rule != rule {
		t.Fatalf("error = %v, want rule %s", err, rule)
	}
	if !errors.Is(err, &ddz.RuleError{Rule: rule}) {
		t.Errorf("errors.Is(%v, rule %s) = false", err, rule)
	}
	if after := snapshot(t, g); string(after) != string(before) {
		t.Errorf("state changed by a rejected action:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot serialises everything observable about g.
func snapshot(t *testing.T, g *ddz.Game) []byte {
	t.Helper()
	views := [3]ddz.View{g.View(0), g.View(1), g.View(2)}
	b, err := json.Marshal(struct {
		Views  [3]ddz.View
		Events []ddz.Event
	}{views, g.Events()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Spec §3.1 examples.
func TestScoreBidding(t *testing.T) {
	t.Run("1 pass 2", func(t *testing.T) {
		g := newGame(t, seatOpts(1), 1)
		mustApply(t, g, ddz.Bid(1, 1))
		mustApply(t, g, ddz.Bid(2, 0))
		evs := mustApply(t, g, ddz.Bid(0, 2))
		if g.Landlord() != 0 || g.Multiplier() != 2 || g.Phase() != ddz.PhasePlaying || g.Turn() != 0 {
			t.Errorf("landlord %d multiplier %d phase %v turn %d, want 0 2 playing 0", g.Landlord(), g.Multiplier(), g.Phase(), g.Turn())
		}
		if len(evs) != 2 || evs[1].Kind != ddz.KindLandlord || evs[1].Cards.Len() != 3 {
			t.Errorf("events %+v, want bid then landlord with the bottom", evs)
		}
		if n := g.View(0).Hand.Len(); n != 20 {
			t.Errorf("landlord holds %d cards, want 20", n)
		}
	})
	t.Run("pass then 3 ends at once", func(t *testing.T) {
		g := newGame(t, seatOpts(2), 1)
		mustApply(t, g, ddz.Bid(2, 0))
		mustApply(t, g, ddz.Bid(0, 3))
		if g.Landlord() != 0 || g.Multiplier() != 3 {
			t.Errorf("landlord %d V %d, want 0 3", g.Landlord(), g.Multiplier())
		}
	})
	t.Run("all pass redeals with next first bidder", func(t *testing.T) {
		g := newGame(t, seatOpts(0), 1)
		before := g.View(0).Hand
		mustApply(t, g, ddz.Bid(0, 0))
		mustApply(t, g, ddz.Bid(1, 0))
		evs := mustApply(t, g, ddz.Bid(2, 0))
		if len(evs) != 3 || evs[1].Kind != ddz.KindRedeal || evs[2].Kind != ddz.KindDeal {
			t.Fatalf("events %+v, want bid, redeal, deal", evs)
		}
		if g.FirstBidder() != 1 || g.Turn() != 1 || g.View(0).Deal != 2 {
			t.Errorf("first bidder %d turn %d deal %d, want 1 1 2", g.FirstBidder(), g.Turn(), g.View(0).Deal)
		}
		if g.View(0).Hand == before {
			t.Errorf("redeal kept the same hand")
		}
	})
	t.Run("max redeals cancels", func(t *testing.T) {
		o := seatOpts(0)
		o.MaxRedeals = 2
		g := newGame(t, o, 1)
		for range 2 {
			for range 3 {
				mustApply(t, g, ddz.Bid(g.Turn(), 0))
			}
		}
		r, ok := g.Result()
		if !ok || !r.Cancelled || g.Phase() != ddz.PhaseOver || r.Scores != [3]int{} {
			t.Errorf("result %+v ok %v phase %v, want cancelled", r, ok, g.Phase())
		}
	})
}

func TestBidRules(t *testing.T) {
	tests := []struct {
		name  string
		setup []ddz.Event
		act   ddz.Event
		rule  ddz.Rule
	}{
		{"bid 4", nil, ddz.Bid(0, 4), ddz.BidOutOfRange},
		{"bid -1", nil, ddz.Bid(0, -1), ddz.BidOutOfRange},
		{"equal bid", []ddz.Event{ddz.Bid(0, 2)}, ddz.Bid(1, 2), ddz.BidNotHigher},
		{"lower bid", []ddz.Event{ddz.Bid(0, 2)}, ddz.Bid(1, 1), ddz.BidNotHigher},
		{"out of turn", nil, ddz.Bid(1, 1), ddz.NotYourTurn},
		{"bad seat", nil, ddz.Bid(3, 1), ddz.BadSeat},
		{"play while bidding", nil, ddz.PlayCards(0, ddz.MustParse("3")), ddz.WrongPhase},
		{"pass while bidding", nil, ddz.Pass(0), ddz.WrongPhase},
		{"call in score bidding", nil, ddz.Call(0, true), ddz.WrongPhase},
		{"not an action", nil, ddz.Event{Kind: ddz.KindDeal, Seat: 0}, ddz.UnknownAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGame(t, seatOpts(0), 7)
			for _, e := range tt.setup {
				mustApply(t, g, e)
			}
			before := snapshot(t, g)
			_, err := g.Apply(tt.act)
			wantRule(t, g, before, err, tt.rule)
		})
	}
}

// Spec §3.2: call, grab, grab back; V = 2^g.
func TestGrabBidding(t *testing.T) {
	tests := []struct {
		name     string
		first    int
		actions  []ddz.Event
		landlord int
		v        int
	}{
		{"call, nobody grabs", 0, []ddz.Event{ddz.Call(0, true), ddz.Grab(1, false), ddz.Grab(2, false)}, 0, 1},
		{"one grab, caller declines", 0, []ddz.Event{ddz.Call(0, true), ddz.Grab(1, true), ddz.Grab(2, false), ddz.Grab(0, false)}, 1, 2},
		{"all grab", 0, []ddz.Event{ddz.Call(0, true), ddz.Grab(1, true), ddz.Grab(2, true), ddz.Grab(0, true)}, 0, 8},
		{"decliners cannot grab", 1, []ddz.Event{ddz.Call(1, false), ddz.Call(2, true), ddz.Grab(0, true), ddz.Grab(2, false)}, 0, 2},
		{"last caller alone", 0, []ddz.Event{ddz.Call(0, false), ddz.Call(1, false), ddz.Call(2, true)}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := seatOpts(tt.first)
			o.Bidding = ddz.GrabBidding
			g := newGame(t, o, 3)
			for _, e := range tt.actions {
				if g.Phase() != ddz.PhaseBidding {
					t.Fatalf("bidding ended before %+v", e)
				}
				mustApply(t, g, e)
			}
			if g.Phase() != ddz.PhasePlaying || g.Landlord() != tt.landlord || g.Multiplier() != tt.v {
				t.Errorf("phase %v landlord %d V %d, want playing %d %d", g.Phase(), g.Landlord(), g.Multiplier(), tt.landlord, tt.v)
			}
		})
	}
	t.Run("all decline redeals", func(t *testing.T) {
		o := seatOpts(0)
		o.Bidding = ddz.GrabBidding
		g := newGame(t, o, 3)
		for s := range 3 {
			mustApply(t, g, ddz.Call(s, false))
		}
		if g.View(0).Deal != 2 || g.Turn() != 1 {
			t.Errorf("deal %d turn %d, want 2 1", g.View(0).Deal, g.Turn())
		}
	})
	t.Run("rules", func(t *testing.T) {
		o := seatOpts(0)
		o.Bidding = ddz.GrabBidding
		g := newGame(t, o, 3)
		for _, c := range []struct {
			e    ddz.Event
			rule ddz.Rule
		}{
			{ddz.Grab(0, true), ddz.WrongPhase},
			{ddz.Bid(0, 1), ddz.WrongPhase},
			{ddz.Event{Kind: ddz.KindCall, Seat: 0, Value: 2}, ddz.BidOutOfRange},
			{ddz.Call(1, true), ddz.NotYourTurn},
		} {
			before := snapshot(t, g)
			_, err := g.Apply(c.e)
			wantRule(t, g, before, err, c.rule)
		}
		mustApply(t, g, ddz.Call(0, true))
		before := snapshot(t, g)
		_, err := g.Apply(ddz.Call(1, true))
		wantRule(t, g, before, err, ddz.WrongPhase)
	})
}

// startPlay bids 3 for the first bidder, so seat 0 is the landlord to lead.
func startPlay(t *testing.T, seed uint64) *ddz.Game {
	t.Helper()
	g := newGame(t, seatOpts(0), seed)
	mustApply(t, g, ddz.Bid(0, 3))
	return g
}

// Every rejection of spec §8.6, plus the phase rules.
func TestPlayRules(t *testing.T) {
	g := startPlay(t, 11)
	hand := g.View(0).Hand
	low := hand.Lowest()
	var notHeld ddz.Cards
	for r := ddz.Three; r <= ddz.RedJoker; r++ {
		if hand[r] == 0 {
			notHeld[r] = 1
			break
		}
	}
	var invalidSet ddz.Cards // two different ranks held: never a play
	for r := ddz.Rank(low + 1); r <= ddz.RedJoker; r++ {
		if hand[r] > 0 && !(low == ddz.BlackJoker) {
			invalidSet[low], invalidSet[r] = 1, 1
			break
		}
	}
	checks := []struct {
		name string
		e    ddz.Event
		rule ddz.Rule
	}{
		{"leader cannot pass", ddz.Pass(0), ddz.LeaderCannotPass},
		{"empty play is a pass", ddz.PlayCards(0, ddz.Cards{}), ddz.LeaderCannotPass},
		{"invalid set", ddz.PlayCards(0, invalidSet), ddz.InvalidCombination},
		{"cards not held", ddz.PlayCards(0, notHeld), ddz.CardsNotHeld},
		{"not your turn", ddz.PlayCards(1, ddz.MustParse("3")), ddz.NotYourTurn},
		{"bid while playing", ddz.Bid(0, 1), ddz.WrongPhase},
		{"unknown seat", ddz.Pass(-1), ddz.BadSeat},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, g)
			_, err := g.Apply(c.e)
			wantRule(t, g, before, err, c.rule)
		})
	}
	// Lead the highest single; the next seat cannot beat it with a lower one.
	var top ddz.Rank
	for r := ddz.Three; r <= ddz.RedJoker; r++ {
		if hand[r] > 0 {
			top = r
		}
	}
	if top == ddz.RedJoker {
		top = ddz.BlackJoker
	}
	if hand[top] == 0 {
		t.Skip("seed gives an unsuitable hand")
	}
	mustApply(t, g, ddz.PlayCards(0, oneCard(top)))
	low1 := g.View(1).Hand.Lowest()
	t.Run("does not beat", func(t *testing.T) {
		before := snapshot(t, g)
		_, err := g.Apply(ddz.PlayCards(1, oneCard(low1)))
		wantRule(t, g, before, err, ddz.DoesNotBeat)
	})
	t.Run("wrong type does not beat", func(t *testing.T) {
		h := g.View(1).Hand
		for r := ddz.Three; r <= ddz.Two; r++ {
			if h[r] >= 2 {
				var p ddz.Cards
				p[r] = 2
				before := snapshot(t, g)
				_, err := g.Apply(ddz.PlayCards(1, p))
				wantRule(t, g, before, err, ddz.DoesNotBeat)
				return
			}
		}
	})
	// Both others pass: seat 0 leads again (spec §8.4).
	mustApply(t, g, ddz.Pass(1))
	mustApply(t, g, ddz.Pass(2))
	if g.Turn() != 0 || !g.Leading() {
		t.Errorf("after two passes turn %d leading %v, want 0 true", g.Turn(), g.Leading())
	}
	before := snapshot(t, g)
	_, err := g.Apply(ddz.Pass(0))
	wantRule(t, g, before, err, ddz.LeaderCannotPass)
}

func oneCard(r ddz.Rank) ddz.Cards {
	var c ddz.Cards
	c[r] = 1
	return c
}

// Spec §10.4 and the cap of §10.5.
func TestSettle(t *testing.T) {
	tests := []struct {
		name   string
		r      ddz.Result
		cap    int
		m      int
		scores [3]int
	}{
		{"10.4.1 bomb and rocket", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 1, BidValue: 3, Bombs: 2}, 0, 12, [3]int{24, -12, -12}},
		{"10.4.2 spring", ddz.Result{Landlord: 1, LandlordWon: true, BaseStake: 1, BidValue: 2, Spring: true}, 0, 4, [3]int{-4, 8, -4}},
		{"10.4.3 anti-spring", ddz.Result{Landlord: 2, BaseStake: 1, BidValue: 1, Bombs: 1, AntiSpring: true}, 0, 4, [3]int{4, 4, -8}},
		{"farmers win", ddz.Result{Landlord: 0, BaseStake: 1, BidValue: 3}, 0, 3, [3]int{-6, 3, 3}},
		{"base stake", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 5, BidValue: 1}, 0, 1, [3]int{10, -5, -5}},
		{"capped", ddz.Result{Landlord: 0, LandlordWon: true, BaseStake: 1, BidValue: 3, Bombs: 4}, 16, 16, [3]int{32, -16, -16}},
		{"grab V 8", ddz.Result{Landlord: 1, BaseStake: 1, BidValue: 8, Bombs: 1}, 0, 16, [3]int{16, -32, 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.Settle(tt.cap)
			if r.Multiplier != tt.m || r.Scores != tt.scores {
				t.Errorf("Settle = M %d scores %v, want M %d scores %v", r.Multiplier, r.Scores, tt.m, tt.scores)
			}
			if r.Scores[0]+r.Scores[1]+r.Scores[2] != 0 {
				t.Errorf("scores %v do not sum to zero", r.Scores)
			}
		})
	}
}

func TestDefaultAction(t *testing.T) {
	g := newGame(t, seatOpts(0), 5)
	if e, ok := g.DefaultAction(); !ok || !reflect.DeepEqual(e, ddz.Bid(0, 0)) {
		t.Errorf("bidding default = %+v, want pass bid", e)
	}
	mustApply(t, g, ddz.Bid(0, 3))
	e, _ := g.DefaultAction()
	want := oneCard(g.View(0).Hand.Lowest())
	if e.Kind != ddz.KindPlay || e.Cards != want {
		t.Errorf("leading default = %+v, want lowest single %v", e, want)
	}
	mustApply(t, g, e)
	if e, _ := g.DefaultAction(); !reflect.DeepEqual(e, ddz.Pass(1)) {
		t.Errorf("following default = %+v, want pass", e)
	}
	o := seatOpts(0)
	o.Bidding = ddz.GrabBidding
	g = newGame(t, o, 5)
	if e, _ := g.DefaultAction(); !reflect.DeepEqual(e, ddz.Call(0, false)) || g.Expect() != ddz.KindCall {
		t.Errorf("call default = %+v expect %q, want decline, call", e, g.Expect())
	}
	mustApply(t, g, ddz.Call(0, true))
	if e, _ := g.DefaultAction(); !reflect.DeepEqual(e, ddz.Grab(1, false)) || g.View(1).Expect != ddz.KindGrab {
		t.Errorf("grab default = %+v expect %q, want no grab, grab", e, g.View(1).Expect)
	}
}

// randomGame plays a hand with random legal actions and checks the
// invariants after every step: cards are conserved and no view shows
// another seat's hand.
func randomGame(t testing.TB, opts ddz.Options, seed uint64, rng *rand.Rand) *ddz.Game {
	g := newGame(t, opts, seed)
	for steps := 0; g.Phase() != ddz.PhaseOver; steps++ {
		if steps > 2000 {
			t.Fatalf("seed %d: game does not end", seed)
		}
		s := g.Turn()
		v := g.View(s)
		var e ddz.Event
		switch {
		case v.Phase == ddz.PhaseBidding && v.Bidding == ddz.ScoreBidding:
			e = ddz.Bid(s, 0)
			if b := v.HighestBid + 1 + rng.IntN(3); b <= 3 && rng.IntN(2) == 0 {
				e = ddz.Bid(s, b)
			}
		case v.Phase == ddz.PhaseBidding:
			e, _ = g.DefaultAction()
			e.Value = rng.IntN(2)
		default:
			moves := ddz.Moves(v.Hand, v.Current.Label)
			e = ddz.PlayCards(s, moves[rng.IntN(len(moves))].Cards)
		}
		mustApply(t, g, e)
		checkConserved(t, g)
	}
	return g
}

func checkConserved(t testing.TB, g *ddz.Game) {
	t.Helper()
	var all ddz.Cards
	v := g.View(0)
	for s := range 3 {
		vs := g.View(s)
		all = all.Plus(vs.Hand).Plus(vs.Played[s])
		if vs.HandSizes != v.HandSizes {
			t.Fatalf("views disagree on hand sizes")
		}
		if vs.HandSizes[s] != vs.Hand.Len() {
			t.Fatalf("seat %d: hand size %d, hand %v", s, vs.HandSizes[s], vs.Hand)
		}
	}
	if v.Landlord < 0 {
		all = all.Plus(ddz.Cards{}) // bottom not revealed: counted below
		if all.Len() != 51 {
			t.Fatalf("bidding: %d cards in hands, want 51", all.Len())
		}
		return
	}
	full, _ := ddz.CardsOf(ddz.Deck()...)
	if all != full {
		t.Fatalf("cards not conserved: %v", all)
	}
}

func TestRandomGames(t *testing.T) {
	n := 500
	if testing.Short() || raceEnabled {
		n = 100
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		opts := ddz.DefaultOptions()
		if i%2 == 1 {
			opts.Bidding = ddz.GrabBidding
		}
		g := randomGame(t, opts, uint64(i), rng)
		r, _ := g.Result()
		if r.Scores[0]+r.Scores[1]+r.Scores[2] != 0 {
			t.Fatalf("game %d: scores %v do not sum to zero", i, r.Scores)
		}
		if !r.Cancelled && r.Multiplier != r.BidValue<<r.Bombs*map[bool]int{true: 2, false: 1}[r.Spring || r.AntiSpring] {
			t.Fatalf("game %d: multiplier %d inconsistent with %+v", i, r.Multiplier, r)
		}
		// Replay from the seed and the log reaches the same state.
		re, err := ddz.Replay(g.Options(), g.Seed(), g.Events())
		if err != nil {
			t.Fatalf("game %d: replay: %v", i, err)
		}
		if !reflect.DeepEqual(re.Events(), g.Events()) || re.View(0).Hand != g.View(0).Hand {
			t.Fatalf("game %d: replay differs", i)
		}
		// And so does a log that went through JSON.
		b, _ := json.Marshal(g.Events())
		var log []ddz.Event
		if err := json.Unmarshal(b, &log); err != nil {
			t.Fatalf("game %d: decode log: %v", i, err)
		}
		re, err = ddz.Replay(g.Options(), g.Seed(), log)
		if err != nil {
			t.Fatalf("game %d: replay from JSON: %v", i, err)
		}
		rr, _ := re.Result()
		if rr != r {
			t.Fatalf("game %d: replayed result %+v, want %+v", i, rr, r)
		}
	}
}

func TestGameOver(t *testing.T) {
	g := randomGame(t, seatOpts(0), 9, rand.New(rand.NewPCG(1, 1)))
	before := snapshot(t, g)
	_, err := g.Apply(ddz.Pass(0))
	wantRule(t, g, before, err, ddz.GameOver)
	if g.Turn() != -1 {
		t.Errorf("Turn() = %d after the end, want -1", g.Turn())
	}
	if _, ok := g.DefaultAction(); ok {
		t.Errorf("DefaultAction ok after the end")
	}
}

func TestSeedDeals(t *testing.T) {
	a := newGame(t, seatOpts(0), 42)
	b := newGame(t, seatOpts(0), 42)
	c := newGame(t, seatOpts(0), 43)
	if a.View(1).Hand != b.View(1).Hand {
		t.Errorf("same seed dealt different hands")
	}
	if a.View(1).Hand == c.View(1).Hand {
		t.Errorf("different seeds dealt the same hand")
	}
	hands, bottom := ddz.DealFrom(ddz.SeedFromUint64(42), false, 1)
	for s := range 3 {
		if hands[s] != a.View(s).Hand || hands[s].Len() != 17 {
			t.Errorf("DealFrom seat %d = %v, want %v", s, hands[s], a.View(s).Hand)
		}
	}
	if bottom.Len() != 3 {
		t.Errorf("bottom %v, want 3 cards", bottom)
	}
	if _, err := ddz.ParseSeed(ddz.SeedFromUint64(42).String()); err != nil {
		t.Errorf("ParseSeed(String()): %v", err)
	}
}

// The shuffle is uniform: every card lands in the bottom about equally often.
func TestShuffleUniform(t *testing.T) {
	const n = 20000
	var counts [ddz.NumRanks]int
	for i := range n {
		_, bottom := ddz.DealFrom(ddz.SeedFromUint64(uint64(i)), false, 1)
		for r, k := range bottom {
			counts[r] += int(k)
		}
	}
	// Expected per copy: n * 3/54. Chi-square over 15 ranks, 14 degrees of
	// freedom; 36.1 is the 0.999 quantile.
	chi := 0.0
	for r, k := range counts {
		copies := 4.0
		if r >= int(ddz.BlackJoker) {
			copies = 1
		}
		exp := n * 3.0 / 54 * copies
		chi += (float64(k) - exp) * (float64(k) - exp) / exp
	}
	if chi > 36.1 {
		t.Errorf("chi-square %.1f over the bottom ranks, counts %v", chi, counts)
	}
}

func TestViewHidesHands(t *testing.T) {
	g := newGame(t, seatOpts(0), 1)
	v := g.View(1)
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if _, ok := m["bottom"]; ok {
		t.Errorf("bottom visible during bidding: %s", b)
	}
	for _, e := range g.Events() {
		if !e.Cards.IsEmpty() {
			t.Errorf("event %+v carries cards before any play", e)
		}
	}
}

// The JSON of events is the game log's format: keep it stable.
func TestEventJSON(t *testing.T) {
	g := newGame(t, seatOpts(0), 7)
	mustApply(t, g, ddz.Bid(0, 3))
	lead, _ := g.DefaultAction()
	evs := mustApply(t, g, lead)
	evs = append(evs, mustApply(t, g, ddz.Pass(1))...)
	for g.Phase() != ddz.PhaseOver {
		e, _ := g.DefaultAction()
		mustApply(t, g, e)
	}
	all := g.Events()
	evs = append(evs, all[len(all)-1])
	want := []string{
		`{"kind":"play","seat":0,"cards":["3"],"faces":["3H"],"label":{"type":"single","rank":"3","len":1},"multiplier":3}`,
		`{"kind":"pass","seat":1}`,
		`{"kind":"end","seat":0,"result":{"landlord":0,"landlord_won":true,"winner":0,"base_stake":1,"bid_value":3,"bombs":0,"spring":true,"anti_spring":false,"multiplier":6,"uncapped":6,"scores":[12,-6,-6]}}`,
	}
	for i, e := range evs {
		b, err := json.Marshal(e)
		if err != nil || string(b) != want[i] {
			t.Errorf("event %d = %s, %v\nwant        %s", i, b, err, want[i])
		}
	}
	b, _ := json.Marshal(ddz.DefaultOptions())
	if want := `{"bidding":"score","first_bidder":-1,"max_redeals":0,"base_stake":1,"max_multiplier":0}`; string(b) != want {
		t.Errorf("options JSON = %s, want %s", b, want)
	}
}
