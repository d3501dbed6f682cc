package ddzclient

import (
	"slices"

	"github.com/lordgame/lordgame/internal/ddz"
	engine "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// tracker keeps the player's view of the table up to date from the event
// pushes, so that a move needs no ddz.state round trip. It gives up (ok
// false) on anything it cannot follow; the player then asks ddz.state.
type tracker struct {
	ok  bool
	seq uint64
	v   engine.View
	// doubling: the table plays the doubling house rule, so the auction
	// is followed by the doubling phase.
	doubling bool
}

// reset starts over from a snapshot.
func (t *tracker) reset(s *pb.DdzSnapshot) {
	v, err := ddz.ViewOf(s)
	t.ok, t.seq, t.v = err == nil && s.Phase != "paused" && s.Phase != "starting", s.Seq, v
	t.doubling = slices.Contains(s.HouseRules, "doubling")
}

// apply folds one event in; events must come in seq order.
func (t *tracker) apply(e *pb.DdzEvent) {
	if !t.ok || e.Seq <= t.seq {
		return
	}
	if e.Seq != t.seq+1 {
		t.ok = false
		return
	}
	t.seq = e.Seq
	v := &t.v
	cards, err := cardsOf(e.Cards)
	if err != nil {
		t.ok = false
		return
	}
	faces, err := engine.ParseFaces(e.Faces)
	if err != nil || faces.Ranks() != cards {
		t.ok = false
		return
	}
	switch e.Kind {
	case "deal":
		hand, err := cardsOf(e.Hand)
		if err != nil || len(e.Hand) == 0 {
			t.ok = false
			return
		}
		handFaces, err := engine.ParseFaces(e.HandFaces)
		if err != nil || handFaces.Ranks() != hand {
			t.ok = false
			return
		}
		*v = engine.View{Seat: v.Seat, Phase: engine.PhaseBidding, Deal: int(e.Value), Hand: hand, HandFaces: handFaces, Landlord: -1, CurrentSeat: -1}
	case "bid":
		v.HighestBid = max(v.HighestBid, int(e.Value))
		v.Log = append(v.Log, engine.Event{Kind: engine.KindBid, Seat: int(e.Seat), Value: int(e.Value)})
	case "landlord":
		v.Phase, v.Landlord, v.Bottom, v.BottomFaces, v.HighestBid = engine.PhasePlaying, int(e.Seat), cards, faces, int(e.Value)
		v.Expect = engine.KindPlay
		if t.doubling {
			v.Phase, v.Expect = engine.PhaseDoubling, engine.KindDouble
		}
		if int(e.Seat) == v.Seat {
			v.Hand = v.Hand.Plus(cards)
			v.HandFaces = append(slices.Clone(v.HandFaces), faces...)
		}
	case "play":
		s := int(e.Seat)
		v.Current, v.CurrentSeat = engine.NewPlay(cards), s
		v.Played[s] = v.Played[s].Plus(cards)
		if s == v.Seat {
			v.Hand = v.Hand.Minus(cards)
			v.HandFaces = slices.DeleteFunc(slices.Clone(v.HandFaces), func(f engine.Face) bool { return slices.Contains(faces, f) })
		}
	case "double":
		if s := int(e.Seat); s >= 0 && s < 3 {
			v.Doubles[s] = 1 + int(e.Value)
			if s == v.Landlord {
				v.Phase, v.Expect = engine.PhasePlaying, engine.KindPlay
			}
		}
	case "show":
		v.Shown = true
	case "end", "cancel":
		v.Phase = engine.PhaseOver
	}
	v.Turn, v.Leading, v.Multiplier, v.CanShow = int(e.Turn), e.Leading, int(e.Multiplier), e.CanShow
	if e.Leading {
		v.Current, v.CurrentSeat = engine.Play{}, -1
	}
	for s, n := range e.HandSizes {
		if s < 3 {
			v.HandSizes[s] = int(n)
		}
	}
	if v.HandFaces.Ranks() != v.Hand || (v.Hand.Len() != v.HandSizes[v.Seat] && len(e.HandSizes) == 3) {
		t.ok = false
	}
}

// view is the tracked view when it can be trusted.
func (t *tracker) view() (engine.View, bool) { return t.v, t.ok }

func cardsOf(in []string) (engine.Cards, error) {
	rs := make([]engine.Rank, 0, len(in))
	for _, s := range in {
		r, err := engine.ParseRank(s)
		if err != nil {
			return engine.Cards{}, err
		}
		rs = append(rs, r)
	}
	return engine.CardsOf(rs...)
}
