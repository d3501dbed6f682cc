package doudizhu

// Result is the outcome of a hand with the breakdown of its score
// (spec §10): M = V × 2^k × S, capped by the table's max_multiplier, and
// the zero-sum settlement of §10.3.
type Result struct {
	// Cancelled is set when max_redeals all-pass deals ended the hand
	// without a landlord (spec §3.3.2); nothing else is set then.
	Cancelled   bool `json:"cancelled,omitempty"`
	Landlord    int  `json:"landlord"`
	LandlordWon bool `json:"landlord_won"`
	// Winner is the seat that played its last card.
	Winner     int  `json:"winner"`
	BaseStake  int  `json:"base_stake"`  // B
	BidValue   int  `json:"bid_value"`   // V
	Bombs      int  `json:"bombs"`       // k: bombs plus rockets played
	Spring     bool `json:"spring"`      // landlord won, no farmer played a card
	AntiSpring bool `json:"anti_spring"` // farmers won after the landlord's only play
	// Multiplier is M after the cap; Uncapped is M before it.
	Multiplier int    `json:"multiplier"`
	Uncapped   int    `json:"uncapped"`
	Scores     [3]int `json:"scores"` // per seat; they sum to zero
}

// Settle computes Multiplier, Uncapped and Scores from the other fields.
// maxMultiplier caps M when positive (spec §10.5).
func (r *Result) Settle(maxMultiplier int) {
	r.Scores = [3]int{}
	if r.Cancelled {
		r.Multiplier, r.Uncapped = 0, 0
		return
	}
	m := r.BidValue << r.Bombs
	if r.Spring || r.AntiSpring {
		m *= 2
	}
	r.Uncapped = m
	if maxMultiplier > 0 && m > maxMultiplier {
		m = maxMultiplier
	}
	r.Multiplier = m
	unit := r.BaseStake * m
	if !r.LandlordWon {
		unit = -unit
	}
	for s := range r.Scores {
		if s == r.Landlord {
			r.Scores[s] = 2 * unit
		} else {
			r.Scores[s] = -unit
		}
	}
}
