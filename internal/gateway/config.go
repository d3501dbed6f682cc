package gateway

import (
	"errors"
	"time"

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
	return c.Session.Validate()
}
