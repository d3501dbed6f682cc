package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sys/unix"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/clientaddr"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
)

// This file is the command line: subcommands, flag parsing that reports
// every bad value at once, the configuration checks that name their flag,
// and `lordgame version`.

// hint ends every command-line error.
const hint = "run lordgame -h for the flags"

// Build information, set with
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%FT%TZ)"
//
// Unset, they come from the module and VCS information the Go toolchain
// records in the binary (runtime/debug.ReadBuildInfo).
var (
	commit = ""
	date   = ""
)

func init() { fillBuildInfo(debug.ReadBuildInfo) }

// fillBuildInfo sets version, commit and date from the toolchain's
// build information where -ldflags did not.
func fillBuildInfo(read func() (*debug.BuildInfo, bool)) {
	bi, ok := read()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit == "" || commit == "unknown" { // "unknown": a build script with no VCS data
		commit = "unknown"
		if rev != "" {
			commit = rev
			if modified {
				commit += "-dirty"
			}
		}
	}
	if date == "" || date == "unknown" {
		date = "unknown"
		if at != "" {
			date = at + " (commit time)"
		}
	}
}

// runVersion is `lordgame version`.
func runVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageErr(fmt.Errorf("version: unexpected argument %q", args[0]))
	}
	fmt.Fprintf(stdout, "lordgame %s\ncommit:     %s\nbuilt:      %s\ngo:         %s %s/%s\nprotocol:   %d\n",
		version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH, gateway.ProtocolVersion)
	return nil
}

// commands lists the subcommands for the unknown-command error.
const commands = "migrate, admin, keys, cluster, identity, backup, restore, health, drain, version"

// unknownCommand is the error for a first argument that is neither a flag
// nor a subcommand.
func unknownCommand(name string) error {
	return usageErr(fmt.Errorf("unknown command %q (commands: %s)", name, commands))
}

// cliError is a command-line mistake: one or more problems, then the hint.
type cliError struct{ problems []error }

func usageErr(errs ...error) error { return &cliError{problems: errs} }

func (e *cliError) Error() string {
	var b strings.Builder
	if len(e.problems) == 1 {
		b.WriteString(e.problems[0].Error())
	} else {
		fmt.Fprintf(&b, "%d configuration problems:", len(e.problems))
		for _, p := range e.problems {
			b.WriteString("\n  ")
			b.WriteString(p.Error())
		}
	}
	b.WriteString("\n" + hint)
	return b.String()
}

func (e *cliError) Unwrap() []error { return e.problems }

// parseFlags sets the flags of args like fs.Parse, with the same syntax
// (-name value, -name=value, --name, -bool, "--" ends the flags), but it
// goes on after a bad value so that every one is reported, and it prints
// nothing. It returns the arguments after the flags, whether -h or -help
// was given, and the problems.
func parseFlags(fs *flag.FlagSet, args []string) (rest []string, help bool, errs []error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args[i+1:], help, errs
		}
		if len(a) < 2 || a[0] != '-' {
			return args[i:], help, errs
		}
		name := a[1:]
		if name[0] == '-' {
			name = name[1:]
		}
		if name == "" || name[0] == '-' || name[0] == '=' {
			errs = append(errs, fmt.Errorf("%s: bad flag syntax", a))
			continue
		}
		name, value, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				help = true
				continue
			}
			errs = append(errs, fmt.Errorf("-%s: flag provided but not defined", name))
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 == len(args) {
				errs = append(errs, fmt.Errorf("-%s: needs a value", name))
				continue
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			errs = append(errs, &valueError{name, fmt.Sprintf("-%s: invalid value %q: %s", name, value, valueReason(f, err))})
		}
	}
	return nil, help, errs
}

// valueReason says why a flag value did not parse, in words.
func valueReason(f *flag.Flag, err error) string {
	var ne *strconv.NumError
	if errors.As(err, &ne) || err.Error() == "parse error" || err.Error() == "value out of range" {
		// The flag package hides strconv's error behind these two.
		if err.Error() == "value out of range" || ne != nil && errors.Is(ne.Err, strconv.ErrRange) {
			return "out of range"
		}
		kind, _ := flag.UnquoteUsage(f)
		switch kind {
		case "int", "uint", "value":
			return "want an integer"
		case "float":
			return "want a number"
		case "":
			return "want true or false"
		case "duration":
			return "want a duration such as 10s, 1m30s or 2h"
		}
		return "want a " + kind
	}
	if strings.HasPrefix(err.Error(), "time: ") {
		return "want a duration such as 10s, 1m30s or 2h"
	}
	return err.Error()
}

