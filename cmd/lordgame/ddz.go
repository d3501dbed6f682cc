package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/id"
	"github.com/lordgame/lordgame/internal/leaderboard"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// ddzNode is the Dou Dizhu part of a node: matchmaking and tables, plus
// (until server.go wires them) the store, ids and accounts they need.
type ddzNode struct {
	roles roles
	log   *slog.Logger
	db    *store.DB
	auth  *auth.Service
	svc   *ddz.Service
	lobby *ddz.Lobby
	mcfg  match.Config
	board leaderboard.Store
	feed  *leaderboard.Feed
	bus   *cluster.NATS
	queue *leaderQueue // nil unless the node has the match role
	// matcher is the matchmaker while this node leads, else nil.
	matcher atomic.Pointer[match.Matcher]
	game    func() *observe.Game
	// matchReady is closed once this match node leads or knows another
	// does.
	matchReady chan struct{}
	matchOnce  sync.Once
	seats      *seats
	members    *cluster.Members
	// recovered is closed once the unfinished games are restored: the node
	// is ready only then.
	recovered chan struct{}
	push      lazyPusher
}

// lazyPusher lets the service be built, and its routes registered, before
// the mesh is attached; pushes before attach are dropped.
var _ room.MultiPusher = (*lazyPusher)(nil)

type lazyPusher struct {
	mesh atomic.Pointer[gateway.Mesh]
}

func (p *lazyPusher) PushUser(uid int64, route string, msg proto.Message) error {
	m := p.mesh.Load()
	if m == nil {
		return fmt.Errorf("gateway not attached")
	}
	return m.PushUser(uid, route, msg)
}

// PushUsers sends one push to several users: one message per gateway
// that holds some of them (room.MultiPusher).
func (p *lazyPusher) PushUsers(uids []int64, route string, msg proto.Message) error {
	m := p.mesh.Load()
	if m == nil {
		return fmt.Errorf("gateway not attached")
	}
	return m.PushUsers(uids, route, msg)
}

// PushUserContext and PushUsersContext push as part of ctx's trace
// (room.ContextPusher): a table's pushes to players on other gateways
// carry the trace of the request that caused them.
var _ room.ContextPusher = (*lazyPusher)(nil)

func (p *lazyPusher) PushUserContext(ctx context.Context, uid int64, route string, msg proto.Message) error {
	m := p.mesh.Load()
	if m == nil {
		return fmt.Errorf("gateway not attached")
	}
	return m.PushUserContext(ctx, uid, route, msg)
}

func (p *lazyPusher) PushUsersContext(ctx context.Context, uids []int64, route string, msg proto.Message) error {
	m := p.mesh.Load()
	if m == nil {
		return fmt.Errorf("gateway not attached")
	}
	return m.PushUsersContext(ctx, uids, route, msg)
}

// newDDZ opens the store, builds accounts, matchmaking and the table
// service and registers their routes on router.
func newDDZ(ctx context.Context, s *server, router *gateway.Router, nodeID int) (*ddzNode, error) {
	tcfg, mcfg := s.cfg.DDZ, s.cfg.Match
	var err error
	n := &ddzNode{game: func() *observe.Game { return s.game }, roles: s.roles, log: s.log, recovered: make(chan struct{}), mcfg: mcfg, bus: s.bus, matchReady: make(chan struct{})}
	n.db, err = store.Open(ctx, s.cfg.DB, s.cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.closers = append(s.closers, func() { _ = n.db.Close() })
	ids, err := id.New(int64(nodeID))
	if err != nil {
		return nil, err
	}
	n.auth, err = auth.New(ctx, s.cfg.Auth, n.db, ids, s.log.With("service", "auth"), s.reg)
	if err != nil {
		return nil, err
	}
	n.svc, err = ddz.New(tcfg, mcfg.Modes, n.db, &n.push, ids, s.log)
	if err != nil {
		return nil, err
	}
	board, feed, closeBoard, err := openLeaderboard(ctx, s.cfg.Leaderboard, s.log.With("service", "leaderboard"))
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, closeBoard)
	n.board, n.feed = board, feed
	n.svc.SetRanker(feed)
	if err := mcfg.Validate(); err != nil {
		return nil, err
	}
	if s.roles[cluster.RoleMatch] {
		if n.queue, err = newLeaderQueue(ctx, s.bus, s.log); err != nil {
			return nil, err
		}
		n.svc.SetQueue(n.queue)
	} else {
		close(n.matchReady)
	}
	ddz.Register(router, n.svc)
	clock, err := leaderboard.NewClock(s.cfg.Leaderboard.Zone)
	if err != nil {
		return nil, err
	}
	n.lobby = ddz.NewLobby(n.db, board, clock, func(ctx context.Context, uid int64, name string) error {
		_, err := n.auth.SetDisplayName(ctx, uid, name)
		return err
	})
	ddz.RegisterLobby(router, n.lobby)
	auth.RegisterRoutes(router, n.auth)
	return n, nil
}

// authenticator is what the gateway checks handshake tokens with.
func (n *ddzNode) authenticator() gateway.Authenticator { return gwAuth{n.auth} }

type gwAuth struct{ a *auth.Service }

func (g gwAuth) Authenticate(ctx context.Context, tok string) (gateway.Identity, error) {
	id, err := g.a.Authenticate(ctx, tok)
	return gateway.Identity(id), err
}

