package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
)

func testMember(t *testing.T, bus *cluster.NATS) (*cluster.Members, context.CancelFunc) {
	t.Helper()
	cfg := cluster.MembersConfig{Heartbeat: 50 * time.Millisecond, DropAfter: 200 * time.Millisecond, LeaseTTL: time.Second}
	m, err := cluster.Join(t.Context(), bus, cfg, cluster.NodeInfo{NodeID: -1, Roles: []string{cluster.RoleGame}, Protocol: 1}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m, func() { cancel(); <-done }
}

// TestAdopt: a node adopts an unfinished table only when nobody owns it or
// its owner is gone, and of two adopters one wins.
func TestAdopt(t *testing.T) {
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	ma, stopA := testMember(t, bus)
	mb, _ := testMember(t, bus)
	mc, _ := testMember(t, bus)
	ctx := t.Context()
	a, err := newSeats(ctx, bus, ma, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newSeats(ctx, bus, mb, nil, nil)
	c, _ := newSeats(ctx, bus, mc, nil, nil)
	deadline := time.Now().Add(2 * time.Second)
	for len(mb.Live()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ok, err := a.Adopt(ctx, 7); !ok || err != nil {
		t.Fatalf("adopt of an unowned table: %v %v, want true", ok, err)
	}
	if ok, err := a.Adopt(ctx, 7); !ok || err != nil {
		t.Fatalf("adopt of an own table: %v %v, want true", ok, err)
	}
	if ok, _ := b.Adopt(ctx, 7); ok {
		t.Fatal("b adopted a table of the live node a")
	}
	if orphans, err := b.Orphans(ctx); err != nil || len(orphans) != 0 {
		t.Fatalf("orphans while a lives: %v %v", orphans, err)
	}
	stopA()
	for mb.Alive(ma.Self().ID) || mc.Alive(ma.Self().ID) {
		if time.Now().After(deadline.Add(2 * time.Second)) {
			t.Fatal("a never dropped out")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if orphans, err := b.Orphans(ctx); err != nil || len(orphans) != 0 && !mb.Stable() {
		t.Fatalf("orphans before b's view is stable: %v %v, want none", orphans, err)
	}
	for !mb.Stable() {
		time.Sleep(10 * time.Millisecond)
	}
	if orphans, err := b.Orphans(ctx); err != nil || len(orphans) != 1 || orphans[0] != 7 {
		t.Fatalf("orphans after a left: %v %v, want [7]", orphans, err)
	}
	okB, errB := b.Adopt(ctx, 7)
	okC, errC := c.Adopt(ctx, 7)
	if errB != nil || errC != nil || okB == okC {
		t.Fatalf("after a left: b adopted %v (%v), c adopted %v (%v); want exactly one", okB, errB, okC, errC)
	}
}