// valueError is a flag value that did not parse.
type valueError struct{ flag, msg string }

func (e *valueError) Error() string { return e.msg }

// unparsedFlags is the set of flags named by the valueErrors in errs.
func unparsedFlags(errs []error) map[string]bool {
	out := map[string]bool{}
	for _, err := range errs {
		if ve, ok := err.(*valueError); ok {
			out[ve.flag] = true
		}
	}
	return out
}

// flagCheck checks the setting of one flag. The error says what is wrong
// and shows the value; the flag name is prepended.
type flagCheck struct {
	flag  string
	check func(c *Config) error
}

func positiveDur(name string, get func(*Config) time.Duration) flagCheck {
	return flagCheck{name, func(c *Config) error {
		if d := get(c); d <= 0 {
			return fmt.Errorf("must be a positive duration (got %s)", d)
		}
		return nil
	}}
}

func nonNegativeDur(name string, get func(*Config) time.Duration) flagCheck {
	return flagCheck{name, func(c *Config) error {
		if d := get(c); d < 0 {
			return fmt.Errorf("must be >= 0 (got %s)", d)
		}
		return nil
	}}
}

func atLeast[T int | int64 | float64](name string, least T, get func(*Config) T) flagCheck {
	return flagCheck{name, func(c *Config) error {
		if v := get(c); v < least {
			return fmt.Errorf("must be >= %v (got %v)", least, v)
		}
		return nil
	}}
}

func classicField(name string, get func(c *Config) int64) flagCheck {
	return flagCheck{name, func(c *Config) error {
		if classic(c) == nil {
			return nil
		}
		if v := get(c); v < 0 {
			return fmt.Errorf("must be >= 0 (got %d)", v)
		}
		return nil
	}}
}

