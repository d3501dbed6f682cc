package gateway_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestPushUsersRemembersLookups: a push to a user of another gateway reads
// the presence bucket once; the pushes of the next moments go to the same
// gateway without a read (even after the record is gone), and a read
// again once that trust has expired.
func TestPushUsersRemembersLookups(t *testing.T) {
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	game := meshNode(t, bus, cluster.RoleGame, []string{"sys"})
	edge := meshNode(t, bus, cluster.RoleGateway, nil)
	deadline := time.Now().Add(5 * time.Second)
	for !game.Members().Alive(edge.Node()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	presence, err := cluster.NewPresence(t.Context(), bus, edge.Members())
	if err != nil {
		t.Fatal(err)
	}
	const uid = 4242
	msg := &pb.Echo{Text: "hi"}
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); status.CodeOf(err) != status.NotFound {
		t.Fatalf("push to a user connected nowhere: %v, want not_found", err)
	}
	_, _, rev, err := presence.Claim(t.Context(), uid, cluster.Location{Node: edge.Node(), Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); err != nil {
		t.Fatalf("push to a user on the other gateway: %v", err)
	}
	if err := presence.Release(context.Background(), uid, rev); err != nil {
		t.Fatal(err)
	}
	// Remembered: no read, so the release is not seen yet.
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); err != nil {
		t.Fatalf("push within the remembered time: %v", err)
	}
	time.Sleep(gateway.LookedFor + 100*time.Millisecond)
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); status.CodeOf(err) != status.NotFound {
		t.Fatalf("push after the remembered time: %v, want not_found (a new read)", err)
	}
}

// TestMeshStopsUnderCalls: a serving node stopped while another node's
// calls keep arriving answers them or refuses them (unavailable), starts
// no worker once it waits for its running ones (the race detector saw a
// NATS callback still in flight after the unsubscribe add one), and the
// caller never hangs.
func TestMeshStopsUnderCalls(t *testing.T) {
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	edge := meshNode(t, bus, cluster.RoleGateway, nil)
	for round := range 4 {
		game, stop := meshNodeStop(t, bus, cluster.RoleGame, []string{"sys"})
		deadline := time.Now().Add(5 * time.Second)
		for !edge.Members().Alive(game.Node()) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		halt := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-halt:
						return
					default:
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					start := time.Now()
					err := edge.Call(ctx, "sys.echo", 0, &pb.Echo{Text: "x"}, &pb.Echo{})
					cancel()
					switch {
					case err == nil:
						ok.Add(1)
					case status.CodeOf(err) == status.Unavailable:
						refused.Add(1)
					default:
						t.Errorf("round %d: call: %v", round, err)
						return
					}
					if d := time.Since(start); d > 4*time.Second {
						t.Errorf("round %d: a call took %v", round, d)
						return
					}
				}
			}()
		}
		time.Sleep(100 * time.Millisecond)
		stop()
		time.Sleep(50 * time.Millisecond)
		close(halt)
		wg.Wait()
		if ok.Load() == 0 || refused.Load() == 0 {
			t.Errorf("round %d: %d answered, %d refused: want both", round, ok.Load(), refused.Load())
		}
	}
}

// TestPushBatch: a batch of pushes decodes into the users and bodies it
// was built from, an empty body included; a cut batch is an error after
// the pushes before the cut.
func TestPushBatch(t *testing.T) {
	var b []byte
	want := []struct {
		uid  int64
		body string
	}{{1, "a"}, {1 << 40, ""}, {7, string(make([]byte, 300))}}
	for _, p := range want {
		b = gateway.AppendPush(b, p.uid, []byte(p.body))
	}
	i := 0
	if err := gateway.EachPush(b, func(uid int64, body []byte) {
		if uid != want[i].uid || string(body) != want[i].body {
			t.Fatalf("push %d: %d %q", i, uid, body)
		}
		i++
	}); err != nil || i != len(want) {
		t.Fatalf("%d pushes, %v", i, err)
	}
	n := 0
	if err := gateway.EachPush(b[:len(b)-1], func(int64, []byte) { n++ }); err == nil || n != 2 {
		t.Fatalf("a cut batch: %d pushes, %v", n, err)
	}
}

