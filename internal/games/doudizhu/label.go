package doudizhu

import (
	"encoding/json"
	"fmt"
)

// Type is the combination type of a play (spec §6). The zero value,
// Invalid, is the type of every set of cards that is not a legal play.
type Type uint8

// The combination types of spec §6, in table order.
const (
	Invalid Type = iota
	Single
	Pair
	Trio
	TrioSingle
	TrioPair
	Straight
	PairChain
	Airplane
	AirplaneSingle
	AirplanePair
	FourTwoSingle
	FourTwoPair
	Bomb
	Rocket
)

var typeNames = [...]string{
	"invalid", "single", "pair", "trio", "trio_single", "trio_pair", "straight", "pair_chain",
	"airplane", "airplane_single", "airplane_pair", "four_two_single", "four_two_pair", "bomb", "rocket",
}

// String returns the spec name of t, for example "trio_single".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// MarshalText encodes t by its spec name.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes a spec type name.
func (t *Type) UnmarshalText(b []byte) error {
	for i, n := range typeNames {
		if n == string(b) {
			*t = Type(i)
			return nil
		}
	}
	return fmt.Errorf("doudizhu: unknown type %q", b)
}

// Label is the (type, main rank, length) of a legal play, spec §0.3. The
// zero Label is invalid; as the play to beat it means "nothing: leading".
type Label struct {
	Type Type
	Rank Rank // main rank; NoRank for the rocket and for invalid sets
	Len  int  // distinct ranks in the main chain; 1 for non-chains, 0 when invalid
}

// Valid reports whether l labels a legal play.
func (l Label) Valid() bool { return l.Type != Invalid }

// String formats l as "type rank len", for example "straight 3 5".
func (l Label) String() string {
	switch l.Type {
	case Invalid:
		return "invalid"
	case Rocket:
		return "rocket"
	}
	return fmt.Sprintf("%s %s %d", l.Type, l.Rank, l.Len)
}

type labelJSON struct {
	Type Type    `json:"type"`
	Rank *string `json:"rank,omitempty"`
	Len  int     `json:"len,omitempty"`
}

