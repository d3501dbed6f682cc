// Package clustertest is the conformance suite every cluster.Bus passes.
package clustertest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
)

// wait bounds every wait for a message that should arrive.
const wait = 5 * time.Second

// Run checks that the buses newBus returns behave like NATS. newBus is
// called once per subtest and must give a fresh, open bus; Run closes it
// (a second Close by the caller's cleanup must be harmless). Every subtest
// uses its own random subject prefix, so Run may share one NATS server with
// other runs.
func Run(t *testing.T, newBus func(t *testing.T) cluster.Bus) {
	tests := []struct {
		name string
		fn   func(t *testing.T, bus cluster.Bus, p cluster.Subjects)
	}{
		{"RequestReply", testRequestReply},
		{"Timeout", testTimeout},
		{"Cancel", testCancel},
		{"NoResponders", testNoResponders},
		{"FanOut", testFanOut},
		{"Wildcards", testWildcards},
		{"QueueGroup", testQueueGroup},
		{"RequestQueueGroup", testRequestQueueGroup},
		{"RespondWithoutReply", testRespondWithoutReply},
		{"Unsubscribe", testUnsubscribe},
		{"BadSubject", testBadSubject},
		{"Concurrent", testConcurrent},
		{"CloseDrains", testCloseDrains},
		{"Closed", testClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := newBus(t)
			t.Cleanup(func() { _ = bus.Close() })
			prefix := "lgtest." + strings.ToLower(rand.Text())
			tt.fn(t, bus, cluster.NewSubjects(prefix))
		})
	}
}

// subscribe subscribes or fails the test.
func subscribe(t *testing.T, bus cluster.Bus, subject, queue string, h cluster.Handler) cluster.Subscription {
	t.Helper()
	sub, err := bus.Subscribe(subject, queue, h)
	if err != nil {
		t.Fatalf("Subscribe(%q, %q): %v", subject, queue, err)
	}
	return sub
}

// echo answers every request with "re:" and the payload.
func echo(t *testing.T) cluster.Handler {
	return func(_ context.Context, m *cluster.Msg) {
		if err := m.Respond(append([]byte("re:"), m.Data...)); err != nil {
			t.Errorf("Respond: %v", err)
		}
	}
}

// barrier makes sure that every subscription made before it is known to
// the server: a request is answered only after the server has processed
// everything the bus sent before it.
func barrier(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	t.Helper()
	subject := p.Prefix() + ".barrier"
	sub := subscribe(t, bus, subject, "", func(_ context.Context, m *cluster.Msg) { _ = m.Respond(nil) })
	defer func() { _ = sub.Unsubscribe() }()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if _, err := bus.Request(ctx, subject, nil); err != nil {
		t.Fatalf("barrier request: %v", err)
	}
}

// collector gathers payloads from a handler.
type collector struct {
	mu   sync.Mutex
	got  []string
	subj []string
	more chan struct{}
}

func newCollector() *collector { return &collector{more: make(chan struct{}, 1)} }

func (c *collector) handle(_ context.Context, m *cluster.Msg) {
	c.mu.Lock()
	c.got = append(c.got, string(m.Data))
	c.subj = append(c.subj, m.Subject)
	c.mu.Unlock()
	select {
	case c.more <- struct{}{}:
	default:
	}
}

func (c *collector) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

// waitFor waits until c holds n messages.
func (c *collector) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(wait)
	for {
		if got := c.snapshot(); len(got) >= n {
			return got
		}
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("got %d messages, want %d", len(c.snapshot()), n)
		}
	}
}

func testRequestReply(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	subject := p.RPC("sys.echo")
	subscribe(t, bus, subject, cluster.RPCQueue, echo(t))
	barrier(t, bus, p)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	for _, in := range []string{"hello", "", strings.Repeat("x", 64<<10)} {
		got, err := bus.Request(ctx, subject, []byte(in))
		if err != nil {
			t.Fatalf("Request(%.10q): %v", in, err)
		}
		if want := "re:" + in; string(got) != want {
			t.Errorf("Request(%.10q) = %.13q (%d bytes), want %.13q", in, got, len(got), want)
		}
	}
}

