package ddz

import (
	"context"
	"fmt"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// leave answers ddz.leave: what leaving costs, and with confirm the
// player leaves. The seat stays theirs on auto-play to the end of the
// hand and is settled with their coins; they get no more pushes of the
// table and are free to queue again.
func (t *table) leave(r *room.Room, seat int, confirm bool) (*pb.DdzLeaveResp, error) {
	resp := t.leaveQuote(seat)
	if !confirm {
		return resp, nil
	}
	t.auto[seat] = true
	// Logged even when the seat was on auto-play already: the log must
	// say that the player left, for a table restored from it.
	if err := t.commit(r, []record{{Kind: kindAutoplay, Seat: seat, Value: 1, Reason: reasonLeft}}); err != nil {
		return nil, err
	}
	t.left[seat] = true
	t.svc.leave(t, t.users[seat])
	resp.Left = true
	return resp, nil
}

// leaveQuote is what leaving costs seat now: the coins it loses if its
// side loses at the current multiplier.
func (t *table) leaveQuote(seat int) *pb.DdzLeaveResp {
	resp := &pb.DdzLeaveResp{GameId: t.gid}
	v := t.g.View(seat)
	m := v.Multiplier
	points := 0
	switch {
	case v.Phase == ddz.PhaseBidding:
		m = max(v.HighestBid, 1)
		points = t.opts.BaseStake * m
	case v.Landlord == seat:
		resp.Role = "landlord"
		points = 2 * t.opts.BaseStake * m
		if t.opts.Doubling { // each farmer's stake × its choice × the landlord's
			points = 0
			for f := range 3 {
				if f != seat {
					points += t.opts.BaseStake * m * max(v.Doubles[f], 1) * max(v.Doubles[seat], 1)
				}
			}
		}
	default:
		resp.Role = "farmer"
		points = t.opts.BaseStake * m
		if t.opts.Doubling {
			points *= max(v.Doubles[seat], 1) * max(v.Doubles[v.Landlord], 1)
		}
	}
	resp.Multiplier = uint32(m)
	if t.mode.Practice || t.mode.Stake <= 0 {
		resp.Cost = "Auto-play will finish this hand for you. It is a practice hand: no coins or rating are at stake."
		return resp
	}
	risk := int64(points) * t.mode.Stake
	ctx, cancel := t.storeCtx()
	defer cancel()
	if bal, err := t.svc.st.Balance(ctx, t.users[seat]); err == nil {
		risk = min(risk, max(bal, 0))
	}
	resp.AtRisk = risk
	resp.Cost = fmt.Sprintf("Auto-play will finish this hand for you and it is settled as if you stayed. "+
		"If your side loses at ×%d you lose %d coins; bombs, the rocket and a spring can double that. Your rating counts too.", m, risk)
	return resp
}

// finalHands is the cards every seat still holds, per seat: the reveal
// at the end of a hand.
func (t *table) finalHands() []*pb.DdzCards {
	return handsOf(t.g)
}

func handsOf(g *ddz.Game) []*pb.DdzCards {
	out := make([]*pb.DdzCards, 3)
	for s := range 3 {
		out[s] = &pb.DdzCards{Cards: cardStrings(g.View(s).Hand), Faces: g.HandFaces(s).Strings()}
	}
	return out
}

// leaver is the Directory of a cluster that can free one player's seat
// while the table runs on.
type leaver interface {
	Leave(ctx context.Context, table, userID int64)
}

// leave frees userID from t: the player is no longer seated here (nor in
// the cluster's directory), though the seat plays on for them.
func (s *Service) leave(t *table, userID int64) {
	if l, ok := s.dir.(leaver); ok && s.dir != nil {
		ctx, cancel := s.storeCtx()
		l.Leave(ctx, t.id, userID)
		cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUser[userID] == t {
		delete(s.byUser, userID)
		delete(s.gens, userID)
	}
}

// seatName is the name every view shows for a seat: the player's display
// name, "Player N" when they have none, "Bot N" for a bot (N the seat
// from 1).
func seatName(display string, seat int, bot bool) string {
	switch {
	case bot:
		return fmt.Sprintf("Bot %d", seat+1)
	case display == "":
		return fmt.Sprintf("Player %d", seat+1)
	}
	return display
}
