package cluster

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestStableAfterPause: a node whose heartbeat loop did not run for a
// while (a SIGSTOP past its drop time) does not trust its view at once,
// nor for a DropAfter after the loop runs again: every other node looks
// silent in it until their heartbeats arrive, and a node taking over
// their tables on that view stole a live node's table (CI, TestClusterFencing).
func TestStableAfterPause(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	bus, err := Embedded(t.Context(), DefaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	cfg := MembersConfig{Heartbeat: 50 * time.Millisecond, DropAfter: 400 * time.Millisecond, LeaseTTL: 2 * time.Second}
	m, err := Join(t.Context(), bus, cfg, NodeInfo{NodeID: -1, Protocol: 1}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitStable := func(what string) time.Duration {
		start := time.Now()
		for !m.Stable() {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: never stable", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	waitStable("at start")
	// The process was paused for 6 heartbeats: the loop's last run is that old.
	m.lastLoop.Store(time.Now().Add(-6 * cfg.Heartbeat).UnixNano())
	if m.Stable() {
		t.Fatal("stable while the heartbeat loop has not run since the pause")
	}
	if d := waitStable("after the pause"); d < cfg.DropAfter-cfg.Heartbeat {
		t.Fatalf("trusted again %v after the pause, want about DropAfter (%v)", d, cfg.DropAfter)
	}
}
