package ddz

import (
	"fmt"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// ViewOf rebuilds the engine's view of one seat from a snapshot, so a
// client can hand it to an engine bot (games/doudizhu/bot) or to the move
// generator. Only what a snapshot carries is filled in.
func ViewOf(s *pb.DdzSnapshot) (ddz.View, error) {
	v := ddz.View{
		Seat: int(s.Seat), Deal: int(s.Deal), Turn: int(s.Turn), Leading: s.Leading,
		Landlord: int(s.Landlord), HighestBid: int(s.HighestBid), Multiplier: int(s.Multiplier),
		CurrentSeat: int(s.CurrentSeat),
	}
	switch s.Phase {
	case "bidding":
		v.Phase = ddz.PhaseBidding
	case "playing":
		v.Phase = ddz.PhasePlaying
	case "doubling":
		v.Phase, v.Expect = ddz.PhaseDoubling, ddz.KindDouble
	default:
		v.Phase = ddz.PhaseOver
	}
	var err error
	if v.Hand, err = parseCards(s.Hand); err != nil {
		return v, fmt.Errorf("hand: %w", err)
	}
	if v.Bottom, err = parseCards(s.Bottom); err != nil {
		return v, fmt.Errorf("bottom: %w", err)
	}
	if v.HandFaces, err = facesOf(s.HandFaces, v.Hand); err != nil {
		return v, fmt.Errorf("hand_faces: %w", err)
	}
	if v.BottomFaces, err = facesOf(s.BottomFaces, v.Bottom); err != nil {
		return v, fmt.Errorf("bottom_faces: %w", err)
	}
	if s.Current != nil {
		c, err := parseCards(s.Current.Cards)
		if err != nil {
			return v, fmt.Errorf("current: %w", err)
		}
		v.Current = ddz.NewPlay(c)
	}
	for _, st := range s.Seats {
		if st.Seat < 3 {
			v.HandSizes[st.Seat] = int(st.Cards)
			if v.Played[st.Seat], err = parseCards(st.Played); err != nil {
				return v, fmt.Errorf("played: %w", err)
			}
		}
	}
	for i, d := range s.Doubles {
		if i < 3 {
			v.Doubles[i] = int(d)
		}
	}
	v.Shown, v.CanShow = s.Shown, s.CanShow
	if len(s.ShownFaces) > 0 {
		if v.ShownFaces, err = ddz.ParseFaces(s.ShownFaces); err != nil {
			return v, fmt.Errorf("shown_faces: %w", err)
		}
	}
	if len(s.Counter) > 0 {
		if len(s.Counter) != ddz.NumRanks {
			return v, fmt.Errorf("counter has %d ranks", len(s.Counter))
		}
		v.HasCounter = true
		for r, n := range s.Counter {
			v.Counter[r] = uint8(min(n, 4))
		}
	}
	for _, e := range s.Log {
		c, err := parseCards(e.Cards)
		if err != nil {
			return v, fmt.Errorf("log: %w", err)
		}
		v.Log = append(v.Log, ddz.Event{Kind: ddz.Kind(e.Kind), Seat: int(e.Seat), Value: int(e.Value), Cards: c, Multiplier: int(e.Multiplier)})
	}
	return v, nil
}

// facesOf parses physical cards and checks they are the ranks given
// beside them.
func facesOf(in []string, ranks ddz.Cards) (ddz.Faces, error) {
	fs, err := ddz.ParseFaces(in)
	if err != nil {
		return nil, err
	}
	if fs.Ranks() != ranks {
		return nil, fmt.Errorf("faces %v are not the cards %v", fs, ranks)
	}
	return fs, nil
}
