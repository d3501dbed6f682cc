package ddz

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// History page limits.
const (
	defaultHistoryPage = 20
	maxHistoryPage     = 50
)

// History returns a page of the caller's finished and cancelled games,
// newest first. The cursor is the id of the last game of the page before,
// handed out as next_cursor; it stays valid while games are added, since
// new games only come before the first page.
func (l *Lobby) History(ctx context.Context, userID int64, cursor string, limit int) (*pb.DdzHistoryResp, error) {
	if limit == 0 {
		limit = defaultHistoryPage
	}
	if limit < 0 || limit > maxHistoryPage {
		return nil, status.Errorf(status.BadRequest, "limit must be 1-%d", maxHistoryPage)
	}
	var before int64
	if cursor != "" {
		v, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || v <= 0 {
			return nil, status.New(status.BadRequest, "cursor: not one this server handed out")
		}
		before = v
	}
	// One game past the page tells whether another page follows.
	games, err := l.st.History(ctx, userID, before, limit+1)
	if err != nil {
		return nil, err
	}
	out := &pb.DdzHistoryResp{}
	if len(games) > limit {
		games = games[:limit]
		out.NextCursor = formatID(games[limit-1].ID)
	}
	var ids []int64
	for _, g := range games {
		for _, p := range g.Players {
			if p.UserID > 0 {
				ids = append(ids, p.UserID)
			}
		}
	}
	profiles, err := l.st.Profiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, g := range games {
		out.Games = append(out.Games, summary(g, userID, profiles))
	}
	return out, nil
}

// summary is one history row from userID's seat.
func summary(g store.GameRecord, userID int64, profiles map[int64]store.Profile) *pb.DdzGameSummary {
	out := &pb.DdzGameSummary{GameId: formatID(g.ID), Mode: g.Mode, State: g.State, CreatedAtMs: g.CreatedAt.UnixMilli(),
		Seat: -1, Landlord: -1, Names: make([]string, 3), Bots: make([]bool, 3)}
	if !g.EndedAt.IsZero() {
		out.EndedAtMs = g.EndedAt.UnixMilli()
	}
	for _, p := range g.Players {
		if p.Seat < 0 || p.Seat > 2 {
			continue
		}
		out.Names[p.Seat] = seatName(profiles[p.UserID].DisplayName, p.Seat, p.UserID <= 0)
		out.Bots[p.Seat] = p.UserID <= 0
		if p.UserID == userID {
			out.Seat = int32(p.Seat)
		}
	}
	sm := g.Settlement
	if sm == nil || g.State != store.GameFinished {
		return out
	}
	out.Landlord, out.Multiplier, out.Spring = int32(sm.LandlordSeat), uint32(sm.Multiplier), sm.Spring
	for _, sr := range sm.Seats {
		if int32(sr.Seat) == out.Seat {
			out.Won, out.Coins, out.Rating, out.RatingAfter = sr.Win, sr.Applied, sr.Rating, sr.RatingAfter
		}
	}
	return out
}

// dealsOf replays a game's log from its seed and returns every deal as it
// was dealt, tied to the seq of its "deal" entry: what a replay shows
// before the first bid.
func dealsOf(seed int64, log []record) ([]*pb.DdzDeal, error) {
	if len(log) == 0 || log[0].Options == nil {
		return nil, status.New(status.Internal, "game log does not start with the options")
	}
	g, err := ddz.New(log[0].Options.Rules, ddz.SeedFromUint64(uint64(seed)))
	if err != nil {
		return nil, err
	}
	var dealSeqs []uint64
	for i, rc := range log {
		if rc.Event != nil && rc.Event.Kind == ddz.KindDeal {
			dealSeqs = append(dealSeqs, uint64(i+1))
		}
	}
	var out []*pb.DdzDeal
	take := func() {
		d := &pb.DdzDeal{}
		if len(out) < len(dealSeqs) {
			d.Seq = dealSeqs[len(out)]
		}
		for s := range 3 {
			d.Hands = append(d.Hands, &pb.DdzCards{Cards: cardStrings(g.View(s).Hand), Faces: g.HandFaces(s).Strings()})
		}
		bottom := g.BottomFaces()
		d.Bottom = &pb.DdzCards{Cards: cardStrings(bottom.Ranks()), Faces: bottom.Strings()}
		out = append(out, d)
	}
	take()
	for _, rc := range log {
		if rc.Event == nil || !rc.Event.Kind.IsAction() {
			continue
		}
		evs, err := g.Apply(*rc.Event)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e.Kind == ddz.KindDeal {
				take()
			}
		}
	}
	return out, nil
}

// HistoryHandler serves GET /v1/games?cursor=&limit=: the caller's
// history page as the JSON form of DdzHistoryResp.
func (l *Lobby) HistoryHandler(auth Authenticate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || auth == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lordgame"`)
			writeErr(w, status.New(status.Unauthenticated, "authorization: bearer access token required"))
			return
		}
		uid, err := auth(r.Context(), tok)
		if err != nil {
			writeErr(w, err)
			return
		}
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil || limit <= 0 {
				writeErr(w, status.Errorf(status.BadRequest, "limit must be 1-%d", maxHistoryPage))
				return
			}
		}
		page, err := l.History(r.Context(), uid, r.URL.Query().Get("cursor"), limit)
		if err != nil {
			writeErr(w, err)
			return
		}
		b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(page)
		if err != nil {
			writeErr(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
}
