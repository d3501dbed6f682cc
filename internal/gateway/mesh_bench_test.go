package gateway_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// meshNode is one node of an in-process cluster: its own gateway and mesh
// on a shared bus, serving the services listed.
func meshNode(b testing.TB, bus *cluster.NATS, role string, serves []string) *gateway.Mesh {
	b.Helper()
	m, stop := meshNodeStop(b, bus, role, serves)
	b.Cleanup(stop)
	return m
}

// meshNodeStop is meshNode with its stop: it ends the node's Run and
// membership and waits for both (a second call does nothing).
func meshNodeStop(b testing.TB, bus *cluster.NATS, role string, serves []string) (*gateway.Mesh, func()) {
	b.Helper()
	m, _, stop := meshNodeWith(b, bus, role, serves, nil)
	return m, stop
}

// meshNodeWith is meshNodeStop with routes of the test's own (register,
// when set, adds them to the node's router) and a second stop that ends
// only the node's membership: to the others it has left the cluster while
// it still serves what it has.
func meshNodeWith(b testing.TB, bus *cluster.NATS, role string, serves []string, register func(*gateway.Router)) (*gateway.Mesh, func(), func()) {
	b.Helper()
	return meshNodeTimed(b, bus, cluster.DefaultMembersConfig(), role, serves, register)
}

// meshNodeTimed is meshNodeWith with the membership timings of mc.
func meshNodeTimed(b testing.TB, bus *cluster.NATS, mc cluster.MembersConfig, role string, serves []string, register func(*gateway.Router)) (*gateway.Mesh, func(), func()) {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	members, err := cluster.Join(b.Context(), bus, mc,
		cluster.NodeInfo{NodeID: -1, Roles: []string{role}, Protocol: gateway.ProtocolVersion}, nil, log)
	if err != nil {
		b.Fatal(err)
	}
	presence, err := cluster.NewPresence(b.Context(), bus, members)
	if err != nil {
		b.Fatal(err)
	}
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	if register != nil {
		register(r)
	}
	place := map[string]gateway.Placement{"sys": {Role: cluster.RoleGame, Strategy: cluster.RoundRobin}}
	m := gateway.NewMesh(r, bus, members, presence, serves, place, log)
	gw, err := gateway.New(gateway.DefaultConfig(), r, nil, log, nil)
	if err != nil {
		b.Fatal(err)
	}
	m.Attach(gw)
	ctx, cancel := context.WithCancel(context.Background())
	mctx, leave := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	left := make(chan struct{})
	go func() { _ = members.Run(mctx); close(left); done <- struct{}{} }() // ended by stop or leave
	go func() { _ = m.Run(ctx); done <- struct{}{} }()                     // ended by stop
	var once sync.Once
	return m, func() { leave(); <-left }, func() { once.Do(func() { cancel(); <-done; <-done }) }
}

// meshPair is a game node serving sys and a gateway node that has seen it
// join, on an embedded NATS of their own.
func meshPair(tb testing.TB) (game, edge *gateway.Mesh) {
	tb.Helper()
	bus, err := cluster.Embedded(tb.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = bus.Close() })
	game = meshNode(tb, bus, cluster.RoleGame, []string{"sys"})
	edge = meshNode(tb, bus, cluster.RoleGateway, nil)
	deadline := time.Now().Add(3 * time.Second)
	for len(edge.Members().WithRole(cluster.RoleGame)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return game, edge
}

// BenchmarkRemoteHop measures one sys.echo call (64-byte payload) made by
// server code through Mesh.Call: "local" runs on the node that serves sys;
// "remote" is forwarded over the embedded NATS to the other node, which
// decodes, runs the handler and answers with headers.
func BenchmarkRemoteHop(b *testing.B) {
	game, edge := meshPair(b)
	req := &pb.Echo{Data: make([]byte, 64)}
	for _, tc := range []struct {
		name string
		m    *gateway.Mesh
	}{{"local", game}, {"remote", edge}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			lat := make([]time.Duration, 1<<16)
			n := 0
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				start := time.Now()
				var resp pb.Echo
				if err := tc.m.Call(ctx, "sys.echo", 0, req, &resp); err != nil {
					b.Fatal(err)
				}
				lat[n%len(lat)] = time.Since(start)
				n++
			}
			// CPU of the whole process per call: both nodes and the
			// NATS server are in it, so this is the hop's full cost.
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/1e3/float64(n), "cpu-us/op")
			lat = lat[:min(n, len(lat))]
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-us")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-us")
		})
	}
}

// BenchmarkRemoteHopParallel is BenchmarkRemoteHop with many callers at
// once (GOMAXPROCS × -cpu-callers goroutines, 64 by default), as a loaded
// gateway forwards: nats.go and the server then coalesce the messages of
// concurrent calls into fewer socket writes and wake-ups.
func BenchmarkRemoteHopParallel(b *testing.B) {
	game, edge := meshPair(b)
	for _, tc := range []struct {
		name string
		m    *gateway.Mesh
	}{{"local", game}, {"remote", edge}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			b.ReportAllocs()
			b.SetParallelism(32)
			cpu0 := processCPU()
			start := time.Now()
			b.RunParallel(func(pb_ *testing.PB) {
				req := &pb.Echo{Data: make([]byte, 64)}
				for pb_.Next() {
					var resp pb.Echo
					if err := tc.m.Call(ctx, "sys.echo", 0, req, &resp); err != nil {
						b.Error(err)
						return
					}
				}
			})
			_ = start
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-us/op")
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
