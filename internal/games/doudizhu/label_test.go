package doudizhu_test

import (
	"testing"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// Every example of spec §6.17, plus the edge cases the text implies.
func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		cards string
		want  string // Label.String()
	}{
		// single / pair / trio / bomb / rocket
		{"single 7", "7", "single 7 1"},
		{"single RJ", "RJ", "single RJ 1"},
		{"pair 9", "9 9", "pair 9 1"},
		{"pair 2", "2 2", "pair 2 1"},
		{"trio Q", "Q Q Q", "trio Q 1"},
		{"bomb 5", "5 5 5 5", "bomb 5 1"},
		{"rocket", "BJ RJ", "rocket"},
		{"two black jokers", "BJ BJ", "invalid"},
		{"empty", "", "invalid"},
		{"two different", "3 4", "invalid"},
		{"joker and card", "3 BJ", "invalid"},
		// trio_single / trio_pair
		{"trio single", "3 3 3 4", "trio_single 3 1"},
		{"trio joker", "3 3 3 BJ", "trio_single 3 1"},
		{"trio two", "3 3 3 2", "trio_single 3 1"},
		{"trio pair", "8 8 8 J J", "trio_pair 8 1"},
		{"trio with kicker below", "4 J J J", "trio_single J 1"},
		{"trio with rocket", "3 3 3 BJ RJ", "invalid"},
		{"four plus one", "3 3 3 3 4", "invalid"},
		// straight
		{"straight 3-7", "3 4 5 6 7", "straight 3 5"},
		{"straight 10-A", "10 J Q K A", "straight 10 5"},
		{"longest straight", "3 4 5 6 7 8 9 10 J Q K A", "straight 3 12"},
		{"straight with 2", "J Q K A 2", "invalid"},
		{"wrap K-4", "K A 2 3 4", "invalid"},
		{"wrap A-5", "A 2 3 4 5", "invalid"},
		{"straight too short", "3 4 5 6", "invalid"},
		{"straight with joker", "3 4 5 6 BJ", "invalid"},
		{"straight with gap", "3 4 5 6 8", "invalid"},
		// pair_chain
		{"pair chain 3", "3 3 4 4 5 5", "pair_chain 3 3"},
		{"pair chain Q", "Q Q K K A A", "pair_chain Q 3"},
		{"pair chain 10", "3 3 4 4 5 5 6 6 7 7 8 8 9 9 10 10 J J Q Q", "pair_chain 3 10"},
		{"two pairs", "3 3 4 4", "invalid"},
		{"pair chain with 2", "K K A A 2 2", "invalid"},
		// airplane
		{"airplane 3", "3 3 3 4 4 4", "airplane 3 2"},
		{"airplane K", "K K K A A A", "airplane K 2"},
		{"airplane 4 long", "3 3 3 4 4 4 5 5 5 6 6 6", "airplane 3 4"},
		{"airplane with 2", "A A A 2 2 2", "invalid"},
		{"airplane gap", "3 3 3 5 5 5", "invalid"},
		{"airplane 6 long", "3 3 3 4 4 4 5 5 5 6 6 6 7 7 7 8 8 8", "airplane 3 6"},
		// airplane_single
		{"wings 7 9", "3 3 3 4 4 4 7 9", "airplane_single 3 2"},
		{"wings pair", "3 3 3 4 4 4 5 5", "airplane_single 3 2"},
		{"wings joker", "3 3 3 4 4 4 5 BJ", "airplane_single 3 2"},
		{"wing trio far", "3 3 3 4 4 4 5 5 5 9 9 9", "airplane_single 3 3"},
		{"wing trio 2s", "Q Q Q K K K A A A 2 2 2", "airplane_single Q 3"},
		{"five long", "8 8 8 9 9 9 10 10 10 J J J Q Q Q 3 3 3 4 2", "airplane_single 8 5"},
		{"adjacent trio is plain airplane", "4 4 4 5 5 5 6 6 6 3 3 3", "airplane 3 4"},
		{"wing trio next to chain", "3 3 3 4 4 4 5 5 5 6 6 6 7 7 7 8", "invalid"},
		{"rocket as wings", "3 3 3 4 4 4 BJ RJ", "invalid"},
		{"bomb as wings", "3 3 3 4 4 4 5 5 5 6 6 6 7 7 7 7", "invalid"},
		{"wing with chain rank", "3 3 3 4 4 4 3 5", "invalid"},
		{"wing trio below chain", "3 3 3 5 5 5 6 6 6 7 7 7", "airplane_single 5 3"},
		// airplane_pair
		{"pair wings", "3 3 3 4 4 4 5 5 6 6", "airplane_pair 3 2"},
		{"pair wings 3", "3 3 3 4 4 4 5 5 5 7 7 9 9 J J", "airplane_pair 3 3"},
		{"bomb as two pairs", "3 3 3 4 4 4 5 5 5 5", "invalid"},
		{"jokers as pair", "3 3 3 4 4 4 BJ RJ 5 5", "invalid"},
		{"pair wings 4", "3 3 3 4 4 4 5 5 5 6 6 6 8 8 9 9 J J 2 2", "airplane_pair 3 4"},
		// four_two_single / four_two_pair
		{"four two", "3 3 3 3 5 7", "four_two_single 3 1"},
		{"four two as pair", "3 3 3 3 5 5", "four_two_single 3 1"},
		{"four two joker", "3 3 3 3 5 BJ", "four_two_single 3 1"},
		{"four two pairs", "3 3 3 3 5 5 7 7", "four_two_pair 3 1"},
		{"four two pairs 9", "9 9 9 9 Q Q 2 2", "four_two_pair 9 1"},
		{"four two rocket", "3 3 3 3 BJ RJ", "invalid"},
		{"four pair rocket", "3 3 3 3 5 5 BJ RJ", "invalid"},
		{"two bombs", "3 3 3 3 5 5 5 5", "invalid"},
		{"chain bombs", "3 3 3 3 4 4 4 4", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ddz.Classify(ddz.MustParse(tt.cards)).String(); got != tt.want {
				t.Errorf("Classify(%q) = %s, want %s", tt.cards, got, tt.want)
			}
		})
	}
}