// flagChecks is every check of a flag's setting. Settings that only a
// config file sets are checked by their package's Validate afterwards.
func flagChecks() []flagCheck {
	return append([]flagCheck{
		{"http", func(c *Config) error {
			if c.HTTP == "" {
				return errors.New("an address is required (e.g. :8080)")
			}
			return checkListen(c.HTTP)
		}},
		{"tcp", func(c *Config) error {
			if c.TCP == "" || c.TCP == "off" {
				return nil
			}
			return checkListen(c.TCP)
		}},
		{"debug", func(c *Config) error {
			if c.Debug == "" {
				return nil
			}
			return checkListen(c.Debug)
		}},
		{"nats-listen", func(c *Config) error {
			if c.Cluster.Listen == "" {
				return nil
			}
			if c.Cluster.URL != "" {
				return errors.New("applies only to the embedded NATS server: leave it empty with -nats")
			}
			return checkListen(c.Cluster.Listen)
		}},
		{"data", func(c *Config) error {
			if c.Data == "" {
				return errors.New("a folder is required")
			}
			if c.DB != "" {
				return nil // PostgreSQL: the folder is not used
			}
			return checkWritableDir(c.Data)
		}},
		{"db", func(c *Config) error { return checkDB(c.DB) }},
		{"nats", func(c *Config) error { return checkNATS(c.Cluster.URL) }},
		{"nats-prefix", func(c *Config) error {
			cc := cluster.DefaultConfig()
			cc.Prefix = c.Cluster.Prefix
			if cc.Validate() != nil {
				return fmt.Errorf("must be a NATS subject without wildcards or spaces (got %q)", c.Cluster.Prefix)
			}
			return nil
		}},
		{"node-id", func(c *Config) error {
			if c.NodeID < -1 || c.NodeID > 1023 {
				return fmt.Errorf("must be between 0 and 1023, or -1 to lease a free one (got %d)", c.NodeID)
			}
			return nil
		}},
		{"advertise", func(c *Config) error { return checkHost(c.Advertise) }},
		{"role", func(c *Config) error {
			r, err := parseRoles(c.Role)
			if err != nil {
				return errors.New(strings.TrimPrefix(err.Error(), "config: "))
			}
			if r.all() {
				return nil
			}
			var need []string
			if c.DB == "" {
				need = append(need, "-db (a PostgreSQL URL)")
			}
			if c.Cluster.URL == "" {
				need = append(need, "-nats (e.g. nats://127.0.0.1:4222)")
			}
			if len(need) > 0 {
				return fmt.Errorf("%q runs as one node of a cluster, which needs a shared database and NATS: set %s", c.Role, strings.Join(need, " and "))
			}
			return nil
		}},
		{"route-game", func(c *Config) error { return checkStrategy(c.Routing.Game) }},
		{"route-match", func(c *Config) error { return checkStrategy(c.Routing.Match) }},
		positiveDur("shutdown-timeout", func(c *Config) time.Duration { return c.ShutdownTimeout }),
		{"log-format", func(c *Config) error {
			switch c.Log.Format {
			case "auto", "text", "json":
				return nil
			}
			return fmt.Errorf("want auto, text or json (got %q)", c.Log.Format)
		}},
		{"log-level", func(c *Config) error {
			var l slog.Level
			if l.UnmarshalText([]byte(c.Log.Level)) != nil {
				return fmt.Errorf("want debug, info, warn or error (got %q)", c.Log.Level)
			}
			return nil
		}},
		{"access-ttl", func(c *Config) error {
			if c.Auth.AccessTTL < time.Second {
				return fmt.Errorf("must be at least 1s (got %s)", c.Auth.AccessTTL)
			}
			return nil
		}},
		{"refresh-ttl", func(c *Config) error {
			if c.Auth.RefreshTTL < c.Auth.AccessTTL {
				return fmt.Errorf("must be at least -access-ttl %s (got %s)", c.Auth.AccessTTL, c.Auth.RefreshTTL)
			}
			return nil
		}},
		atLeast("initial-coins", 0, func(c *Config) int64 { return c.Auth.InitialCoins }),
		{"admins", func(c *Config) error {
			if len(c.Auth.Admins) > 0 {
				return errors.New(strings.TrimPrefix(auth.ErrAdminsSetting.Error(), "auth: admins: "))
			}
			return nil
		}},
		atLeast("auth-signups-per-ip", 1, func(c *Config) int { return c.Auth.Limits.SignupsPerIP }),
		positiveDur("ddz-bid-timeout", func(c *Config) time.Duration { return c.DDZ.BidTimeout }),
		positiveDur("ddz-follow-timeout", func(c *Config) time.Duration { return c.DDZ.FollowTimeout }),
		positiveDur("ddz-lead-timeout", func(c *Config) time.Duration { return c.DDZ.LeadTimeout }),
		nonNegativeDur("ddz-autoplay-delay", func(c *Config) time.Duration { return c.DDZ.AutoPlayDelay }),
		nonNegativeDur("ddz-bot-delay", func(c *Config) time.Duration { return c.DDZ.BotDelay }),
		positiveDur("ddz-grace", func(c *Config) time.Duration { return c.DDZ.Grace }),
		positiveDur("ddz-store-grace", func(c *Config) time.Duration { return c.DDZ.StoreGrace }),
		{"ddz-bot-wait", func(c *Config) error {
			if m := classic(c); m != nil && m.BotWait < 0 {
				return fmt.Errorf("must be >= 0, 0 disables bots (got %s)", m.BotWait)
			}
			return nil
		}},
		classicField("ddz-stake", func(c *Config) int64 { return classic(c).Stake }),
		classicField("ddz-min-balance", func(c *Config) int64 { return classic(c).MinBalance }),
		atLeast("max-conns", 1, func(c *Config) int { return c.Gateway.MaxConns }),
		atLeast("max-conns-per-ip", 1, func(c *Config) int { return c.Gateway.MaxConnsPerIP }),
		positiveDur("request-timeout", func(c *Config) time.Duration { return c.Gateway.RequestTimeout }),
		atLeast("workers", 1, func(c *Config) int { return c.Gateway.Workers }),
		atLeast("route-max-in-flight", 1, func(c *Config) int { return c.Gateway.RouteMaxInFlight }),
		positiveDur("resume-ttl", func(c *Config) time.Duration { return c.Gateway.ResumeTTL }),
		{"tcp-proxy-protocol", func(c *Config) error {
			gc := gateway.DefaultConfig()
			gc.TCPProxyProtocol = c.Gateway.TCPProxyProtocol
			if err := gc.Validate(); err != nil {
				return fmt.Errorf("%s (got %q)", strings.TrimPrefix(err.Error(), "gateway: tcp_proxy_protocol: "), c.Gateway.TCPProxyProtocol)
			}
			return nil
		}},
		{"allowed-origins", func(c *Config) error {
			gc := gateway.DefaultConfig()
			gc.AllowedOrigins = c.Gateway.AllowedOrigins
			if err := gc.Validate(); err != nil {
				return errors.New(strings.TrimPrefix(err.Error(), "gateway: allowed_origins: "))
			}
			return nil
		}},
		{"trusted-proxies", func(c *Config) error {
			if _, err := clientaddr.ParseProxies(c.Gateway.TrustedProxies); err != nil {
				return errors.New(strings.TrimPrefix(err.Error(), "clientaddr: "))
			}
			return nil
		}},
		atLeast("send-queue", 1, func(c *Config) int { return c.Gateway.Session.SendQueue }),
		positiveDur("write-timeout", func(c *Config) time.Duration { return c.Gateway.Session.WriteTimeout }),
		positiveDur("handshake-timeout", func(c *Config) time.Duration { return c.Gateway.Session.HandshakeTimeout }),
		positiveDur("heartbeat", func(c *Config) time.Duration { return c.Gateway.Session.HeartbeatInterval }),
		atLeast("missed-heartbeats", 1, func(c *Config) int { return c.Gateway.Session.MissedHeartbeats }),
		{"max-frame-bytes", func(c *Config) error {
			if n := c.Gateway.Session.MaxFrameBytes; n < 64 || n > 16<<20 {
				return fmt.Errorf("must be between 64 and 16777216 (got %d)", n)
			}
			return nil
		}},
		{"rate", func(c *Config) error {
			if r := c.Gateway.Session.RatePerSecond; !(r > 0) {
				return fmt.Errorf("must be > 0 (got %v)", r)
			}
			return nil
		}},
		atLeast("rate-burst", 1, func(c *Config) int { return c.Gateway.Session.RateBurst }),
		atLeast("rate-strikes", 1, func(c *Config) int { return c.Gateway.Session.RateStrikes }),
		atLeast("max-in-flight", 1, func(c *Config) int { return c.Gateway.Session.MaxInFlight }),
	}, slices.Concat(logFlagChecks(), rateFlagChecks(), edgeFlagChecks(), chatFlagChecks(), tcpCryptFlagChecks(), traceFlagChecks(), tlsFlagChecks(), leaderboardFlagChecks(), worldFlagChecks())...)
}