// formed hands a formed match to a table: here when this node runs
// tables, else on the game node the routing strategy picks.
func (n *ddzNode) formed(ctx context.Context, m match.Match) {
	defer func() { // seated or told: the tickets are done with
		for _, tk := range m.Tickets {
			n.queue.forget(ctx, tk.UserID)
		}
	}()
	if n.roles[cluster.RoleGame] {
		n.svc.Formed(ctx, m)
		return
	}
	mesh := n.push.mesh.Load()
	b, err := json.Marshal(m)
	if err == nil && mesh != nil {
		err = mesh.Call(ctx, ddz.RouteCreate, 0, wrapperspb.Bytes(b), &emptypb.Empty{})
	}
	if err == nil {
		return
	}
	n.log.Warn("match not seated", "match", m.String(), "err", err)
	for _, tk := range m.Tickets {
		n.svc.Notify(tk.UserID, match.Status{State: "cancelled", Mode: m.Mode.Name, TicketID: tk.ID})
	}
}

// attach connects the service to the gateway's pushes and presence.
func (n *ddzNode) attach(gw *gateway.Gateway, mesh *gateway.Mesh) {
	n.push.mesh.Store(mesh)
	// Bans, password changes, logouts and stolen refresh tokens close the
	// sockets of the sessions they end, on whichever gateway they are.
	n.auth.OnKick(func(uid int64, sid, reason string) {
		mesh.KickUser(uid, sid, reason, "your session was ended: "+reason)
	})
	callCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 5*time.Second)
	}
	// The player's table hears of the connection wherever it runs.
	presence := func(s *session.Session, online bool) {
		uid := s.UserID()
		ctx, cancel := callCtx()
		defer cancel()
		if node, err := n.seats.Locate(ctx, uid); err != nil || node == "" {
			return
		}
		gen := int64(gateway.PresenceRev(s))
		if gen == 0 {
			gen = 1 // not claimed (NATS was down): a report without a number
		}
		if !online {
			gen = -gen
		}
		if err := mesh.Call(ctx, ddz.RoutePresence, uid, wrapperspb.Int64(gen), &emptypb.Empty{}); err != nil {
			n.log.Warn("table presence", "player_id", uid, "online", online, "err", err)
		}
	}
	gw.OnConnect(func(s *session.Session) {
		if uid := s.UserID(); uid != 0 {
			presence(s, true)
		}
	})
	gw.OnDisconnect(func(s *session.Session, reason string) {
		uid := s.UserID()
		if uid == 0 || reason == session.ReasonLoggedElsewhere {
			return // replaced by a newer login: the player is still here
		}
		if cur := gw.UserSession(uid); cur != nil && cur != s {
			return
		}
		ctx, cancel := callCtx()
		if mesh.Elsewhere(ctx, uid, s) {
			cancel()
			return // already back on another gateway
		}
		err := mesh.Call(ctx, "match.cancel", uid, &pb.MatchCancelReq{}, &pb.MatchCancelResp{})
		cancel()
		if err != nil && status.CodeOf(err) != status.Conflict {
			n.log.Warn("cancel ticket", "player_id", uid, "err", err)
		}
		presence(s, false)
	})
}

// campaign makes this match node the cluster's matchmaker whenever it is
// elected, and a standby otherwise.
func (n *ddzNode) campaign(ctx context.Context) error {
	self := n.members.Self().ID
	el, err := cluster.NewElection(ctx, n.bus, "match", self, n.members.DropAfter(), n.log)
	if err != nil {
		return err
	}
	ready := func() { n.matchOnce.Do(func() { close(n.matchReady) }) }
	n.members.SetStandby(ctx, "match", true)
	return el.Run(ctx, func(ctx context.Context) {
		m, err := match.New(n.mcfg, n.formed, n.svc.Notify)
		if err == nil {
			m.OnWaited(n.game().Waited)
			n.matcher.Store(m)
			defer n.matcher.Store(nil)
			err = n.queue.lead(ctx, m, n.seats.Seated, func() {
				n.members.SetStandby(ctx, "match", false)
				ready()
			})
		}
		if err != nil && ctx.Err() == nil {
			n.log.Warn("matchmaker stopped", "err", err)
		}
		n.members.SetStandby(context.WithoutCancel(ctx), "match", true)
	}, ready)
}

// routes mounts the HTTP API parts this node serves. clientAddr names a
// request's client (the gateway's, so both edges trust the same proxies).
func (n *ddzNode) routes(mux httpMux, clientAddr func(*http.Request) string) {
	api := n.auth.Handler(clientAddr)
	mux.Handle("GET /v1/", api)
	mux.Handle("POST /v1/", api)
	mux.Handle("GET /v1/leaderboards/{board}", leaderboard.Handler(n.board, time.Now))
	bearer := func(ctx context.Context, tok string) (int64, error) {
		id, err := n.auth.Authenticate(ctx, tok)
		return id.UserID, err
	}
	mux.Handle("GET /v1/games/{id}", n.svc.GameHandler(bearer))
	mux.Handle("GET /v1/games", n.lobby.HistoryHandler(bearer))
}

// run restores the games a previous process left, then runs the tables
// and the matchmaker until ctx ends.
func (n *ddzNode) run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.svc.Run(ctx) })
	g.Go(func() error { n.feed.Run(ctx); return nil })
	g.Go(func() error { return n.db.RunCheckpointer(ctx, time.Second) })
	if !n.roles[cluster.RoleGame] {
		close(n.recovered)
	} else {
		if _, _, _, err := n.svc.Recover(ctx); err != nil {
			return err
		}
		close(n.recovered)
		wake := make(chan struct{}, 1)
		n.members.OnChange(func() {
			select {
			case wake <- struct{}{}:
			default: // a scan is already due
			}
		})
		// Orphans appear when a node leaves (wake); the slow tick catches a
		// change missed during an outage.
		g.Go(func() error { return n.svc.RunTakeover(ctx, 15*time.Second, wake) })
	}
	if n.queue != nil {
		g.Go(func() error { return n.campaign(ctx) })
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}