// FuzzEachPush: any bytes decode without a panic, and what decodes
// re-encodes to the same bytes.
func FuzzEachPush(f *testing.F) {
	f.Add(gateway.AppendPush(gateway.AppendPush(nil, 5, []byte("hi")), 1<<50, nil))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		var again []byte
		if err := gateway.EachPush(b, func(uid int64, body []byte) { again = gateway.AppendPush(again, uid, body) }); err == nil && string(again) != string(b) {
			// Varints have more than one encoding: compare by decoding again.
			var n1, n2 int
			_ = gateway.EachPush(b, func(int64, []byte) { n1++ })
			_ = gateway.EachPush(again, func(int64, []byte) { n2++ })
			if n1 != n2 {
				t.Fatalf("%x decoded to %d pushes, re-encoded to %d", b, n1, n2)
			}
		}
	})
}

// TestCallEndsWhenItsNodeLeaves: a call that is not idempotent, waiting on
// a node that leaves the cluster, ends unavailable as soon as the node is
// dropped, not at its deadline; an idempotent one goes to another node.
func TestCallEndsWhenItsNodeLeaves(t *testing.T) {
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var served atomic.Int64
	routes := func(stuck bool) func(r *gateway.Router) {
		return func(r *gateway.Router) {
			block := func(ctx context.Context, _ *session.Session, req *pb.Echo) (*pb.Echo, error) {
				served.Add(1)
				if stuck {
					select { // a node that hangs: it never answers
					case <-release:
					case <-ctx.Done():
					}
				}
				return req, nil
			}
			gateway.Handle(r, "sys.block", 9901, block, gateway.Concurrent(), gateway.Public())
			gateway.Handle(r, "sys.block_again", 9902, block, gateway.Concurrent(), gateway.Idempotent(), gateway.Public())
		}
	}
	// A node that leaves withdraws and is dropped at once; a long
	// DropAfter keeps a heartbeat starved by a loaded machine from
	// dropping a healthy node in the middle of the test (its calls would
	// end too, and a retry find no node).
	mc := cluster.DefaultMembersConfig()
	mc.DropAfter, mc.LeaseTTL = 20*time.Second, 20*time.Second
	node := func(role string, serves []string, stuck bool) (*gateway.Mesh, func(), func()) {
		return meshNodeTimed(t, bus, mc, role, serves, routes(stuck))
	}
	edge, _, _ := node(cluster.RoleGateway, nil, false)
	stuck, leave, stopStuck := node(cluster.RoleGame, []string{"sys"}, true)
	t.Cleanup(stopStuck)
	deadline := time.Now().Add(5 * time.Second)
	for !edge.Members().Alive(stuck.Node()) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	<-stuck.Serving()
	errc := make(chan error, 6)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		errc <- edge.Call(ctx, "sys.block", 0, &pb.Echo{Text: "x"}, &pb.Echo{})
	}()
	for served.Load() == 0 && time.Since(start) < 5*time.Second {
		time.Sleep(5 * time.Millisecond)
	}
	if served.Load() == 0 {
		t.Fatalf("the call never reached its node: %v", <-errc)
	}
	leave()
	select {
	case err := <-errc:
		if status.CodeOf(err) != status.Unavailable {
			t.Fatalf("call to a node that left: %v, want unavailable", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the call ended after %v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call still waits 10 s after its node left")
	}

	// An idempotent call on a node that leaves is served by another.
	fresh, _, _ := node(cluster.RoleGame, []string{"sys"}, false)
	stuck2, leave2, stop2 := node(cluster.RoleGame, []string{"sys"}, true)
	t.Cleanup(stop2)
	deadline = time.Now().Add(5 * time.Second)
	for (!edge.Members().Alive(fresh.Node()) || !edge.Members().Alive(stuck2.Node()) || edge.Members().Alive(stuck.Node())) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	<-fresh.Serving()
	<-stuck2.Serving()
	for i := range 6 { // round-robin: some of these go to the node that hangs
		n := served.Load()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			errc <- edge.Call(ctx, "sys.block_again", 0, &pb.Echo{Text: "y"}, &pb.Echo{})
		}()
		for served.Load() == n && time.Since(start) < 30*time.Second {
			time.Sleep(5 * time.Millisecond)
		}
		if i == 2 {
			leave2()
		}
	}
	for range 6 {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("idempotent call: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("an idempotent call still waits")
		}
	}
}
