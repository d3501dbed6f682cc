package cluster_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
)

// echoBus is an embedded bus with an echo responder in the RPC queue group.
func echoBus(b *testing.B) (*cluster.NATS, string) {
	b.Helper()
	bus, err := cluster.Embedded(b.Context(), cluster.DefaultConfig(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bus.Close() })
	subject := cluster.NewSubjects("bench").RPC("sys.echo")
	if _, err := bus.Subscribe(subject, cluster.RPCQueue, func(_ context.Context, m *cluster.Msg) {
		_ = m.Respond(m.Data)
	}); err != nil {
		b.Fatal(err)
	}
	return bus, subject
}

// BenchmarkRequestReply measures one in-process request/reply round trip
// through the embedded server, 64-byte payload, one caller at a time.
// Allocations include the server's, which runs in the same process.
func BenchmarkRequestReply(b *testing.B) {
	bus, subject := echoBus(b)
	payload := make([]byte, 64)
	ctx, cancel := context.WithTimeout(b.Context(), time.Hour)
	defer cancel()
	lat := make([]time.Duration, 1<<16) // a ring: the newest samples, no allocations while timing
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := bus.Request(ctx, subject, payload); err != nil {
			b.Fatal(err)
		}
		lat[n%len(lat)] = time.Since(start)
		n++
	}
	lat = lat[:min(n, len(lat))]
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-us")
}

// BenchmarkRequestReplyParallel measures throughput with concurrent callers
// (GOMAXPROCS goroutines) against one responder subscription.
func BenchmarkRequestReplyParallel(b *testing.B) {
	bus, subject := echoBus(b)
	payload := make([]byte, 64)
	ctx, cancel := context.WithTimeout(b.Context(), time.Hour)
	defer cancel()
	b.ReportAllocs()
	start := time.Now()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bus.Request(ctx, subject, payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkPublish measures one-way publishing to one subscriber.
func BenchmarkPublish(b *testing.B) {
	bus, subject := echoBus(b)
	payload := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := bus.Publish(b.Context(), subject, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPresence measures the KV operations behind a login (Claim) and
// behind every push to a user on another node (Lookup), on the embedded
// server.
func BenchmarkPresence(b *testing.B) {
	bus, err := cluster.Embedded(b.Context(), cluster.DefaultConfig(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bus.Close() })
	p, err := cluster.NewPresence(b.Context(), bus, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("claim", func(b *testing.B) {
		b.ReportAllocs()
		uid := int64(0)
		for b.Loop() {
			uid++
			if _, _, _, err := p.Claim(b.Context(), uid%1000+1, cluster.Location{Node: "gw-1", Session: "s"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		b.ReportAllocs()
		uid := int64(0)
		for b.Loop() {
			uid++
			if _, _, err := p.Lookup(b.Context(), uid%1000+1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
