package doudizhu

import "sort"

// Hint cost tiers, cheapest first: what a play spends of the hand's
// groups besides its own cards.
const (
	tierPlain      = iota // breaks no trio, bomb or rocket
	tierTrio              // takes part of a trio
	tierBomb              // takes part of a bomb or of the rocket, or spends a bomb as four-with-two
	tierBombPlay          // a bomb
	tierRocketPlay        // the rocket
)

// Hints returns the legal plays from hand against prev (the zero Label
// when leading), cheapest first, without the pass: plays that break no
// trio, bomb or rocket first, then those that break a trio, then those
// that break a bomb or the rocket (or spend a bomb as four-with-two), then
// bombs, then the rocket. Within a tier the smallest play comes first: the
// lowest main rank, then the fewest pairs broken, then the lowest kickers,
// then the fewest cards. So against a pair of 4s with 8-8, 9-9 and K-K in
// hand the first hint is 8-8, and 7-7 from 7-7-7 comes only after every
// pair that breaks nothing.
func Hints(hand Cards, prev Label) []Play {
	moves := Moves(hand, prev)
	out := make([]Play, 0, len(moves))
	keys := make([]hintKey, 0, len(moves))
	for _, p := range moves {
		if p.IsPass() {
			continue
		}
		out = append(out, p)
		keys = append(keys, keyOf(hand, p))
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]].less(keys[idx[b]]) })
	sorted := make([]Play, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

// hintKey orders hints: see Hints.
type hintKey struct {
	tier       int
	rank       int // main rank; the rocket above everything
	pairBreaks int
	kickers    int // sum of the ranks outside the main group
	cards      int
}

func (k hintKey) less(o hintKey) bool {
	switch {
	case k.tier != o.tier:
		return k.tier < o.tier
	case k.rank != o.rank:
		return k.rank < o.rank
	case k.pairBreaks != o.pairBreaks:
		return k.pairBreaks < o.pairBreaks
	case k.kickers != o.kickers:
		return k.kickers < o.kickers
	}
	return k.cards < o.cards
}

func keyOf(hand Cards, p Play) hintKey {
	k := hintKey{rank: int(p.Label.Rank), cards: p.Cards.Len()}
	switch p.Label.Type {
	case Bomb:
		k.tier = tierBombPlay
		return k
	case Rocket:
		k.tier, k.rank = tierRocketPlay, NumRanks
		return k
	case FourTwoSingle, FourTwoPair:
		k.tier = tierBomb
	}
	main := mainGroup(p.Label)
	rocket := hand[BlackJoker] == 1 && hand[RedJoker] == 1
	for r := Three; r < NumRanks; r++ {
		used := p.Cards[r]
		if used == 0 {
			continue
		}
		if !main[r] {
			k.kickers += int(r) * int(used)
		}
		if used == hand[r] {
			if rocket && (r == BlackJoker || r == RedJoker) && p.Cards[BlackJoker]+p.Cards[RedJoker] == 1 {
				k.tier = max(k.tier, tierBomb) // one joker of the rocket
			}
			continue
		}
		switch hand[r] {
		case 4:
			k.tier = max(k.tier, tierBomb)
		case 3:
			k.tier = max(k.tier, tierTrio)
		case 2:
			k.pairBreaks++
		}
	}
	return k
}

// mainGroup marks the ranks of a play's main group (the chain, the trio or
// the four), as opposed to its kickers.
func mainGroup(l Label) [NumRanks]bool {
	var m [NumRanks]bool
	if l.Rank >= NumRanks {
		return m
	}
	n := max(l.Len, 1)
	for i := range n {
		if r := int(l.Rank) + i; r < NumRanks {
			m[r] = true
		}
	}
	return m
}
