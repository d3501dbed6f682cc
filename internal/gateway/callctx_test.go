package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type ctxKey struct{}

func newCall(base context.Context, d time.Duration) *callCtx {
	c := &callCtx{base: base, deadline: time.Now().Add(d)}
	c.Route = &Route{Name: "test.route"}
	return c
}

func TestCallCtxDeadline(t *testing.T) {
	base := context.WithValue(context.Background(), ctxKey{}, "v")
	c := newCall(base, 30*time.Millisecond)
	if dl, ok := c.Deadline(); !ok || !dl.Equal(c.deadline) {
		t.Fatalf("Deadline = %v %v", dl, ok)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err before the deadline = %v", err)
	}
	if c.Value(ctxKey{}) != "v" {
		t.Fatal("Value does not reach the base context")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err after the deadline = %v", c.Err())
	}
	if c.Value(ctxKey{}) != "v" {
		t.Fatal("Value lost once Done made the real context")
	}
	if !c.end() {
		t.Fatal("end does not report the timeout")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err after end = %v, want the deadline", c.Err())
	}
}

func TestCallCtxDeadlineWithoutDone(t *testing.T) {
	c := newCall(context.Background(), time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v", c.Err())
	}
	if !c.end() {
		t.Fatal("end does not report the timeout")
	}
}

func TestCallCtxEndCancels(t *testing.T) {
	// A request that ends before its deadline: whoever holds the context
	// sees it canceled, whether Done was asked for before or after.
	c := newCall(context.Background(), time.Hour)
	early := c.Done()
	child, stop := context.WithCancel(c)
	defer stop()
	if c.end() {
		t.Fatal("end reports a timeout an hour early")
	}
	for name, ch := range map[string]<-chan struct{}{"early Done": early, "late Done": c.Done(), "child": child.Done()} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s not closed after end", name)
		}
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want canceled", c.Err())
	}

	lazy := newCall(context.Background(), time.Hour)
	lazy.end()
	select {
	case <-lazy.Done():
	default:
		t.Fatal("Done after end is open")
	}
	if !errors.Is(lazy.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want canceled", lazy.Err())
	}
}

func TestCallCtxBaseCanceled(t *testing.T) {
	base, cancel := context.WithCancel(context.Background())
	c := newCall(base, time.Hour)
	done := c.Done()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed when the gateway's context ends")
	}
	c2 := newCall(base, time.Hour)
	if !errors.Is(c2.Err(), context.Canceled) {
		t.Fatalf("Err = %v", c2.Err())
	}
}

func TestCallSlab(t *testing.T) {
	var s callSlab
	seen := map[*callCtx]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				c := s.get()
				mu.Lock()
				if seen[c] {
					t.Error("a call record handed out twice")
				}
				seen[c] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 4000 {
		t.Fatalf("%d records, want 4000", len(seen))
	}
}
