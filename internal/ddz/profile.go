package ddz

import (
	"context"
	"slices"
	"strconv"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Avatars is the built-in set a player chooses an avatar from: the twelve
// animals of the Chinese zodiac. Clients draw each name; the server only
// keeps the choice.
var Avatars = []string{"rat", "ox", "tiger", "rabbit", "dragon", "snake", "horse", "goat", "monkey", "rooster", "dog", "pig"}

// ratingHistory is how many of the latest games the profile's rating
// history covers.
const ratingHistory = 30

// Profile returns the profile of the user named by id ("" for the caller).
func (l *Lobby) Profile(ctx context.Context, callerID int64, id string) (*pb.DdzProfile, error) {
	uid := callerID
	if id != "" {
		v, err := strconv.ParseInt(id, 10, 64)
		if err != nil || v <= 0 {
			return nil, status.New(status.NotFound, "no such player")
		}
		uid = v
	}
	profiles, err := l.st.Profiles(ctx, []int64{uid})
	if err != nil {
		return nil, err
	}
	pr, ok := profiles[uid]
	if !ok {
		return nil, status.New(status.NotFound, "no such player")
	}
	st, err := l.st.Stats(ctx, uid)
	if err != nil {
		return nil, err
	}
	out := profileOf(pr, st)
	out.Self = uid == callerID
	if out.Self {
		if out.Coins, err = l.st.Balance(ctx, uid); err != nil {
			return nil, storeErr(err, "no such player")
		}
	}
	games, err := l.st.History(ctx, uid, 0, ratingHistory)
	if err != nil {
		return nil, err
	}
	for _, g := range slices.Backward(games) {
		if p, ok := ratingPoint(g, uid); ok {
			out.RatingHistory = append(out.RatingHistory, p)
		}
	}
	return out, nil
}

// SetProfile changes the caller's display name and avatar (an empty field
// stays as it is) and returns the profile.
func (l *Lobby) SetProfile(ctx context.Context, userID int64, req *pb.DdzProfileSetReq) (*pb.DdzProfile, error) {
	if req.Avatar != "" && !slices.Contains(Avatars, req.Avatar) {
		return nil, status.Errorf(status.BadRequest, "avatar: not one of the built-in avatars")
	}
	if req.DisplayName != "" {
		if l.setName == nil {
			return nil, status.New(status.Unavailable, "names cannot be changed on this server")
		}
		if err := l.setName(ctx, userID, req.DisplayName); err != nil {
			return nil, err
		}
	}
	if req.Avatar != "" {
		if err := l.st.SetAvatar(ctx, userID, req.Avatar); err != nil {
			return nil, storeErr(err, "no such player")
		}
	}
	return l.Profile(ctx, userID, "")
}

// profileOf is the public part of a profile with its rates computed.
func profileOf(pr store.Profile, st store.Stats) *pb.DdzProfile {
	return &pb.DdzProfile{
		UserId: formatID(pr.UserID), DisplayName: displayName(pr), Avatar: pr.Avatar, Guest: pr.Guest,
		Rating: st.Rating, Games: st.Games, Wins: st.Wins,
		LandlordGames: st.LandlordGames, LandlordWins: st.LandlordWins, FarmerGames: st.FarmerGames, FarmerWins: st.FarmerWins,
		Springs: st.Springs, BestMultiplier: st.BestMultiplier,
		WinRate: percent(st.Wins, st.Games), LandlordWinRate: percent(st.LandlordWins, st.LandlordGames),
		FarmerWinRate: percent(st.FarmerWins, st.FarmerGames),
		Avatars:       slices.Clone(Avatars),
	}
}

// percent is 100·n/of rounded down, 0 when of is 0.
func percent(n, of int64) uint32 {
	if of <= 0 {
		return 0
	}
	return uint32(100 * n / of)
}

// ratingPoint is uid's rating after a settled game.
func ratingPoint(g store.GameRecord, uid int64) (*pb.DdzRatingPoint, bool) {
	if g.State != store.GameFinished || g.Settlement == nil {
		return nil, false
	}
	seat := -1
	for _, p := range g.Players {
		if p.UserID == uid {
			seat = p.Seat
		}
	}
	for _, sr := range g.Settlement.Seats {
		if sr.Seat == seat && sr.RatingAfter != 0 {
			return &pb.DdzRatingPoint{GameId: formatID(g.ID), AtMs: g.EndedAt.UnixMilli(), Rating: sr.RatingAfter}, true
		}
	}
	return nil, false
}

// displayName is the name shown for a player outside a table.
func displayName(pr store.Profile) string {
	if pr.DisplayName == "" {
		return "Player"
	}
	return pr.DisplayName
}
