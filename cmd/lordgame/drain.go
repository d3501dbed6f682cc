package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runDrain is `lordgame drain`: it tells the node on this machine (its
// metrics listener, which takes the request from loopback only) to drain,
// then waits so that balancers see /readyz fail before the process gets
// SIGTERM. A Kubernetes preStop hook runs it. Draining takes the node out
// of the cluster's choices (no new tables, matches or sessions routed to
// it) and fails /readyz; the node keeps serving what it has until SIGTERM,
// which hands its players, tables and queue to the other nodes.
func runDrain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lordgame drain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the node's drain URL (default: http://127.0.0.1:PORT/drain, PORT from LORDGAME_METRICS_ADDR or the default metrics address)")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait after the node drains, for balancers to stop sending it traffic")
	timeout := fs.Duration("timeout", 3*time.Second, "give up on the request after this long")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: lordgame drain [-url URL] [-wait D] [-timeout D]\n\nMarks the node draining (it fails /readyz and gets no new work), then waits -wait.\nExit status 0 when the node drained, 1 otherwise.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("drain: unexpected argument %q", fs.Arg(0))
	}
	if *timeout <= 0 || *wait < 0 {
		return errors.New("drain: -timeout must be positive and -wait not negative")
	}
	target := *url
	if target == "" {
		addr := getenv(envName("metrics-addr"))
		if addr == "" {
			addr = defaultMetricsAddr
		}
		if addr == "" || addr == "off" {
			return errors.New("drain: the metrics listener is off (-metrics-addr): give -url")
		}
		u, err := localURL(addr, "/drain")
		if err != nil {
			return err
		}
		target = u
	}
	text, err := askNode(ctx, http.MethodPost, target, *timeout)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	fmt.Fprintln(stdout, text)
	select {
	case <-time.After(*wait):
	case <-ctx.Done():
	}
	return nil
}

// handleDrain serves POST /drain on the metrics listener, to callers on
// loopback only (the pod's own preStop hook; not Prometheus or anyone else
// on the private network): the node marks itself draining in the cluster
// and fails /readyz from now on. Draining is for good: the node leaves it
// only by restarting.
func (s *server) handleDrain(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "drain is taken from loopback only\n")
		return
	}
	s.drain(r.Context(), "lordgame drain")
	_, _ = io.WriteString(w, "draining\n")
}

// drain marks the node draining for good, once: /readyz fails from now on
// and the cluster routes no new tables or queue calls to it. by says who
// asked (`lordgame drain`, the admin console).
func (s *server) drain(ctx context.Context, by string) {
	if !s.draining.Swap(true) {
		s.log.Info("draining", "by", by)
		s.members.SetDraining(context.WithoutCancel(ctx))
	}
}
