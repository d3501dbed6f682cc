package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// dbProbeEvery is how often the database is pinged for /readyz, and the
// deadline of one ping: probes (public or many) read the last answer and
// cost no query of their own.
const dbProbeEvery = time.Second

// dbProbe is the database's last answer to a periodic ping (run). A ping
// that does not answer within dbProbeEvery counts as down.
type dbProbe struct {
	err atomic.Pointer[error] // nil until the first ping answered
}

// run pings db every dbProbeEvery until ctx ends; Server.Run owns it.
func (p *dbProbe) run(ctx context.Context, db *store.DB, log *slog.Logger) {
	tick := time.NewTicker(dbProbeEvery)
	defer tick.Stop()
	var last error
	for first := true; ; first = false {
		pctx, cancel := context.WithTimeout(ctx, dbProbeEvery)
		err := db.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch { // log the changes, not every ping
		case err != nil && (first || last == nil):
			log.Warn("not ready: database unavailable", "err", err)
		case err == nil && !first && last != nil:
			log.Info("database available again")
		}
		last = err
		p.err.Store(&err)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// check is the last ping's answer (nil before the first: a node gets
// ready only after its start used the database).
func (p *dbProbe) check() error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}

// notReady says why the node should get no traffic now ("" when it
// should): still starting (waiting for the cluster bus, recovering
// tables), shutting down, or its database not answering its last ping, so
// /readyz turns ready again by itself once the database is back.
func (s *server) notReady() string {
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
		if err := s.dbUp.check(); err != nil {
			return "not ready: database unavailable"
		}
	}
	return ""
}
