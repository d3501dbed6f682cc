package ddz

import "math"

// Payer is who pays and is paid for a seat.
type Payer uint8

const (
	// NoPayer: the seat plays for nothing (practice games).
	NoPayer Payer = iota
	// Player: the seat's own player, up to their balance.
	Player
	// House: a bot seat plays for the house, which has no cap.
	House
)

// Stakes applies the stake rule (docs/ddz-online.md) to the points of a
// hand: each seat's points times stake are what it should win or lose, but
//
//   - a bot seat plays for the house, so a player's coins are the same
//     whether the other seats are players or bots; a seat with NoPayer
//     neither pays nor is paid, and what a seat is owed is limited to what
//     the seats on the other side owe;
//   - no player loses more than their balance: a losing player pays at
//     most what they hold (the house always pays in full);
//   - winners share exactly what the losers paid: one winner takes it all;
//     two winners each take their own points times stake when the loser
//     paid in full, and otherwise share what it paid in proportion to
//     their points, the odd coin going to the seat that went out (winner),
//     or to the lower seat when that is not one of them.
//
// So the coins of a game, the house's included, always sum to zero and no
// player's balance goes negative.
func Stakes(points [3]int, stake int64, payer [3]Payer, balance [3]int64, winner int) [3]int64 {
	var coins [3]int64
	if stake <= 0 {
		return coins
	}
	var owedTo, owedBy int64
	var winners, losers []int
	for s := range 3 {
		if payer[s] == NoPayer || points[s] == 0 {
			continue
		}
		v := int64(points[s]) * stake
		if v > 0 {
			owedTo += v
			winners = append(winners, s)
		} else {
			owedBy -= v
			losers = append(losers, s)
		}
	}
	transfer := min(owedTo, owedBy)
	var paid int64
	for _, s := range losers {
		due := -int64(points[s]) * stake
		if len(losers) == 1 {
			due = transfer
		}
		pay := due
		if payer[s] == Player {
			pay = min(due, max(balance[s], 0))
		}
		coins[s] = -pay
		paid += pay
	}
	switch len(winners) {
	case 1:
		coins[winners[0]] = paid
	case 2:
		// Each winner is owed its own points (they differ under the pair
		// rule); when the loser could not pay them in full, what it paid
		// is shared in proportion, the odd coin going as above.
		a, b := winners[0], winners[1]
		dueA, dueB := int64(points[a])*stake, int64(points[b])*stake
		if paid >= dueA+dueB {
			coins[a], coins[b] = dueA, dueB
			break
		}
		coins[a] = paid * dueA / (dueA + dueB)
		coins[b] = paid * dueB / (dueA + dueB)
		if coins[a]+coins[b] < paid {
			if b == winner {
				coins[b]++
			} else {
				coins[a]++
			}
		}
	}
	return coins
}

// Ratings is the Elo rule for 2 vs 1: the landlord plays the farmers'
// team, whose rating is the mean of the two farmers. With E the
// landlord's expected score, 1 / (1 + 10^((farmers − landlord) / 400)),
// and S = 1 if the landlord won else 0, the landlord gains
// d = round(K · (S − E)) and each farmer loses half of it (the farmer who
// went out takes the odd point), so ratings move zero-sum between the
// three seats. Bots are rated at the default rating and never change.
func Ratings(rating [3]int64, landlord int, landlordWon bool, winner int, k int) [3]int64 {
	var out [3]int64
	if landlord < 0 || landlord > 2 {
		return out
	}
	f1, f2 := (landlord+1)%3, (landlord+2)%3
	team := float64(rating[f1]+rating[f2]) / 2
	e := 1 / (1 + math.Pow(10, (team-float64(rating[landlord]))/400))
	s := 0.0
	if landlordWon {
		s = 1
	}
	d := int64(math.Round(float64(k) * (s - e)))
	out[landlord] = d
	half := -d / 2
	rest := -d - half
	if winner == f2 {
		out[f1], out[f2] = half, rest
	} else {
		out[f1], out[f2] = rest, half
	}
	return out
}
