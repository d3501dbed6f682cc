package bot

import ddz "github.com/lordgame/lordgame/internal/games/doudizhu"

// Hint suggests an action to a human player: what the normal bot would do,
// except that when following it never suggests passing while some play
// beats the current one. It allocates; call it once per request.
func Hint(v *ddz.View) ddz.Event {
	nv := *v
	nv.CanShow = false // a hint is a play: showing the hand is the player's call
	v = &nv
	e := NewNormal().Act(v)
	if e.Kind != ddz.KindPass {
		return e
	}
	var best, bomb ddz.Play
	for _, m := range ddz.Moves(v.Hand, v.Current.Label) {
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
	if best.IsPass() {
		best = bomb
	}
	return play(v, best.Cards)
}

// AutoPlay is the 托管 policy of spec §11.6 for a player in auto-play (and
// the house rules decided as a bot decides them, House): pass
// in bidding; when following, pass on the teammate, else the lowest play
// that beats the current one without breaking a bomb or the rocket; when
// leading, the lowest single outside bombs and the rocket (the lowest card
// if there is none). It is deterministic and always legal.
func AutoPlay(v *ddz.View) ddz.Event {
	if e, ok := House(v); ok {
		return e
	}
	if v.Phase == ddz.PhaseBidding {
		return bid(v, 0)
	}
	hand := v.Hand
	var kept ddz.Cards // cards of bombs and the rocket
	for r := ddz.Three; r <= ddz.Two; r++ {
		if hand[r] == 4 {
			kept[r] = 4
		}
	}
	if hand[ddz.BlackJoker] == 1 && hand[ddz.RedJoker] == 1 {
		kept[ddz.BlackJoker], kept[ddz.RedJoker] = 1, 1
	}
	free := hand.Minus(kept)
	if v.Leading {
		if free.IsEmpty() {
			return play(v, only(hand.Lowest(), 1))
		}
		return play(v, only(free.Lowest(), 1))
	}
	if isTeammate(v, v.CurrentSeat) {
		return ddz.Pass(v.Seat)
	}
	var best ddz.Play
	for _, m := range ddz.Moves(free, v.Current.Label) {
		if !m.IsPass() && !isBomb(m.Label) && (best.IsPass() || smaller(m, best)) {
			best = m
		}
	}
	return play(v, best.Cards)
}
