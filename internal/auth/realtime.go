package auth

import (
	"context"
	"strconv"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Route ids of the account routes on the realtime protocol.
const (
	RouteAccountMe      = 100
	RouteAccountSetName = 101
)

// RegisterRoutes registers account.me and account.set_name on r. Both need
// an authenticated session.
func RegisterRoutes(r *gateway.Router, s *Service) {
	gateway.Handle(r, "account.me", RouteAccountMe, func(ctx context.Context, ss *session.Session, _ *pb.AccountMeReq) (*pb.Account, error) {
		p, err := s.Profile(ctx, ss.UserID())
		if err != nil {
			return nil, err
		}
		return profileMessage(p), nil
	})
	gateway.Handle(r, "account.set_name", RouteAccountSetName, func(ctx context.Context, ss *session.Session, req *pb.SetDisplayNameReq) (*pb.Account, error) {
		p, err := s.SetDisplayName(ctx, ss.UserID(), req.DisplayName)
		if err != nil {
			return nil, err
		}
		return profileMessage(p), nil
	})
}

func profileMessage(p Profile) *pb.Account {
	st := p.Stats
	return &pb.Account{
		UserId:      strconv.FormatInt(p.UserID, 10),
		Username:    p.Username,
		DisplayName: p.DisplayName,
		Guest:       p.Guest,
		Roles:       p.Roles,
		Balance:     p.Balance,
		CreatedAtMs: p.CreatedAt.UnixMilli(),
		Stats: &pb.AccountStats{
			Rating: st.Rating, Games: st.Games, Wins: st.Wins,
			LandlordGames: st.LandlordGames, LandlordWins: st.LandlordWins,
			FarmerGames: st.FarmerGames, FarmerWins: st.FarmerWins,
			Springs: st.Springs, BestMultiplier: st.BestMultiplier,
		},
	}
}
