package doudizhu

import (
	"errors"
	"fmt"
)

// BidMode selects the bidding rules (spec §3).
type BidMode uint8

// The two bidding modes. ScoreBidding, the zero value, is the default.
const (
	ScoreBidding BidMode = iota // 叫分: bids of 1, 2 or 3 (spec §3.1)
	GrabBidding                 // 叫/抢地主: call, then grab doubling V (spec §3.2)
)

func (m BidMode) String() string {
	if m == GrabBidding {
		return "grab"
	}
	return "score"
}

// MarshalText encodes m as "score" or "grab".
func (m BidMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes "score" or "grab".
func (m *BidMode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "score", "":
		*m = ScoreBidding
	case "grab":
		*m = GrabBidding
	default:
		return fmt.Errorf("doudizhu: unknown bidding mode %q", b)
	}
	return nil
}

// RandomSeat as Options.FirstBidder draws the first bidder from the seed.
const RandomSeat = -1

// Options are the table options of spec §12 that change the rules of a
// hand. Timers are not here: the server owns time.
type Options struct {
	// Bidding is the bidding mode; score bidding by default.
	Bidding BidMode `json:"bidding"`
	// FirstBidder is the seat that bids first in the first deal. RandomSeat
	// draws it from the seed, as spec §3.1.1 wants for a table's first hand;
	// for later hands the server passes the seat after the previous hand's
	// first bidder (Game.FirstBidder). Redeals rotate it by one seat.
	FirstBidder int `json:"first_bidder"`
	// MaxRedeals cancels the hand after this many consecutive all-pass
	// deals (spec §3.3.2); 0 means no limit.
	MaxRedeals int `json:"max_redeals"`
	// BaseStake is B, the base stake of spec §10; 0 means 1.
	BaseStake int `json:"base_stake"`
	// MaxMultiplier caps M (spec §10.5); 0 means no cap.
	MaxMultiplier int `json:"max_multiplier"`

	// House rules, all off by default (docs/rules.md, "House rules").

	// Doubling (加倍) adds a doubling phase after the auction: the two
	// farmers, then the landlord, each choose ×1 or ×2; a farmer's stake
	// against the landlord is multiplied by the farmer's and the
	// landlord's choice.
	Doubling bool `json:"doubling,omitempty"`
	// ShowHand (明牌) lets the landlord show the hand before the first play
	// for ×2 of the table multiplier; every view then holds that hand.
	ShowHand bool `json:"show_hand,omitempty"`
	// CardCounter (记牌器) gives every view the count of each rank the seat
	// has not seen: the deck minus its own hand minus every card played.
	CardCounter bool `json:"card_counter,omitempty"`
}

// HouseRules names the house rules o plays, in a fixed order:
// "doubling", "show_hand", "card_counter".
func (o Options) HouseRules() []string {
	var out []string
	if o.Doubling {
		out = append(out, "doubling")
	}
	if o.ShowHand {
		out = append(out, "show_hand")
	}
	if o.CardCounter {
		out = append(out, "card_counter")
	}
	return out
}

// DefaultOptions returns the default ruleset: score bidding, a random first
// bidder, unlimited redeals, B = 1, no cap.
func DefaultOptions() Options {
	return Options{Bidding: ScoreBidding, FirstBidder: RandomSeat, BaseStake: 1}
}

// Validate rejects options that make no sense.
func (o Options) Validate() error {
	var errs []error
	if o.Bidding > GrabBidding {
		errs = append(errs, fmt.Errorf("doudizhu: bidding mode %d unknown", o.Bidding))
	}
	if o.FirstBidder < RandomSeat || o.FirstBidder > 2 {
		errs = append(errs, fmt.Errorf("doudizhu: first bidder %d not a seat", o.FirstBidder))
	}
	if o.MaxRedeals < 0 {
		errs = append(errs, errors.New("doudizhu: max redeals negative"))
	}
	if o.BaseStake < 0 {
		errs = append(errs, errors.New("doudizhu: base stake negative"))
	}
	if o.MaxMultiplier < 0 {
		errs = append(errs, errors.New("doudizhu: max multiplier negative"))
	}
	return errors.Join(errs...)
}
