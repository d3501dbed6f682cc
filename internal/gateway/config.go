package gateway

import (
	"errors"
	"fmt"
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
	// Session holds the per-connection limits.
	Session session.Config `yaml:"session"`
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
	if _, err := clientaddr.ParseProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("gateway: trusted_proxies: %w", err)
	}
	return c.Session.Validate()
}
