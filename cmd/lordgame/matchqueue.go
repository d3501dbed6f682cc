package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/status"
)

// leaderQueue is the cluster's one logical matchmaking queue: the
// matcher of the elected match node, with every waiting ticket also in the
// "tickets" bucket, so that a standby elected after the leader died takes
// the tickets over. It is the match.Queue of a match node; on a standby it
// answers unavailable.
type leaderQueue struct {
	cur     atomic.Pointer[match.Matcher]
	tickets cluster.KV
	log     *slog.Logger
}

var _ match.Queue = (*leaderQueue)(nil)

var errNoMatcher = status.New(status.Unavailable, "matchmaking is moving to another server: try again")

func newLeaderQueue(ctx context.Context, bus *cluster.NATS, log *slog.Logger) (*leaderQueue, error) {
	kv, err := bus.KV(ctx, cluster.Bucket{Name: "tickets"})
	if err != nil {
		return nil, err
	}
	return &leaderQueue{tickets: kv, log: log}, nil
}

func ticketKey(uid int64) string { return strconv.FormatInt(uid, 10) }

// Join implements match.Queue: queued in the matcher, then kept in the
// bucket before the player hears of it.
func (q *leaderQueue) Join(ctx context.Context, uid int64, mode string, rating int64) (match.Status, error) {
	m := q.cur.Load()
	if m == nil {
		return match.Status{}, errNoMatcher
	}
	st, err := m.Join(ctx, uid, mode, rating)
	if err != nil {
		return st, err
	}
	t := match.Ticket{ID: st.TicketID, UserID: uid, Mode: mode, Rating: rating, Joined: m.Joined(uid)}
	b, _ := json.Marshal(t)
	if _, err := q.tickets.Put(ctx, ticketKey(uid), b); err != nil {
		m.Drop(uid)
		return match.Status{}, status.New(status.Unavailable, "cannot queue you now: try again")
	}
	return st, nil
}

// Cancel implements match.Queue.
func (q *leaderQueue) Cancel(ctx context.Context, uid int64) error {
	m := q.cur.Load()
	if m == nil {
		return errNoMatcher
	}
	if err := m.Cancel(ctx, uid); err != nil {
		return err
	}
	q.forget(ctx, uid)
	return nil
}

// forget removes a ticket that was cancelled or seated.
func (q *leaderQueue) forget(ctx context.Context, uid int64) {
	if err := q.tickets.Delete(ctx, ticketKey(uid)); err != nil {
		q.log.Warn("ticket not deleted", "player_id", uid, "err", err)
	}
}

// lead runs a matcher for one term of leadership: it takes over the
// tickets in the bucket (but those of players who already sit at a table:
// the old leader seated them and died before forgetting them), serves
// until ctx ends, then stands by again.
func (q *leaderQueue) lead(ctx context.Context, m *match.Matcher, seated func(context.Context, int64) (bool, error), serving func()) error {
	lister, err := q.tickets.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	restored := 0
	for k := range lister.Keys() {
		e, err := q.tickets.Get(ctx, k)
		if err != nil {
			continue
		}
		var t match.Ticket
		if json.Unmarshal(e.Value(), &t) != nil {
			continue
		}
		if sat, err := seated(ctx, t.UserID); err == nil && sat {
			q.forget(ctx, t.UserID)
			continue
		}
		if err := m.Restore(t); err != nil && !errors.Is(err, match.ErrAlreadyQueued) {
			q.forget(ctx, t.UserID)
			continue
		}
		restored++
	}
	if restored > 0 {
		q.log.Info("tickets taken over", "tickets", restored)
	}
	q.cur.Store(m)
	defer q.cur.CompareAndSwap(m, nil)
	serving()
	return m.Run(ctx)
}
