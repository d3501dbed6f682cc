package doudizhu

// Kind names what an Event records.
type Kind string

// Action kinds: a player (or the server acting for one) sends these to
// Game.Apply.
const (
	KindBid  Kind = "bid"  // score bidding: Value 1…3, or 0 for pass
	KindCall Kind = "call" // call/grab bidding, call phase: Value 1 calls, 0 declines
	KindGrab Kind = "grab" // call/grab bidding, grab phase: Value 1 grabs, 0 does not
	KindPlay Kind = "play" // Cards played; an empty set is a pass
	KindPass Kind = "pass"
	// House rules (Options): Value 1 doubles (×2), 0 does not (×1).
	KindDouble Kind = "double"
	// The landlord shows the hand (明牌) before the first play; the game
	// fills Faces with the shown hand and Multiplier with the new M.
	KindShow Kind = "show"
)

// Kinds the game itself records.
const (
	KindDeal     Kind = "deal"     // a shuffle: Seat is the first bidder, Value the deal number from 1
	KindRedeal   Kind = "redeal"   // everybody passed (spec §3.3); a deal or the end follows
	KindLandlord Kind = "landlord" // Seat is the landlord, Value the bid value V, Cards the bottom
	KindEnd      Kind = "end"      // the hand is over; Result says how
)

// IsAction reports whether k is sent by a player rather than recorded by
// the game.
func (k Kind) IsAction() bool {
	switch k {
	case KindBid, KindCall, KindGrab, KindPlay, KindPass, KindDouble, KindShow:
		return true
	}
	return false
}

// Event is one step of a hand. Every event is public: hands are never in
// an event (they follow from the seed), so an event log can be broadcast
// and stored as it is. The one exception is the show event of the
// show-hand house rule, whose point is to make the landlord's hand public. The JSON form is the game log's line format, e.g.
// {"kind":"play","seat":0,"cards":["3","3"],"label":{"type":"pair","rank":"3","len":1},"multiplier":1}.
type Event struct {
	Kind  Kind  `json:"kind"`
	Seat  int   `json:"seat"`
	Value int   `json:"value,omitempty"`
	Cards Cards `json:"cards,omitzero"`
	// Faces are the physical cards of a play or of the bottom (landlord).
	// An action may give them instead of Cards; a play given by Cards
	// only is filled in with the lowest suits held (Faces.Pick).
	Faces Faces `json:"faces,omitempty"`
	// Label is the label of a play.
	Label Label `json:"label,omitzero"`
	// Multiplier is V×2^k after a play or at the landlord event (spec §10.2).
	Multiplier int     `json:"multiplier,omitempty"`
	Result     *Result `json:"result,omitempty"`
}

// Bid returns the action of seat bidding v (0 passes) in score bidding.
func Bid(seat, v int) Event { return Event{Kind: KindBid, Seat: seat, Value: v} }

// Call returns the action of seat calling (yes) or declining in call/grab bidding.
func Call(seat int, yes bool) Event { return Event{Kind: KindCall, Seat: seat, Value: b2i(yes)} }

// Grab returns the action of seat grabbing (yes) or not in call/grab bidding.
func Grab(seat int, yes bool) Event { return Event{Kind: KindGrab, Seat: seat, Value: b2i(yes)} }

// PlayCards returns the action of seat playing cards.
func PlayCards(seat int, cards Cards) Event { return Event{Kind: KindPlay, Seat: seat, Cards: cards} }

// PlayFaceCards returns the action of seat playing these physical cards.
func PlayFaceCards(seat int, faces Faces) Event {
	return Event{Kind: KindPlay, Seat: seat, Cards: faces.Ranks(), Faces: faces}
}

// Double returns the action of seat choosing ×2 (yes) or ×1 in the
// doubling phase.
func Double(seat int, yes bool) Event { return Event{Kind: KindDouble, Seat: seat, Value: b2i(yes)} }

// Show returns the action of the landlord showing the hand.
func Show(seat int) Event { return Event{Kind: KindShow, Seat: seat} }

// Pass returns the action of seat passing.
func Pass(seat int) Event { return Event{Kind: KindPass, Seat: seat} }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
