package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/chat"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/observe"
)

// Config is the whole server configuration. Each part belongs to its package.
type Config struct {
	// HTTP is the address of the HTTP server (API, WebSocket at /ws, web client).
	HTTP string `yaml:"http"`
	// TCP is the address of the TCP gateway ("" or "off" disables it).
	TCP string `yaml:"tcp"`
	// Data is the folder for the embedded database and generated keys.
	Data string `yaml:"data"`
	// DB is a PostgreSQL URL; empty means the embedded SQLite file under Data.
	DB string `yaml:"db"`
	// Leaderboard says where the leaderboards live.
	Leaderboard LeaderboardConfig `yaml:"leaderboard"`
	// World is the MMO world: map, bots, the Zinx demo listener.
	World WorldConfig `yaml:"world"`
	// Debug is the address of the profiling server (net/http/pprof at
	// /debug/pprof/); empty turns it off. Keep it on loopback or a private
	// network: profiles show the process's internals.
	Debug string `yaml:"debug"`
	// NodeID is this node's id in generated 64-bit ids (0–1023); -1, the
	// default, leases a free one from the cluster.
	NodeID int `yaml:"node_id"`
	// Advertise is the host clients and operators reach this node at, in
	// the addresses it announces (GET /v1/gateways); empty: the listen
	// host, or the machine's host name when listening on every address.
	Advertise string `yaml:"advertise"`
	// Role is "all" (every role in one process) or a comma list of
	// gateway, game and match.
	Role string `yaml:"role"`
	// Routing picks the load-balancing strategy of each service that runs
	// on other nodes.
	Routing RoutingConfig `yaml:"routing"`
	// Members times the cluster heartbeats.
	Members cluster.MembersConfig `yaml:"members"`
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration     `yaml:"shutdown_timeout"`
	Log             observe.LogConfig `yaml:"log"`
	Gateway         gateway.Config    `yaml:"gateway"`
	Cluster         cluster.Config    `yaml:"cluster"`
	// Auth configures accounts and tokens. The signing key comes only from
	// the environment (LORDGAME_AUTH_SIGNING_KEY), never from a file or flag.
	Auth auth.Config `yaml:"auth"`
	// DDZ configures Dou Dizhu tables (timers, auto-play, chat, ratings).
	DDZ ddz.Config `yaml:"ddz"`
	// Match configures matchmaking modes ("classic" first, then "practice").
	Match match.Config `yaml:"match"`
	// Edge hardens the public HTTP listener (edge.go).
	Edge EdgeConfig `yaml:"http_edge"`
	// Chat configures chat limits, retention and the word filter.
	Chat chat.Config `yaml:"chat"`
	// Trace configures OpenTelemetry trace export (trace.go).
	Trace observe.TraceConfig `yaml:"trace"`
	// TLS puts the HTTP and TCP listeners under TLS (tls.go).
	TLS TLSConfig `yaml:"tls"`
}

// gatewayDefaults is the gateway's defaults with the server's route limits.
func gatewayDefaults() gateway.Config {
	g := gateway.DefaultConfig()
	g.RouteLimits = defaultRouteLimits()
	return g
}

func defaultConfig() Config {
	return Config{
		HTTP:            ":8080",
		TCP:             ":7000",
		Data:            "./data",
		NodeID:          -1,
		Role:            "all",
		Routing:         RoutingConfig{Game: string(cluster.LeastLoaded), Match: string(cluster.RoundRobin)},
		Members:         cluster.DefaultMembersConfig(),
		Leaderboard:     defaultLeaderboardConfig(),
		World:           defaultWorldConfig(),
		ShutdownTimeout: 15 * time.Second,
		Log:             observe.DefaultLogConfig(),
		Gateway:         gatewayDefaults(),
		Cluster:         cluster.DefaultConfig(),
		Auth:            auth.DefaultConfig(),
		DDZ:             ddz.DefaultConfig(),
		Match:           match.DefaultConfig(),
		Edge:            defaultEdgeConfig(),
		Chat:            chat.DefaultConfig(),
		Trace:           observe.DefaultTraceConfig(),
	}
}

