package session

import (
	"errors"
	"time"

	"github.com/lordgame/lordgame/internal/transport"
)

// Config holds the per-connection limits.
type Config struct {
	// SendQueue is the most frames waiting to be written; one more closes
	// the connection with reason slow_consumer.
	SendQueue int `yaml:"send_queue"`
	// WriteTimeout bounds one write to the socket.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// HandshakeTimeout is how long a new connection may take to send its handshake.
	HandshakeTimeout time.Duration `yaml:"handshake_timeout"`
	// HeartbeatInterval is how often clients send a heartbeat.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// MissedHeartbeats intervals without any frame close the connection.
	MissedHeartbeats int `yaml:"missed_heartbeats"`
	// MaxFrameBytes is the largest frame body accepted.
	MaxFrameBytes int `yaml:"max_frame_bytes"`
	// RatePerSecond and RateBurst size the per-connection limit on
	// messages of any kind after the handshake.
	RatePerSecond float64 `yaml:"rate_per_second"`
	RateBurst     int     `yaml:"rate_burst"`
	// RateAlgorithm is how that limit is kept: "token" (the default), a
	// token bucket: RateBurst messages at once, then RatePerSecond, the
	// rest answered rate_limited (RateStrikes of them close the
	// connection); or "leaky", a leaky bucket that shapes instead of
	// refusing: messages are handled evenly spaced, at most RatePerSecond,
	// whatever their bursts. The reader waits for each message's turn, so
	// a faster client's frames wait in its socket and TCP flow control
	// slows its writes down; RateBurst and RateStrikes are not used.
	RateAlgorithm string `yaml:"rate_algorithm"`
	// RateStrikes is how many rate_limited answers a connection gets before
	// it is closed with reason rate_limited.
	RateStrikes int `yaml:"rate_strikes"`
	// MaxInFlight is the most requests of one connection being handled at once.
	MaxInFlight int `yaml:"max_in_flight"`
}

// Rate algorithms (Config.RateAlgorithm).
const (
	RateToken = "token"
	RateLeaky = "leaky"
)

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	return Config{
		SendQueue:         256,
		WriteTimeout:      10 * time.Second,
		HandshakeTimeout:  10 * time.Second,
		HeartbeatInterval: 15 * time.Second,
		MissedHeartbeats:  3,
		MaxFrameBytes:     transport.DefaultMaxFrameBytes,
		RatePerSecond:     200,
		RateBurst:         400,
		RateAlgorithm:     RateToken,
		RateStrikes:       20,
		MaxInFlight:       64,
	}
}

// Validate rejects settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.SendQueue < 1:
		return errors.New("session: send_queue must be at least 1")
	case c.WriteTimeout <= 0 || c.HandshakeTimeout <= 0 || c.HeartbeatInterval <= 0:
		return errors.New("session: timeouts and heartbeat_interval must be positive")
	case c.MissedHeartbeats < 1:
		return errors.New("session: missed_heartbeats must be at least 1")
	case c.MaxFrameBytes < 64 || c.MaxFrameBytes > 16<<20:
		return errors.New("session: max_frame_bytes must be between 64 and 16777216")
	case c.RatePerSecond <= 0 || c.RateBurst < 1:
		return errors.New("session: rate_per_second and rate_burst must be positive")
	case c.RateAlgorithm != RateToken && c.RateAlgorithm != RateLeaky:
		return errors.New(`session: rate_algorithm must be "token" or "leaky"`)
	case c.RateStrikes < 1:
		return errors.New("session: rate_strikes must be at least 1")
	case c.MaxInFlight < 1:
		return errors.New("session: max_in_flight must be at least 1")
	}
	return nil
}

// IdleTimeout is how long a connection may stay silent after its handshake.
func (c Config) IdleTimeout() time.Duration {
	return c.HeartbeatInterval * time.Duration(c.MissedHeartbeats)
}
