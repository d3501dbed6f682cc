package ddz

import (
	"errors"
	"strconv"
	"strings"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// parseCards reads wire card strings; a bad string is the bad_card rule.
func parseCards(in []string) (ddz.Cards, error) {
	ranks := make([]ddz.Rank, 0, len(in))
	for _, s := range in {
		r, err := ddz.ParseRank(s)
		if err != nil {
			return ddz.Cards{}, status.RuleError(status.BadRequest, "bad_card", "unknown card "+strconv.Quote(s))
		}
		ranks = append(ranks, r)
	}
	c, err := ddz.CardsOf(ranks...)
	if err != nil {
		return ddz.Cards{}, status.RuleError(status.BadRequest, "bad_card", "too many cards")
	}
	return c, nil
}

// parseFaces reads wire physical cards; a bad or repeated card is the
// bad_card rule.
func parseFaces(in []string) (ddz.Faces, error) {
	if len(in) > ddz.NumFaces {
		return nil, status.RuleError(status.BadRequest, "bad_card", "too many cards")
	}
	f, err := ddz.ParseFaces(in)
	if err != nil {
		return nil, status.RuleError(status.BadRequest, "bad_card", strings.TrimPrefix(err.Error(), "doudizhu: "))
	}
	return f, nil
}

// cardStrings is c in wire notation, low to high; nil for no cards.
func cardStrings(c ddz.Cards) []string {
	if c.IsEmpty() {
		return nil
	}
	return c.Strings()
}

// ruleStatus turns an engine rule error into the error a client sees.
// Rules about the state (whose turn, which phase) are conflicts; rules
// about the action itself are bad requests.
func ruleStatus(err error) error {
	var re *ddz.RuleError
	if !errors.As(err, &re) {
		return err
	}
	code := status.BadRequest
	switch re.Rule {
	case ddz.GameOver, ddz.WrongPhase, ddz.NotYourTurn:
		code = status.Conflict
	}
	return status.RuleError(code, string(re.Rule), ruleMessages[re.Rule])
}

var ruleMessages = map[ddz.Rule]string{
	ddz.GameOver:           "the hand has ended",
	ddz.WrongPhase:         "that action is not possible in this phase",
	ddz.BadSeat:            "no such seat",
	ddz.NotYourTurn:        "it is not your turn",
	ddz.UnknownAction:      "unknown action",
	ddz.BidOutOfRange:      "a bid is 0 (pass), 1, 2 or 3",
	ddz.BidNotHigher:       "a bid must be higher than the highest bid",
	ddz.InvalidCombination: "those cards are not a legal play",
	ddz.CardsNotHeld:       "you do not hold those cards",
	ddz.DoesNotBeat:        "that play does not beat the current play",
	ddz.LeaderCannotPass:   "the leader must play",
	ddz.RuleOff:            "this table does not play that house rule",
	ddz.NotLandlord:        "only the landlord may show the hand",
	ddz.TooLate:            "the hand is shown before the first play only",
	ddz.BadChoice:          "choose to double or not",
}

// wireEvent is an engine event as pushed, without turn information.
func wireEvent(gameID string, seq uint64, e ddz.Event) *pb.DdzEvent {
	out := &pb.DdzEvent{
		GameId:     gameID,
		Seq:        seq,
		Kind:       string(e.Kind),
		Seat:       int32(e.Seat),
		Value:      int32(e.Value),
		Cards:      cardStrings(e.Cards),
		Faces:      e.Faces.Strings(),
		Multiplier: uint32(e.Multiplier),
	}
	if e.Kind == ddz.KindPlay && e.Label.Valid() {
		out.Type = e.Label.Type.String()
	}
	return out
}

func wireResult(gameID string, r ddz.Result, coins, rating [3]int64) *pb.DdzResult {
	return &pb.DdzResult{
		GameId:      gameID,
		Landlord:    int32(r.Landlord),
		LandlordWon: r.LandlordWon,
		Winner:      int32(r.Winner),
		BaseStake:   uint32(r.BaseStake),
		BidValue:    uint32(r.BidValue),
		Bombs:       uint32(r.Bombs),
		Spring:      r.Spring,
		AntiSpring:  r.AntiSpring,
		Multiplier:  uint32(r.Multiplier),
		Scores:      []int64{int64(r.Scores[0]), int64(r.Scores[1]), int64(r.Scores[2])},
		Coins:       coins[:],
		Rating:      rating[:],
		Cancelled:   r.Cancelled,
		Shown:       r.Shown,
		Doubles:     houseInts(r.Doubles),
		Pairs:       houseInts(r.Pairs),
	}
}

// houseInts is a per-seat house-rule array on the wire: nil when all
// zero (the rule is off).
func houseInts(a [3]int) []uint32 {
	if a == [3]int{} {
		return nil
	}
	return []uint32{uint32(a[0]), uint32(a[1]), uint32(a[2])}
}

// counterWire is a card counter on the wire: one count per rank, 3 to RJ.
func counterWire(c ddz.Cards) []uint32 {
	out := make([]uint32, len(c))
	for i, n := range c {
		out[i] = uint32(n)
	}
	return out
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
