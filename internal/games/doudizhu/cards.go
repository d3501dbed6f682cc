package doudizhu

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Rank is the rank of a card, ordered as in spec §0.1: Three is the lowest,
// RedJoker the highest. Suits have no effect on any rule, so a card is
// fully described by its rank.
type Rank uint8

// The fifteen ranks in spec order.
const (
	Three Rank = iota
	Four
	Five
	Six
	Seven
	Eight
	Nine
	Ten
	Jack
	Queen
	King
	Ace
	Two
	BlackJoker
	RedJoker
)

// NumRanks is the number of distinct ranks.
const NumRanks = 15

// NoRank is the main rank of a label that has none: the rocket and invalid
// sets. It formats as the empty string.
const NoRank Rank = 255

var rankNames = [NumRanks]string{"3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K", "A", "2", "BJ", "RJ"}

// String returns the spec notation of r: "3"…"10", "J", "Q", "K", "A", "2",
// "BJ", "RJ"; NoRank and out-of-range values give "".
func (r Rank) String() string {
	if r >= NumRanks {
		return ""
	}
	return rankNames[r]
}

// ParseRank reads one card in spec notation. It is strict: "10", not "T";
// upper-case letters only.
func ParseRank(s string) (Rank, error) {
	for i, n := range rankNames {
		if n == s {
			return Rank(i), nil
		}
	}
	return NoRank, fmt.Errorf("doudizhu: unknown card %q", s)
}

// MarshalText encodes r in spec notation.
func (r Rank) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText decodes a card in spec notation.
func (r *Rank) UnmarshalText(b []byte) error {
	v, err := ParseRank(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// maxCopies is how many cards of each rank the deck holds.
var maxCopies = [NumRanks]uint8{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 1}

// Cards is a multiset of cards, counted per rank. The zero value is the
// empty set, which as a play means pass. Cards is a small array: copy it
// freely, compare it with ==, use it as a map key.
type Cards [NumRanks]uint8

// CardsOf counts ranks into a multiset. It fails only on a rank out of
// range or absurd counts; a multiset the deck cannot produce, such as
// "BJ BJ", is representable so that it can be classified as invalid. Use
// InDeck to check it.
func CardsOf(ranks ...Rank) (Cards, error) {
	var c Cards
	for _, r := range ranks {
		if r >= NumRanks {
			return Cards{}, fmt.Errorf("doudizhu: rank %d out of range", r)
		}
		if c[r] == 255 {
			return Cards{}, fmt.Errorf("doudizhu: too many %s", r)
		}
		c[r]++
	}
	return c, nil
}

// InDeck reports whether the 54-card deck can hold c: at most four of
// each rank 3…2 and one of each joker.
func (c Cards) InDeck() bool {
	for r, k := range c {
		if k > maxCopies[r] {
			return false
		}
	}
	return true
}

// ParseCards reads cards in spec notation separated by spaces or commas,
// for example "3 3 3 4" or "BJ,RJ". Brackets are ignored, so "[]" is the
// empty set.
func ParseCards(s string) (Cards, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ',' || r == '\t' || r == '[' || r == ']'
	})
	ranks := make([]Rank, 0, len(fields))
	for _, f := range fields {
		r, err := ParseRank(f)
		if err != nil {
			return Cards{}, err
		}
		ranks = append(ranks, r)
	}
	return CardsOf(ranks...)
}

// MustParse is ParseCards for tests and examples; it panics on bad input.
func MustParse(s string) Cards {
	c, err := ParseCards(s)
	if err != nil {
		panic(err)
	}
	return c
}

// Len returns the number of cards in c.
func (c Cards) Len() int {
	n := 0
	for _, k := range c {
		n += int(k)
	}
	return n
}

// IsEmpty reports whether c holds no card (a pass, as a play).
func (c Cards) IsEmpty() bool { return c == Cards{} }

// Contains reports whether every card of o is also in c.
func (c Cards) Contains(o Cards) bool {
	for i := range c {
		if o[i] > c[i] {
			return false
		}
	}
	return true
}

// Plus returns the union of c and o.
func (c Cards) Plus(o Cards) Cards {
	for i := range c {
		c[i] += o[i]
	}
	return c
}

// Minus returns c without the cards of o. The caller makes sure that c
// contains o.
func (c Cards) Minus(o Cards) Cards {
	for i := range c {
		c[i] -= o[i]
	}
	return c
}

// Lowest returns the lowest rank in c, or NoRank when c is empty.
func (c Cards) Lowest() Rank {
	for i, k := range c {
		if k > 0 {
			return Rank(i)
		}
	}
	return NoRank
}

// Ranks lists the cards of c sorted from lowest to highest.
func (c Cards) Ranks() []Rank {
	out := make([]Rank, 0, c.Len())
	for i, k := range c {
		for range k {
			out = append(out, Rank(i))
		}
	}
	return out
}

// Strings lists the cards of c in spec notation, lowest first.
func (c Cards) Strings() []string {
	out := make([]string, 0, c.Len())
	for i, k := range c {
		for range k {
			out = append(out, rankNames[i])
		}
	}
	return out
}

// String formats c as in the spec, for example "3 3 3 4"; the empty set is "[]".
func (c Cards) String() string {
	if c.IsEmpty() {
		return "[]"
	}
	return strings.Join(c.Strings(), " ")
}

// MarshalJSON encodes c as a sorted array of card strings, ["3","3","BJ"].
func (c Cards) MarshalJSON() ([]byte, error) { return json.Marshal(c.Strings()) }

// UnmarshalJSON decodes an array of card strings in any order.
func (c *Cards) UnmarshalJSON(b []byte) error {
	var ranks []Rank
	if err := json.Unmarshal(b, &ranks); err != nil {
		return err
	}
	v, err := CardsOf(ranks...)
	if err != nil {
		return err
	}
	*c = v
	return nil
}
