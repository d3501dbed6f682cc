package bot

import ddz "github.com/lordgame/lordgame/internal/games/doudizhu"

// A chain is a straight (k = 1), pair chain (k = 2) or airplane (k = 3)
// of n ranks from lo.
type chain struct {
	k, lo, n int
}

func (c chain) less(o chain) bool {
	if c.k != o.k {
		return c.k < o.k
	}
	if c.lo != o.lo {
		return c.lo < o.lo
	}
	return c.n < o.n
}

var chainMin = [4]int{0, 5, 3, 2}

// planner splits a hand into the fewest plays. Bombs and the rocket are
// kept whole; the rest is searched over every set of chains, and trios
// and airplanes absorb the weakest singles and pairs as kickers.
type planner struct {
	memo map[ddz.Cards]int
	cur  []chain
	best []chain
	bc   int
}

func newPlanner() *planner { return &planner{memo: make(map[ddz.Cards]int, 256)} }

// reset forgets memoised costs; call it when the memo grows large.
func (p *planner) reset() {
	if len(p.memo) > 4096 {
		clear(p.memo)
	}
}

// cost returns the plan cost of hand: 16 per play plus one per weak single.
func (p *planner) cost(hand ddz.Cards) int {
	if c, ok := p.memo[hand]; ok {
		return c
	}
	c := p.search(hand, false)
	p.memo[hand] = c
	return c
}

// search finds the best chain set; with keep it records it in p.best.
func (p *planner) search(hand ddz.Cards, keep bool) int {
	fixed := 0
	if hand[ddz.BlackJoker] == 1 && hand[ddz.RedJoker] == 1 {
		hand[ddz.BlackJoker], hand[ddz.RedJoker] = 0, 0
		fixed++
	}
	for r := ddz.Three; r <= ddz.Two; r++ {
		if hand[r] == 4 {
			hand[r] = 0
			fixed++
		}
	}
	p.cur = p.cur[:0]
	p.bc = 1 << 30
	p.dfs(hand, chain{}, 0, keep)
	return p.bc + 16*fixed
}

func (p *planner) dfs(c ddz.Cards, last chain, wingCap int, keep bool) {
	if v := 16*len(p.cur) + leafCost(c, wingCap); v < p.bc {
		p.bc = v
		if keep {
			p.best = append(p.best[:0], p.cur...)
		}
	}
	for k := last.k; k <= 3; k++ {
		if k == 0 {
			continue
		}
		lo := 0
		if k == last.k {
			lo = last.lo
		}
		for ; lo <= int(ddz.Ace); lo++ {
			n := 0
			for lo+n <= int(ddz.Ace) && int(c[lo+n]) >= k {
				n++
			}
			for m := chainMin[k]; m <= n; m++ {
				ch := chain{k, lo, m}
				if ch.less(last) {
					continue
				}
				for r := lo; r < lo+m; r++ {
					c[r] -= uint8(k)
				}
				p.cur = append(p.cur, ch)
				cp := wingCap
				if k == 3 {
					cp += m
				}
				p.dfs(c, ch, cp, keep)
				p.cur = p.cur[:len(p.cur)-1]
				for r := lo; r < lo+m; r++ {
					c[r] += uint8(k)
				}
			}
		}
	}
}

// leafCost counts the plays of what is left after the chains: every trio
// takes one single or pair, every airplane rank one more; singles below
// Jack that stay alone cost one each on top.
func leafCost(c ddz.Cards, wingCap int) int {
	trios, rest, weak := 0, 0, 0
	for r, k := range c {
		switch k {
		case 3:
			trios++
		case 1, 2:
			rest++
			if k == 1 && r < int(ddz.Jack) {
				weak++
			}
		}
	}
	absorb := min(rest, trios+wingCap)
	return 16*(trios+rest-absorb) + max(0, weak-absorb)
}

// groups returns the plays of the best plan of hand, with kickers attached.
func (p *planner) groups(hand ddz.Cards) []ddz.Play {
	p.search(hand, true)
	var out []ddz.Play
	c := hand
	if c[ddz.BlackJoker] == 1 && c[ddz.RedJoker] == 1 {
		out = append(out, ddz.NewPlay(ddz.MustParse("BJ RJ")))
		c[ddz.BlackJoker], c[ddz.RedJoker] = 0, 0
	}
	for r := ddz.Three; r <= ddz.Two; r++ {
		if c[r] == 4 {
			out = append(out, ddz.NewPlay(only(r, 4)))
			c[r] = 0
		}
	}
	var planes []ddz.Cards
	for _, ch := range p.best {
		var g ddz.Cards
		for r := ch.lo; r < ch.lo+ch.n; r++ {
			g[r] = uint8(ch.k)
			c[r] -= uint8(ch.k)
		}
		if ch.k == 3 {
			planes = append(planes, g)
		} else {
			out = append(out, ddz.NewPlay(g))
		}
	}
	var trios []ddz.Cards
	for r := ddz.Three; r <= ddz.Two; r++ {
		if c[r] == 3 {
			trios = append(trios, only(r, 3))
			c[r] = 0
		}
	}
	// Attach kickers: airplanes first, then trios, weakest cards first.
	for _, g := range append(planes, trios...) {
		n := g.Len() / 3
		g = attach(g, &c, n)
		out = append(out, ddz.NewPlay(g))
	}
	for r := ddz.Three; r <= ddz.RedJoker; r++ {
		if c[r] > 0 {
			out = append(out, ddz.NewPlay(only(r, c[r])))
		}
	}
	return out
}

// attach adds n single or n pair kickers from c to g when the result is a
// legal play, taking them out of c.
func attach(g ddz.Cards, c *ddz.Cards, n int) ddz.Cards {
	for _, k := range []uint8{1, 2} {
		var w ddz.Cards
		got := 0
		for r := ddz.Three; r <= ddz.RedJoker && got < n; r++ {
			if c[r] == k {
				w[r] = k
				got++
			}
		}
		if got == n && ddz.Classify(g.Plus(w)).Valid() {
			*c = c.Minus(w)
			return g.Plus(w)
		}
	}
	return g
}

func only(r ddz.Rank, k uint8) ddz.Cards {
	var c ddz.Cards
	c[r] = k
	return c
}
