package doudizhu

import "slices"

// View is what one seat may see (spec §4.2): its own hand, the number of
// cards every seat holds, the bottom once revealed, every bid and play of
// the current deal, and the multiplier. It never holds another seat's
// cards (but the landlord's shown hand under the show-hand house rule),
// so a server that sends only views cannot leak a hand. A View
// shares no memory with the Game.
type View struct {
	Seat    int     `json:"seat"`
	Phase   Phase   `json:"phase"`
	Bidding BidMode `json:"bidding"`
	Deal    int     `json:"deal"`    // deal number, from 1
	Turn    int     `json:"turn"`    // seat to act; -1 when over
	Leading bool    `json:"leading"` // the seat to act leads and may not pass
	// Expect is the kind of action the seat to act sends (Game.Expect).
	Expect Kind  `json:"expect,omitempty"`
	Hand   Cards `json:"hand"`
	// HandFaces is Hand as physical cards, in deck order.
	HandFaces Faces `json:"hand_faces"`
	// HandSizes holds the number of cards of every seat.
	HandSizes [3]int `json:"hand_sizes"`
	Landlord  int    `json:"landlord"` // -1 while bidding
	// Bottom is the three bottom cards once the landlord is known.
	Bottom Cards `json:"bottom,omitzero"`
	// BottomFaces is Bottom as physical cards.
	BottomFaces Faces `json:"bottom_faces,omitempty"`
	// HighestBid is the highest score bid so far while bidding, then V.
	HighestBid int `json:"highest_bid"`
	// Multiplier is V × 2^k (spec §10.2).
	Multiplier int `json:"multiplier"`
	// Current is the play to beat and CurrentSeat its seat; zero and -1
	// when the seat to act leads.
	Current     Play `json:"current"`
	CurrentSeat int  `json:"current_seat"`
	// CurrentFaces are the physical cards of Current.
	CurrentFaces Faces `json:"current_faces,omitempty"`
	// Played holds the cards each seat has played this hand.
	Played [3]Cards `json:"played"`
	// PlayedFaces are the physical cards of Played.
	PlayedFaces [3]Faces `json:"played_faces"`
	// Log is every event of the current deal, from its deal event; Round
	// is the tail of Log since the current round began.
	Log    []Event `json:"log"`
	Round  []Event `json:"round"`
	Result *Result `json:"result,omitempty"`

	// House rules (Options).

	// Doubles are the doubling choices so far (Game.Doubles).
	Doubles [3]int `json:"doubles,omitzero"`
	// Shown is set once the landlord showed the hand; ShownFaces is then
	// what the landlord still holds, in every seat's view.
	Shown      bool  `json:"shown,omitempty"`
	ShownFaces Faces `json:"shown_faces,omitempty"`
	// CanShow is set when this seat may show its hand now.
	CanShow bool `json:"can_show,omitempty"`
	// Counter is, with the card counter on, the count of each rank this
	// seat has not seen: the deck minus its hand minus every card played.
	Counter    Cards `json:"counter,omitzero"`
	HasCounter bool  `json:"has_counter,omitempty"`
}

// fullDeck is the count of every rank in the 54-card deck.
var fullDeck = Cards(maxCopies)

// View returns what seat may see. It panics on a seat outside 0…2: that
// is a bug in the caller.
func (g *Game) View(seat int) View {
	if seat < 0 || seat > 2 {
		panic("doudizhu: View of a seat outside 0…2")
	}
	v := View{
		Seat:         seat,
		Phase:        g.phase,
		Bidding:      g.opts.Bidding,
		Deal:         g.deal,
		Turn:         g.Turn(),
		Leading:      g.Leading(),
		Expect:       g.Expect(),
		Hand:         g.hands[seat],
		HandFaces:    slices.Clone(g.faces[seat]),
		Landlord:     g.landlord,
		HighestBid:   g.bid.highest,
		Multiplier:   g.Multiplier(),
		Current:      g.current,
		CurrentSeat:  g.curSeat,
		Played:       g.played,
		CurrentFaces: slices.Clone(g.curFaces),
		Log:          append([]Event(nil), g.events[g.start:]...),
	}
	for s := range v.HandSizes {
		v.HandSizes[s] = g.hands[s].Len()
		v.PlayedFaces[s] = slices.Clone(g.playedF[s])
	}
	if g.landlord >= 0 {
		v.Bottom = g.bottom
		v.BottomFaces = slices.Clone(g.botFaces)
		v.HighestBid = g.bidValue
	}
	if g.phase == PhasePlaying {
		v.Round = v.Log[g.round-g.start:]
	}
	v.Doubles, v.Shown, v.CanShow = g.doubles, g.shown, g.CanShow(seat)
	if g.shown {
		v.ShownFaces = slices.Clone(g.faces[g.landlord])
	}
	if g.opts.CardCounter {
		v.HasCounter = true
		v.Counter = g.Counter(seat)
	}
	if g.result != nil {
		r := *g.result
		v.Result = &r
	}
	for i, e := range v.Log {
		v.Log[i].Faces = slices.Clone(e.Faces)
		if e.Result != nil {
			r := *e.Result
			v.Log[i].Result = &r
		}
	}
	return v
}

// Counter is the card counter of seat (记牌器): the count of each rank
// seat has not seen, the deck minus its own hand minus every card played
// by anyone. It is what the other two seats hold between them.
func (g *Game) Counter(seat int) Cards {
	c := fullDeck.Minus(g.hands[seat])
	for s := range g.played {
		c = c.Minus(g.played[s])
	}
	return c
}
