package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/internal/world"
)

// WorldConfig is the MMO world of a node: its map, its bots and the
// listener of the Zinx MMO demo's protocol.
type WorldConfig struct {
	// Map is "minX,maxX,cellsX,minZ,maxZ,cellsZ"; empty is the demo's
	// map (85,410,10,75,400,20).
	Map string `yaml:"map"`
	// Spawn is "minX,maxX,minZ,maxZ", the area new players start in, or
	// "map" for the whole map; empty is the demo's (160,209,134,183).
	Spawn string `yaml:"spawn"`
	// Zones is "XxZ": the map split into X × Z zones, each ticking on its
	// own; empty is one zone.
	Zones string `yaml:"zones"`
	// Tick is the world's tick interval.
	Tick time.Duration `yaml:"tick"`
	// Grace is how long a disconnected player stays in the world, so that
	// a reconnect takes it back.
	Grace time.Duration `yaml:"grace"`
	// Bots is the number of bots walking the map.
	Bots int `yaml:"bots"`
	// Zinx is the address of the Zinx MMO demo's TCP listener; empty
	// turns it off.
	Zinx string `yaml:"mmo_zinx"`
	// ZinxIdle closes a demo connection silent for this long.
	ZinxIdle time.Duration `yaml:"mmo_zinx_idle"`
}

func defaultWorldConfig() WorldConfig {
	return WorldConfig{Tick: world.DemoConfig().Tick, Grace: world.DemoConfig().Grace, ZinxIdle: world.DefaultZinxConfig().IdleTimeout}
}

func bindWorldFlags(fs *flag.FlagSet, c *WorldConfig) {
	fs.StringVar(&c.Map, "world-map", c.Map, "MMO world map as minX,maxX,cellsX,minZ,maxZ,cellsZ (default: the Zinx demo's 85,410,10,75,400,20)")
	fs.StringVar(&c.Spawn, "world-spawn", c.Spawn, "MMO world spawn area as minX,maxX,minZ,maxZ, or \"map\" for the whole map (default: the demo's 160,209,134,183)")
	fs.StringVar(&c.Zones, "world-zones", c.Zones, "MMO world zones as XxZ, e.g. 2x2: the map's cells split into X columns and Z rows of zones, each ticking on its own (default: one zone)")
	fs.DurationVar(&c.Tick, "world-tick", c.Tick, "MMO world tick interval")
	fs.DurationVar(&c.Grace, "world-grace", c.Grace, "how long a disconnected MMO world player stays, so that a reconnect takes it back (0: it leaves at once)")
	fs.IntVar(&c.Bots, "world-bots", c.Bots, "bots walking the MMO world map")
	fs.StringVar(&c.Zinx, "mmo-zinx", c.Zinx, "address of the Zinx MMO demo protocol's TCP listener (empty: off)")
	fs.DurationVar(&c.ZinxIdle, "mmo-zinx-idle", c.ZinxIdle, "close a Zinx demo connection that sends nothing for this long")
}

func worldFlagChecks() []flagCheck {
	return []flagCheck{
		worldCheck("world-map"),
		worldCheck("world-spawn"),
		worldCheck("world-zones"),
		positiveDur("world-tick", func(c *Config) time.Duration { return c.World.Tick }),
		worldCheck("world-tick"),
		nonNegativeDur("world-grace", func(c *Config) time.Duration { return c.World.Grace }),
		{"world-bots", func(c *Config) error {
			if c.World.Bots < 0 || c.World.Bots > 10000 {
				return errors.New("must be between 0 and 10000")
			}
			return nil
		}},
		{"mmo-zinx", func(c *Config) error {
			if c.World.Zinx == "" {
				return nil
			}
			return checkListen(c.World.Zinx)
		}},
		positiveDur("mmo-zinx-idle", func(c *Config) time.Duration { return c.World.ZinxIdle }),
	}
}

// worldFlagError is a world setting's problem, with the flag at fault.
type worldFlagError struct {
	flag string
	err  error
}

