package doudizhu

import "fmt"

// Rule names the rule an action broke. The codes are stable: the server may
// send them to clients and tests switch on them.
type Rule string

// The rules a Game enforces (spec §3 and §8.6).
const (
	GameOver           Rule = "game_over"           // the hand has ended
	WrongPhase         Rule = "wrong_phase"         // e.g. a play during bidding
	BadSeat            Rule = "bad_seat"            // seat outside 0…2
	NotYourTurn        Rule = "not_your_turn"       // §8.6: another seat is to act
	UnknownAction      Rule = "unknown_action"      // an event kind that is not an action
	BidOutOfRange      Rule = "bid_out_of_range"    // §3.1.2: not pass, 1, 2 or 3
	BidNotHigher       Rule = "bid_not_higher"      // §3.1.2: not above the highest bid
	InvalidCombination Rule = "invalid_combination" // §5.2, §8.6: not a legal play
	CardsNotHeld       Rule = "cards_not_held"      // §4.3, §8.6
	DoesNotBeat        Rule = "does_not_beat"       // §7, §8.6
	LeaderCannotPass   Rule = "leader_cannot_pass"  // §8.2, §8.6
	RuleOff            Rule = "rule_off"            // a house rule the table does not play
	NotLandlord        Rule = "not_landlord"        // only the landlord may show the hand
	TooLate            Rule = "too_late"            // the hand is shown before the first play only
	BadChoice          Rule = "bad_choice"          // a doubling choice is 0 (×1) or 1 (×2)
)

// RuleError reports an action the rules reject. The game state is
// unchanged when it is returned.
type RuleError struct {
	Rule   Rule
	Seat   int    // the acting seat
	Detail string // what was wrong, for logs; not for clients
}

func (e *RuleError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("doudizhu: seat %d: %s", e.Seat, e.Rule)
	}
	return fmt.Sprintf("doudizhu: seat %d: %s: %s", e.Seat, e.Rule, e.Detail)
}

// Is makes errors.Is(err, &RuleError{Rule: r}) match any RuleError for
// rule r, whatever the seat.
func (e *RuleError) Is(target error) bool {
	t, ok := target.(*RuleError)
	return ok && t.Rule == e.Rule
}

func ruleErr(rule Rule, seat int, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Seat: seat, Detail: fmt.Sprintf(format, args...)}
}
