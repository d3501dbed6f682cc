package doudizhu

import (
	"fmt"
	"slices"
	"strings"
)

// Physical cards. The rules look at ranks only (Cards), but a real deck has
// 54 distinct cards, and players see the same physical card in every view:
// the game deals, holds, plays and reveals Faces, and derives the ranks
// from them. Suits have no effect on any rule.

// Suit is the suit of a card from 3 to 2; jokers have none.
type Suit uint8

// The four suits, in the order the deck is built and sorted.
const (
	Spades Suit = iota
	Hearts
	Clubs
	Diamonds
)

var suitLetters = [4]string{"S", "H", "C", "D"}

// String is the suit's letter: S (♠), H (♥), C (♣), D (♦).
func (s Suit) String() string {
	if s > Diamonds {
		return ""
	}
	return suitLetters[s]
}

// Face is one physical card of the 54: for ranks Three…Two, rank×4+suit
// (0…51); BlackJoker is 52 and RedJoker 53. Faces order as the deck does:
// by rank, then by suit.
type Face uint8

// NumFaces is the size of the physical deck.
const NumFaces = 54

// FaceOf is the card of rank r and suit s (s is ignored for a joker).
func FaceOf(r Rank, s Suit) Face {
	switch r {
	case BlackJoker:
		return 52
	case RedJoker:
		return 53
	}
	return Face(r)*4 + Face(s)
}

// Rank is the card's rank.
func (f Face) Rank() Rank {
	switch {
	case f < 52:
		return Rank(f / 4)
	case f == 52:
		return BlackJoker
	case f == 53:
		return RedJoker
	}
	return NoRank
}

// Suit is the card's suit; for a joker it is meaningless (Joker reports
// which).
func (f Face) Suit() Suit { return Suit(f % 4) }

// Joker reports whether f is one of the two jokers.
func (f Face) Joker() bool { return f == 52 || f == 53 }

// Valid reports whether f is one of the 54 cards.
func (f Face) Valid() bool { return f < NumFaces }

// String is the wire notation: the rank, then the suit letter ("3S",
// "10H", "QC", "2D"); the jokers are "BJ" and "RJ".
func (f Face) String() string {
	if !f.Valid() {
		return ""
	}
	if f.Joker() {
		return f.Rank().String()
	}
	return f.Rank().String() + f.Suit().String()
}

// ParseFace reads a card in wire notation (strict: upper case, "10" not "T").
func ParseFace(s string) (Face, error) {
	if s == "BJ" || s == "RJ" {
		r, _ := ParseRank(s)
		return FaceOf(r, 0), nil
	}
	if len(s) < 2 {
		return 0, fmt.Errorf("doudizhu: unknown card %q", s)
	}
	r, err := ParseRank(s[:len(s)-1])
	if err != nil || r >= BlackJoker {
		return 0, fmt.Errorf("doudizhu: unknown card %q", s)
	}
	i := slices.Index(suitLetters[:], s[len(s)-1:])
	if i < 0 {
		return 0, fmt.Errorf("doudizhu: unknown card %q: the suit is one of S, H, C, D", s)
	}
	return FaceOf(r, Suit(i)), nil
}

// MarshalText encodes f in wire notation.
func (f Face) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("doudizhu: face %d out of range", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText decodes a card in wire notation.
func (f *Face) UnmarshalText(b []byte) error {
	v, err := ParseFace(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Faces is a list of physical cards.
type Faces []Face

// Ranks counts the ranks of fs.
func (fs Faces) Ranks() Cards {
	var c Cards
	for _, f := range fs {
		if r := f.Rank(); r < NumRanks {
			c[r]++
		}
	}
	return c
}

// Strings is fs in wire notation, in deck order; nil for none.
func (fs Faces) Strings() []string {
	if len(fs) == 0 {
		return nil
	}
	s := slices.Clone(fs)
	slices.Sort(s)
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.String()
	}
	return out
}

// String is fs in wire notation separated by spaces.
func (fs Faces) String() string { return strings.Join(fs.Strings(), " ") }

// ParseFaces reads wire cards; a card listed twice is an error.
func ParseFaces(in []string) (Faces, error) {
	out := make(Faces, 0, len(in))
	var seen [NumFaces]bool
	for _, s := range in {
		f, err := ParseFace(s)
		if err != nil {
			return nil, err
		}
		if seen[f] {
			return nil, fmt.Errorf("doudizhu: card %s listed twice", f)
		}
		seen[f] = true
		out = append(out, f)
	}
	return out, nil
}

// sorted returns fs in deck order (a new slice).
func (fs Faces) sorted() Faces {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s
}

// dedupe drops repeats from sorted fs.
func (fs Faces) dedupe() Faces { return slices.Compact(slices.Clone(fs)) }

// holds reports whether every card of want is in fs.
func (fs Faces) holds(want Faces) bool {
	var have [NumFaces]bool
	for _, f := range fs {
		if f.Valid() {
			have[f] = true
		}
	}
	for _, f := range want {
		if !f.Valid() || !have[f] {
			return false
		}
	}
	return true
}

// without returns fs less the cards of drop (a new slice).
func (fs Faces) without(drop Faces) Faces {
	var gone [NumFaces]bool
	for _, f := range drop {
		if f.Valid() {
			gone[f] = true
		}
	}
	out := make(Faces, 0, len(fs))
	for _, f := range fs {
		if !gone[f] {
			out = append(out, f)
		}
	}
	return out
}

// Pick chooses from fs the physical cards of the ranks in c: for each rank,
// the lowest suits held. It is how a play given by ranks only (a bot, a
// hint, auto-play, a client that sends ranks) becomes physical cards, the
// same way every time. ok is false when fs lacks the ranks.
func (fs Faces) Pick(c Cards) (Faces, bool) {
	need := c
	out := make(Faces, 0, c.Len())
	for _, f := range fs.sorted() {
		if r := f.Rank(); r < NumRanks && need[r] > 0 {
			need[r]--
			out = append(out, f)
		}
	}
	return out, need.IsEmpty()
}

// shuffleFaces shuffles the 54 physical cards with rng and deals them:
// 17 to each seat, the last three to the bottom. The deck starts in deck
// order, so the ranks at each position are those of Deck(): the same rng
// deals the same ranks as before suits existed.
func shuffleFaces(rng interface{ Shuffle(int, func(int, int)) }) (hands [3]Faces, bottom Faces) {
	var deck [NumFaces]Face
	for i := range deck {
		deck[i] = Face(i)
	}
	rng.Shuffle(len(deck), func(i, j int) { deck[i], deck[j] = deck[j], deck[i] })
	for s := range hands {
		hands[s] = slices.Clone(deck[s*HandSize : (s+1)*HandSize])
	}
	return hands, slices.Clone(deck[3*HandSize:])
}
