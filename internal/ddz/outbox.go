package ddz

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// Outbox bounds: at most outboxCap cancels wait to be written; each is
// tried again after a backoff from outboxMinWait doubling up to
// outboxMaxWait, until it lands.
const (
	outboxCap     = 4096
	outboxMinWait = 100 * time.Millisecond
	outboxMaxWait = 5 * time.Second
	outboxTry     = 5 * time.Second // deadline of one attempt
)

// outbox writes the cancels of tables that closed while the database did
// not answer (their log could not be written, or the cancel itself
// failed): the players were told at once, and the store learns it as soon
// as it answers again, so no game stays "running" in the store behind a
// table that is gone. It lives in memory, bounded: a cancel that finds it
// full, or that has not landed when the service stops, is logged; that
// game is still "running" in the store and the next start's Recover
// restores it (paused for Config.Grace, cancelled if nobody comes back).
//
// A cancel moves no coins and is idempotent (CancelGameFenced on a
// cancelled game is a no-op), so writing it twice is harmless; a game that
// another node fenced or that was settled meanwhile is left as it is.
type outbox struct {
	st   Store
	log  *slog.Logger
	in   chan cancelJob
	idle chan chan struct{} // flushed: answered when nothing waits
}

type cancelJob struct {
	game, epoch int64
	reason      string
	tries       int
	next        time.Time
}

func newOutbox(st Store, log *slog.Logger) *outbox {
	return &outbox{st: st, log: log, in: make(chan cancelJob, outboxCap), idle: make(chan chan struct{})}
}

// add queues the cancel of game (owner epoch epoch). It never blocks: when
// the outbox is full the cancel is dropped and logged, and false returned.
func (o *outbox) add(game, epoch int64, reason string) bool {
	select {
	case o.in <- cancelJob{game: game, epoch: epoch, reason: reason}:
		return true
	default:
		o.log.Error("cancel outbox full: the game stays running in the store until the next start recovers it",
			"room_id", game, "reason", reason)
		return false
	}
}

// run writes the queued cancels until ctx ends, then tries the ones left
// once more; Service.Run owns it.
func (o *outbox) run(ctx context.Context) {
	var wait []cancelJob
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
				case o.try(ctx, &j):
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
				o.log.Error("cancel outbox full: the game stays running in the store until the next start recovers it",
					"room_id", j.game, "reason", j.reason)
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
func (o *outbox) try(ctx context.Context, j *cancelJob) bool {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outboxTry)
	defer cancel()
	err := o.st.CancelGameFenced(actx, j.game, j.epoch)
	switch {
	case err == nil:
		if j.tries > 0 {
			o.log.Info("cancel written after the database came back", "room_id", j.game, "tries", j.tries+1)
		}
		return true
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrGameClosed), errors.Is(err, store.ErrFenced):
		// Never created, already over, or another node owns it now.
		o.log.Info("cancel not needed", "room_id", j.game, "err", err)
		return true
	}
	if j.tries == 0 {
		o.log.Warn("cancel not written: retrying until the database answers", "room_id", j.game, "err", err)
	}
	j.tries++
	j.next = time.Now().Add(backoff(j.tries, outboxMinWait, outboxMaxWait))
	return false
}

// drain tries every job left once, at shutdown, and logs those that did
// not land.
func (o *outbox) drain(wait []cancelJob) {
	for {
		select {
		case j := <-o.in:
			wait = append(wait, j)
			continue
		default:
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), outboxTry)
	defer cancel()
	for _, j := range wait {
		if !o.try(ctx, &j) {
			o.log.Error("cancel not written before stopping: the game stays running in the store until the next start recovers it",
				"room_id", j.game, "reason", j.reason)
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