func TestClassifyNotDeck(t *testing.T) {
	var c ddz.Cards
	c[ddz.Three] = 5
	if l := ddz.Classify(c); l.Valid() {
		t.Errorf("Classify(five 3s) = %v, want invalid", l)
	}
	c = ddz.Cards{}
	c[ddz.BlackJoker] = 2
	if l := ddz.Classify(c); l.Valid() {
		t.Errorf("Classify(BJ BJ) = %v, want invalid", l)
	}
}

// Every example and consequence of spec §7.
func TestBeats(t *testing.T) {
	tests := []struct {
		name string
		p, c string
		want bool
	}{
		{"rocket beats bomb", "BJ RJ", "2 2 2 2", true},
		{"rocket beats single", "BJ RJ", "3", true},
		{"nothing beats rocket", "2 2 2 2", "BJ RJ", false},
		{"bomb beats straight", "3 3 3 3", "10 J Q K A", true},
		{"bomb beats four two", "3 3 3 3", "2 2 2 2 3 4", true},
		{"bomb beats four two pair", "3 3 3 3", "2 2 2 2 4 4 5 5", true},
		{"higher bomb", "4 4 4 4", "3 3 3 3", true},
		{"lower bomb", "3 3 3 3", "4 4 4 4", false},
		{"2s highest bomb", "2 2 2 2", "A A A A", true},
		{"higher single", "4", "3", true},
		{"equal single", "3", "3", false},
		{"RJ over BJ", "RJ", "BJ", true},
		{"BJ over 2", "BJ", "2", true},
		{"higher pair", "2 2", "A A", true},
		{"wings do not count", "4 4 4 5 5 5 6 6 6 7 8 9", "3 3 3 4 4 4 5 5 5 K K K", true},
		{"wing trio does not count", "3 3 3 4 4 4 5 5 5 K K K", "4 4 4 5 5 5 6 6 6 7 8 9", false},
		{"straight on pair chain", "4 5 6 7 8 9", "3 3 4 4 5 5", false},
		{"longer straight", "4 5 6 7 8 9", "3 4 5 6 7", false},
		{"equal straight", "3 4 5 6 7", "3 4 5 6 7", false},
		{"higher straight", "4 5 6 7 8", "3 4 5 6 7", true},
		{"four two single vs pair", "4 4 4 4 5 5 6 6", "3 3 3 3 5 6", false},
		{"four two single higher", "4 4 4 4 5 6", "3 3 3 3 5 6", true},
		{"four two pair higher", "4 4 4 4 5 5 6 6", "3 3 3 3 5 5 6 6", true},
		{"four two not a bomb", "2 2 2 2 3 4", "3 3 3 3", false},
		{"trio single on trio pair", "4 4 4 5", "3 3 3 5 5", false},
		{"kicker does not count", "4 4 4 3", "3 3 3 2", true},
		{"trio on pair", "4 4 4", "3 3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, c := ddz.Classify(ddz.MustParse(tt.p)), ddz.Classify(ddz.MustParse(tt.c))
			if got := ddz.Beats(p, c); got != tt.want {
				t.Errorf("Beats(%q %v, %q %v) = %v, want %v", tt.p, p, tt.c, c, got, tt.want)
			}
		})
	}
}

func TestParseCards(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"3 3 3 4", "3 3 3 4", false},
		{"RJ,BJ,10", "10 BJ RJ", false},
		{"[]", "[]", false},
		{"[2, A]", "A 2", false},
		{"T", "", true},
		{"j", "", true},
		{"3 3 3 3 3", "3 3 3 3 3", false},
		{"BJ BJ", "BJ BJ", false},
	}
	for _, tt := range tests {
		c, err := ddz.ParseCards(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCards(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && c.String() != tt.want {
			t.Errorf("ParseCards(%q) = %q, want %q", tt.in, c, tt.want)
		}
	}
}

func TestLabelJSON(t *testing.T) {
	tests := []struct{ cards, want string }{
		{"3 3 3 4", `{"type":"trio_single","rank":"3","len":1}`},
		{"3 4 5 6 7", `{"type":"straight","rank":"3","len":5}`},
		{"BJ RJ", `{"type":"rocket","rank":"","len":1}`},
		{"3 4", `{"type":"invalid"}`},
	}
	for _, tt := range tests {
		b, err := ddz.Classify(ddz.MustParse(tt.cards)).MarshalJSON()
		if err != nil || string(b) != tt.want {
			t.Errorf("Classify(%q) JSON = %s, %v; want %s", tt.cards, b, err, tt.want)
		}
	}
}
