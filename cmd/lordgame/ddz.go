package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/id"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/store"
)

// ddzNode is the Dou Dizhu part of a node: matchmaking and tables, plus
// (until server.go wires them) the store, ids and accounts they need.
type ddzNode struct {
	db      *store.DB
	auth    *auth.Service
	svc     *ddz.Service
	matcher *match.Matcher
	push    lazyPusher
}

// lazyPusher lets the service be built, and its routes registered, before
// the gateway exists; pushes before attach are dropped.
type lazyPusher struct {
	gw atomic.Pointer[gateway.Gateway]
}

func (p *lazyPusher) PushUser(uid int64, route string, msg proto.Message) error {
	gw := p.gw.Load()
	if gw == nil {
		return fmt.Errorf("gateway not attached")
	}
	return gw.PushUser(uid, route, msg)
}

// newDDZ opens the store, builds accounts, matchmaking and the table
// service and registers their routes on router.
func newDDZ(ctx context.Context, s *server, router *gateway.Router) (*ddzNode, error) {
	tcfg, mcfg := s.cfg.DDZ, s.cfg.Match
	var err error
	n := &ddzNode{}
	n.db, err = store.Open(ctx, s.cfg.DB, s.cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.closers = append(s.closers, func() { _ = n.db.Close() })
	ids, err := id.New(int64(s.cfg.NodeID))
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
	n.matcher, err = match.New(mcfg, n.svc.Formed, n.svc.Notify)
	if err != nil {
		return nil, err
	}
	n.svc.SetQueue(n.matcher)
	ddz.Register(router, n.svc)
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

// attach connects the service to the gateway's pushes and presence.
func (n *ddzNode) attach(gw *gateway.Gateway) {
	n.push.gw.Store(gw)
	// Bans, password changes, logouts and stolen refresh tokens close the
	// sockets of the sessions they end.
	n.auth.OnKick(func(uid int64, sid, reason string) {
		s := gw.UserSession(uid)
		if s == nil {
			return
		}
		if v, _ := s.Get(gateway.PropAuthSession); sid == "" || v == sid {
			s.Close(reason, "your session was ended: "+reason)
		}
	})
	gw.OnConnect(func(s *session.Session) {
		if uid := s.UserID(); uid != 0 {
			n.svc.Connected(uid)
		}
	})
	gw.OnDisconnect(func(s *session.Session, _ string) {
		uid := s.UserID()
		if uid == 0 {
			return
		}
		if cur := gw.UserSession(uid); cur != nil && cur != s {
			return // replaced by a newer login: the player is still here
		}
		n.svc.Disconnected(uid)
	})
}

// routes mounts the HTTP API parts this node serves. clientAddr names a
// request's client (the gateway's, so both edges trust the same proxies).
func (n *ddzNode) routes(mux *http.ServeMux, clientAddr func(*http.Request) string) {
	api := n.auth.Handler(clientAddr)
	mux.Handle("GET /v1/", api)
	mux.Handle("POST /v1/", api)
	mux.Handle("GET /v1/games/{id}", n.svc.GameHandler(func(ctx context.Context, tok string) (int64, error) {
		id, err := n.auth.Authenticate(ctx, tok)
		return id.UserID, err
	}))
}

// run restores the games a previous process left, then runs the tables
// and the matchmaker until ctx ends.
func (n *ddzNode) run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.svc.Run(ctx) })
	g.Go(func() error { return n.db.RunCheckpointer(ctx, time.Second) })
	if _, _, _, err := n.svc.Recover(ctx); err != nil {
		return err
	}
	g.Go(func() error { return n.matcher.Run(ctx) })
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}
