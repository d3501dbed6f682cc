package main

import (
	"strings"
	"testing"
)

// TestParseHouseRules: names in any order and spacing, empty for none,
// anything else refused.
func TestParseHouseRules(t *testing.T) {
	tests := []struct {
		in   string
		want [3]bool
		err  bool
	}{
		{"", [3]bool{}, false},
		{"doubling", [3]bool{true, false, false}, false},
		{" card_counter , doubling ", [3]bool{true, false, true}, false},
		{"show_hand,show_hand", [3]bool{false, true, false}, false},
		{"doubling,show_hand,card_counter", [3]bool{true, true, true}, false},
		{",,", [3]bool{}, false},
		{"Doubling", [3]bool{}, true},
		{"doubling;show_hand", [3]bool{}, true},
		{"super_doubling", [3]bool{}, true},
	}
	for _, tt := range tests {
		got, err := parseHouseRules(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("parseHouseRules(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzParseHouseRules: whatever parses formats back to a list that parses
// to the same rules, and only known names are accepted.
func FuzzParseHouseRules(f *testing.F) {
	for _, s := range []string{"", "doubling", "show_hand, card_counter", "x", ",doubling,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		on, err := parseHouseRules(s)
		if err != nil {
			return
		}
		for _, name := range strings.Split(s, ",") {
			if n := strings.TrimSpace(name); n != "" && n != "doubling" && n != "show_hand" && n != "card_counter" {
				t.Fatalf("%q accepted with the name %q", s, n)
			}
		}
		back, err := parseHouseRules(formatHouseRules(on))
		if err != nil || back != on {
			t.Fatalf("%q: %v formats to %q, which parses to %v, %v", s, on, formatHouseRules(on), back, err)
		}
	})
}
