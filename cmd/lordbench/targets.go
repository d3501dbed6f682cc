package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// A run may load several servers at once (the nodes of a cluster): -target
// is a comma-separated list and connection i goes to target i mod n, in
// every scenario. Schemes may be mixed; each connection dials its own
// target's transport. -metrics and -pid name where each server's CPU and
// memory are read: one element for all targets, one per target, or (for
// -metrics) none to derive them from ws targets.

// splitList splits a comma-separated flag value. Spaces around an element
// are dropped; an empty element is an error naming its position.
func splitList(flagName, s string) ([]string, error) {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, fmt.Errorf("-%s %q: element %d is empty", flagName, s, i+1)
		}
	}
	return parts, nil
}

// elemError names a list element in an error: by its text, and by its
// position when the list has more than one.
func elemError(flagName string, i, n int, elem string, err error) error {
	if n == 1 {
		return fmt.Errorf("-%s %q: %w", flagName, elem, err)
	}
	return fmt.Errorf("-%s element %d %q: %w", flagName, i+1, elem, err)
}

// parseTargets accepts a list of ws:// and tcp:// URLs on loopback hosts,
// each listed once.
func parseTargets(s string) ([]*url.URL, error) {
	parts, err := splitList("target", s)
	if err != nil {
		return nil, err
	}
	targets := make([]*url.URL, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		u, err := parseTarget(p)
		if err == nil && seen[u.String()] {
			err = fmt.Errorf("listed twice")
		}
		if err != nil {
			return nil, elemError("target", i, len(parts), p, err)
		}
		seen[u.String()] = true
		targets[i] = u
	}
	return targets, nil
}

// parseTarget accepts one ws:// or tcp:// URL on a loopback host.
func parseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "ws", "tcp":
	default:
		return nil, fmt.Errorf("the scheme must be ws or tcp, not %q", u.Scheme)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("needs a port")
	}
	if err := checkLoopback(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// parseMetricsList gives each target its /metrics URL: from s (one URL for
// all targets or one per target) or, when s is empty, derived from the
// target. Unless withPID (the figures come from /proc), deriving is refused
// for a tcp target in a list: its HTTP port is unknown, and every tcp
// target would guess the same 8080.
func parseMetricsList(s string, targets []*url.URL, withPID bool) (urls []string, guessed bool, err error) {
	if s == "" {
		urls = make([]string, len(targets))
		for i, t := range targets {
			if t.Scheme == "tcp" && len(targets) > 1 && !withPID {
				return nil, false, fmt.Errorf("-target element %d %q: a tcp target in a list needs -metrics (or -pid): its HTTP port is not known", i+1, t)
			}
			urls[i] = metricsURL(t)
		}
		return urls, true, nil
	}
	parts, err := splitList("metrics", s)
	if err != nil {
		return nil, false, err
	}
	for i, p := range parts {
		u, err := url.Parse(p)
		if err == nil && u.Scheme != "http" && u.Scheme != "https" {
			err = fmt.Errorf("the scheme must be http or https, not %q", u.Scheme)
		}
		if err == nil {
			err = checkLoopback(u.Hostname())
		}
		if err != nil {
			return nil, false, elemError("metrics", i, len(parts), p, err)
		}
	}
	urls, err = perTarget("metrics", parts, len(targets))
	return urls, false, err
}

// parsePIDs reads -pid: empty for none, else one process for all targets
// or one per target.
func parsePIDs(s string, targets int) ([]int, error) {
	if s == "" || s == "0" {
		return nil, nil
	}
	parts, err := splitList("pid", s)
	if err != nil {
		return nil, err
	}
	for i, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 1 {
			return nil, elemError("pid", i, len(parts), p, fmt.Errorf("not a process id"))
		}
	}
	parts, err = perTarget("pid", parts, targets)
	if err != nil {
		return nil, err
	}
	pids := make([]int, len(parts))
	for i, p := range parts {
		pids[i], _ = strconv.Atoi(p)
	}
	return pids, nil
}

// perTarget expands a list of one element for all targets, or checks that
// it has one per target.
func perTarget(flagName string, parts []string, targets int) ([]string, error) {
	switch len(parts) {
	case targets:
		return parts, nil
	case 1:
		out := make([]string, targets)
		for i := range out {
			out[i] = parts[0]
		}
		return out, nil
	default:
		return nil, fmt.Errorf("-%s has %d elements for %d targets: give one for all or one per target", flagName, len(parts), targets)
	}
}

// checkLoopback refuses any host that is not this machine's loopback.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address: lordbench only loads this machine", host)
	}
	return nil
}

// metricsURL guesses the /metrics URL: the WebSocket listener is the HTTP
// server; a TCP target's HTTP server is assumed on the default port 8080.
func metricsURL(t *url.URL) string {
	host := t.Host
	if t.Scheme == "tcp" {
		host = net.JoinHostPort(t.Hostname(), "8080")
	}
	return "http://" + host + "/metrics"
}

// server is one server process whose CPU and memory lordbench reads, and
// the targets it serves. Targets that share a /metrics URL or a PID (one
// server's ws and tcp listeners, or one -metrics for all) are one server,
// so its figures are read once and a total never counts it twice.
type server struct {
	metrics string
	pid     int
	// guessed: the /metrics URL was derived from tcp targets only, so
	// port 8080 may be another server.
	guessed bool
	targets []int // indexes into options.Targets
}

// servers groups o's targets by the server they are read from, in the
// order of their first target.
func (o options) servers() []*server {
	var out []*server
	byKey := map[string]*server{}
	for i, t := range o.Targets {
		s := &server{metrics: o.Metrics[i], guessed: o.MetricsGuessed && t.Scheme == "tcp"}
		if o.PIDs != nil {
			s.metrics, s.pid = "", o.PIDs[i]
		}
		key := s.source()
		if have, ok := byKey[key]; ok {
			have.guessed = have.guessed && s.guessed
			have.targets = append(have.targets, i)
			continue
		}
		s.targets = []int{i}
		byKey[key] = s
		out = append(out, s)
	}
	return out
}

func (s *server) cpu() serverCPU { return serverCPU{metrics: s.metrics, pid: s.pid} }
func (s *server) mem() memSource { return memSource{metrics: s.metrics, pid: s.pid} }

// source names where the server's figures come from.
func (s *server) source() string {
	if s.pid > 0 {
		return "/proc/" + strconv.Itoa(s.pid)
	}
	return s.metrics
}

// targetNames lists the URLs of the server's targets.
func (s *server) targetNames(o options) []string {
	out := make([]string, len(s.targets))
	for i, t := range s.targets {
		out[i] = o.Targets[t].String()
	}
	return out
}

// targetNames lists every target URL, for the reports.
func (o options) targetNames() []string {
	out := make([]string, len(o.Targets))
	for i, t := range o.Targets {
		out[i] = t.String()
	}
	return out
}
