package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// dbProbeEvery is how long one database answer stands for /readyz, so
// probes (public or many) cost at most one query a second.
const dbProbeEvery = time.Second

// dbProbe answers whether the database is up, asking it at most once per
// dbProbeEvery. A probe that does not answer within that time counts as
// down.
type dbProbe struct {
	mu  sync.Mutex
	at  time.Time // guarded by mu: when err was measured
	err error     // guarded by mu
}

func (p *dbProbe) check(ctx context.Context, db *store.DB, log *slog.Logger) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && time.Since(p.at) < dbProbeEvery {
		return p.err
	}
	ctx, cancel := context.WithTimeout(ctx, dbProbeEvery)
	defer cancel()
	err := db.Ping(ctx)
	switch { // log the changes, not every probe
	case err != nil && p.err == nil:
		log.Warn("not ready: database unavailable", "err", err)
	case err == nil && p.err != nil:
		log.Info("database available again")
	}
	p.err, p.at = err, time.Now()
	return err
}

// notReady says why the node should get no traffic now ("" when it
// should): still starting (waiting for the cluster bus, recovering
// tables), shutting down, or its database not answering. The database
// check runs on every probe, so /readyz turns ready again by itself once
// the database is back.
func (s *server) notReady(ctx context.Context) string {
	if !s.ready.Load() {
		if r := s.startingFor.Load(); r != nil {
			return *r
		}
		return "not ready"
	}
	if s.draining.Load() {
		return "not ready: draining"
	}
	if s.ddz != nil && s.ddz.db != nil {
		if err := s.dbUp.check(ctx, s.ddz.db, s.log); err != nil {
			return "not ready: database unavailable"
		}
	}
	return ""
}