// MarshalJSON encodes l as {"type":"trio_single","rank":"3","len":1};
// invalid sets as {"type":"invalid"}; the rocket with "rank":"".
func (l Label) MarshalJSON() ([]byte, error) {
	if l.Type == Invalid {
		return json.Marshal(labelJSON{Type: Invalid})
	}
	rank := l.Rank.String()
	return json.Marshal(labelJSON{Type: l.Type, Rank: &rank, Len: l.Len})
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (l *Label) UnmarshalJSON(b []byte) error {
	var v labelJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = Label{Type: v.Type, Rank: NoRank, Len: v.Len}
	if v.Rank != nil && *v.Rank != "" {
		r, err := ParseRank(*v.Rank)
		if err != nil {
			return err
		}
		l.Rank = r
	}
	if v.Type == Invalid {
		*l = Label{}
	}
	return nil
}

// invalid is returned for every set that is not a legal play.
var invalid = Label{Type: Invalid, Rank: NoRank}

// Classify returns the unique label of c (spec §5–§6), or a label of type
// Invalid. The empty set (a pass) and sets that could not come from one
// deck are invalid.
func Classify(c Cards) Label {
	n := 0
	var byCount [5]int // number of ranks held with each count
	for r, k := range c {
		if k > maxCopies[r] {
			return invalid
		}
		n += int(k)
		byCount[k]++
	}
	if n == 0 || n > 20 {
		return invalid
	}
	switch n {
	case 1:
		return Label{Single, c.Lowest(), 1}
	case 2:
		if c[BlackJoker] == 1 && c[RedJoker] == 1 {
			return Label{Rocket, NoRank, 1}
		}
		if byCount[2] == 1 {
			return Label{Pair, c.Lowest(), 1}
		}
		return invalid
	case 3:
		if byCount[3] == 1 {
			return Label{Trio, c.Lowest(), 1}
		}
		return invalid
	case 4:
		if byCount[4] == 1 {
			return Label{Bomb, c.Lowest(), 1}
		}
		if byCount[3] == 1 {
			return Label{TrioSingle, rankWith(c, 3), 1}
		}
		return invalid
	case 5:
		if byCount[3] == 1 && byCount[2] == 1 {
			return Label{TrioPair, rankWith(c, 3), 1}
		}
	case 6:
		if byCount[4] == 1 && !(c[BlackJoker] == 1 && c[RedJoker] == 1) {
			return Label{FourTwoSingle, rankWith(c, 4), 1}
		}
	case 8:
		if byCount[4] == 1 && byCount[2] == 2 {
			return Label{FourTwoPair, rankWith(c, 4), 1}
		}
	}
	return classifyChain(c, n, byCount)
}

// rankWith returns the lowest rank held exactly k times.
func rankWith(c Cards, k uint8) Rank {
	for r, v := range c {
		if v == k {
			return Rank(r)
		}
	}
	return NoRank
}

// classifyChain labels straights, pair chains and airplanes with or
// without wings.
func classifyChain(c Cards, n int, byCount [5]int) Label {
	lo := c.Lowest()
	// Plain chains: every held rank has the same count and the ranks are
	// consecutive within 3…A.
	for _, ch := range [...]struct {
		k      int
		t      Type
		minLen int
	}{{1, Straight, 5}, {2, PairChain, 3}, {3, Airplane, 2}} {
		if byCount[ch.k]*ch.k != n {
			continue
		}
		runLen := n / ch.k
		if runLen >= ch.minLen && run(c, lo, runLen, uint8(ch.k)) {
			return Label{ch.t, lo, runLen}
		}
	}
	if n%4 == 0 && n >= 8 {
		if l, ok := airplaneSingle(c, n/4); ok {
			return l
		}
	}
	if n%5 == 0 && n >= 10 {
		if l, ok := airplanePair(c, n/5); ok {
			return l
		}
	}
	return invalid
}

// run reports whether ranks lo…lo+length-1 are all within 3…A and held
// exactly k times each.
func run(c Cards, lo Rank, length int, k uint8) bool {
	if int(lo)+length-1 > int(Ace) {
		return false
	}
	for r := int(lo); r < int(lo)+length; r++ {
		if c[r] != k {
			return false
		}
	}
	return true
}

// airplaneSingle looks for a chain of n trios whose remaining n cards are
// valid wings under spec §6.16. At most one chain qualifies.
func airplaneSingle(c Cards, n int) (Label, bool) {
	if c[BlackJoker] == 1 && c[RedJoker] == 1 { // §6.16.2
		return invalid, false
	}
	for lo := 0; lo+n-1 <= int(Ace); lo++ {
		if !run(c, Rank(lo), n, 3) {
			continue
		}
		hi := lo + n - 1
		ok := true
		for r, k := range c {
			if r >= lo && r <= hi {
				continue
			}
			// §6.16.3; §6.16.5 (a 2 is never next to a chain).
			if k == 4 || (k == 3 && r <= int(Ace) && (r == lo-1 || r == hi+1)) {
				ok = false
				break
			}
		}
		if ok {
			return Label{AirplaneSingle, Rank(lo), n}, true
		}
	}
	return invalid, false
}

// airplanePair looks for a chain of n trios plus n pairs of n other ranks.
func airplanePair(c Cards, n int) (Label, bool) {
	for lo := 0; lo+n-1 <= int(Ace); lo++ {
		if !run(c, Rank(lo), n, 3) {
			continue
		}
		pairs := 0
		ok := true
		for r, k := range c {
			if r >= lo && r < lo+n {
				continue
			}
			switch k {
			case 0:
			case 2:
				pairs++
			default:
				ok = false
			}
		}
		if ok && pairs == n {
			return Label{AirplanePair, Rank(lo), n}, true
		}
	}
	return invalid, false
}

// Beats reports whether the play labelled p beats the current play c
// (spec §7). Both must be valid labels.
func Beats(p, c Label) bool {
	if !p.Valid() || !c.Valid() {
		return false
	}
	switch {
	case p.Type == Rocket:
		return c.Type != Rocket
	case c.Type == Rocket:
		return false
	case p.Type == Bomb:
		return c.Type != Bomb || p.Rank > c.Rank
	case c.Type == Bomb:
		return false
	}
	return p.Type == c.Type && p.Len == c.Len && p.Rank > c.Rank
}
