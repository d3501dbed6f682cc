package bot

import ddz "github.com/lordgame/lordgame/internal/games/doudizhu"

// Easy bids rarely, plays the smallest legal move and never bombs its
// teammate.
type Easy struct {
	buf []ddz.Play
}

// NewEasy returns an easy bot.
func NewEasy() *Easy { return &Easy{buf: make([]ddz.Play, 0, 512)} }

// Act implements Player.
func (b *Easy) Act(v *ddz.View) ddz.Event {
	if e, ok := House(v); ok {
		return e
	}
	if v.Phase == ddz.PhaseBidding {
		w := 0
		if strength(v.Hand) >= 11 {
			w = v.HighestBid + 1
		}
		return bid(v, w)
	}
	b.buf = ddz.AppendMoves(b.buf[:0], v.Hand, v.Current.Label)
	var best, bomb ddz.Play
	for _, m := range b.buf {
		switch {
		case m.IsPass():
		case isBomb(m.Label):
			if bomb.IsPass() || smaller(m, bomb) {
				bomb = m
			}
		case best.IsPass() || smaller(m, best):
			best = m
		}
	}
	if best.IsPass() && !isTeammate(v, v.CurrentSeat) {
		best = bomb
	}
	return play(v, best.Cards)
}