func (e *worldFlagError) Error() string { return e.err.Error() }

// worldCheck reports the problem of the world's config that flag is at
// fault for, so that each is told once, under its flag.
func worldCheck(flag string) flagCheck {
	return flagCheck{flag, func(c *Config) error {
		_, err := worldConfig(c.World)
		var fe *worldFlagError
		if errors.As(err, &fe) && fe.flag == flag {
			if flag == "world-tick" && c.World.Tick <= 0 {
				return nil // positiveDur tells it
			}
			return fe.err
		}
		return nil
	}}
}

// worldConfig is the world package's config for c. Its error is a
// *worldFlagError naming the flag at fault.
func worldConfig(c WorldConfig) (world.Config, error) {
	wc, err := worldConfigOf(c)
	var fe *world.FieldError
	switch {
	case err == nil:
		return wc, nil
	case errors.As(err, &fe):
		return wc, &worldFlagError{"world-" + fe.Field, err}
	case errors.As(err, new(*worldFlagError)):
		return wc, err
	}
	return wc, &worldFlagError{"world-map", err}
}

func worldConfigOf(c WorldConfig) (world.Config, error) {
	wc := world.DemoConfig()
	if c.Tick > 0 {
		wc.Tick = c.Tick
	}
	if c.Grace >= 0 { // a negative one is -world-grace's problem, told once
		wc.Grace = c.Grace
	}
	if c.Map != "" {
		f, err := floats(c.Map, 6)
		if err != nil {
			return wc, &worldFlagError{"world-map", fmt.Errorf("world map: %w", err)}
		}
		if f[2] != float64(int(f[2])) || f[5] != float64(int(f[5])) {
			return wc, &worldFlagError{"world-map", errors.New("world map: cell counts must be whole numbers")}
		}
		wc.MinX, wc.MaxX, wc.CellsX, wc.MinZ, wc.MaxZ, wc.CellsZ = f[0], f[1], int(f[2]), f[3], f[4], int(f[5])
		if c.Spawn == "" { // the demo's spawn may not be on another map
			c.Spawn = "map"
		}
	}
	switch c.Spawn {
	case "":
	case "map":
		wc.SpawnMinX, wc.SpawnMaxX, wc.SpawnMinZ, wc.SpawnMaxZ = wc.MinX, wc.MaxX, wc.MinZ, wc.MaxZ
	default:
		f, err := floats(c.Spawn, 4)
		if err != nil {
			return wc, &worldFlagError{"world-spawn", fmt.Errorf("world spawn: %w", err)}
		}
		wc.SpawnMinX, wc.SpawnMaxX, wc.SpawnMinZ, wc.SpawnMaxZ = f[0], f[1], f[2], f[3]
	}
	if c.Zones != "" {
		x, z, ok := strings.Cut(c.Zones, "x")
		nx, err1 := strconv.Atoi(x)
		nz, err2 := strconv.Atoi(z)
		if !ok || err1 != nil || err2 != nil || nx < 1 || nz < 1 {
			return wc, &worldFlagError{"world-zones", fmt.Errorf("world zones: want XxZ with two positive whole numbers, e.g. 2x2, got %q", c.Zones)}
		}
		wc.ZonesX, wc.ZonesZ = nx, nz
	}
	return wc, wc.Validate()
}

func floats(s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("want %d comma-separated numbers, got %q", n, s)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out[i] = v
	}
	return out, nil
}

// worldNode is the MMO world of a node: the world's native routes
// (world.*) on the gateway and, on a node that runs the world, the world,
// the Zinx demo listener when configured, and its bots.
//
// The all-in-one server runs its world. In a cluster the game nodes elect
// the one that runs it (cluster.Election "world"; the others stand by),
// every gateway forwards world.* to it, and its pushes reach the players
// on their gateways. A new leader starts an empty world: players enter
// again (their calls answer not_in_world).
type worldNode struct {
	cfg   WorldConfig
	wc    world.Config
	log   *slog.Logger
	hosts bool // a game node: it may run the world
	elect bool // in a cluster: the game nodes elect the one that runs it
	s     *server

	term   atomic.Pointer[worldTerm]
	native *world.Native
	zinxLn net.Listener // all-in-one: bound at start
}

