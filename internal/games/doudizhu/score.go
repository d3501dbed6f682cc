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
	// Shown is set when the landlord showed the hand (show-hand house
	// rule): ×2 on M.
	Shown bool `json:"shown,omitempty"`
	// Doubles are the doubling choices per seat (1 or 2) when the table
	// plays the doubling house rule; all zero otherwise.
	Doubles [3]int `json:"doubles,omitzero"`
	// Pairs is, with doubling, the multiplier of each farmer's stake
	// against the landlord: M × the farmer's choice × the landlord's,
	// capped like M; 0 for the landlord, all zero without doubling.
	Pairs [3]int `json:"pairs,omitzero"`
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
	if r.Shown {
		m *= 2
	}
	r.Uncapped = m
	capped := func(m int) int {
		if maxMultiplier > 0 && m > maxMultiplier {
			return maxMultiplier
		}
		return m
	}
	r.Multiplier = capped(m)
	r.Pairs = [3]int{}
	if r.Doubles != [3]int{} {
		r.settlePairs(m, capped)
		return
	}
	m = r.Multiplier
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

// settlePairs scores a hand played with doubling: each farmer's stake
// against the landlord is B × M × the farmer's choice × the landlord's
// choice (a choice not made counts ×1), capped like M; the landlord wins
// or loses the sum of the two.
func (r *Result) settlePairs(m int, capped func(int) int) {
	d := func(s int) int { return max(r.Doubles[s], 1) }
	sign := 1
	if !r.LandlordWon {
		sign = -1
	}
	for s := range r.Scores {
		if s == r.Landlord {
			continue
		}
		r.Pairs[s] = capped(m * d(s) * d(r.Landlord))
		unit := sign * r.BaseStake * r.Pairs[s]
		r.Scores[s] = -unit
		r.Scores[r.Landlord] += unit
	}
}
