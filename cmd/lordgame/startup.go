package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
)

// Backoff between attempts to reach an external NATS at start: doubling
// from busRetryMin up to busRetryMax, each wait jittered by ±20%.
const (
	busRetryMin = 250 * time.Millisecond
	busRetryMax = 10 * time.Second
)

// errStartCancelled means the node was stopped before it had started.
var errStartCancelled = errors.New("stopped before the cluster bus answered")

// connectBus connects the cluster bus. An external NATS that does not
// answer is not fatal: the node listens at once, answers /healthz ok and
// /readyz 503 (and every other request unavailable), and tries again with
// backoff until NATS answers or ctx ends.
func (s *server) connectBus(ctx context.Context) (*cluster.NATS, error) {
	bus, err := cluster.New(ctx, s.cfg.Cluster, s.log)
	if err == nil || s.cfg.Cluster.URL == "" {
		return bus, err
	}
	reason := "not ready: waiting for the cluster bus (NATS)"
	s.startingFor.Store(&reason)
	if err := s.listen(); err != nil {
		return nil, err
	}
	s.startServing(startingHandler(reason))
	wait := busRetryMin
	for attempt := 1; ; attempt++ {
		jittered := time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
		s.log.Warn("cluster bus unreachable: retrying", "attempt", attempt, "retry_in", jittered, "err", err)
		t := time.NewTimer(jittered)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", errStartCancelled, err)
		case <-t.C:
		}
		if bus, err = cluster.New(ctx, s.cfg.Cluster, s.log); err == nil {
			s.log.Info("cluster bus reachable", "attempts", attempt+1)
			reason = "not ready: starting"
			s.startingFor.Store(&reason)
			return bus, nil
		}
		wait = min(2*wait, busRetryMax)
	}
}

// startingHandler answers while the node is not built yet: probes learn
// why, every other request is unavailable.
func startingHandler(reason string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("ok\n"))
		case "/readyz":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(reason + "\n"))
		default:
			w.Header().Set("Retry-After", "1")
			edgeJSONError(w, http.StatusServiceUnavailable, "unavailable", "the server is starting: try again")
		}
	})
}

// switchHandler serves the handler last set; the public listener keeps
// one http.Server from the "starting" answers to the real routes.
type switchHandler struct{ h atomic.Pointer[http.Handler] }

func (sw *switchHandler) set(h http.Handler) { sw.h.Store(&h) }

func (sw *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*sw.h.Load()).ServeHTTP(w, r)
}

// startServing serves h on the public listener (and the metrics mux on
// the metrics listener), or switches the servers already running to h.
// Each server's end (nil after Shutdown) arrives on httpDone and
// metricsDone.
func (s *server) startServing(h http.Handler) (hs, ms *http.Server) {
	if s.hs != nil {
		s.httpFront.set(h)
		if s.ms != nil {
			s.metricsFront.set(s.metricsMux())
		}
		return s.hs, s.ms
	}
	s.httpFront.set(h)
	s.hs = s.httpServer(&s.httpFront)
	s.httpDone = serveIn(s.hs, s.httpLn, "http")
	if s.metricsLn != nil {
		s.metricsFront.set(s.metricsMux())
		s.ms = &http.Server{Handler: &s.metricsFront, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
		s.metricsDone = serveIn(s.ms, s.metricsLn, "metrics http")
	}
	// Stops what newServer started if Run never takes over.
	s.closers = append(s.closers, func() {
		if !s.running {
			_ = s.hs.Close()
			if s.ms != nil {
				_ = s.ms.Close()
			}
		}
	})
	return s.hs, s.ms
}

// serveIn runs hs on ln in a goroutine that ends when hs is shut down
// (by Run, or by close when the node stops while starting).
func serveIn(hs *http.Server, ln net.Listener, name string) <-chan error {
	done := make(chan error, 1)
	go func() {
		err := hs.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else {
			err = fmt.Errorf("%s: %w", name, err)
		}
		done <- err
	}()
	return done
}

// listen opens every listener once: public HTTP (with TLS when set), TCP,
// debug and metrics. On error none stays open.
func (s *server) listen() error {
	if s.httpLn != nil {
		return nil
	}
	var (
		lns []net.Listener
		err error
	)
	fail := func(err error) error {
		for _, ln := range lns {
			_ = ln.Close()
		}
		s.httpLn, s.tcpLn, s.debugLn, s.metricsLn = nil, nil, nil, nil
		return err
	}
	if s.httpLn, err = s.listenHTTP(); err != nil {
		return fail(fmt.Errorf("listen http: %w", err))
	}
	lns = append(lns, s.httpLn)
	if s.cfg.TCP != "" && s.cfg.TCP != "off" {
		if s.tcpLn, err = net.Listen("tcp", s.cfg.TCP); err != nil {
			return fail(fmt.Errorf("listen tcp: %w", err))
		}
		lns = append(lns, s.tcpLn)
	}
	if s.cfg.Debug != "" {
		if s.debugLn, err = net.Listen("tcp", s.cfg.Debug); err != nil {
			return fail(fmt.Errorf("listen debug: %w", err))
		}
		lns = append(lns, s.debugLn)
	}
	if err := s.setupTLS(); err != nil {
		return fail(err)
	}
	if s.metricsLn, err = s.listenMetrics(); err != nil {
		return fail(fmt.Errorf("listen metrics: %w", err))
	}
	return nil
}