// worldTerm is one run of the world on this node.
type worldTerm struct {
	w    *world.World
	zinx *world.Zinx
	ln   net.Listener
}

const propWorldForwarded = "world.forwarded"

func newWorldNode(s *server, router *gateway.Router) (*worldNode, error) {
	wc, err := worldConfig(s.cfg.World)
	if err != nil {
		return nil, err
	}
	n := &worldNode{cfg: s.cfg.World, wc: wc, log: s.log.With("service", "world"), s: s,
		hosts: s.roles[cluster.RoleGame], elect: !s.roles.all()}
	n.native = world.RegisterNative(router, wc, n.cur)
	// A gateway remembers the sessions whose world.enter it forwarded, to
	// tell the world when they close.
	router.Use(func(next gateway.HandlerFunc) gateway.HandlerFunc {
		return func(ctx context.Context, c *gateway.Call) (proto.Message, error) {
			resp, err := next(ctx, c)
			if err == nil && c.Route.Name == "world.enter" && !world.Entered(c.Session) {
				c.Session.Set(propWorldForwarded, true)
			}
			return resp, err
		}
	})
	if s.cfg.World.Zinx != "" && !n.hosts {
		return nil, errors.New("config: -mmo-zinx needs the game role: the demo protocol's players are served by the node that runs the world")
	}
	if !n.elect {
		t, err := n.newTerm()
		if err != nil {
			return nil, err
		}
		if t.ln != nil {
			n.zinxLn = t.ln
			s.closers = append(s.closers, func() { _ = t.ln.Close() })
		}
		n.term.Store(t)
	}
	n.registerMetrics(s.reg)
	return n, nil
}

// newTerm makes a world (and its demo listener) for this node to run.
func (n *worldNode) newTerm() (*worldTerm, error) {
	w, err := world.New(n.wc, nil)
	if err != nil {
		return nil, err
	}
	w.OnTickEnd(n.native.Flush)
	t := &worldTerm{w: w}
	if n.cfg.Zinx != "" {
		zc := world.DefaultZinxConfig()
		zc.IdleTimeout = n.cfg.ZinxIdle
		if t.zinx, err = world.NewZinx(w, zc, n.log.With("listener", "mmo-zinx")); err != nil {
			return nil, err
		}
		if t.ln, err = net.Listen("tcp", n.cfg.Zinx); err != nil {
			return nil, fmt.Errorf("mmo-zinx listen: %w", err)
		}
	}
	return t, nil
}

// cur is the world this node runs now (nil: none).
func (n *worldNode) cur() *world.World {
	if t := n.term.Load(); t != nil {
		return t.w
	}
	return nil
}

// ZinxAddr is the address the demo listener listens on ("" when off).
func (n *worldNode) ZinxAddr() string {
	if t := n.term.Load(); t != nil && t.ln != nil {
		return t.ln.Addr().String()
	}
	return ""
}

func (n *worldNode) attach(gw *gateway.Gateway, mesh *gateway.Mesh) {
	n.native.SetRemote(mesh)
	n.native.Attach(gw)
	gw.OnDisconnect(func(s *session.Session, _ string) {
		if v, ok := s.Get(propWorldForwarded); !ok || v != true || world.Entered(s) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := mesh.Call(ctx, world.RouteGone, s.UserID(), wrapperspb.String(s.ID()), &emptypb.Empty{}); err != nil {
			n.log.Debug("world gone", "player_id", s.UserID(), "err", err)
		}
	})
}

// dropGone, every second until ctx ends, disconnects the world's players
// whose gateway left the cluster, while this node's view is trusted.
func (n *worldNode) dropGone(ctx context.Context) {
	members := n.s.members
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if members.Stable() {
			n.native.DropGone(members.Alive)
		}
	}
}

