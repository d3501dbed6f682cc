package doudizhu

// DeckSize is the number of cards in the deck: four of each rank 3…2 and
// the two jokers.
const DeckSize = 54

// HandSize is the number of cards dealt to each seat; BottomSize cards
// stay face down for the landlord.
const (
	HandSize   = 17
	BottomSize = 3
)

// Deck returns the 54 cards in rank order.
func Deck() []Rank {
	d := make([]Rank, 0, DeckSize)
	for r := Three; r <= RedJoker; r++ {
		for range maxCopies[r] {
			d = append(d, r)
		}
	}
	return d
}
