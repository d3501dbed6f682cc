package leaderboard

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Feed carries settled games to a Store off the table's goroutine. Its queue is bounded: when
// full, Offer drops the game and counts it (the ranking misses that game; the settlement itself
// is already in the database), so a slow or absent Redis never stalls a table.
type Feed struct {
	store   Store
	log     *slog.Logger
	queue   chan game
	dropped atomic.Int64
	failed  atomic.Int64
}

type game struct {
	at      time.Time
	results []Result
}

// NewFeed returns a feed into s holding at most size games in flight.
func NewFeed(s Store, size int, log *slog.Logger) *Feed {
	return &Feed{store: s, log: log, queue: make(chan game, max(size, 1))}
}

// Offer queues one settled game without blocking; false when the queue was full.
func (f *Feed) Offer(at time.Time, results []Result) bool {
	select {
	case f.queue <- game{at, results}:
		return true
	default:
		f.dropped.Add(1)
		return false
	}
}

// Dropped and Failed count games lost to a full queue and to store errors.
func (f *Feed) Dropped() int64 { return f.dropped.Load() }
func (f *Feed) Failed() int64  { return f.failed.Load() }

// Run records queued games until ctx ends. The caller owns the goroutine running it.
func (f *Feed) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case g := <-f.queue:
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err := f.store.Record(rctx, g.at, g.results); err != nil {
				f.failed.Add(1)
				f.log.Warn("leaderboard record failed", "err", err)
			}
			cancel()
		}
	}
}
