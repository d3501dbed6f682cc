package ddz

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// cancelStore answers CancelGameFenced from a script per game: the errors
// of the first attempts, then nil; it counts the attempts.
type cancelStore struct {
	Store // nil: only CancelGameFenced is used
	mu    sync.Mutex
	fails map[int64][]error
	tries map[int64]int
}

func (c *cancelStore) CancelGameFenced(_ context.Context, id, _ int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tries[id]++
	if f := c.fails[id]; len(f) > 0 {
		c.fails[id] = f[1:]
		return f[0]
	}
	return nil
}

func TestOutbox(t *testing.T) {
	down := fmt.Errorf("store: cancel game: %w", store.ErrUnavailable)
	tests := []struct {
		name  string
		fails []error
		tries int
	}{
		{"lands at once", nil, 1},
		{"database down three times", []error{down, down, down}, 4},
		{"deadline then down", []error{context.DeadlineExceeded, down}, 3},
		{"already settled", []error{store.ErrGameClosed}, 1},
		{"another node has it", []error{store.ErrFenced}, 1},
		{"never created", []error{store.ErrNotFound}, 1},
	}
	st := &cancelStore{fails: map[int64][]error{}, tries: map[int64]int{}}
	for i, tc := range tests {
		st.fails[int64(i+1)] = tc.fails
	}
	o := newOutbox(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { o.run(ctx) })
	defer wg.Wait()
	defer cancel()
	start := time.Now()
	for i := range tests {
		if !o.add(int64(i+1), 1, "store_error") {
			t.Fatalf("add %d refused", i+1)
		}
	}
	select {
	case <-o.flushed(ctx):
	case <-time.After(10 * time.Second):
		t.Fatal("outbox not empty after 10 s")
	}
	// Three failures wait 100, 200 and 400 ms (all jobs share the wait
	// after a failure).
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("flushed after %v: retries did not back off", took)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for i, tc := range tests {
		if got := st.tries[int64(i+1)]; got != tc.tries {
			t.Errorf("%s: %d attempts, want %d", tc.name, got, tc.tries)
		}
	}
}

// TestOutboxFull: the queue is bounded; a cancel that finds it full is
// refused at once, not blocked on.
func TestOutboxFull(t *testing.T) {
	o := newOutbox(&cancelStore{}, slog.New(slog.NewTextHandler(io.Discard, nil))) // not running
	for i := range outboxCap {
		if !o.add(int64(i+1), 0, "x") {
			t.Fatalf("add %d of %d refused", i+1, outboxCap)
		}
	}
	if o.add(outboxCap+1, 0, "x") {
		t.Error("add to a full outbox accepted")
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, time.Second
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {60, time.Second}} {
		if got := backoff(tc.n, lo, hi); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestOutboxStops: at shutdown the writes left are tried once more, and a
// database that still does not answer does not hold the stop up.
func TestOutboxStops(t *testing.T) {
	down := fmt.Errorf("store: cancel game: %w", store.ErrUnavailable)
	st := &cancelStore{fails: map[int64][]error{}, tries: map[int64]int{}}
	for id := range int64(50) {
		st.fails[id+1] = []error{down, down, down, down, down, down, down, down, down, down}
	}
	st.fails[99] = []error{down} // lands at the last attempt
	o := newOutbox(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { o.run(ctx); close(done) }() // ends at cancel below
	o.add(99, 1, "x")
	for id := range int64(50) {
		o.add(id+1, 1, "x")
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(outboxTry + time.Second):
		t.Fatal("the outbox did not stop")
	}
	if took := time.Since(start); took > outboxTry {
		t.Errorf("stopping took %v", took)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.tries[99] != 2 {
		t.Errorf("the write that answers at its second attempt was tried %d times, want 2", st.tries[99])
	}
	for id := range int64(50) {
		// 0, 100 and 300 ms (backing off), then at most once at the stop.
		if n := st.tries[id+1]; n > 4 {
			t.Errorf("game %d tried %d times in 300 ms and the stop", id+1, n)
		}
	}
}
