package bot

import ddz "github.com/lordgame/lordgame/internal/games/doudizhu"

// Normal splits its hand into the fewest plays, bids by hand strength,
// keeps bombs and the rocket for when they decide the hand, follows the
// landlord aggressively as a farmer and lets its teammate's plays run.
type Normal struct {
	plan *planner
	buf  []ddz.Play
}

// NewNormal returns a normal bot.
func NewNormal() *Normal { return &Normal{plan: newPlanner(), buf: make([]ddz.Play, 0, 512)} }

// Act implements Player.
func (b *Normal) Act(v *ddz.View) ddz.Event {
	b.plan.reset()
	if e, ok := House(v); ok {
		return e
	}
	if v.Phase == ddz.PhaseBidding {
		return bid(v, b.wantBid(v.Hand))
	}
	// Go out at once when the whole hand is one play that may be played.
	if l := ddz.Classify(v.Hand); l.Valid() && (v.Leading || ddz.Beats(l, v.Current.Label)) {
		return play(v, v.Hand)
	}
	if v.Leading {
		return play(v, b.lead(v))
	}
	return play(v, b.follow(v))
}

// wantBid returns the bid the hand is worth: 0 to 3.
func (b *Normal) wantBid(hand ddz.Cards) int {
	score := 2*strength(hand) - b.plan.cost(hand)/16
	switch {
	case score >= 14:
		return 3
	case score >= 11:
		return 2
	case score >= 8:
		return 1
	}
	return 0
}

// danger returns the fewest cards an opponent of v.Seat holds.
func danger(v *ddz.View) int {
	d := 99
	for s, n := range v.HandSizes {
		if s != v.Seat && !isTeammate(v, s) {
			d = min(d, n)
		}
	}
	return d
}

// teammateCards returns the cards the teammate farmer holds, or 0.
func teammateCards(v *ddz.View) int {
	for s, n := range v.HandSizes {
		if isTeammate(v, s) {
			return n
		}
	}
	return 0
}

// lead picks the group of the plan to lead with.
func (b *Normal) lead(v *ddz.View) ddz.Cards {
	groups := b.plan.groups(v.Hand)
	d := danger(v)
	out := unseen(v)
	var bombs, controls, others []ddz.Play
	for _, g := range groups {
		switch {
		case isBomb(g.Label):
			bombs = append(bombs, g)
		case b.unbeatable(g, out):
			controls = append(controls, g)
		default:
			others = append(others, g)
		}
	}
	switch {
	case len(others)+len(controls) == 0:
		return lowest(bombs).Cards
	case len(others) <= 1 && len(controls) > 0:
		// Every play but one wins its round: take those rounds first.
		return lowest(controls).Cards
	case len(others) <= 1 && len(bombs) > 0:
		// A bomb or the rocket wins the lead back; then the last play goes.
		return lowest(bombs).Cards
	case teammateCards(v) == 1:
		// Feed the teammate who has one card left.
		return only(v.Hand.Lowest(), 1)
	case teammateCards(v) == 2:
		for r := ddz.Three; r <= ddz.Two; r++ {
			if v.Hand[r] == 2 {
				return only(r, 2) // and a pair to the teammate with two
			}
		}
	}
	if len(others) == 0 {
		others = controls
	}
	best, bestKey := ddz.Play{}, 1<<30
	for _, g := range others {
		n := g.Cards.Len()
		key := int(g.Label.Rank)*4 - min(n, 8)
		if (d == 1 && g.Label.Type == ddz.Single) || (d == 2 && g.Label.Type == ddz.Pair) {
			key += 1000 - 2*int(g.Label.Rank) // the highest goes first
		}
		if key < bestKey {
			best, bestKey = g, key
		}
	}
	if !v.Hand.Contains(best.Cards) || !best.Label.Valid() {
		return only(v.Hand.Lowest(), 1) // cannot happen; stay legal anyway
	}
	return best.Cards
}

// unseen returns the cards v.Seat has not seen: the others' hands.
func unseen(v *ddz.View) ddz.Cards {
	out, _ := ddz.CardsOf(ddz.Deck()...)
	out = out.Minus(v.Hand)
	for _, p := range v.Played {
		out = out.Minus(p)
	}
	return out
}

// unbeatable reports whether no play from the unseen cards beats g, as if
// one opponent held them all.
func (b *Normal) unbeatable(g ddz.Play, out ddz.Cards) bool {
	b.buf = ddz.AppendMoves(b.buf[:0], out, g.Label)
	return len(b.buf) == 1
}

func lowest(ps []ddz.Play) ddz.Play {
	best := ps[0]
	for _, p := range ps[1:] {
		if smaller(p, best) {
			best = p
		}
	}
	return best
}

// follow picks a play that beats the current one, or a pass.
func (b *Normal) follow(v *ddz.View) ddz.Cards {
	if isTeammate(v, v.CurrentSeat) {
		return ddz.Cards{} // let the teammate's play run
	}
	b.buf = ddz.AppendMoves(b.buf[:0], v.Hand, v.Current.Label)
	threat := v.HandSizes[v.CurrentSeat] <= 4 || danger(v) <= 2
	base := b.plan.cost(v.Hand)
	allow := 0
	if v.Seat != v.Landlord {
		allow = 1 << 20 // a farmer stops the landlord whenever it can
	}
	if threat {
		allow = 1 << 20
	}
	var best, bomb ddz.Play
	bestCost := 1 << 30
	for _, m := range b.buf {
		if m.IsPass() {
			continue
		}
		if isBomb(m.Label) {
			if bomb.IsPass() || smaller(m, bomb) {
				bomb = m
			}
			continue
		}
		c := b.plan.cost(v.Hand.Minus(m.Cards))
		if !threat && m.Label.Rank >= ddz.Two && m.Label.Type == ddz.Single {
			c += 8 // keep 2s and jokers for later
		}
		if c < bestCost || (c == bestCost && smaller(m, best)) {
			best, bestCost = m, c
		}
	}
	if !best.IsPass() && bestCost <= base+allow {
		return best.Cards
	}
	if !bomb.IsPass() && (threat || b.plan.cost(v.Hand.Minus(bomb.Cards)) <= 2*16) {
		return bomb.Cards
	}
	return ddz.Cards{}
}
