package doudizhu_test

import (
	"fmt"
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

func TestHints(t *testing.T) {
	tests := []struct {
		name string
		hand string
		prev string // the play to beat; "" leads
		want []string
	}{
		{"smallest pair first", "4 8 8 9 9 K K", "4 4", []string{"[8 8]", "[9 9]", "[K K]"}},
		{"pairs before breaking a trio", "7 7 7 9 9 K K", "4 4", []string{"[9 9]", "[K K]", "[7 7]"}},
		{"a trio broken before a bomb", "5 5 5 5 7 7 7 K", "4 4", []string{"[7 7]", "[5 5]", "[5 5 5 5]"}},
		{"smallest single first, a pair broken or not", "6 6 9 J J", "5", []string{"[6]", "[9]", "[J]"}},
		{"single: breaking the rocket last", "8 2 BJ RJ", "7", []string{"[8]", "[2]", "[BJ]", "[RJ]", "[BJ RJ]"}},
		{"bomb: only bigger bombs and the rocket", "3 3 3 3 9 9 9 9 BJ RJ", "5 5 5 5", []string{"[9 9 9 9]", "[BJ RJ]"}},
		{"trio with the cheapest kicker", "6 8 8 8 Q Q", "5 5 5 3", []string{"[6 8 8 8]", "[8 8 8 Q]"}},
		{"nothing beats", "3 4 5", "2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := ddz.Label{}
			if tt.prev != "" {
				prev = ddz.Classify(ddz.MustParse(tt.prev))
			}
			got := ddz.Hints(ddz.MustParse(tt.hand), prev)
			var s []string
			for _, p := range got {
				s = append(s, "["+p.String()+"]")
			}
			if fmt.Sprint(s) != fmt.Sprint(tt.want) {
				t.Errorf("Hints(%q, %q) = %v, want %v", tt.hand, tt.prev, s, tt.want)
			}
		})
	}
}

// TestHintsAreTheLegalPlays: Hints is a reordering of Moves without the
// pass, for leads and follows alike.
func TestHintsAreTheLegalPlays(t *testing.T) {
	for _, c := range []struct{ hand, prev string }{
		{"3 3 4 4 5 5 6 7 8 9 10 J J J Q 2 2 BJ", ""},
		{"3 3 3 3 5 6 7 8 9 9 9 K K A A 2 RJ", "4 4"},
		{"5 5 5 6 6 6 7 7 8 9 Q Q K A", "3 3 3 4 4 4 8 9"},
	} {
		prev := ddz.Label{}
		if c.prev != "" {
			prev = ddz.Classify(ddz.MustParse(c.prev))
		}
		hand := ddz.MustParse(c.hand)
		want := map[ddz.Cards]bool{}
		for _, p := range ddz.Moves(hand, prev) {
			if !p.IsPass() {
				want[p.Cards] = true
			}
		}
		got := ddz.Hints(hand, prev)
		if len(got) != len(want) {
			t.Errorf("%s vs %q: %d hints, %d legal plays", c.hand, c.prev, len(got), len(want))
		}
		for _, p := range got {
			if !want[p.Cards] {
				t.Errorf("%s vs %q: hint %v is not a legal play", c.hand, c.prev, p)
			}
		}
	}
}
