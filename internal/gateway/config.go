package gateway

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/clientaddr"
	"github.com/lordgame/lordgame/internal/session"
)

// Config holds the server-wide connection and dispatch limits.
type Config struct {
	// MaxConns is the most concurrent connections; the handshake of one more
	// is refused with reason server_full.
	MaxConns int `yaml:"max_conns"`
	// MaxConnsPerIP is the most concurrent connections from one address.
	MaxConnsPerIP int `yaml:"max_conns_per_ip"`
	// RequestTimeout is the default deadline of one request.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Workers is the size of the pool that runs Concurrent routes.
	Workers int `yaml:"workers"`
	// RouteMaxInFlight caps one Concurrent route's share of the pool.
	RouteMaxInFlight int `yaml:"route_max_in_flight"`
	// ResumeTTL is how long a resume token stays valid.
	ResumeTTL time.Duration `yaml:"resume_ttl"`
	// TrustedProxies are the networks (CIDRs, or single addresses) of
	// reverse proxies in front of the HTTP server. A WebSocket upgrade or
	// an HTTP API request from a peer inside them is counted against the
	// client address in X-Forwarded-For (the right-most entry that is not
	// itself a trusted proxy) or X-Real-IP; from any other peer those
	// headers are ignored. Empty: every address is the socket's.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AllowedOrigins are the browser origins that may open a WebSocket
	// (origin.go): empty means the page's own origin only, "*" any.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// TCPProxyProtocol makes every TCP gateway connection start with a
	// PROXY protocol header (v1 or v2, as HAProxy, nginx's stream
	// proxy_protocol and cloud load balancers send), whose source address
	// becomes the session's: "off" (the default) expects none; "on" requires
	// it from any peer (for a port only the balancer can reach); a
	// comma-separated CIDR list requires it and refuses every other peer.
	// A missing or malformed header closes the connection.
	TCPProxyProtocol string `yaml:"tcp_proxy_protocol"`
	// TCPRequireEncryption refuses a TCP handshake that did not follow a
	// key exchange (rule encryption_required): every TCP client must
	// encrypt (docs/protocol.md, "Encrypted TCP"). Off by default: plain
	// TCP and encrypted TCP are both accepted.
	TCPRequireEncryption bool `yaml:"tcp_require_encryption"`
	// TCPIdentityKey is the file of the Ed25519 key that signs the TCP
	// key exchange (PEM PKCS #8); empty: tcp_identity.pem in the data
	// folder, created on first start. Gateways of one cluster should share
	// one key so that clients pin one.
	TCPIdentityKey string `yaml:"tcp_identity_key"`
	// RouteLimits limit single routes, per connection, beside the
	// connection-wide limit (Session.RatePerSecond), keyed by route name
	// ("match.join"): a request over its route's limit is answered
	// rate_limited (a notify is dropped) and counts as a strike like one
	// over the connection's limit. Every name must be a registered route.
	RouteLimits map[string]RouteLimit `yaml:"route_limits"`
	// Session holds the per-connection limits.
	Session session.Config `yaml:"session"`
}

// RouteLimit is a token bucket per connection for one route: Burst
// requests at once, then PerSecond.
type RouteLimit struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// String renders the limit as RATE/s:BURST, the form ParseRouteLimits reads.
func (l RouteLimit) String() string {
	return strconv.FormatFloat(l.PerSecond, 'g', -1, 64) + "/s:" + strconv.Itoa(l.Burst)
}

// ParseRouteLimits reads comma-separated ROUTE=RATE/s:BURST entries
// ("match.join=2/s:10,chat.send=10/s:20"); an empty string is no limits.
func ParseRouteLimits(s string) (map[string]RouteLimit, error) {
	out := map[string]RouteLimit{}
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		name, spec, ok := strings.Cut(e, "=")
		rate, burst, ok2 := strings.Cut(spec, "/s:")
		if !ok || !ok2 || name == "" {
			return nil, fmt.Errorf("route limit %q: want ROUTE=RATE/s:BURST, e.g. match.join=2/s:10", e)
		}
		r, err1 := strconv.ParseFloat(rate, 64)
		b, err2 := strconv.Atoi(burst)
		l := RouteLimit{PerSecond: r, Burst: b}
		if err1 != nil || err2 != nil || l.validate() != nil {
			return nil, fmt.Errorf("route limit %q: RATE must be a number > 0 and BURST a whole number >= 1", e)
		}
		out[name] = l
	}
	return out, nil
}

func (l RouteLimit) validate() error {
	if !(l.PerSecond > 0) || math.IsInf(l.PerSecond, 0) || l.Burst < 1 {
		return errors.New("per_second must be > 0 and burst at least 1")
	}
	return nil
}

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	return Config{
		MaxConns:         100000,
		MaxConnsPerIP:    50000,
		RequestTimeout:   10 * time.Second,
		Workers:          1024,
		RouteMaxInFlight: 256,
		ResumeTTL:        5 * time.Minute,
		TCPProxyProtocol: "off",
		Session:          session.DefaultConfig(),
	}
}

// Validate rejects settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.MaxConns < 1 || c.MaxConnsPerIP < 1:
		return errors.New("gateway: max_conns and max_conns_per_ip must be at least 1")
	case c.RequestTimeout <= 0:
		return errors.New("gateway: request_timeout must be positive")
	case c.Workers < 1 || c.RouteMaxInFlight < 1:
		return errors.New("gateway: workers and route_max_in_flight must be at least 1")
	case c.ResumeTTL <= 0:
		return errors.New("gateway: resume_ttl must be positive")
	}
	for name, l := range c.RouteLimits {
		if err := l.validate(); err != nil {
			return fmt.Errorf("gateway: route_limits: %s: %w", name, err)
		}
	}
	if _, err := clientaddr.ParseProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("gateway: trusted_proxies: %w", err)
	}
	if _, err := parseProxyPolicy(c.TCPProxyProtocol); err != nil {
		return err
	}
	if _, err := parseOrigins(c.AllowedOrigins); err != nil {
		return err
	}
	return c.Session.Validate()
}
