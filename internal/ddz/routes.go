package ddz

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Route ids: 200–299 matchmaking, 300–399 the table (docs/protocol-ddz.md).
const (
	IDMatchJoin   = 201
	IDMatchCancel = 202
	IDMatchStatus = 250
	IDBid         = 301
	IDPlay        = 302
	IDPass        = 303
	IDHint        = 304
	IDAutoplay    = 305
	IDState       = 306
	IDChat        = 307
	IDGame        = 308
	IDLeave       = 610
	IDDouble      = 630
	IDShow        = 631
	IDSnapshot    = 350
	IDEvent       = 351
	IDResult      = 352
	IDMessage     = 353
	// Internal routes (900–999), called by other nodes only.
	IDPresence = 901
	IDCreate   = 902
)

// Internal route names.
const (
	RoutePresence = "ddz.presence"
	RouteCreate   = "ddz.create"
)

// Register adds every matchmaking and table route to r.
func Register(r *gateway.Router, s *Service) {
	gateway.Handle(r, "match.join", IDMatchJoin, func(ctx context.Context, ss *session.Session, req *pb.MatchJoinReq) (*pb.MatchJoinResp, error) {
		st, err := s.Join(ctx, ss.UserID(), req.Mode)
		if err != nil {
			return nil, err
		}
		return &pb.MatchJoinResp{TicketId: st.TicketID, Position: uint32(st.Position), EstimatedWaitMs: uint32(st.Estimate.Milliseconds())}, nil
	})
	gateway.Handle(r, "match.cancel", IDMatchCancel, func(ctx context.Context, ss *session.Session, _ *pb.MatchCancelReq) (*pb.MatchCancelResp, error) {
		return &pb.MatchCancelResp{}, s.Cancel(ctx, ss.UserID())
	})
	r.PushRoute(RouteMatchStatus, IDMatchStatus)

	action := func(ctx context.Context, ss *session.Session, msg any) (*pb.DdzActionResp, error) {
		v, err := s.Do(ctx, ss.UserID(), msg)
		if err != nil {
			return nil, err
		}
		return v.(*pb.DdzActionResp), nil
	}
	gateway.Handle(r, "ddz.bid", IDBid, func(ctx context.Context, ss *session.Session, req *pb.DdzBidReq) (*pb.DdzActionResp, error) {
		return action(ctx, ss, req)
	})
	gateway.Handle(r, "ddz.play", IDPlay, func(ctx context.Context, ss *session.Session, req *pb.DdzPlayReq) (*pb.DdzActionResp, error) {
		return action(ctx, ss, req)
	})
	gateway.Handle(r, "ddz.double", IDDouble, func(ctx context.Context, ss *session.Session, req *pb.DdzDoubleReq) (*pb.DdzActionResp, error) {
		return action(ctx, ss, req)
	})
	gateway.Handle(r, "ddz.show", IDShow, func(ctx context.Context, ss *session.Session, req *pb.DdzShowReq) (*pb.DdzActionResp, error) {
		return action(ctx, ss, req)
	})
	gateway.Handle(r, "ddz.pass", IDPass, func(ctx context.Context, ss *session.Session, req *pb.DdzPassReq) (*pb.DdzActionResp, error) {
		return action(ctx, ss, req)
	})
	gateway.Handle(r, "ddz.autoplay", IDAutoplay, func(ctx context.Context, ss *session.Session, req *pb.DdzAutoplayReq) (*pb.DdzActionResp, error) {
		return action(ctx, ss, req)
	})
	gateway.Handle(r, "ddz.hint", IDHint, func(ctx context.Context, ss *session.Session, req *pb.DdzHintReq) (*pb.DdzHintResp, error) {
		v, err := s.Do(ctx, ss.UserID(), req)
		if err != nil {
			return nil, err
		}
		return v.(*pb.DdzHintResp), nil
	}, gateway.Idempotent())
	gateway.Handle(r, "ddz.state", IDState, func(ctx context.Context, ss *session.Session, req *pb.DdzStateReq) (*pb.DdzSnapshot, error) {
		v, err := s.Do(ctx, ss.UserID(), req)
		if err != nil {
			return nil, err
		}
		return v.(*pb.DdzSnapshot), nil
	}, gateway.Idempotent())
	gateway.Handle(r, "ddz.chat", IDChat, func(ctx context.Context, ss *session.Session, req *pb.DdzChatReq) (*pb.DdzChatResp, error) {
		v, err := s.Do(ctx, ss.UserID(), req)
		if err != nil {
			return nil, err
		}
		return v.(*pb.DdzChatResp), nil
	})
	gateway.Handle(r, "ddz.leave", IDLeave, func(ctx context.Context, ss *session.Session, req *pb.DdzLeaveReq) (*pb.DdzLeaveResp, error) {
		v, err := s.Do(ctx, ss.UserID(), req)
		if err != nil {
			return nil, err
		}
		return v.(*pb.DdzLeaveResp), nil
	})
	gateway.Handle(r, "ddz.game", IDGame, func(ctx context.Context, ss *session.Session, req *pb.DdzGameReq) (*pb.DdzGameRecord, error) {
		return s.GameRecord(ctx, ss.UserID(), req.GameId)
	}, gateway.Concurrent(), gateway.Idempotent())
	// ddz.presence: the gateway of a player tells the player's table that
	// the connection came or went. ddz.create: a match node hands a formed
	// match (JSON of match.Match) to the game node it picked.
	// Its value is the connection's number (the presence revision, which
	// grows with each login), positive when it came and negative when it
	// went; ±1 is a connection without a number, always applied.
	gateway.Handle(r, RoutePresence, IDPresence, func(_ context.Context, ss *session.Session, req *wrapperspb.Int64Value) (*emptypb.Empty, error) {
		gen := uint64(max(req.Value, -req.Value))
		if gen == 1 {
			gen = 0
		}
		if req.Value > 0 {
			s.ConnectedAt(ss.UserID(), gen)
		} else {
			s.DisconnectedAt(ss.UserID(), gen)
		}
		return &emptypb.Empty{}, nil
	}, gateway.Internal(), gateway.Public())
	gateway.Handle(r, RouteCreate, IDCreate, func(ctx context.Context, _ *session.Session, req *wrapperspb.BytesValue) (*emptypb.Empty, error) {
		var m match.Match
		if err := json.Unmarshal(req.Value, &m); err != nil || len(m.Tickets) == 0 || len(m.Tickets) > 3 {
			return nil, status.New(status.BadRequest, "ddz.create: bad match")
		}
		if !s.Formed(ctx, m) {
			return nil, status.RuleError(status.Conflict, "not_seated", "a player of the match is at another table")
		}
		return &emptypb.Empty{}, nil
	}, gateway.Internal(), gateway.Public())
	r.PushRoute(RouteSnapshot, IDSnapshot)
	r.PushRoute(RouteEvent, IDEvent)
	r.PushRoute(RouteResult, IDResult)
	r.PushRoute(RouteChat, IDMessage)
}

// Authenticate checks an HTTP bearer token and returns its user.
type Authenticate func(ctx context.Context, token string) (userID int64, err error)

// GameHandler serves GET /v1/games/{id}: a finished game for one of its
// players, as the JSON form of DdzGameRecord.
func (s *Service) GameHandler(auth Authenticate) http.Handler {
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
		rec, err := s.GameRecord(r.Context(), uid, r.PathValue("id"))
		if err != nil {
			writeErr(w, err)
			return
		}
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(rec)
		if err != nil {
			writeErr(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
}

// writeErr answers {"code","message"} like the rest of the /v1 API.
func writeErr(w http.ResponseWriter, err error) {
	e := status.From(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Code.HTTPStatus())
	_ = json.NewEncoder(w).Encode(map[string]string{"code": string(e.Code), "message": e.Message})
}
