package doudizhu

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Phase is the stage of a hand.
type Phase uint8

// The phases in order. A redeal goes from Bidding back to Bidding.
const (
	PhaseBidding Phase = iota
	PhasePlaying
	PhaseOver
	// PhaseDoubling follows the auction when Options.Doubling is on
	// (numbered last so the older phases keep their values).
	PhaseDoubling
)

var phaseNames = [...]string{"bidding", "playing", "over", "doubling"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// MarshalText encodes p as "bidding", "playing" or "over".
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Game is one hand of Dou Dizhu at a three-seat table, from the first deal
// to the settlement, redeals included. Every action is validated; a
// rejected action returns a *RuleError and leaves the game as it was.
//
// A Game is not safe for concurrent use: one goroutine owns it.
type Game struct {
	opts   Options
	seed   Seed
	rng    *rand.Rand
	events []Event

	phase    Phase
	deal     int // deals so far, from 1
	allPass  int // consecutive all-pass deals
	first    int // first bidder of the current deal
	turn     int
	hands    [3]Cards
	bottom   Cards
	faces    [3]Faces // the physical cards of hands, in deck order
	botFaces Faces    // the physical bottom
	landlord int      // -1 until known

	bid bidding

	doubles [3]int // house rule doubling: 0 undecided, 1 (×1) or 2 (×2)
	shown   bool   // house rule show-hand: the landlord showed the hand

	bidValue int    // V
	bombs    int    // k
	current  Play   // the play to beat; zero when leading
	curSeat  int    // who made current; -1 when leading
	plays    [3]int // non-pass plays per seat
	played   [3]Cards
	playedF  [3]Faces // the physical cards of played
	curFaces Faces    // the physical cards of current
	round    int      // index in events where the current round starts
	start    int      // index in events where the current deal starts
	result   *Result
}

// New starts a hand: it checks the options, shuffles from seed and deals.
// The game is then bidding; Events() holds the deal.
func New(opts Options, seed Seed) (*Game, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.BaseStake == 0 {
		opts.BaseStake = 1
	}
	g := &Game{opts: opts, seed: seed, rng: seed.rng(), landlord: -1, curSeat: -1}
	g.first = opts.FirstBidder
	if g.first == RandomSeat {
		g.first = g.rng.IntN(3)
	}
	g.dealCards()
	return g, nil
}

// dealCards shuffles and deals, and opens the bidding with g.first.
func (g *Game) dealCards() {
	g.hands, g.bottom, g.faces, g.botFaces = shuffle(g.rng)
	for s := range g.faces {
		g.faces[s] = g.faces[s].sorted()
	}
	g.botFaces = g.botFaces.sorted()
	g.playedF, g.curFaces = [3]Faces{}, nil
	g.deal++
	g.phase = PhaseBidding
	g.turn = g.first
	g.bid = bidding{}
	g.start = len(g.events)
	g.emit(Event{Kind: KindDeal, Seat: g.first, Value: g.deal})
}

func (g *Game) emit(e Event) { g.events = append(g.events, e) }

// Options returns the options the game runs with (BaseStake filled in).
func (g *Game) Options() Options { return g.opts }

// Seed returns the seed of the game.
func (g *Game) Seed() Seed { return g.seed }

// Phase returns the current phase.
func (g *Game) Phase() Phase { return g.phase }

// Turn returns the seat to act, or -1 once the hand is over.
func (g *Game) Turn() int {
	if g.phase == PhaseOver {
		return -1
	}
	return g.turn
}

// Leading reports whether the seat to act is leading a round: it must play
// and may not pass. A server uses it with Phase to pick the timer of spec
// §11.1 (bidding 15 s, following 20 s, leading 30 s).
func (g *Game) Leading() bool { return g.phase == PhasePlaying && !g.current.Label.Valid() }

// Expect returns the kind of action the seat to act sends: KindBid,
// KindCall or KindGrab while bidding, KindPlay (or KindPass when not
// leading) while playing, and "" once the hand is over.
func (g *Game) Expect() Kind {
	switch {
	case g.phase == PhaseBidding && g.opts.Bidding == ScoreBidding:
		return KindBid
	case g.phase == PhaseBidding && !g.bid.called:
		return KindCall
	case g.phase == PhaseBidding:
		return KindGrab
	case g.phase == PhaseDoubling:
		return KindDouble
	case g.phase == PhasePlaying:
		return KindPlay
	}
	return ""
}

// Current returns the play to beat and its seat; a zero Play and -1 when
// the seat to act leads.
func (g *Game) Current() (Play, int) { return g.current, g.curSeat }

// FirstBidder returns the first bidder of the current deal. The next hand
// at the table starts with the seat after it (spec §3.1.1).
func (g *Game) FirstBidder() int { return g.first }

// Landlord returns the landlord's seat, or -1 while bidding.
func (g *Game) Landlord() int { return g.landlord }

// Multiplier returns V × 2^k as shown during the hand (spec §10.2), ×2
// once the landlord showed the hand (show-hand house rule); 0 before the
// landlord is known. Doubling choices are not in it: they apply per
// farmer (Doubles).
func (g *Game) Multiplier() int {
	m := g.bidValue << g.bombs
	if g.shown {
		m *= 2
	}
	return m
}

// Doubles returns the doubling choices per seat: 0 undecided (or doubling
// off), 1 for ×1, 2 for ×2.
func (g *Game) Doubles() [3]int { return g.doubles }

// Shown reports whether the landlord showed the hand (明牌).
func (g *Game) Shown() bool { return g.shown }

// CanShow reports whether seat may show its hand now: the show-hand rule
// is on, seat is the landlord, to act, and nobody has played yet.
func (g *Game) CanShow(seat int) bool {
	return g.opts.ShowHand && !g.shown && g.phase == PhasePlaying && seat == g.landlord &&
		g.turn == seat && g.plays == [3]int{}
}

// Result returns the outcome once the hand is over.
func (g *Game) Result() (Result, bool) {
	if g.result == nil {
		return Result{}, false
	}
	return *g.result, true
}

// Events returns a copy of every event so far, the game log.
func (g *Game) Events() []Event { return append([]Event(nil), g.events...) }

// Apply performs an action event: KindBid, KindCall, KindGrab, KindPlay or
// KindPass, by e.Seat. It returns the events the action caused, the action
// itself first.
func (g *Game) Apply(e Event) ([]Event, error) {
	if err := g.check(e.Seat); err != nil {
		return nil, err
	}
	n := len(g.events)
	var err error
	switch e.Kind {
	case KindBid:
		err = g.scoreBid(e.Seat, e.Value)
	case KindCall:
		err = g.call(e.Seat, e.Value)
	case KindGrab:
		err = g.grab(e.Seat, e.Value)
	case KindPlay:
		err = g.play(e.Seat, e.Cards, e.Faces)
	case KindPass:
		err = g.pass(e.Seat)
	case KindDouble:
		err = g.double(e.Seat, e.Value)
	case KindShow:
		err = g.show(e.Seat)
	default:
		err = ruleErr(UnknownAction, e.Seat, "kind %q", e.Kind)
	}
	if err != nil {
		return nil, err
	}
	return append([]Event(nil), g.events[n:]...), nil
}

// check applies the rules every action shares: the hand is on, the seat
// exists and it is its turn.
func (g *Game) check(seat int) error {
	switch {
	case g.phase == PhaseOver:
		return ruleErr(GameOver, seat, "the hand has ended")
	case seat < 0 || seat > 2:
		return ruleErr(BadSeat, seat, "no such seat")
	case seat != g.turn:
		return ruleErr(NotYourTurn, seat, "seat %d is to act", g.turn)
	}
	return nil
}

// Bid bids v (0 passes) for seat in score bidding.
func (g *Game) Bid(seat, v int) ([]Event, error) { return g.Apply(Bid(seat, v)) }

// Call calls (yes) or declines for seat in the call phase of grab bidding.
func (g *Game) Call(seat int, yes bool) ([]Event, error) { return g.Apply(Call(seat, yes)) }

// Grab grabs (yes) or not for seat in the grab phase of grab bidding.
func (g *Game) Grab(seat int, yes bool) ([]Event, error) { return g.Apply(Grab(seat, yes)) }

// Play plays cards for seat. An empty set passes. The physical cards are
// the lowest suits of each rank the seat holds (Faces.Pick).
func (g *Game) Play(seat int, cards Cards) ([]Event, error) { return g.Apply(PlayCards(seat, cards)) }

// PlayFaces plays exactly these physical cards for seat.
func (g *Game) PlayFaces(seat int, faces Faces) ([]Event, error) {
	return g.Apply(PlayFaceCards(seat, faces))
}

// HandFaces is the physical hand of seat, in deck order.
func (g *Game) HandFaces(seat int) Faces { return slices.Clone(g.faces[seat]) }

// BottomFaces is the physical bottom, in deck order.
func (g *Game) BottomFaces() Faces { return slices.Clone(g.botFaces) }

// Pass passes for seat.
func (g *Game) Pass(seat int) ([]Event, error) { return g.Apply(Pass(seat)) }

func (g *Game) next(seat int) int { return (seat + 1) % 3 }

// becomeLandlord ends the auction: the bottom is revealed and joins the
// landlord's hand, who leads the first round (spec §3.4).
func (g *Game) becomeLandlord(seat, v int) {
	g.landlord, g.bidValue = seat, v
	g.hands[seat] = g.hands[seat].Plus(g.bottom)
	g.faces[seat] = append(slices.Clone(g.faces[seat]), g.botFaces...).sorted()
	g.phase = PhasePlaying
	g.turn = seat
	if g.opts.Doubling { // the farmers choose first, the landlord last
		g.phase, g.turn = PhaseDoubling, g.next(seat)
	}
	g.allPass = 0
	g.emit(Event{Kind: KindLandlord, Seat: seat, Value: v, Cards: g.bottom, Faces: slices.Clone(g.botFaces), Multiplier: g.Multiplier()})
	g.round = len(g.events)
}

// double handles KindDouble after check: v 1 doubles, 0 does not. The
// landlord chooses last; then the landlord leads the first round.
func (g *Game) double(seat, v int) error {
	switch {
	case !g.opts.Doubling:
		return ruleErr(RuleOff, seat, "this table does not play doubling")
	case g.phase != PhaseDoubling:
		return ruleErr(WrongPhase, seat, "cannot double while %s", g.phase)
	case v != 0 && v != 1:
		return ruleErr(BadChoice, seat, "doubling choice %d", v)
	}
	g.doubles[seat] = 1 + v
	g.emit(Event{Kind: KindDouble, Seat: seat, Value: v, Multiplier: g.Multiplier()})
	g.turn = g.next(seat)
	if seat == g.landlord {
		g.phase, g.turn = PhasePlaying, seat
		g.round = len(g.events)
	}
	return nil
}

// show handles KindShow after check: the landlord shows the hand before
// the first play, for ×2 of the table multiplier. The turn stays.
func (g *Game) show(seat int) error {
	switch {
	case !g.opts.ShowHand:
		return ruleErr(RuleOff, seat, "this table does not play show-hand")
	case g.phase != PhasePlaying:
		return ruleErr(WrongPhase, seat, "cannot show the hand while %s", g.phase)
	case seat != g.landlord:
		return ruleErr(NotLandlord, seat, "only the landlord shows the hand")
	case !g.CanShow(seat):
		return ruleErr(TooLate, seat, "the hand is shown before the first play only")
	}
	g.shown = true
	g.emit(Event{Kind: KindShow, Seat: seat, Cards: g.hands[seat], Faces: slices.Clone(g.faces[seat]), Multiplier: g.Multiplier()})
	return nil
}

// redeal handles an all-pass auction (spec §3.3).
func (g *Game) redeal() {
	g.allPass++
	g.emit(Event{Kind: KindRedeal, Seat: g.first, Value: g.deal})
	if g.opts.MaxRedeals > 0 && g.allPass >= g.opts.MaxRedeals {
		g.finish(&Result{Cancelled: true, Landlord: -1, Winner: -1, BaseStake: g.opts.BaseStake})
		return
	}
	g.first = g.next(g.first)
	g.dealCards()
}

// play handles KindPlay after check. faces, when given, are the physical
// cards played (cards, when also given, must be their ranks); otherwise
// the lowest suits of cards' ranks are taken from the hand.
func (g *Game) play(seat int, cards Cards, faces Faces) error {
	if g.phase != PhasePlaying {
		return ruleErr(WrongPhase, seat, "cannot play while %s", g.phase)
	}
	if len(faces) > 0 {
		fr := faces.Ranks()
		switch {
		case !cards.IsEmpty() && cards != fr:
			return ruleErr(InvalidCombination, seat, "cards %v are not the ranks of %v", cards, faces)
		case len(faces.sorted().dedupe()) != len(faces) || !g.faces[seat].holds(faces):
			return ruleErr(CardsNotHeld, seat, "%v not in hand", faces)
		}
		cards = fr
	}
	if cards.IsEmpty() {
		return g.pass(seat)
	}
	l := Classify(cards)
	switch {
	case !l.Valid():
		return ruleErr(InvalidCombination, seat, "%v is not a legal play", cards)
	case !g.hands[seat].Contains(cards):
		return ruleErr(CardsNotHeld, seat, "%v not in hand", cards)
	case g.current.Label.Valid() && !Beats(l, g.current.Label):
		return ruleErr(DoesNotBeat, seat, "%v (%v) does not beat %v (%v)", cards, l, g.current.Cards, g.current.Label)
	}
	if g.curSeat == -1 {
		g.round = len(g.events)
	}
	if len(faces) == 0 {
		faces, _ = g.faces[seat].Pick(cards) // the hand holds cards: checked above
	}
	faces = faces.sorted()
	g.hands[seat] = g.hands[seat].Minus(cards)
	g.faces[seat] = g.faces[seat].without(faces)
	g.played[seat] = g.played[seat].Plus(cards)
	g.playedF[seat] = append(g.playedF[seat], faces...).sorted()
	g.plays[seat]++
	if l.Type == Bomb || l.Type == Rocket {
		g.bombs++
	}
	g.current, g.curSeat, g.curFaces = Play{Cards: cards, Label: l}, seat, faces
	g.emit(Event{Kind: KindPlay, Seat: seat, Cards: cards, Faces: faces, Label: l, Multiplier: g.Multiplier()})
	if g.hands[seat].IsEmpty() {
		g.win(seat)
		return nil
	}
	g.turn = g.next(seat)
	return nil
}

// pass handles KindPass after check.
func (g *Game) pass(seat int) error {
	if g.phase != PhasePlaying {
		return ruleErr(WrongPhase, seat, "cannot pass a play while %s", g.phase)
	}
	if g.curSeat == -1 {
		return ruleErr(LeaderCannotPass, seat, "the leader must play")
	}
	g.emit(Event{Kind: KindPass, Seat: seat})
	g.turn = g.next(seat)
	if g.turn == g.curSeat { // both others passed: a new round (spec §8.4)
		g.current, g.curSeat, g.curFaces = Play{}, -1, nil
		g.round = len(g.events)
	}
	return nil
}

// win ends the hand when seat has played its last card (spec §9, §10).
func (g *Game) win(seat int) {
	r := &Result{
		Landlord:    g.landlord,
		LandlordWon: seat == g.landlord,
		Winner:      seat,
		BaseStake:   g.opts.BaseStake,
		BidValue:    g.bidValue,
		Bombs:       g.bombs,
		Shown:       g.shown,
	}
	if g.opts.Doubling {
		r.Doubles = g.doubles
	}
	if r.LandlordWon {
		r.Spring = g.plays[g.next(seat)] == 0 && g.plays[g.next(g.next(seat))] == 0
	} else {
		r.AntiSpring = g.plays[g.landlord] == 1
	}
	r.Settle(g.opts.MaxMultiplier)
	g.finish(r)
}

func (g *Game) finish(r *Result) {
	g.result = r
	g.phase = PhaseOver
	g.emit(Event{Kind: KindEnd, Seat: r.Winner, Result: r})
}

// DefaultAction returns the action of spec §11.2 for the seat to act, for
// a server whose timer ran out or a player in auto-play: pass in bidding,
// pass when following, and the single lowest card when leading. It is
// deterministic (§11.5). ok is false once the hand is over.
func (g *Game) DefaultAction() (e Event, ok bool) {
	switch g.Expect() {
	case KindBid:
		return Bid(g.turn, 0), true
	case KindCall:
		return Call(g.turn, false), true
	case KindGrab:
		return Grab(g.turn, false), true
	case KindDouble:
		return Double(g.turn, false), true
	case KindPlay:
		if g.Leading() {
			return PlayCards(g.turn, one(g.hands[g.turn].Lowest(), 1)), true
		}
		return Pass(g.turn), true
	}
	return Event{}, false
}

// Replay rebuilds a game from its options, seed and log. Only the action
// events of the log are applied; the events the game records itself
// follow from the seed. It fails on the first action the rules reject.
func Replay(opts Options, seed Seed, log []Event) (*Game, error) {
	g, err := New(opts, seed)
	if err != nil {
		return nil, err
	}
	for i, e := range log {
		if !e.Kind.IsAction() {
			continue
		}
		if _, err := g.Apply(e); err != nil {
			return nil, fmt.Errorf("replay event %d: %w", i, err)
		}
	}
	return g, nil
}