// nameFrom gives native players their account's display name when they
// enter, through mask (the chat word filter; nil: none), so others see it
// above their dot and with their world chat lines.
func (n *worldNode) nameFrom(db *store.DB, mask func(string) string) {
	n.native.SetNames(func(ctx context.Context, user int64) string {
		ps, err := db.Profiles(ctx, []int64{user})
		if err != nil {
			return ""
		}
		name := ps[user].DisplayName
		if mask != nil {
			name = mask(name)
		}
		return name
	})
}

// runTerm runs t until ctx ends.
func (n *worldNode) runTerm(ctx context.Context, t *worldTerm) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return t.w.Run(ctx) })
	if t.zinx != nil {
		g.Go(func() error { return t.zinx.Serve(ctx, t.ln) })
	}
	if n.cfg.Bots > 0 {
		g.Go(func() error { return t.w.RunBots(ctx, n.cfg.Bots, 2, t.w.Config().Tick) })
	}
	return g.Wait()
}

func (n *worldNode) run(ctx context.Context) error {
	if !n.elect {
		return n.runTerm(ctx, n.term.Load())
	}
	if !n.hosts {
		return nil
	}
	members := n.s.members
	el, err := cluster.NewElection(ctx, n.s.bus, "world", members.Self().ID, members.DropAfter(), n.log)
	if err != nil {
		return err
	}
	members.SetStandby(ctx, "world", true)
	err = el.Run(ctx, func(ctx context.Context) {
		// A term that cannot start (the demo listener's port is taken) is
		// tried again while this node leads, backing off to 30 s.
		var t *worldTerm
		for wait := time.Second; t == nil; wait = min(2*wait, 30*time.Second) {
			var err error
			if t, err = n.newTerm(); err == nil {
				break
			}
			n.log.Error("world not started: trying again", "err", err, "in", wait)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		n.term.Store(t)
		members.SetStandby(ctx, "world", false)
		n.log.Info("running the world")
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error { return n.runTerm(gctx, t) })
		g.Go(func() error { n.dropGone(gctx); return nil })
		if err := g.Wait(); err != nil && ctx.Err() == nil {
			n.log.Warn("world stopped", "err", err)
		}
		members.SetStandby(context.WithoutCancel(ctx), "world", true)
		n.term.Store(nil)
		if t.ln != nil {
			_ = t.ln.Close()
		}
	}, func() {})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// registerMetrics exports the world's and the demo listener's counters.
func (n *worldNode) registerMetrics(reg *prometheus.Registry) {
	if reg == nil {
		return
	}
	st := func(f func(world.Stats) float64) func() float64 {
		return func() float64 {
			if w := n.cur(); w != nil {
				return f(w.Stats())
			}
			return 0
		}
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	gauge("lordgame_world_players", "Players in the MMO world.", st(func(s world.Stats) float64 { return float64(s.Players) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lordgame_world_zones", Help: "Zones of the MMO world on this node."},
		st(func(world.Stats) float64 { return float64(n.wc.Zones()) })))
	for i := range n.wc.Zones() {
		zl := prometheus.Labels{"zone": strconv.Itoa(i)}
		zs := func(f func(world.ZoneStats) float64) func() float64 {
			return func() float64 {
				if w := n.cur(); w != nil {
					return f(w.ZoneStats(i))
				}
				return 0
			}
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lordgame_world_zone_players", Help: "Players a zone of the MMO world holds.", ConstLabels: zl},
			zs(func(s world.ZoneStats) float64 { return float64(s.Players) })))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lordgame_world_zone_ghosts", Help: "Players of neighbouring zones mirrored in a zone's border band.", ConstLabels: zl},
			zs(func(s world.ZoneStats) float64 { return float64(s.Ghosts) })))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lordgame_world_zone_tick_seconds", Help: "Duration of a zone's last tick.", ConstLabels: zl},
			zs(func(s world.ZoneStats) float64 { return float64(s.LastTickNs) / 1e9 })))
	}
	counter("lordgame_world_handovers_total", "Players handed over to another zone of the MMO world as they crossed its border.", st(func(s world.Stats) float64 { return float64(s.Handovers) }))
	gauge("lordgame_world_tick_seconds", "Duration of the MMO world's last tick.", st(func(s world.Stats) float64 { return float64(s.LastTickNs) / 1e9 }))
	gauge("lordgame_world_tick_max_seconds", "Longest MMO world tick since start.", st(func(s world.Stats) float64 { return float64(s.MaxTickNs) / 1e9 }))
	counter("lordgame_world_ticks_total", "MMO world ticks.", st(func(s world.Stats) float64 { return float64(s.Ticks) }))
	counter("lordgame_world_tick_overruns_total", "MMO world ticks that took longer than the tick interval.", st(func(s world.Stats) float64 { return float64(s.Overruns) }))
	counter("lordgame_world_moves_total", "Moves received by the MMO world.", st(func(s world.Stats) float64 { return float64(s.MovesIn) }))
	counter("lordgame_world_moves_applied_total", "Moves applied at a tick (a later move in the same tick replaces an earlier one).", st(func(s world.Stats) float64 { return float64(s.MovesApplied) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lordgame_world_moves_refused_total", Help: "Moves refused.",
		ConstLabels: prometheus.Labels{"reason": "off_map"}}, st(func(s world.Stats) float64 { return float64(s.RefusedOffMap) })))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lordgame_world_moves_refused_total", Help: "Moves refused.",
		ConstLabels: prometheus.Labels{"reason": "too_fast"}}, st(func(s world.Stats) float64 { return float64(s.RefusedFast) })))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lordgame_world_moves_refused_total", Help: "Moves refused.",
		ConstLabels: prometheus.Labels{"reason": "not_in_world"}}, st(func(s world.Stats) float64 { return float64(s.RefusedNo) })))
	counter("lordgame_world_pushes_total", "MMO world tick updates sent.", st(func(s world.Stats) float64 { return float64(s.Pushes) }))
	counter("lordgame_world_coalesced_total", "MMO world tick updates skipped for a connection that was behind (its state coalesced).", st(func(s world.Stats) float64 { return float64(s.Coalesced) }))
	if n.cfg.Zinx == "" {
		return
	}
	zs := func(f func(world.ZinxStats) float64) func() float64 {
		return func() float64 {
			if t := n.term.Load(); t != nil && t.zinx != nil {
				return f(t.zinx.Stats())
			}
			return 0
		}
	}
	gauge("lordgame_world_zinx_connections", "Open Zinx demo protocol connections.", zs(func(s world.ZinxStats) float64 { return float64(s.Conns) }))
	counter("lordgame_world_zinx_frames_in_total", "Frames received on the Zinx demo listener.", zs(func(s world.ZinxStats) float64 { return float64(s.FramesIn) }))
	counter("lordgame_world_zinx_writes_total", "Writes on the Zinx demo listener (one per connection and tick at most).", zs(func(s world.ZinxStats) float64 { return float64(s.Writes) }))
	counter("lordgame_world_zinx_chats_refused_total", "Chat messages from Zinx demo connections refused (empty, too long, over the rate): the demo protocol has no error frame.", zs(func(s world.ZinxStats) float64 { return float64(s.RefusedChats) }))
	counter("lordgame_world_zinx_chats_dropped_total", "Chat messages not sent to a demo connection whose queue was full.", zs(func(s world.ZinxStats) float64 { return float64(s.DroppedChats) }))
	for _, r := range world.ZinxCloseReasons() {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lordgame_world_zinx_closed_total", Help: "Zinx demo connections closed, by reason.",
			ConstLabels: prometheus.Labels{"reason": r}}, zs(func(s world.ZinxStats) float64 { return float64(s.Closed[r]) })))
	}
}