func testTimeout(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	subject := p.RPC("silent")
	subscribe(t, bus, subject, "", func(context.Context, *cluster.Msg) {}) // never answers
	barrier(t, bus, p)
	const timeout = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	start := time.Now()
	_, err := bus.Request(ctx, subject, []byte("?"))
	if !errors.Is(err, cluster.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Request to a silent subscriber: err = %v, want ErrTimeout and context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d < timeout-10*time.Millisecond || d > timeout+time.Second {
		t.Errorf("Request with a %v deadline returned after %v", timeout, d)
	}
}

func testCancel(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	subject := p.RPC("silent")
	subscribe(t, bus, subject, "", func(context.Context, *cluster.Msg) {})
	barrier(t, bus, p)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := bus.Request(ctx, subject, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, cluster.ErrTimeout) {
		t.Fatalf("Request cancelled: err = %v, want context.Canceled and not ErrTimeout", err)
	}
}

func testNoResponders(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	start := time.Now()
	_, err := bus.Request(ctx, p.RPC("nobody"), []byte("?"))
	if !errors.Is(err, cluster.ErrNoResponders) {
		t.Fatalf("Request without subscribers: err = %v, want ErrNoResponders", err)
	}
	if d := time.Since(start); d > wait/2 {
		t.Errorf("no responders took %v, want an immediate answer", d)
	}
}

func testFanOut(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	const subs, msgs = 3, 100
	subject := p.Broadcast("lobby")
	cs := make([]*collector, subs)
	for i := range cs {
		cs[i] = newCollector()
		subscribe(t, bus, subject, "", cs[i].handle)
	}
	barrier(t, bus, p)
	var want []string
	for i := range msgs {
		want = append(want, strconv.Itoa(i))
		if err := bus.Publish(t.Context(), subject, []byte(want[i])); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	for i, c := range cs {
		got := c.waitFor(t, msgs)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("subscriber %d got %v, want %v in order", i, got, want)
		}
	}
}

func testWildcards(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	one, rest := newCollector(), newCollector()
	subscribe(t, bus, p.Prefix()+".push.*", "", one.handle)
	subscribe(t, bus, p.Prefix()+".>", "", func(ctx context.Context, m *cluster.Msg) {
		if m.Reply == "" { // not a barrier request
			rest.handle(ctx, m)
		}
	})
	barrier(t, bus, p)
	published := []string{p.Push("gw-1"), p.Push("gw-1") + ".x", p.Heartbeat()}
	for _, s := range published {
		if err := bus.Publish(t.Context(), s, []byte(s)); err != nil {
			t.Fatalf("Publish(%q): %v", s, err)
		}
	}
	got := rest.waitFor(t, len(published))
	if fmt.Sprint(got) != fmt.Sprint(published) {
		t.Errorf("%q got %q, want %q", p.Prefix()+".>", got, published)
	}
	one.waitFor(t, 1)
	barrier(t, bus, p)
	if got = one.snapshot(); len(got) != 1 || got[0] != p.Push("gw-1") {
		t.Errorf("%q got %q, want only %q", p.Prefix()+".push.*", got, p.Push("gw-1"))
	}
	rest.mu.Lock()
	defer rest.mu.Unlock()
	for i, s := range rest.subj {
		if s != rest.got[i] {
			t.Errorf("Msg.Subject = %q for a message published on %q", s, rest.got[i])
		}
	}
}

func testQueueGroup(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	const members, msgs = 3, 300
	subject := p.RPC("work")
	var mu sync.Mutex
	seen := map[string]int{}
	perMember := make([]int, members)
	var total atomic.Int64
	done := make(chan struct{})
	for i := range members {
		subscribe(t, bus, subject, "workers", func(_ context.Context, m *cluster.Msg) {
			mu.Lock()
			seen[string(m.Data)]++
			perMember[i]++
			mu.Unlock()
			if total.Add(1) == msgs {
				close(done)
			}
		})
	}
	all := newCollector() // a plain subscriber beside the group gets everything
	subscribe(t, bus, subject, "", all.handle)
	barrier(t, bus, p)
	for i := range msgs {
		if err := bus.Publish(t.Context(), subject, []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("queue group got %d of %d messages", total.Load(), msgs)
	}
	all.waitFor(t, msgs)
	barrier(t, bus, p) // let any duplicate arrive before counting
	mu.Lock()
	defer mu.Unlock()
	if total.Load() != msgs || len(seen) != msgs {
		t.Errorf("queue group handled %d messages, %d distinct, want %d each exactly once", total.Load(), len(seen), msgs)
	}
	for i, n := range perMember {
		if n == 0 {
			t.Errorf("member %d of %d got none of %d messages (per member %v)", i, members, msgs, perMember)
		}
	}
}

func testRequestQueueGroup(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	const members, reqs = 3, 30
	subject := p.RPC("work")
	var calls atomic.Int64
	for range members {
		subscribe(t, bus, subject, cluster.RPCQueue, func(_ context.Context, m *cluster.Msg) {
			calls.Add(1)
			_ = m.Respond(m.Data)
		})
	}
	barrier(t, bus, p)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	for i := range reqs {
		if _, err := bus.Request(ctx, subject, []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("Request %d: %v", i, err)
		}
	}
	barrier(t, bus, p)
	if n := calls.Load(); n != reqs {
		t.Errorf("%d requests to a queue group of %d ran %d handlers, want %d", reqs, members, n, reqs)
	}
}

func testRespondWithoutReply(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	errc := make(chan error, 1)
	subject := p.Broadcast("x")
	subscribe(t, bus, subject, "", func(_ context.Context, m *cluster.Msg) {
		if m.Reply != "" {
			errc <- fmt.Errorf("published message has Reply %q", m.Reply)
			return
		}
		errc <- m.Respond([]byte("?"))
	})
	barrier(t, bus, p)
	if err := bus.Publish(t.Context(), subject, nil); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, cluster.ErrNoReply) {
			t.Errorf("Respond to a published message: err = %v, want ErrNoReply", err)
		}
	case <-time.After(wait):
		t.Fatal("handler not called")
	}
}

