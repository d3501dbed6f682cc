package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/lordgame/lordgame/internal/admin"
	"github.com/lordgame/lordgame/internal/chat"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
)

// server is every component of one node, wired by hand.
type server struct {
	cfg     Config
	roles   roles
	log     *slog.Logger
	reg     *prometheus.Registry
	gw      *gateway.Gateway
	bus     *cluster.NATS
	members *cluster.Members
	mesh    *gateway.Mesh
	cpu     cpuMeter
	ddz     *ddzNode
	world   *worldNode
	game    *observe.Game // game metrics, for the services that count
	chat    *chatNode
	admin   *adminNode
	httpLn  net.Listener
	// httpLimit caps HTTP connections per address (nil: no cap); under
	// TLS httpLn wraps it.
	httpLimit *connLimitListener
	tcpLn     net.Listener
	debugLn   net.Listener
	// metricsLn serves /metrics off the public port (edge.go).
	metricsLn net.Listener
	ready     atomic.Bool
	// draining is set by `lordgame drain` (POST /drain) or the admin
	// console's drain (server.drain): /readyz fails.
	draining atomic.Bool
	// startingFor says what a node that is not ready yet waits for.
	startingFor atomic.Pointer[string]
	dbUp        dbProbe // readiness.go
	// The public and metrics servers, their handlers and their ends
	// (startup.go); running is set once Run owns them.
	hs, ms                  *http.Server
	httpFront, metricsFront switchHandler
	httpDone, metricsDone   <-chan error
	running                 bool
	closers                 []func()

	// httpRoutes are the patterns of the public mux (mux), for tests.
	httpRoutes []string
}

