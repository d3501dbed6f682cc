package doudizhu

// bidding is the auction state of one deal.
type bidding struct {
	acted   int // actions so far in score bidding or the call phase
	highest int // score bidding: highest bid so far
	high    int // score bidding: seat of the highest bid

	// Call/grab bidding. caller is -1 until someone calls; zero state is
	// fixed up by call.
	called   bool
	caller   int
	holder   int     // provisional landlord
	grabs    int     // g
	declined [3]bool // declined in the call phase
	queue    []int   // seats still to grab, in order
	final    bool    // the caller's grab-back chance was queued
}

// scoreBid handles KindBid after check (spec §3.1).
func (g *Game) scoreBid(seat, v int) error {
	b := &g.bid
	switch {
	case g.phase != PhaseBidding:
		return ruleErr(WrongPhase, seat, "cannot bid while %s", g.phase)
	case g.opts.Bidding != ScoreBidding:
		return ruleErr(WrongPhase, seat, "score bids in %s bidding", g.opts.Bidding)
	case v < 0 || v > 3:
		return ruleErr(BidOutOfRange, seat, "bid %d not in pass, 1, 2, 3", v)
	case v > 0 && v <= b.highest:
		return ruleErr(BidNotHigher, seat, "bid %d not above %d", v, b.highest)
	}
	g.emit(Bid(seat, v))
	b.acted++
	if v > 0 {
		b.highest, b.high = v, seat
	}
	switch {
	case v == 3:
		g.becomeLandlord(seat, 3)
	case b.acted < 3:
		g.turn = g.next(seat)
	case b.highest > 0:
		g.becomeLandlord(b.high, b.highest)
	default:
		g.redeal()
	}
	return nil
}

// call handles KindCall after check (spec §3.2.1).
func (g *Game) call(seat, v int) error {
	b := &g.bid
	switch {
	case g.phase != PhaseBidding || g.opts.Bidding != GrabBidding || b.called:
		return ruleErr(WrongPhase, seat, "not in the call phase")
	case v != 0 && v != 1:
		return ruleErr(BidOutOfRange, seat, "call %d not 0 or 1", v)
	}
	g.emit(Call(seat, v == 1))
	b.acted++
	if v == 0 {
		b.declined[seat] = true
		if b.acted == 3 {
			g.redeal()
			return nil
		}
		g.turn = g.next(seat)
		return nil
	}
	b.called, b.caller, b.holder = true, seat, seat
	for s := g.next(seat); s != seat; s = g.next(s) {
		if !b.declined[s] {
			b.queue = append(b.queue, s)
		}
	}
	g.nextGrab()
	return nil
}

// grab handles KindGrab after check (spec §3.2.2–§3.2.4).
func (g *Game) grab(seat, v int) error {
	b := &g.bid
	switch {
	case g.phase != PhaseBidding || !b.called:
		return ruleErr(WrongPhase, seat, "not in the grab phase")
	case v != 0 && v != 1:
		return ruleErr(BidOutOfRange, seat, "grab %d not 0 or 1", v)
	}
	g.emit(Grab(seat, v == 1))
	b.queue = b.queue[1:]
	if v == 1 {
		b.grabs++
		b.holder = seat
	}
	g.nextGrab()
	return nil
}

// nextGrab gives the turn to the next seat that may grab, or ends the
// auction with V = 2^g.
func (g *Game) nextGrab() {
	b := &g.bid
	if len(b.queue) == 0 && b.grabs > 0 && !b.final {
		b.final = true
		b.queue = append(b.queue, b.caller)
	}
	if len(b.queue) > 0 {
		g.turn = b.queue[0]
		return
	}
	g.becomeLandlord(b.holder, 1<<b.grabs)
}
