package doudizhu_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

func FuzzParseCards(f *testing.F) {
	for _, s := range []string{"3 3 3 4", "BJ RJ", "[]", "10,J,Q,K,A", "2 2 2 2 BJ", "x", "3  3", "[3, RJ]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ddz.ParseCards(s)
		if err != nil {
			return
		}
		back, err := ddz.ParseCards(c.String())
		if err != nil || back != c {
			t.Fatalf("ParseCards(%q) = %v; reparse %v, %v", s, c, back, err)
		}
		b, _ := json.Marshal(c)
		var j ddz.Cards
		if err := json.Unmarshal(b, &j); err != nil || j != c {
			t.Fatalf("JSON round trip of %v: %s -> %v, %v", c, b, j, err)
		}
	})
}

// ranksOf turns fuzz bytes into at most max cards.
func ranksOf(b []byte, max int) []ddz.Rank {
	if len(b) > max {
		b = b[:max]
	}
	out := make([]ddz.Rank, len(b))
	for i, x := range b {
		out[i] = ddz.Rank(x % ddz.NumRanks)
	}
	return out
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"3 3 3 4", "3 3 3 4 4 4 5 5 5 9 9 9", "8 8 8 9 9 9 10 10 10 J J J Q Q Q 3 3 3 4 2", "BJ RJ", "3 3 3 3 5 5 7 7"} {
		var b []byte
		for _, r := range ddz.MustParse(s).Ranks() {
			b = append(b, byte(r))
		}
		f.Add(b, uint64(1), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 1, 2, 3, 4})
	}
	f.Fuzz(func(t *testing.T, play []byte, seed uint64, handBytes []byte) {
		ranks := ranksOf(play, 24)
		c, err := ddz.CardsOf(ranks...)
		if err != nil {
			t.Fatal(err)
		}
		l := ddz.Classify(c)
		// Order independence: the label depends on the multiset only.
		rng := rand.New(rand.NewPCG(seed, seed))
		rng.Shuffle(len(ranks), func(i, j int) { ranks[i], ranks[j] = ranks[j], ranks[i] })
		c2, _ := ddz.CardsOf(ranks...)
		if l2 := ddz.Classify(c2); l2 != l {
			t.Fatalf("Classify(%v) = %v, shuffled %v", c, l, l2)
		}
		b, _ := json.Marshal(l)
		var back ddz.Label
		if err := json.Unmarshal(b, &back); err != nil || (l.Valid() && back != l) {
			t.Fatalf("label JSON %s -> %v, %v; want %v", b, back, err, l)
		}
		// Every generated move is legal, held and beats the play.
		hand, _ := ddz.CardsOf(ranksOf(handBytes, 20)...)
		if !hand.InDeck() {
			return
		}
		for _, m := range ddz.Moves(hand, l) {
			if m.IsPass() {
				if !l.Valid() {
					t.Fatalf("pass offered to the leader")
				}
				continue
			}
			if !hand.Contains(m.Cards) || ddz.Classify(m.Cards) != m.Label || (l.Valid() && !ddz.Beats(m.Label, l)) {
				t.Fatalf("hand %v prev %v: bad move %v (%v)", hand, l, m.Cards, m.Label)
			}
		}
	})
}
