package cluster_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/cluster/clustertest"
)

// envNATS names a running NATS server to test against, e.g.
// nats://127.0.0.1:4222.
const envNATS = "LORDGAME_TEST_NATS"

var quiet = slog.New(slog.DiscardHandler)

func embedded(t *testing.T, cfg cluster.Config) *cluster.NATS {
	t.Helper()
	bus, err := cluster.Embedded(t.Context(), cfg, quiet)
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

func TestEmbeddedBus(t *testing.T) {
	clustertest.Run(t, func(t *testing.T) cluster.Bus {
		return embedded(t, cluster.DefaultConfig())
	})
}

func TestExternalBus(t *testing.T) {
	url := os.Getenv(envNATS)
	if url == "" {
		t.Skipf("set %s (e.g. nats://127.0.0.1:4222) to run the bus suite against a real NATS server", envNATS)
	}
	clustertest.Run(t, func(t *testing.T) cluster.Bus {
		bus, err := cluster.Connect(t.Context(), url, cluster.DefaultConfig(), quiet)
		if err != nil {
			t.Fatalf("Connect(%q): %v", url, err)
		}
		t.Cleanup(func() { _ = bus.Close() })
		return bus
	})
}

// TestListen connects a second node to an embedded server that listens,
// which is how the all-in-one binary grows into a cluster.
func TestListen(t *testing.T) {
	cfg := cluster.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	server := embedded(t, cfg)
	url := server.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("ClientURL() = %q, want nats://127.0.0.1:<port>", url)
	}
	client, err := cluster.Connect(t.Context(), url, cluster.DefaultConfig(), quiet)
	if err != nil {
		t.Fatalf("Connect(%q): %v", url, err)
	}
	defer client.Close()

	subject := cluster.NewSubjects("").RPC("slow")
	started := make(chan struct{})
	if _, err := server.Subscribe(subject, cluster.RPCQueue, func(_ context.Context, m *cluster.Msg) {
		close(started)
		time.Sleep(100 * time.Millisecond)
		_ = m.Respond([]byte("done"))
	}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if err := server.Publish(t.Context(), "sync", nil); err != nil { // flushes the subscription
		t.Fatal(err)
	}
	type result struct {
		data []byte
		err  error
	}
	res := make(chan result, 1)
	go func() { // stopped by the request's deadline
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		var r result
		for {
			r.data, r.err = client.Request(ctx, subject, []byte("go"))
			if !errors.Is(r.err, cluster.ErrNoResponders) { // the subscription may not have spread yet
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		res <- r
	}()
	<-started
	// The server node drains while its handler runs: the reply still goes out.
	if err := server.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := <-res
	if r.err != nil || string(r.data) != "done" {
		t.Errorf("Request across nodes during drain = %q, %v; want \"done\", nil", r.data, r.err)
	}
}

// TestRun checks that Run closes the bus when ctx ends and that nothing the
// bus started is left running afterwards.
func TestRun(t *testing.T) {
	before := runtime.NumGoroutine()
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), quiet)
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	if _, err := bus.Subscribe("a.b", "", func(context.Context, *cluster.Msg) {}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx) }() // stopped by cancel below
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if _, err := bus.Request(t.Context(), "a.b", nil); !errors.Is(err, cluster.ErrClosed) {
		t.Errorf("Request after Run returned: err = %v, want ErrClosed", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Run returned, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestRunReturnsAfterClose(t *testing.T) {
	bus := embedded(t, cluster.DefaultConfig())
	done := make(chan error, 1)
	go func() { done <- bus.Run(t.Context()) }() // stopped by Close below
	if err := bus.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after Close = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*cluster.Config)
		ok     bool
	}{
		{"default", func(*cluster.Config) {}, true},
		{"external", func(c *cluster.Config) { c.URL = "nats://127.0.0.1:4222" }, true},
		{"listen", func(c *cluster.Config) { c.Listen = "127.0.0.1:0" }, true},
		{"dotted prefix", func(c *cluster.Config) { c.Prefix = "eu.lordgame" }, true},
		{"empty prefix", func(c *cluster.Config) { c.Prefix = "" }, false},
		{"wildcard prefix", func(c *cluster.Config) { c.Prefix = "lord.*" }, false},
		{"prefix with space", func(c *cluster.Config) { c.Prefix = "lord game" }, false},
		{"listen with url", func(c *cluster.Config) { c.URL, c.Listen = "nats://h:4222", ":4222" }, false},
		{"listen without port", func(c *cluster.Config) { c.Listen = "127.0.0.1" }, false},
		{"zero request timeout", func(c *cluster.Config) { c.RequestTimeout = 0 }, false},
		{"negative drain timeout", func(c *cluster.Config) { c.DrainTimeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cluster.DefaultConfig()
			tt.change(&cfg)
			if err := cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok=%v", cfg, err, tt.ok)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	s := cluster.NewSubjects("p")
	tests := []struct{ got, want string }{
		{s.RPC("ddz.play"), "p.rpc.ddz.play"},
		{s.Push("gw-1"), "p.push.gw-1"},
		{s.Broadcast("world"), "p.bcast.world"},
		{s.Heartbeat(), "p.node.heartbeat"},
		{cluster.Subjects{}.RPC("sys.ping"), "lordgame.rpc.sys.ping"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("subject = %q, want %q", tt.got, tt.want)
		}
	}
}