func (c *Config) Validate() error {
	if c.HTTP == "" {
		return errors.New("config: http address is required")
	}
	if c.Data == "" {
		return errors.New("config: data folder is required")
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return errors.New("config: db must be a postgres:// URL (or empty for the embedded SQLite store)")
	}
	if c.NodeID < -1 || c.NodeID > 1023 {
		return errors.New("config: node_id must be between 0 and 1023 (or -1 to lease a free one)")
	}
	roles, err := parseRoles(c.Role)
	if err != nil {
		return err
	}
	if !roles.all() {
		switch {
		case c.DB == "":
			return fmt.Errorf("config: role %q runs as one node of a cluster, which needs a shared database: set -db to a PostgreSQL URL", c.Role)
		case c.Cluster.URL == "":
			return fmt.Errorf("config: role %q runs as one node of a cluster, which needs a shared NATS: set -nats to its URL (e.g. nats://127.0.0.1:4222)", c.Role)
		}
	}
	if err := validateLeaderboard(c, !roles.all()); err != nil {
		return err
	}
	if err := c.Routing.Validate(); err != nil {
		return err
	}
	if err := c.Members.Validate(); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("config: shutdown_timeout must be positive")
	}
	if err := c.Log.Validate(); err != nil {
		return err
	}
	if err := c.Cluster.Validate(); err != nil {
		return err
	}
	if err := c.Auth.Validate(); err != nil {
		return err
	}
	if err := c.DDZ.Validate(); err != nil {
		return err
	}
	if err := c.Match.Validate(); err != nil {
		return err
	}
	if err := c.Edge.Validate(); err != nil {
		return err
	}
	if err := c.Chat.Validate(); err != nil {
		return err
	}
	return c.Gateway.Validate()
}