func newServer(ctx context.Context, cfg Config, logOut io.Writer) (*server, error) {
	logOut, closeLog, err := observe.LogOutput(cfg.Log, logOut)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, log: observe.NewLogger(logOut, cfg.Log), reg: observe.NewRegistry()}
	s.closers = append(s.closers, func() { _ = closeLog() })
	if cfg.DB == "" { // a restore must not replace the database under us
		unlock, err := lockData(cfg.Data, false)
		if err != nil {
			s.close()
			return nil, err
		}
		s.closers = append(s.closers, unlock)
	}
	if s.roles, err = parseRoles(cfg.Role); err != nil {
		s.close()
		return nil, err
	}
	bus, err := s.connectBus(ctx) // startup.go
	if err != nil {
		s.close()
		return nil, fmt.Errorf("bus: %w", err)
	}
	s.bus = bus
	s.closers = append(s.closers, func() {
		if err := bus.Close(); err != nil {
			s.log.Warn("bus close", "err", err)
		}
	})
	if err := s.build(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// build joins the cluster and wires the services, the router and the
// gateway.
func (s *server) build(ctx context.Context) error {
	self := cluster.NodeInfo{NodeID: s.cfg.NodeID, Roles: s.roles.list(), Version: version, Protocol: gateway.ProtocolVersion,
		Features: []string{chat.FeatureNodeSubject}}
	members, err := cluster.Join(ctx, s.bus, s.cfg.Members, self, s.load, s.log)
	if err != nil {
		return err
	}
	s.members = members
	s.log = s.log.With("node", members.Self().ID)
	if err := s.startTracing(ctx, members.Self().ID); err != nil {
		return err
	}
	presence, err := cluster.NewPresence(ctx, s.bus, members)
	if err != nil {
		return err
	}
	router := gateway.NewRouter()
	gateway.RegisterSys(router)
	gateway.RegisterGameEcho(router)
	dz, err := newDDZ(ctx, s, router, members.Self().NodeID)
	if err != nil {
		return err
	}
	s.ddz = dz
	if s.world, err = newWorldNode(s, router); err != nil {
		return err
	}
	if s.chat, err = newChatNode(s, router, dz, presence); err != nil {
		return err
	}
	s.world.nameFrom(dz.db, s.chat.svc.Mask)
	st, err := newSeats(ctx, s.bus, members, presence, dz.db)
	if err != nil {
		return err
	}
	dz.seats, dz.members = st, members
	dz.svc.SetDirectory(st)
	s.chat.pres = newPresenceNode(s, router, s.chat, presence, st)
	s.chat.fan.UseLocator(s.chat.pres.p) // remote receivers from the presence map
	if s.admin, err = newAdminNode(ctx, s, router); err != nil {
		return err
	}
	gameStrategy, _ := cluster.ParseStrategy(s.cfg.Routing.Game)
	matchStrategy, _ := cluster.ParseStrategy(s.cfg.Routing.Match)
	place := map[string]gateway.Placement{
		"ddz":   {Role: cluster.RoleGame, Strategy: gameStrategy, Locate: st.Locate, Here: dz.svc.Seated},
		"match": {Role: cluster.RoleMatch, Strategy: matchStrategy},
		"world": {Role: cluster.RoleGame, Strategy: cluster.RoundRobin}, // the elected node: the others stand by
		"game":  {Role: cluster.RoleGame, Strategy: gameStrategy},       // game.echo
	}
	var serves []string
	if s.roles[cluster.RoleGame] {
		serves = append(serves, "ddz", "world", "game")
	}
	if s.roles[cluster.RoleMatch] {
		serves = append(serves, "match")
	}
	s.mesh = gateway.NewMesh(router, s.bus, members, presence, serves, place, s.log)
	gw, err := gateway.New(s.cfg.Gateway, router, dz.authenticator(), s.log, s.reg)
	if err != nil {
		return err
	}
	s.gw = gw
	if err := s.setupIdentity(); err != nil {
		return err
	}
	s.mesh.Attach(gw)
	gw.SetResumeKey(dz.auth.DeriveKey("resume"))
	dz.attach(gw, s.mesh)
	s.world.attach(gw, s.mesh)
	s.registerGameMetrics()
	s.chat.attach(gw)
	return nil
}

// advertised is addr with the host others reach this node at: the
// -advertise host, else the listen host, else (listening on every
// address) the machine's host name.
func (s *server) advertised(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch ip := net.ParseIP(host); {
	case s.cfg.Advertise != "":
		host = s.cfg.Advertise
	case host == "" || ip != nil && ip.IsUnspecified():
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}

// load fills in this node's load for its heartbeat.
func (s *server) load(n *cluster.NodeInfo) {
	if s.gw != nil {
		n.Sessions = s.gw.Online()
	}
	if s.ddz != nil {
		n.Tables = s.ddz.svc.Tables()
	}
	n.CPU = s.cpu.percent()
	if s.httpLn != nil {
		n.HTTP = s.advertised(s.HTTPAddr())
		if s.roles[cluster.RoleGateway] {
			n.WS = "ws://" + n.HTTP + "/ws"
			if s.tcpLn != nil {
				n.TCP = s.advertised(s.TCPAddr())
			}
		}
	}
}

func (s *server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// HTTPAddr and TCPAddr are the bound addresses (useful with :0).
func (s *server) HTTPAddr() string { return s.httpLn.Addr().String() }
func (s *server) TCPAddr() string {
	if s.tcpLn == nil {
		return ""
	}
	return s.tcpLn.Addr().String()
}

// DebugAddr is the profiling server's address, "" when it is off.
func (s *server) DebugAddr() string {
	if s.debugLn == nil {
		return ""
	}
	return s.debugLn.Addr().String()
}

// debugMux serves net/http/pprof. It is its own server on its own address
// so that profiles are never reachable through the public HTTP port.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// mux is the public HTTP routes. Every route under /v1/admin/ and
// /v1/cluster/ is checked with the admin console's role model
// (internal/admin); s.httpRoutes keeps the patterns so that TestAdminRoles
// can check that its role table covers every one.
func (s *server) mux() *http.ServeMux {
	mux := &routeMux{ServeMux: http.NewServeMux()}
	mux.Handle("GET /ws", s.gw)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /v1/cluster/nodes", s.ddz.auth.Allow(admin.View, s.handleNodes))
	mux.Handle("GET /v1/admin/house", s.ddz.auth.Allow(admin.View, s.handleHouse))
	mux.HandleFunc("GET /v1/gateways", s.handleGateways)
	s.ddz.routes(mux, s.gw.ClientAddr)
	s.admin.routes(mux)
	mux.Handle("GET /", staticHandler())
	s.httpRoutes = mux.patterns
	return mux.ServeMux
}

// Run serves until ctx ends, then shuts down in order: stop accepting, let
// in-flight requests finish and tell sessions, close the services.
func (s *server) Run(ctx context.Context, ready chan<- *server) error {
	defer s.close()
	if err := s.listen(); err != nil {
		return err
	}
	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	g, gctx := errgroup.WithContext(serveCtx)
	// The public and metrics servers: already answering "starting" when
	// the node waited for its cluster bus (startup.go), else new.
	hs, ms := s.startServing(s.httpHandler())
	s.running = true
	g.Go(func() error { return <-s.httpDone })
	if s.tcpLn != nil {
		g.Go(func() error { return s.gw.ServeTCP(gctx, s.tcpLn) })
	}
	var ds *http.Server
	if s.debugLn != nil {
		ds = &http.Server{Handler: debugMux(), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
		g.Go(func() error {
			if err := ds.Serve(s.debugLn); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("debug http: %w", err)
			}
			return nil
		})
	}
	if ms != nil {
		g.Go(func() error { return <-s.metricsDone })
	}
	if s.ddz != nil && s.ddz.db != nil {
		g.Go(func() error { s.dbUp.run(gctx, s.ddz.db, s.log); return nil }) // readiness.go
	}
	g.Go(func() error { return s.ddz.run(gctx) })
	g.Go(func() error { return s.world.run(gctx) })
	g.Go(func() error { return s.chat.run(gctx) })
	g.Go(func() error { return s.admin.run(gctx) })
	g.Go(func() error { return s.mesh.Run(gctx) })
	g.Go(func() error { return s.members.Run(gctx) })
	// Ready once the node serves its subjects, the tables a previous
	// process left run again, and the matchmaker leads here or is known
	// to lead elsewhere.
	for _, ch := range []<-chan struct{}{s.mesh.Serving(), s.ddz.recovered, s.ddz.matchReady, s.chat.fan.Ready()} {
		select {
		case <-ch:
		case <-gctx.Done():
		}
	}
	s.ready.Store(true)
	s.log.Info("lordgame started", "http", s.HTTPAddr(), "tcp", s.TCPAddr(), "metrics", s.MetricsAddr(), "data", s.cfg.Data,
		"db", redactDB(s.cfg.DB))
	if ready != nil {
		ready <- s
	}
	select {
	case <-ctx.Done():
	case <-gctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("shutting down")
	s.members.SetDraining(context.Background())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	stopServing() // closes the TCP listener
	_ = hs.Shutdown(sctx)
	if ds != nil {
		_ = ds.Close() // profiles in progress are cut off
	}
	if ms != nil {
		_ = ms.Close()
	}
	gwErr := s.gw.Shutdown(sctx)
	if err := g.Wait(); err != nil {
		return err
	}
	if gwErr != nil {
		s.log.Warn("shutdown incomplete", "err", gwErr)
	}
	s.log.Info("stopped")
	return nil
}

func redactDB(dsn string) string {
	if dsn == "" {
		return "sqlite"
	}
	return "postgres"
}
