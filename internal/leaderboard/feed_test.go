package leaderboard

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestFeedDropsWhenFullAndRecordsQueued(t *testing.T) {
	c, _ := NewClock("")
	m := NewMemory(c)
	f := NewFeed(m, 2, slog.New(slog.DiscardHandler))
	at := time.Now()
	if !f.Offer(at, []Result{{"a", 1000, 5}}) || !f.Offer(at, []Result{{"b", 1000, 3}}) {
		t.Fatal("offer into an empty queue failed")
	}
	if f.Offer(at, []Result{{"c", 1000, 1}}) || f.Dropped() != 1 {
		t.Fatalf("third offer into a queue of 2: dropped = %d", f.Dropped())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	for {
		top, _ := m.Top(ctx, Coins, AllTime, at, 10)
		if len(top) == 2 {
			if top[0].Player != "a" || top[1].Player != "b" {
				t.Errorf("top = %v", top)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
