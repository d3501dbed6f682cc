package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Election makes one node at a time the leader of a name (the cluster's
// matchmaker), through a record in the "leaders" bucket that lives TTL
// after its last renewal. The leader renews it every TTL/3; when it stops
// (dies, freezes, loses NATS) the record expires and a standby takes it.
// A leader that cannot renew for a whole TTL steps down on its own, so two
// leaders overlap by at most the time it takes to notice.
type Election struct {
	kv   KV
	key  string
	self string
	ttl  time.Duration
	log  *slog.Logger
}

// NewElection opens the leaders bucket for name; self identifies this node
// in the record.
func NewElection(ctx context.Context, bus *NATS, name, self string, ttl time.Duration, log *slog.Logger) (*Election, error) {
	kv, err := bus.KV(ctx, Bucket{Name: "leaders", TTL: ttl})
	if err != nil {
		return nil, err
	}
	return &Election{kv: kv, key: name, self: self, ttl: ttl, log: log}, nil
}

// Leader returns the node that leads now, "" when none does.
func (e *Election) Leader(ctx context.Context) (string, error) {
	v, err := e.kv.Get(ctx, e.key)
	if errors.Is(err, ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(v.Value()), nil
}

// Run campaigns until ctx ends. Each time this node is elected it runs
// lead with a context that ends when the leadership does, and waits for it
// to return before campaigning again; follow, when not nil, is called
// after each attempt that found another leader. On the way out it gives
// the record up, so that a standby takes over at once.
func (e *Election) Run(ctx context.Context, lead func(ctx context.Context), follow func()) error {
	tick := time.NewTicker(e.ttl / 3)
	defer tick.Stop()
	for {
		rev, err := e.kv.Create(ctx, e.key, []byte(e.self))
		if err != nil && IsConflict(err) && follow != nil {
			follow()
		}
		if err == nil {
			e.log.Info("elected leader", "name", e.key)
			rev = e.hold(ctx, rev, tick, lead)
			if ctx.Err() != nil {
				dctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_ = e.kv.Delete(dctx, e.key, LastRevision(rev))
				cancel()
				return nil
			}
			e.log.Warn("leadership lost", "name", e.key)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// hold runs lead while renewing the record; it returns the last revision
// once the leadership ends.
func (e *Election) hold(ctx context.Context, rev uint64, tick *time.Ticker, lead func(context.Context)) uint64 {
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { lead(lctx) })
	defer func() { stop(); wg.Wait() }()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return rev
		case <-tick.C:
		}
		next, err := e.kv.Update(ctx, e.key, []byte(e.self), rev)
		switch {
		case err == nil:
			rev, renewed = next, time.Now()
		case IsConflict(err):
			return rev // expired and taken, or deleted
		case time.Since(renewed) >= e.ttl:
			return rev // others may have elected someone meanwhile
		}
	}
}
