package bot

import (
	"fmt"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// Player picks the action of the seat to act. v is the view of that seat;
// the returned event is one of the actions doudizhu.Game.Apply accepts.
type Player interface {
	Act(v *ddz.View) ddz.Event
}

// Level names a bot strength.
type Level string

// The bot levels.
const (
	LevelEasy   Level = "easy"
	LevelNormal Level = "normal"
)

// Levels lists every level, weakest first.
var Levels = []Level{LevelEasy, LevelNormal}

// New returns a fresh Player of the given level.
func New(level Level) (Player, error) {
	switch level {
	case LevelEasy:
		return NewEasy(), nil
	case LevelNormal:
		return NewNormal(), nil
	}
	return nil, fmt.Errorf("bot: unknown level %q", level)
}

// Run plays g to the end, asking players[s] for seat s's actions. It
// returns an error if a player makes an action the rules reject.
func Run(g *ddz.Game, players [3]Player) error {
	var v ddz.View
	for g.Phase() != ddz.PhaseOver {
		s := g.Turn()
		v = g.View(s)
		e := players[s].Act(&v)
		if _, err := g.Apply(e); err != nil {
			return fmt.Errorf("bot: seat %d: %w", s, err)
		}
	}
	return nil
}

// isTeammate reports whether seat and other are both farmers.
func isTeammate(v *ddz.View, other int) bool {
	return other >= 0 && other != v.Seat && v.Seat != v.Landlord && other != v.Landlord
}

// strength scores a hand for bidding: high cards, bombs and the rocket.
func strength(hand ddz.Cards) int {
	s := 0
	s += int(hand[ddz.RedJoker]) * 4
	s += int(hand[ddz.BlackJoker]) * 3
	s += int(hand[ddz.Two]) * 2
	s += int(hand[ddz.Ace])
	for r := ddz.Three; r <= ddz.Two; r++ {
		if hand[r] == 4 {
			s += 4
		}
	}
	return s
}

// bid turns a wish to bid w (0 none) into a legal bidding action: in
// call/grab bidding any wish calls, and a wish above 1 grabs.
func bid(v *ddz.View, w int) ddz.Event {
	switch {
	case v.Expect == ddz.KindCall:
		return ddz.Call(v.Seat, w > 0)
	case v.Expect == ddz.KindGrab:
		return ddz.Grab(v.Seat, w > 1)
	case w <= v.HighestBid:
		return ddz.Bid(v.Seat, 0)
	}
	return ddz.Bid(v.Seat, min(w, 3))
}

// smaller orders plays for "the smallest move": lower main rank, then
// fewer cards. The rocket, without a rank, is the largest.
func smaller(a, b ddz.Play) bool {
	ra, rb := rankKey(a.Label), rankKey(b.Label)
	if ra != rb {
		return ra < rb
	}
	return a.Cards.Len() < b.Cards.Len()
}

func rankKey(l ddz.Label) int {
	if l.Type == ddz.Rocket {
		return 100
	}
	return int(l.Rank)
}

func isBomb(l ddz.Label) bool { return l.Type == ddz.Bomb || l.Type == ddz.Rocket }

// play returns the action for cards; an empty set is a pass.
func play(v *ddz.View, c ddz.Cards) ddz.Event {
	if c.IsEmpty() {
		return ddz.Pass(v.Seat)
	}
	return ddz.PlayCards(v.Seat, c)
}