// bind declares one flag per setting, bound to the fields of c.
func bind(fs *flag.FlagSet, c *Config) *string {
	file := fs.String("config", "", "optional YAML configuration file (flags and LORDGAME_* environment override it)")
	fs.StringVar(&c.HTTP, "http", c.HTTP, "HTTP listen address: API, WebSocket /ws, web client")
	fs.StringVar(&c.TCP, "tcp", c.TCP, `TCP gateway listen address ("off" disables it)`)
	fs.StringVar(&c.Data, "data", c.Data, "data folder (embedded SQLite database, generated keys)")
	fs.StringVar(&c.DB, "db", c.DB, "PostgreSQL URL (postgres://...); empty uses SQLite under -data")
	fs.StringVar(&c.Debug, "debug", c.Debug, "profiling listen address (net/http/pprof at /debug/pprof/); empty: off")
	fs.IntVar(&c.NodeID, "node-id", c.NodeID, "node id for generated ids (0-1023); -1 leases a free one from the cluster")
	fs.StringVar(&c.Advertise, "advertise", c.Advertise, "host clients reach this node at, in the addresses it announces (default: the listen host, or the host name when listening on all addresses)")
	fs.StringVar(&c.Role, "role", c.Role, "roles of this node: all, or a comma list of gateway, game, match")
	fs.StringVar(&c.Routing.Game, "route-game", c.Routing.Game, "strategy picking the game node of a new table: round-robin, random, weighted, least-loaded, consistent-hash")
	fs.StringVar(&c.Routing.Match, "route-match", c.Routing.Match, "strategy picking the match node of a queue request")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "graceful shutdown deadline")
	fs.StringVar(&c.Log.Format, "log-format", c.Log.Format, "log format: auto (text on a terminal, JSON otherwise), text, json")
	fs.StringVar(&c.Log.Level, "log-level", c.Log.Level, "log level: debug, info, warn, error")
	bindLogFlags(fs, &c.Log)
	bindLeaderboardFlags(fs, &c.Leaderboard)
	bindWorldFlags(fs, &c.World)
	fs.StringVar(&c.Cluster.URL, "nats", c.Cluster.URL, "NATS URL of an external cluster; empty runs NATS embedded in the process")
	fs.StringVar(&c.Cluster.Listen, "nats-listen", c.Cluster.Listen, "address the embedded NATS server listens on (empty: in-process only)")
	fs.StringVar(&c.Cluster.Prefix, "nats-prefix", c.Cluster.Prefix, "prefix of every NATS subject")
	a := &c.Auth
	fs.DurationVar(&a.AccessTTL, "access-ttl", a.AccessTTL, "lifetime of a JWT access token")
	fs.DurationVar(&a.RefreshTTL, "refresh-ttl", a.RefreshTTL, "lifetime of a refresh token")
	fs.Int64Var(&a.InitialCoins, "initial-coins", a.InitialCoins, "coins granted to every new account")
	fs.Var((*listFlag)(&a.Admins), "admins", "refused: admin rights come from `lordgame admin grant USERNAME` on an existing account")
	fs.Var((*listFlag)(&a.BlockedWords), "blocked-words", "comma-separated words refused in display names and chat")
	fs.IntVar(&a.Limits.SignupsPerIP, "auth-signups-per-ip", a.Limits.SignupsPerIP, "new accounts one address may create per window (load tests raise it)")
	t := &c.DDZ
	fs.DurationVar(&t.BidTimeout, "ddz-bid-timeout", t.BidTimeout, "Dou Dizhu: time to bid")
	fs.DurationVar(&t.FollowTimeout, "ddz-follow-timeout", t.FollowTimeout, "Dou Dizhu: time to play when following")
	fs.DurationVar(&t.LeadTimeout, "ddz-lead-timeout", t.LeadTimeout, "Dou Dizhu: time to play when leading")
	fs.DurationVar(&t.AutoPlayDelay, "ddz-autoplay-delay", t.AutoPlayDelay, "Dou Dizhu: delay before an auto-played move")
	fs.DurationVar(&t.BotDelay, "ddz-bot-delay", t.BotDelay, "Dou Dizhu: delay before a bot's move")
	fs.DurationVar(&t.Grace, "ddz-grace", t.Grace, "Dou Dizhu: how long a table waits for a disconnected player to come back")
	fs.DurationVar(&t.StoreGrace, "ddz-store-grace", t.StoreGrace, "Dou Dizhu: how long a table whose log cannot be written (database down) stays paused before it is cancelled")
	fs.Var(classicDur(c, func(m *match.Mode) *time.Duration { return &m.BotWait }), "ddz-bot-wait", "classic mode: wait before bots fill a table (0 disables bots)")
	fs.Var(classicInt(c, func(m *match.Mode) *int64 { return &m.Stake }), "ddz-stake", "classic mode: base stake in coins")
	fs.Var(classicInt(c, func(m *match.Mode) *int64 { return &m.MinBalance }), "ddz-min-balance", "classic mode: coins needed to queue")
	fs.Var(classicRules{c}, "ddz-house-rules", "classic mode: comma-separated house rules (doubling, show_hand, card_counter; docs/rules.md §14); empty for none")
	g := &c.Gateway
	fs.IntVar(&g.MaxConns, "max-conns", g.MaxConns, "maximum concurrent connections")
	fs.IntVar(&g.MaxConnsPerIP, "max-conns-per-ip", g.MaxConnsPerIP, "maximum concurrent connections from one IP address")
	fs.DurationVar(&g.RequestTimeout, "request-timeout", g.RequestTimeout, "default deadline of one request")
	fs.IntVar(&g.Workers, "workers", g.Workers, "worker pool size for concurrent routes")
	fs.IntVar(&g.RouteMaxInFlight, "route-max-in-flight", g.RouteMaxInFlight, "most requests of one concurrent route at once")
	fs.DurationVar(&g.ResumeTTL, "resume-ttl", g.ResumeTTL, "how long a session resume token is valid")
	fs.StringVar(&g.TCPProxyProtocol, "tcp-proxy-protocol", g.TCPProxyProtocol, "TCP connections start with a PROXY protocol header (v1/v2): off, on (from any peer), or a comma-separated CIDR list of the only peers allowed")
	fs.BoolVar(&g.TCPRequireEncryption, "tcp-require-encryption", g.TCPRequireEncryption, "refuse TCP clients that do not encrypt (key exchange before the handshake)")
	fs.StringVar(&g.TCPIdentityKey, "tcp-identity-key", g.TCPIdentityKey, "Ed25519 key file (PEM) signing the TCP key exchange; default tcp_identity.pem under -data, created when missing")
	fs.Var((*listFlag)(&g.AllowedOrigins), "allowed-origins", "comma-separated browser origins (scheme://host[:port], scheme://*.domain, null) that may open a WebSocket; empty: the page's own origin only; *: any")
	fs.Var((*listFlag)(&g.TrustedProxies), "trusted-proxies", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For / X-Real-IP give the client address (WebSocket and HTTP API); empty: none")
	s := &g.Session
	fs.IntVar(&s.SendQueue, "send-queue", s.SendQueue, "frames queued per connection before it is closed as a slow consumer")
	fs.DurationVar(&s.WriteTimeout, "write-timeout", s.WriteTimeout, "deadline of one socket write")
	fs.DurationVar(&s.HandshakeTimeout, "handshake-timeout", s.HandshakeTimeout, "time a new connection has to send its handshake")
	fs.DurationVar(&s.HeartbeatInterval, "heartbeat", s.HeartbeatInterval, "heartbeat interval clients must keep")
	fs.IntVar(&s.MissedHeartbeats, "missed-heartbeats", s.MissedHeartbeats, "silent heartbeat intervals before a connection is closed")
	fs.IntVar(&s.MaxFrameBytes, "max-frame-bytes", s.MaxFrameBytes, "largest frame body accepted, in bytes")
	fs.Float64Var(&s.RatePerSecond, "rate", s.RatePerSecond, "messages per second allowed per connection (token bucket rate)")
	fs.IntVar(&s.RateBurst, "rate-burst", s.RateBurst, "token bucket burst per connection")
	fs.IntVar(&s.RateStrikes, "rate-strikes", s.RateStrikes, "rate-limited messages within 10s before the connection is closed")
	fs.IntVar(&s.MaxInFlight, "max-in-flight", s.MaxInFlight, "requests of one connection handled at once")
	bindRateLimits(fs, g)
	bindEdge(fs, &c.Edge)
	bindChat(fs, &c.Chat)
	bindTrace(fs, &c.Trace)
	bindTLS(fs, &c.TLS)
	return file
}