func testUnsubscribe(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	subject := p.Broadcast("x")
	gone, stays := newCollector(), newCollector()
	sub := subscribe(t, bus, subject, "", gone.handle)
	subscribe(t, bus, subject, "", stays.handle)
	barrier(t, bus, p)
	if err := bus.Publish(t.Context(), subject, []byte("before")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	gone.waitFor(t, 1)
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Errorf("second Unsubscribe: %v, want nil", err)
	}
	for range 10 {
		if err := bus.Publish(t.Context(), subject, []byte("after")); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	stays.waitFor(t, 11)
	barrier(t, bus, p)
	time.Sleep(20 * time.Millisecond) // room for a wrong delivery to show
	if got := gone.snapshot(); len(got) != 1 {
		t.Errorf("unsubscribed handler got %q, want only [before]", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	rpc := p.RPC("once")
	sub = subscribe(t, bus, rpc, "", echo(t))
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if _, err := bus.Request(ctx, rpc, nil); !errors.Is(err, cluster.ErrNoResponders) {
		t.Errorf("Request after the only responder unsubscribed: err = %v, want ErrNoResponders", err)
	}
}

func testBadSubject(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	h := func(context.Context, *cluster.Msg) {}
	for _, s := range []string{"", "a..b", ".a", "a.", "a b", p.Prefix() + ".*", p.Prefix() + ".>"} {
		if err := bus.Publish(t.Context(), s, nil); !errors.Is(err, cluster.ErrBadSubject) {
			t.Errorf("Publish(%q): err = %v, want ErrBadSubject", s, err)
		}
		if _, err := bus.Request(t.Context(), s, nil); !errors.Is(err, cluster.ErrBadSubject) {
			t.Errorf("Request(%q): err = %v, want ErrBadSubject", s, err)
		}
	}
	for _, s := range []string{"", "a..b", "a b", "a.b*", "a.>.b"} {
		if _, err := bus.Subscribe(s, "", h); !errors.Is(err, cluster.ErrBadSubject) {
			t.Errorf("Subscribe(%q): err = %v, want ErrBadSubject", s, err)
		}
	}
	if _, err := bus.Subscribe(p.Prefix()+".x", "a b", h); !errors.Is(err, cluster.ErrBadSubject) {
		t.Errorf("Subscribe with queue %q: err = %v, want ErrBadSubject", "a b", err)
	}
}

func testConcurrent(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	const workers, each = 8, 100
	subject := p.RPC("sys.echo")
	for range 2 {
		subscribe(t, bus, subject, cluster.RPCQueue, echo(t))
	}
	barrier(t, bus, p)
	ctx, cancel := context.WithTimeout(t.Context(), 4*wait)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				in := fmt.Sprintf("%d/%d", w, i)
				got, err := bus.Request(ctx, subject, []byte(in))
				if err != nil {
					t.Errorf("Request(%q): %v", in, err)
					return
				}
				if string(got) != "re:"+in {
					t.Errorf("Request(%q) = %q, a reply to another request", in, got)
				}
				if i%10 == 0 { // subscriptions come and go while requests fly
					s, err := bus.Subscribe(p.Broadcast(in), "", func(context.Context, *cluster.Msg) {})
					if err != nil {
						t.Errorf("Subscribe: %v", err)
						return
					}
					if err := bus.Publish(ctx, p.Broadcast(in), nil); err != nil {
						t.Errorf("Publish: %v", err)
					}
					if err := s.Unsubscribe(); err != nil {
						t.Errorf("Unsubscribe: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
}

func testCloseDrains(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	subject := p.Broadcast("slow")
	started := make(chan struct{})
	var finished atomic.Bool
	subscribe(t, bus, subject, "", func(ctx context.Context, m *cluster.Msg) {
		close(started)
		select {
		case <-time.After(100 * time.Millisecond):
			finished.Store(true)
		case <-ctx.Done():
		}
	})
	barrier(t, bus, p)
	if err := bus.Publish(t.Context(), subject, nil); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case <-started:
	case <-time.After(wait):
		t.Fatal("handler not called")
	}
	if err := bus.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !finished.Load() {
		t.Error("Close returned before the running handler finished")
	}
}

func testClosed(t *testing.T, bus cluster.Bus, p cluster.Subjects) {
	sub := subscribe(t, bus, p.Broadcast("x"), "", func(context.Context, *cluster.Msg) {})
	barrier(t, bus, p)
	if err := bus.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := bus.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Errorf("Unsubscribe after Close: %v, want nil", err)
	}
	if err := bus.Publish(t.Context(), p.Broadcast("x"), nil); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Publish after Close: err = %v, want ErrClosed", err)
	}
	if _, err := bus.Request(t.Context(), p.RPC("x"), nil); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Request after Close: err = %v, want ErrClosed", err)
	}
	if _, err := bus.Subscribe(p.RPC("x"), "", func(context.Context, *cluster.Msg) {}); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Subscribe after Close: err = %v, want ErrClosed", err)
	}
}
