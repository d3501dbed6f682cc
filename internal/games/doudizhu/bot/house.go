package bot

import ddz "github.com/lordgame/lordgame/internal/games/doudizhu"

// House-rule decisions by hand strength (strength: jokers, twos, aces,
// bombs). A farmer holds 17 cards, the landlord 20 with the bottom, so
// the landlord needs more to double.
const (
	doubleFarmer   = 10 // a farmer doubles from this strength
	doubleLandlord = 13 // the landlord doubles from this strength
	showLandlord   = 17 // the landlord shows the hand from this strength
)

// House returns the decision a bot (or a seat on auto-play) takes for
// the house rules of the table, and false when there is none to take:
// ×2 or ×1 in the doubling phase, and for the landlord about to lead the
// first round, whether to show the hand. It is deterministic.
func House(v *ddz.View) (ddz.Event, bool) {
	switch {
	case v.Expect == ddz.KindDouble:
		w := doubleFarmer
		if v.Seat == v.Landlord {
			w = doubleLandlord
		}
		return ddz.Double(v.Seat, strength(v.Hand) >= w), true
	case v.CanShow && strength(v.Hand) >= showLandlord:
		return ddz.Show(v.Seat), true
	}
	return ddz.Event{}, false
}