// envName is the environment variable of a flag: -max-conns → LORDGAME_MAX_CONNS.
func envName(flagName string) string {
	return "LORDGAME_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flagName))
}

// loadConfig applies, lowest first: defaults, the file, the environment,
// flags. It reports every bad value and every failed check at once
// (a *cliError), and refuses arguments left after the flags.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, *flag.FlagSet, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("lordgame", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "validate the configuration and exit")
	file := bind(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: lordgame [flags]\n       lordgame migrate up|down|status\n       lordgame admin grant USERNAME\n       lordgame keys rotate\n       lordgame identity\n       lordgame cluster nodes [-nats URL] [-nats-prefix PREFIX]\n       lordgame health [-url URL] [-ready] [-timeout D]\n       lordgame backup FILE | restore FILE\n       lordgame version\n\n"+
			"Every flag can also be set as LORDGAME_<NAME> (e.g. LORDGAME_MAX_CONNS) or in the -config file.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	_, help, errs := parseFlags(fs, args)
	if help {
		fs.Usage()
		return cfg, fs, flag.ErrHelp
	}
	if *file == "" {
		*file = getenv("LORDGAME_CONFIG")
	}
	if *file != "" {
		path := *file
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fs, usageErr(append(errs, fmt.Errorf("-config: %w", err))...)
		}
		fresh := defaultConfig()
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&fresh); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fs, usageErr(append(errs, fmt.Errorf("-config: %s: %w", path, err))...)
		}
		cfg = fresh
		*file = path
	}
	errs = nil // the flags are parsed again below, over the file and environment
	fromEnv := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" || f.Name == "check" {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			fromEnv[f.Name] = envName(f.Name)
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, &valueError{f.Name, fmt.Sprintf("-%s: invalid value %s=%q: %s", f.Name, envName(f.Name), v, valueReason(f, err))})
			}
		}
	})
	if k := getenv("LORDGAME_AUTH_SIGNING_KEY"); k != "" {
		cfg.Auth.SigningKey = k
	}
	rest, _, flagErrs := parseFlags(fs, args)
	errs = append(errs, flagErrs...)
	if len(rest) > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q: flags come before it, and there is no such command", rest[0]))
	}
	onCmdLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCmdLine[f.Name] = true })
	errs = append(errs, validateConfig(&cfg, fs, unparsedFlags(errs), func(name string) string {
		switch {
		case onCmdLine[name]:
			return ""
		case fromEnv[name] != "":
			return fromEnv[name]
		case *file != "":
			return *file
		}
		return ""
	})...)
	if len(errs) > 0 {
		return cfg, fs, usageErr(errs...)
	}
	if *check {
		return cfg, fs, errCheckOnly
	}
	return cfg, fs, nil
}