// freeFlags take any value (-ddz-house-rules: any list of the names it
// accepts, checked as it is parsed).
var freeFlags = map[string]bool{"config": true, "check": true, "blocked-words": true, "log-access": true, "tcp-require-encryption": true,
	"ddz-house-rules": true}

// validateConfig runs every flag check and then every package's Validate,
// and reports all the problems at once. source names where a flag's value
// came from when not from the command line ("" when it did).
//
// unparsed holds the flags whose value did not parse (already reported):
// the flag package leaves a zero there, so they are not checked again.
func validateConfig(c *Config, fs *flag.FlagSet, unparsed map[string]bool, source func(flag string) string) []error {
	var errs []error
	failed := map[string]bool{}
	for name := range unparsed {
		failed[name] = true
	}
	for _, fc := range flagChecks() {
		if fs.Lookup(fc.flag) == nil || unparsed[fc.flag] {
			continue // a subcommand's flag set without it, or already reported
		}
		if err := fc.check(c); err != nil {
			msg := "-" + fc.flag + ": " + err.Error()
			if s := source(fc.flag); s != "" {
				msg += " (from " + s + ")"
			}
			errs = append(errs, errors.New(msg))
			failed[fc.flag] = true
		}
	}
	errs = append(errs, portClashes(c)...)
	// Put the failed flags back to their defaults and let each package
	// judge the rest: what remains wrong is set only in the config file
	// (or is a combination no flag check covers).
	fs.VisitAll(func(f *flag.Flag) {
		if failed[f.Name] {
			_ = f.Value.Set(f.DefValue)
		}
	})
	for _, err := range []error{c.Routing.Validate(), c.Members.Validate(), c.Log.Validate(),
		c.Cluster.Validate(), c.Auth.Validate(), c.DDZ.Validate(), c.Match.Validate(), c.Gateway.Validate(),
		c.Edge.Validate(), c.Chat.Validate(), c.Trace.Validate()} {
		if err != nil {
			errs = append(errs, splitJoined(err)...)
		}
	}
	if c.ShutdownTimeout <= 0 && !failed["shutdown-timeout"] {
		errs = append(errs, errors.New("shutdown_timeout must be positive"))
	}
	return errs
}

