package id_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/id"
)

// fakeClock moves only when told to; Sleep advances it.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept += d
	c.now = c.now.Add(d)
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func newGen(t *testing.T, node int64) (*id.Generator, *fakeClock) {
	t.Helper()
	c := &fakeClock{now: id.Epoch.Add(100 * 24 * time.Hour)}
	g, err := id.NewWithClock(node, c)
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

func next(t *testing.T, g *id.Generator) int64 {
	t.Helper()
	v, err := g.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return v
}

func TestLayout(t *testing.T) {
	g, c := newGen(t, 517)
	v := next(t, g)
	if id.Node(v) != 517 || !id.Time(v).Equal(c.Now()) || v <= 0 {
		t.Errorf("id %d: node %d time %v; want node 517 time %v", v, id.Node(v), id.Time(v), c.Now())
	}
	for _, n := range []int64{-1, id.MaxNode + 1} {
		if _, err := id.New(n); err == nil {
			t.Errorf("New(%d): want an error", n)
		}
	}
}

func TestMonotonic(t *testing.T) {
	tests := []struct {
		name      string
		step      time.Duration // clock change after the first id
		wantErr   bool
		wantSleep time.Duration
	}{
		{"same millisecond", 0, false, 0},
		{"forward", time.Second, false, 0},
		{"back a little waits", -500 * time.Millisecond, false, 500 * time.Millisecond},
		{"back too far refuses", -time.Minute, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := newGen(t, 1)
			first := next(t, g)
			c.set(c.Now().Add(tt.step))
			second, err := g.Next()
			if tt.wantErr {
				if !errors.Is(err, id.ErrClockBackwards) {
					t.Fatalf("err = %v, want ErrClockBackwards", err)
				}
				// Once the clock is back, ids continue above the old ones.
				c.set(c.Now().Add(-tt.step))
				if v := next(t, g); v <= first {
					t.Errorf("after recovery %d <= %d", v, first)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if second <= first {
				t.Errorf("second id %d <= first %d", second, first)
			}
			if c.slept != tt.wantSleep {
				t.Errorf("slept %v, want %v", c.slept, tt.wantSleep)
			}
		})
	}
}

func TestSequenceOverflowWaits(t *testing.T) {
	g, c := newGen(t, 3)
	start := c.Now()
	prev := int64(0)
	for i := range 3 * 4096 {
		v := next(t, g)
		if v <= prev {
			t.Fatalf("id %d: %d <= %d", i, v, prev)
		}
		prev = v
	}
	if got := c.Now().Sub(start); got != 2*time.Millisecond {
		t.Errorf("clock advanced %v for 3*4096 ids, want 2ms of waiting", got)
	}
}

func TestConcurrentUnique(t *testing.T) {
	g, err := id.New(9)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			local := make([]int64, 0, 2000)
			for range 2000 {
				v, err := g.Next()
				if err != nil {
					t.Error(err)
					return
				}
				local = append(local, v)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, v := range local {
				if seen[v] {
					t.Errorf("duplicate id %d", v)
				}
				seen[v] = true
			}
		})
	}
	wg.Wait()
}

func BenchmarkNext(b *testing.B) {
	g, _ := id.New(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next(); err != nil {
			b.Fatal(err)
		}
	}
}
