package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Config says which NATS the bus uses and how long it waits.
type Config struct {
	// URL of an external NATS server or cluster, comma-separated
	// ("nats://nats-1:4222,nats://nats-2:4222"). Empty runs an embedded
	// nats-server inside this process.
	URL string `yaml:"url"`
	// Listen is the host:port where the embedded server accepts NATS
	// clients from other processes (port 0 picks a free one). Empty, the
	// default, means nothing listens: only this process reaches it.
	Listen string `yaml:"listen"`
	// Prefix starts every subject ("<prefix>.<name>"); deployments that
	// share one NATS use different prefixes.
	Prefix string `yaml:"prefix"`
	// Name identifies this node's connection in NATS monitoring.
	Name string `yaml:"name"`
	// ConnectTimeout bounds starting the embedded server and connecting.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// RequestTimeout bounds a request whose context has no deadline.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// DrainTimeout bounds how long Close waits for pending messages and
	// running handlers before it closes the connection anyway.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
}

// DefaultConfig returns an embedded, non-listening bus.
func DefaultConfig() Config {
	return Config{
		Prefix:         DefaultPrefix,
		Name:           "lordgame",
		ConnectTimeout: 5 * time.Second,
		RequestTimeout: 5 * time.Second,
		DrainTimeout:   10 * time.Second,
	}
}

// Validate rejects settings that cannot work.
func (c Config) Validate() error {
	switch {
	case !validSubject(c.Prefix, false):
		return fmt.Errorf("cluster: prefix %q is not a subject without wildcards", c.Prefix)
	case c.URL != "" && c.Listen != "":
		return errors.New("cluster: listen applies only to the embedded server, not with url")
	case c.ConnectTimeout <= 0 || c.RequestTimeout <= 0 || c.DrainTimeout <= 0:
		return errors.New("cluster: connect_timeout, request_timeout and drain_timeout must be positive")
	}
	if c.Listen != "" {
		if _, _, err := splitListen(c.Listen); err != nil {
			return err
		}
	}
	return nil
}

// splitListen parses Listen into the host and port nats-server expects,
// turning port 0 into its "random port" value.
func splitListen(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: listen %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("cluster: listen %q: bad port", addr)
	}
	if port == 0 {
		port = -1 // server.RANDOM_PORT
	}
	return host, port, nil
}
