package ddz

import (
	"slices"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// TestDealsAfterRedeal: a game whose first auction all passes has two
// deals in its record, each the engine's as dealt, tied to its deal event.
func TestDealsAfterRedeal(t *testing.T) {
	opts := ddz.DefaultOptions()
	opts.FirstBidder = 0
	const seed = 42
	g, err := ddz.New(opts, ddz.SeedFromUint64(seed))
	if err != nil {
		t.Fatal(err)
	}
	log := []record{{Kind: kindOptions, Options: &tableOptions{Rules: opts, Mode: "classic", Seed: seed}}}
	for _, e := range g.Events() {
		log = append(log, engineRecord(e))
	}
	first := [3][]string{}
	for s := range 3 {
		first[s] = g.HandFaces(s).Strings()
	}
	for _, seat := range []int{0, 1, 2} { // everyone passes: a redeal
		evs, err := g.Bid(seat, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			log = append(log, engineRecord(e))
		}
	}
	deals, err := dealsOf(seed, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(deals) != 2 {
		t.Fatalf("%d deals, want 2 (a redeal)", len(deals))
	}
	for i, d := range deals {
		if log[d.Seq-1].Kind != string(ddz.KindDeal) {
			t.Errorf("deal %d: seq %d is a %q entry", i, d.Seq, log[d.Seq-1].Kind)
		}
	}
	for s := range 3 {
		if !slices.Equal(deals[0].Hands[s].Faces, first[s]) {
			t.Errorf("first deal seat %d = %v, dealt %v", s, deals[0].Hands[s].Faces, first[s])
		}
		if !slices.Equal(deals[1].Hands[s].Faces, g.HandFaces(s).Strings()) {
			t.Errorf("second deal seat %d = %v, dealt %v", s, deals[1].Hands[s].Faces, g.HandFaces(s).Strings())
		}
	}
	if !slices.Equal(deals[1].Bottom.Faces, g.BottomFaces().Strings()) || slices.Equal(deals[0].Hands[0].Faces, deals[1].Hands[0].Faces) {
		t.Errorf("second deal bottom %v (dealt %v), or the same hand twice", deals[1].Bottom.Faces, g.BottomFaces().Strings())
	}
	if _, err := dealsOf(seed, log[1:]); err == nil {
		t.Error("a log without its options entry was accepted")
	}
}
