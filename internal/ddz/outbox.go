package ddz

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// Outbox bounds: at most outboxCap writes wait to be written; each is
// tried again after a backoff from outboxMinWait doubling up to
// outboxMaxWait, until it lands.
const (
	outboxCap     = 4096
	outboxMinWait = 100 * time.Millisecond
	outboxMaxWait = 5 * time.Second
	outboxTry     = 5 * time.Second // deadline of one attempt
)

// outbox makes the writes that end a game (a cancel, a settlement) land
// although the database did not answer when the table ended: the table
// closes and its seats are told at once, the outbox retries the write
// until it lands, so no game stays "running" in the store behind a table
// that is gone. It lives in memory, bounded: a write that finds it full,
// or that has not landed when the service stops, is logged; that game is
// still "running" in the store and the next start's Recover settles it
// (its end is in the log) or restores it (paused for Config.Grace,
// cancelled if nobody comes back).
//
// Both writes are idempotent: CancelGameFenced on a cancelled game is a
// no-op, and SettleGame settles a game once (its ledger entries are keyed
// by game and seat; a second call returns the first result), so an
// attempt whose answer was lost does no harm when it is made again. A game
// that another node fenced, or that was closed meanwhile, is left as it is.
type outbox struct {
	st      Store
	log     *slog.Logger
	in      chan outboxJob
	idle    chan chan struct{} // flushed: answered when nothing waits
	waiting atomic.Int64       // jobs added and not done with
}

// outboxJob is one write for game: do makes it (once per attempt).
type outboxJob struct {
	game  int64
	what  string // for the logs: "cancel", "settle"
	do    func(ctx context.Context) error
	tries int
	next  time.Time
}

func newOutbox(st Store, log *slog.Logger) *outbox {
	return &outbox{st: st, log: log, in: make(chan outboxJob, outboxCap), idle: make(chan chan struct{})}
}

// add queues the cancel of game (owner epoch epoch). It never blocks: when
// the outbox is full the cancel is dropped and logged, and false returned.
func (o *outbox) add(game, epoch int64, reason string) bool {
	return o.addJob(outboxJob{game: game, what: "cancel " + reason, do: func(ctx context.Context) error {
		return o.st.CancelGameFenced(ctx, game, epoch)
	}})
}

// addJob queues j; false (and logged) when the outbox is full.
func (o *outbox) addJob(j outboxJob) bool {
	select {
	case o.in <- j:
		o.waiting.Add(1)
		return true
	default:
		o.full(j)
		return false
	}
}

func (o *outbox) full(j outboxJob) {
	o.log.Error("game outbox full: the game stays running in the store until the next start recovers it",
		"room_id", j.game, "write", j.what)
}

// run writes the queued cancels until ctx ends, then tries the ones left
// once more; Service.Run owns it.
func (o *outbox) run(ctx context.Context) {
	var wait []outboxJob
	var hold time.Time // after a failed attempt nothing is tried before it
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var idlers []chan struct{}
	for {
		// The due jobs, until one fails (the database is still down: the
		// others wait for the same backoff).
		if now := time.Now(); !now.Before(hold) {
			kept := wait[:0]
			failed := false
			for _, j := range wait {
				switch {
				case failed || j.next.After(now):
				case o.try(context.WithoutCancel(ctx), &j): // an attempt under way at shutdown finishes
					o.waiting.Add(-1)
					continue // landed
				default:
					failed, hold = true, j.next
				}
				kept = append(kept, j)
			}
			wait = kept
		}
		if len(wait) == 0 && len(o.in) == 0 {
			for _, c := range idlers {
				close(c)
			}
			idlers = idlers[:0]
		}
		next := time.Hour
		for _, j := range wait {
			next = min(next, time.Until(j.next))
		}
		if len(wait) > 0 {
			next = max(next, time.Until(hold))
		}
		timer.Reset(max(next, 0))
		select {
		case <-ctx.Done():
			o.drain(wait)
			return
		case j := <-o.in:
			if len(wait) >= outboxCap {
				o.waiting.Add(-1)
				o.full(j)
				continue
			}
			wait = append(wait, j) // next is zero: tried at once
		case c := <-o.idle:
			idlers = append(idlers, c)
		case <-timer.C:
		}
	}
}

// try writes j once; true when it is done with (landed, or nothing left
// to cancel). Otherwise j's next attempt is scheduled.
func (o *outbox) try(ctx context.Context, j *outboxJob) bool {
	actx, cancel := context.WithTimeout(ctx, outboxTry)
	defer cancel()
	err := j.do(actx)
	switch {
	case err == nil:
		if j.tries > 0 {
			o.log.Info("game write landed after the database came back", "room_id", j.game, "write", j.what, "tries", j.tries+1)
		}
		return true
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrGameClosed), errors.Is(err, store.ErrFenced):
		// Never created, already over, or another node owns it now.
		o.log.Info("game write not needed", "room_id", j.game, "write", j.what, "err", err)
		return true
	}
	if j.tries%100 == 0 {
		o.log.Warn("game write failed: retrying until the database answers", "room_id", j.game, "write", j.what, "err", err)
	}
	j.tries++
	j.next = time.Now().Add(backoff(j.tries, outboxMinWait, outboxMaxWait))
	return false
}

// drain tries every job left once, at shutdown, and logs those that did
// not land.
func (o *outbox) drain(wait []outboxJob) {
	for {
		select {
		case j := <-o.in:
			wait = append(wait, j)
			continue
		default:
		}
		break
	}
	// One attempt each within one outboxTry in all, and none after the
	// first failure (the database is still down): stopping is not held up.
	ctx, cancel := context.WithTimeout(context.Background(), outboxTry)
	defer cancel()
	failed := false
	for _, j := range wait {
		if failed || !o.try(ctx, &j) {
			failed = true
			o.log.Error("game write not landed before stopping: the game stays running in the store until the next start recovers it",
				"room_id", j.game, "write", j.what)
		}
	}
}

// flushed returns a channel closed once no cancel waits (for tests and
// the shutdown log); nil when the outbox is not running.
func (o *outbox) flushed(ctx context.Context) <-chan struct{} {
	c := make(chan struct{})
	select {
	case o.idle <- c:
		return c
	case <-ctx.Done():
		return nil
	}
}

// backoff is the wait before attempt n (from 1): min doubled n-1 times,
// at most max.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}
