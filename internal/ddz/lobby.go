package ddz

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/leaderboard"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Lobby route ids (620–629, docs/protocol-ddz.md).
const (
	IDLeaderboard = 620
	IDHistory     = 621
	IDProfile     = 622
	IDProfileSet  = 623
)

// LobbyStore is what the lobby reads and writes; *store.DB implements it.
type LobbyStore interface {
	History(ctx context.Context, userID, before int64, limit int) ([]store.GameRecord, error)
	Profiles(ctx context.Context, ids []int64) (map[int64]store.Profile, error)
	SetAvatar(ctx context.Context, id int64, avatar string) error
	Stats(ctx context.Context, userID int64) (store.Stats, error)
	Balance(ctx context.Context, userID int64) (int64, error)
}

// Boards are the rankings the lobby shows (leaderboard.Store satisfies it).
type Boards interface {
	Top(ctx context.Context, b leaderboard.Board, p leaderboard.Period, at time.Time, n int) ([]leaderboard.Entry, error)
	Around(ctx context.Context, b leaderboard.Board, p leaderboard.Period, at time.Time, player string, radius int) ([]leaderboard.Entry, error)
}

// SetName changes a display name after checking it (auth.Service's rules).
type SetName func(ctx context.Context, userID int64, name string) error

// Lobby answers what a player asks outside a table: leaderboards, their
// game history and profiles. It keeps no state of its own.
type Lobby struct {
	st      LobbyStore
	boards  Boards
	setName SetName
	now     func() time.Time
	clock   leaderboard.Clock
}

// NewLobby builds the lobby; clock names the leaderboard periods as the
// boards key them.
func NewLobby(st LobbyStore, boards Boards, clock leaderboard.Clock, setName SetName) *Lobby {
	return &Lobby{st: st, boards: boards, setName: setName, now: time.Now, clock: clock}
}

// Leaderboard page limits, and the caller's neighbourhood: radius entries
// above and below the caller's own (DdzLeaderboardReq.radius).
const (
	maxBoardOffset    = 990
	maxBoardLimit     = 50
	defaultRadius     = 3
	maxBoardRadius    = 10
	defaultBoardLimit = 10
)

// ErrBoardsDown is answered when the ranking store cannot be reached.
var ErrBoardsDown = status.New(status.Unavailable, "the leaderboards are unavailable; try again soon")

// Leaderboard returns one page of a ranking, the caller's own entry and
// the caller's neighbourhood (radius entries either side).
func (l *Lobby) Leaderboard(ctx context.Context, userID int64, req *pb.DdzLeaderboardReq) (*pb.DdzLeaderboardResp, error) {
	period := req.Period
	if period == "" {
		period = string(leaderboard.AllTime)
	}
	b, p, err := leaderboard.ParseBoard(req.Board, period)
	if err != nil {
		return nil, status.New(status.BadRequest, "board must be rating or coins and period all, week or day")
	}
	limit := int(req.Limit)
	if limit == 0 {
		limit = defaultBoardLimit
	}
	if limit > maxBoardLimit || req.Offset > maxBoardOffset {
		return nil, status.Errorf(status.BadRequest, "limit must be 1-%d and offset at most %d", maxBoardLimit, maxBoardOffset)
	}
	radius := defaultRadius
	if req.Radius != nil {
		if r := req.GetRadius(); r < 0 || r > maxBoardRadius {
			return nil, status.Errorf(status.BadRequest, "radius must be 0-%d", maxBoardRadius)
		}
		radius = int(req.GetRadius())
	}
	at := l.now()
	off := int(req.Offset)
	// One entry past the page tells whether another page follows.
	top, err := l.boards.Top(ctx, b, p, at, off+limit+1)
	if err != nil {
		return nil, ErrBoardsDown
	}
	page := top[min(off, len(top)):]
	out := &pb.DdzLeaderboardResp{Board: string(b), Period: string(p), Offset: req.Offset, PeriodKey: l.clock.Key(b, p, at), Radius: uint32(radius)}
	if len(page) > limit {
		page = page[:limit]
		out.NextOffset = uint32(off + limit)
	}
	me := formatID(userID)
	around, err := l.boards.Around(ctx, b, p, at, me, radius)
	if err != nil {
		return nil, ErrBoardsDown
	}
	ids := make([]int64, 0, len(page)+len(around)+1)
	for _, e := range slices.Concat(page, around) {
		if id, err := strconv.ParseInt(e.Player, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	ids = append(ids, userID)
	profiles, err := l.st.Profiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	entry := func(e leaderboard.Entry) *pb.DdzLeaderboardEntry {
		id, _ := strconv.ParseInt(e.Player, 10, 64)
		pr := profiles[id]
		return &pb.DdzLeaderboardEntry{Rank: uint32(e.Rank), UserId: e.Player, Name: displayName(pr), Avatar: pr.Avatar, Score: e.Score}
	}
	for _, e := range page {
		out.Entries = append(out.Entries, entry(e))
	}
	for _, e := range around {
		if e.Player == me {
			out.Me = entry(e)
		}
	}
	// Without the caller on the board there is no neighbourhood.
	if out.Me != nil {
		for _, e := range around {
			out.Around = append(out.Around, entry(e))
		}
	}
	return out, nil
}

// RegisterLobby adds the lobby routes to r.
func RegisterLobby(r *gateway.Router, l *Lobby) {
	gateway.Handle(r, "ddz.leaderboard", IDLeaderboard, func(ctx context.Context, ss *session.Session, req *pb.DdzLeaderboardReq) (*pb.DdzLeaderboardResp, error) {
		return l.Leaderboard(ctx, ss.UserID(), req)
	}, gateway.Concurrent(), gateway.Idempotent())
	gateway.Handle(r, "ddz.history", IDHistory, func(ctx context.Context, ss *session.Session, req *pb.DdzHistoryReq) (*pb.DdzHistoryResp, error) {
		return l.History(ctx, ss.UserID(), req.Cursor, int(req.Limit))
	}, gateway.Concurrent(), gateway.Idempotent())
	gateway.Handle(r, "ddz.profile", IDProfile, func(ctx context.Context, ss *session.Session, req *pb.DdzProfileReq) (*pb.DdzProfile, error) {
		return l.Profile(ctx, ss.UserID(), req.UserId)
	}, gateway.Concurrent(), gateway.Idempotent())
	gateway.Handle(r, "ddz.profile.set", IDProfileSet, func(ctx context.Context, ss *session.Session, req *pb.DdzProfileSetReq) (*pb.DdzProfile, error) {
		return l.SetProfile(ctx, ss.UserID(), req)
	}, gateway.Concurrent())
}

// storeErr turns a missing row into not_found.
func storeErr(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return status.New(status.NotFound, what)
	}
	return err
}
