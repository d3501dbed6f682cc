package doudizhu_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

func TestFaceNotation(t *testing.T) {
	seen := map[string]bool{}
	for f := ddz.Face(0); f < ddz.NumFaces; f++ {
		s := f.String()
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
		back, err := ddz.ParseFace(s)
		if err != nil || back != f {
			t.Errorf("ParseFace(%q) = %d, %v, want %d", s, back, err, f)
		}
		if f.Rank() != ddz.Deck()[f] {
			t.Errorf("face %s has rank %s, deck position %d holds %s", s, f.Rank(), f, ddz.Deck()[f])
		}
	}
	for _, tc := range []struct {
		in   string
		want ddz.Face
	}{{"3S", 0}, {"3H", 1}, {"3C", 2}, {"3D", 3}, {"10H", 29}, {"2D", 51}, {"BJ", 52}, {"RJ", 53}} {
		if got, err := ddz.ParseFace(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseFace(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "3", "S", "3s", "3X", "BJS", "1S", "TS", "11H", "RJH", "10"} {
		if _, err := ddz.ParseFace(bad); err == nil {
			t.Errorf("ParseFace(%q) accepted", bad)
		}
	}
	if _, err := ddz.ParseFaces([]string{"3S", "4H", "3S"}); err == nil {
		t.Error("ParseFaces accepted a card twice")
	}
	b, err := json.Marshal(ddz.Faces{ddz.FaceOf(ddz.Ten, ddz.Clubs), 53})
	if err != nil || string(b) != `["10C","RJ"]` {
		t.Errorf("JSON %s %v", b, err)
	}
}

func TestPickLowestSuits(t *testing.T) {
	hand, _ := ddz.ParseFaces([]string{"4D", "4H", "3C", "4S", "BJ", "3D"})
	got, ok := hand.Pick(ddz.MustParse("4 4 3"))
	if want, _ := ddz.ParseFaces([]string{"3C", "4S", "4H"}); !ok || !slices.Equal(got, want) {
		t.Errorf("Pick = %v %v, want %v", got, ok, want)
	}
	if _, ok := hand.Pick(ddz.MustParse("5")); ok {
		t.Error("Pick of a rank not held succeeded")
	}
}

// place is where one physical card is at a moment of a game.
type place string

// locate maps every card to its one place, failing when a card is in two
// places or in none.
func locate(t *testing.T, g *ddz.Game) {
	t.Helper()
	where := map[ddz.Face]place{}
	put := func(fs ddz.Faces, p place) {
		for _, f := range fs {
			if q, ok := where[f]; ok {
				t.Fatalf("%s is in %s and in %s", f, q, p)
			}
			where[f] = p
		}
	}
	for s := range 3 {
		v := g.View(s)
		put(v.HandFaces, place("hand"+string(rune('0'+s))))
		put(v.PlayedFaces[s], place("played"+string(rune('0'+s))))
		if v.HandFaces.Ranks() != v.Hand || v.PlayedFaces[s].Ranks() != v.Played[s] {
			t.Fatalf("seat %d: faces %v / %v do not match ranks %v / %v", s, v.HandFaces, v.PlayedFaces[s], v.Hand, v.Played[s])
		}
	}
	if g.Landlord() < 0 {
		put(g.BottomFaces(), "bottom")
	}
	if len(where) != ddz.NumFaces {
		t.Fatalf("%d cards placed, want 54", len(where))
	}
}

// TestEveryCardInOnePlace plays many random games, with plays given by
// ranks and by physical cards, and checks after every action that each of
// the 54 cards is in exactly one place, that the seats' views agree, and
// that a replay of the log reproduces the same physical cards.
func TestEveryCardInOnePlace(t *testing.T) {
	for n := range 200 {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		g, err := ddz.New(ddz.DefaultOptions(), ddz.SeedFromUint64(uint64(n)))
		if err != nil {
			t.Fatal(err)
		}
		locate(t, g)
		for steps := 0; g.Phase() != ddz.PhaseOver && steps < 500; steps++ {
			seat := g.Turn()
			var e ddz.Event
			if g.Phase() == ddz.PhasePlaying && rng.IntN(2) == 0 {
				hints := ddz.Hints(g.View(seat).Hand, currentLabel(g))
				if len(hints) > 0 {
					h := hints[rng.IntN(len(hints))]
					// choose random physical cards of those ranks
					hand := g.HandFaces(seat)
					rng.Shuffle(len(hand), func(i, j int) { hand[i], hand[j] = hand[j], hand[i] })
					faces, _ := pickAny(hand, h.Cards)
					e = ddz.PlayFaceCards(seat, faces)
				}
			}
			if e.Kind == "" {
				e, _ = g.DefaultAction()
			}
			evs, err := g.Apply(e)
			if err != nil {
				t.Fatalf("game %d: %+v: %v", n, e, err)
			}
			if e.Kind == ddz.KindPlay && len(e.Faces) > 0 && !slices.Equal(evs[0].Faces, slices.Sorted(slices.Values(e.Faces))) {
				t.Fatalf("played %v, event says %v", e.Faces, evs[0].Faces)
			}
			locate(t, g)
		}
		r, err := ddz.Replay(g.Options(), g.Seed(), actions(g.Events()))
		if err != nil {
			t.Fatal(err)
		}
		for s := range 3 {
			if !slices.Equal(r.View(s).PlayedFaces[s], g.View(s).PlayedFaces[s]) {
				t.Fatalf("game %d: replay seat %d played %v, live %v", n, s, r.View(s).PlayedFaces[s], g.View(s).PlayedFaces[s])
			}
		}
	}
}

func currentLabel(g *ddz.Game) ddz.Label {
	p, _ := g.Current()
	return p.Label
}

// pickAny takes cards of c's ranks from hand in hand's order.
func pickAny(hand ddz.Faces, c ddz.Cards) (ddz.Faces, bool) {
	var out ddz.Faces
	for _, f := range hand {
		if c[f.Rank()] > 0 {
			c[f.Rank()]--
			out = append(out, f)
		}
	}
	return out, c.IsEmpty()
}

// actions are the player actions of a log (what Replay takes).
func actions(log []ddz.Event) []ddz.Event {
	var out []ddz.Event
	for _, e := range log {
		switch e.Kind {
		case ddz.KindBid, ddz.KindCall, ddz.KindGrab, ddz.KindPlay, ddz.KindPass:
			out = append(out, e)
		}
	}
	return out
}

func TestPlayFacesRules(t *testing.T) {
	g, err := ddz.New(ddz.Options{Bidding: ddz.ScoreBidding, FirstBidder: 0, BaseStake: 1}, ddz.SeedFromUint64(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Bid(0, 3); err != nil {
		t.Fatal(err)
	}
	hand := g.HandFaces(0)
	other := g.HandFaces(1)
	var re *ddz.RuleError
	for _, tc := range []struct {
		name string
		e    ddz.Event
		rule ddz.Rule
	}{
		{"another seat's card", ddz.PlayFaceCards(0, ddz.Faces{other[0]}), ddz.CardsNotHeld},
		{"a card twice", ddz.PlayFaceCards(0, ddz.Faces{hand[0], hand[0]}), ddz.CardsNotHeld},
		{"ranks that are not the faces'", ddz.Event{Kind: ddz.KindPlay, Seat: 0, Cards: ddz.MustParse("RJ"), Faces: ddz.Faces{hand[0]}}, ddz.InvalidCombination},
		{"no such card", ddz.PlayFaceCards(0, ddz.Faces{60}), ddz.CardsNotHeld},
	} {
		if _, err := g.Apply(tc.e); !errors.As(err, &re) || re.Rule != tc.rule {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.rule)
		}
	}
	if len(g.HandFaces(0)) != 20 {
		t.Fatal("a refused play changed the hand")
	}
	evs, err := g.PlayFaces(0, ddz.Faces{hand[len(hand)-1]})
	if err != nil || !slices.Equal(evs[0].Faces, ddz.Faces{hand[len(hand)-1]}) {
		t.Fatalf("play of one held card: %v %v", evs, err)
	}
	if _, err := g.PlayFaces(1, ddz.Faces{hand[len(hand)-1]}); err == nil {
		t.Error("a card already played was played again")
	}
}

func FuzzParseFace(f *testing.F) {
	for _, s := range []string{"3S", "10H", "BJ", "RJ", "2D", "", "10", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ddz.ParseFace(s)
		if err != nil {
			return
		}
		if !c.Valid() || c.String() != s {
			t.Fatalf("ParseFace(%q) = %d (%q)", s, c, c.String())
		}
	})
}