// splitJoined turns an errors.Join error into its parts.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkListen checks a listen address: [host]:port, port a number 0-65535
// or a service name.
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port or :port (got %q: %s)", addr, strings.TrimPrefix(err.Error(), "address "+addr+": "))
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return fmt.Errorf("bad port %q in %q: want a number 0-65535", port, addr)
	}
	if host != "" {
		if err := checkHost(host); err != nil {
			return fmt.Errorf("bad host in %q: %s", addr, err)
		}
	}
	return nil
}

// checkHost checks a host name or IP address (no port).
func checkHost(host string) error {
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	if _, _, err := net.SplitHostPort(host); err == nil {
		return fmt.Errorf("want a host without a port (got %q)", host)
	}
	if len(host) > 253 {
		return fmt.Errorf("host name too long (got %d characters)", len(host))
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("not a host name or IP address (got %q)", host)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("not a host name or IP address (got %q)", host)
			}
		}
	}
	return nil
}

// checkDB checks -db: empty (SQLite) or a PostgreSQL URL pgx can parse.
func checkDB(dsn string) error {
	if dsn == "" {
		return nil
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return errors.New("must be a postgres:// URL (or empty for the embedded SQLite store)")
	}
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			return fmt.Errorf("not a valid PostgreSQL URL: %s", pe.Unwrap())
		}
		return errors.New("not a valid PostgreSQL URL")
	}
	return nil
}

// checkNATS checks -nats: empty (embedded) or a comma-separated list of
// nats://, tls://, ws:// or wss:// URLs (a bare host:port means nats://).
func checkNATS(list string) error {
	if list == "" {
		return nil
	}
	for raw := range strings.SplitSeq(list, ",") {
		s := strings.TrimSpace(raw)
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return fmt.Errorf("want a NATS URL such as nats://127.0.0.1:4222 (got %q)", raw)
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("scheme %q: want nats://, tls://, ws:// or wss:// (got %q)", u.Scheme, raw)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("bad port %q (got %q)", p, raw)
			}
		}
		if err := checkHost(u.Hostname()); err != nil {
			return fmt.Errorf("%s in %q", err, raw)
		}
	}
	return nil
}

func checkStrategy(s string) error {
	if _, err := cluster.ParseStrategy(s); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "cluster: "))
	}
	return nil
}

// checkWritableDir checks that dir is a folder this process can write in,
// or can be created: its nearest existing parent is a writable folder.
func checkWritableDir(dir string) error {
	p := dir
	for {
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir():
			if p == dir {
				return fmt.Errorf("%q exists and is not a folder", dir)
			}
			return fmt.Errorf("cannot create %q: %q is not a folder", dir, p)
		case err == nil:
			if unix.Access(p, unix.W_OK|unix.X_OK) != nil {
				if p == dir {
					return fmt.Errorf("folder %q is not writable", dir)
				}
				return fmt.Errorf("cannot create %q: %q is not writable", dir, p)
			}
			return nil
		case !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTDIR):
			return fmt.Errorf("%q: %v", dir, errors.Unwrap(err))
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("cannot create %q", dir)
		}
		p = parent
	}
}

// portClashes finds two listeners of this process on the same port (the
// second would fail with "address already in use").
func portClashes(c *Config) []error {
	type l struct{ flag, addr string }
	var ls []l
	for _, x := range []l{{"http", c.HTTP}, {"tcp", c.TCP}, {"debug", c.Debug}, {"nats-listen", c.Cluster.Listen},
		{"metrics-addr", c.Edge.MetricsAddr}, {"mmo-zinx", c.World.Zinx}} {
		if x.addr != "" && x.addr != "off" && (x.flag != "nats-listen" || c.Cluster.URL == "") {
			ls = append(ls, x)
		}
	}
	var errs []error
	for i := range ls {
		hi, pi, err := net.SplitHostPort(ls[i].addr)
		if err != nil || pi == "0" {
			continue
		}
		for j := i + 1; j < len(ls); j++ {
			hj, pj, err := net.SplitHostPort(ls[j].addr)
			if err != nil || pj != pi {
				continue
			}
			if hi == hj || hi == "" || hj == "" || isUnspecified(hi) || isUnspecified(hj) {
				errs = append(errs, fmt.Errorf("-%s: %q uses the same port as -%s %q", ls[j].flag, ls[j].addr, ls[i].flag, ls[i].addr))
			}
		}
	}
	return errs
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