var errCheckOnly = errors.New("check only")

// classicFlag sets a field of the "classic" matchmaking mode. It looks the
// mode up when set, so a config file that replaces the modes list does not
// leave it pointing at the old one.
type classicFlag[T any] struct {
	c      *Config
	f      func(*match.Mode) *T
	parse  func(string) (T, error)
	format func(T) string
}

func classicDur(c *Config, f func(*match.Mode) *time.Duration) classicFlag[time.Duration] {
	return classicFlag[time.Duration]{c, f, time.ParseDuration, time.Duration.String}
}

func classicInt(c *Config, f func(*match.Mode) *int64) classicFlag[int64] {
	return classicFlag[int64]{c, f,
		func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) },
		func(n int64) string { return strconv.FormatInt(n, 10) }}
}

// classicRules sets the house rules of the classic mode from a
// comma-separated list of their names (match.Mode's yaml keys).
type classicRules struct{ c *Config }

func (v classicRules) String() string {
	if v.c == nil {
		return ""
	}
	if m := classic(v.c); m != nil {
		return formatHouseRules([3]bool{m.Doubling, m.ShowHand, m.CardCounter})
	}
	return ""
}

func (v classicRules) Set(s string) error {
	on, err := parseHouseRules(s)
	if err != nil {
		return err
	}
	m := classic(v.c)
	if m == nil {
		return errors.New("no classic matchmaking mode is configured")
	}
	m.Doubling, m.ShowHand, m.CardCounter = on[0], on[1], on[2]
	return nil
}

var houseRuleNames = [3]string{"doubling", "show_hand", "card_counter"}

func parseHouseRules(s string) ([3]bool, error) {
	var on [3]bool
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := slices.Index(houseRuleNames[:], name)
		if i < 0 {
			return on, fmt.Errorf("unknown house rule %q (want doubling, show_hand or card_counter)", name)
		}
		on[i] = true
	}
	return on, nil
}

func formatHouseRules(on [3]bool) string {
	var out []string
	for i, b := range on {
		if b {
			out = append(out, houseRuleNames[i])
		}
	}
	return strings.Join(out, ",")
}

func (v classicFlag[T]) String() string {
	if v.c == nil { // the zero value flag.PrintDefaults makes
		return ""
	}
	if m := classic(v.c); m != nil {
		return v.format(*v.f(m))
	}
	return ""
}

func (v classicFlag[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	m := classic(v.c)
	if m == nil {
		return errors.New("no classic matchmaking mode is configured")
	}
	*v.f(m) = x
	return nil
}

func classic(c *Config) *match.Mode {
	for i := range c.Match.Modes {
		if c.Match.Modes[i].Name == "classic" {
			return &c.Match.Modes[i]
		}
	}
	return nil
}

// listFlag is a comma-separated list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = nil
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
