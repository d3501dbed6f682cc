package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/proto/gen/pb"
	"google.golang.org/protobuf/proto"
)

// proxiedDSN puts a cutProxy of the test's own between dsn and its
// PostgreSQL, so the test can cut the database off without touching the
// machine's server.
func proxiedDSN(t *testing.T, dsn string) (string, *cutProxy) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newCutProxy(t, u.Host)
	u.Host = p.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String(), p
}

// readyz is the status /readyz answers at addr.
func readyz(t *testing.T, addr string) int {
	t.Helper()
	code, err := httpGet("http://" + addr + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	return code
}

// TestDatabaseOutage cuts the server off PostgreSQL (through a proxy of
// its own): realtime routes that need the database answer unavailable,
// quickly, not internal; /readyz fails; once the database is back, the
// same routes work and /readyz is ready again without a restart.
func TestDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn, proxy := proxiedDSN(t, postgresDSN(t))
	s, _, _ := startServer(t, "-db", dsn)
	tok, _ := guest(t, s.HTTPAddr(), "device-outage-1")
	c, err := client.Dial(t.Context(), "tcp://"+s.TCPAddr(), client.Options{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	calls := []struct {
		route     string
		req, resp proto.Message
	}{
		{"match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}},
		{"chat.open", &pb.ChatOpenReq{Kind: "world"}, &pb.ChatOpenResp{}},
		{"ddz.game", &pb.DdzGameReq{GameId: "123456789"}, &pb.DdzGameRecord{}},
	}
	if code := readyz(t, s.HTTPAddr()); code != 200 {
		t.Fatalf("/readyz before the outage: %d", code)
	}

	proxy.Cut()
	for _, call := range calls {
		start := time.Now()
		err := c.Request(t.Context(), call.route, call.req, call.resp)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != "unavailable" {
			t.Errorf("%s with the database down: %v, want unavailable", call.route, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s with the database down took %v", call.route, took)
		}
	}
	// A probe's answer stands for a second (dbProbeEvery).
	waitReadyz(t, s.HTTPAddr(), 503, 5*time.Second)
	if code, _ := httpGet("http://" + s.MetricsAddr() + "/readyz"); code != 503 {
		t.Errorf("/readyz on the metrics address with the database down: %d, want 503", code)
	}
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Errorf("sys.ping with the database down: %v", err)
	}

	proxy.Restore()
	waitReadyz(t, s.HTTPAddr(), 200, 10*time.Second)
	for _, call := range calls[:2] {
		if err := c.Request(t.Context(), call.route, call.req, call.resp); err != nil {
			t.Errorf("%s after the database came back: %v", call.route, err)
		}
	}
	var ce *client.Error
	if err := c.Request(t.Context(), "ddz.game", calls[2].req, calls[2].resp); !errors.As(err, &ce) || ce.Code != "not_found" {
		t.Errorf("ddz.game of an unknown game after the outage: %v, want not_found", err)
	}
}

// waitReadyz waits until /readyz at addr answers want.
func waitReadyz(t *testing.T, addr string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, _ := httpGet("http://" + addr + "/readyz") // 0 while nothing listens
		if code == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after %v, want %d", code, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNATSDownAtStart starts a node whose external NATS (a proxy of the
// test's own in front of the machine's NATS) refuses connections: the node
// does not exit, answers /healthz ok and /readyz 503 (and the API
// unavailable) while it retries, and becomes ready by itself once NATS
// accepts connections.
func TestNATSDownAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("needs NATS")
	}
	natsURL := os.Getenv("LORDGAME_TEST_NATS")
	if natsURL == "" {
		t.Skip("set LORDGAME_TEST_NATS (e.g. nats://127.0.0.1:4222)")
	}
	proxy := newCutProxy(t, strings.TrimPrefix(natsURL, "nats://"))
	proxy.Cut() // closed from the start
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "lgdown" + hex.EncodeToString(b[:])
	t.Cleanup(func() { deleteBuckets(t, natsURL, prefix) })
	addr := freeAddr(t)
	args := []string{"-http", addr, "-tcp", "off", "-metrics-addr", "127.0.0.1:0", "-data", t.TempDir(), "-log-level", "warn",
		"-nats", "nats://" + proxy.addr, "-nats-prefix", prefix}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *server, 1)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() { done <- run(ctx, args, env(nil), io.Discard, io.Discard, ready); close(stopped) }() // stopped by cancel below
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	})

	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the node exited while NATS was down: %v", err)
		case <-ready:
			t.Fatal("the node said ready while NATS was down")
		default:
		}
		if code, err := httpGet("http://" + addr + "/healthz"); err != nil || code != 200 {
			time.Sleep(50 * time.Millisecond)
			continue // not listening yet
		}
		if code := readyz(t, addr); code != 503 {
			t.Fatalf("/readyz while NATS is down: %d, want 503", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, err := httpGet("http://" + addr + "/healthz"); err != nil || code != 200 {
		t.Fatalf("/healthz while NATS is down: %d %v, want 200", code, err)
	}
	var e map[string]string
	if code := postJSON(t, "http://"+addr+"/v1/auth/guest", "", map[string]string{"device_id": "device-natsdown"}, &e); code != 503 || e["code"] != "unavailable" {
		t.Fatalf("POST /v1/auth/guest while NATS is down: %d %v, want 503 unavailable", code, e)
	}

	proxy.Restore()
	select {
	case s := <-ready:
		if s.HTTPAddr() != addr {
			t.Errorf("serving on %s, want %s", s.HTTPAddr(), addr)
		}
	case err := <-done:
		t.Fatalf("the node exited: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the node not ready 20 s after NATS came back")
	}
	waitReadyz(t, addr, 200, 5*time.Second)
	tok, _ := guest(t, addr, "device-natsdown")
	if tok == "" {
		t.Fatal("no token after start")
	}
}

// deleteBuckets removes the KV buckets a test left under prefix on the
// shared NATS.
func deleteBuckets(t *testing.T, natsURL, prefix string) {
	cfg := cluster.DefaultConfig()
	cfg.Prefix = prefix
	bus, err := cluster.Connect(context.Background(), natsURL, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	defer bus.Close()
	if err := bus.DeleteBuckets(context.Background()); err != nil {
		t.Errorf("cleanup buckets: %v", err)
	}
}

// TestStopWhileWaitingForNATS stops a node that is still waiting for its
// NATS: it exits at once and cleanly, and frees its port.
func TestStopWhileWaitingForNATS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	addr := freeAddr(t)
	args := []string{"-http", addr, "-tcp", "off", "-metrics-addr", "off", "-data", t.TempDir(), "-log-level", "error",
		"-nats", "nats://" + refusing}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env(nil), io.Discard, io.Discard, nil) }() // ends at cancel
	waitReadyz(t, addr, 503, 5*time.Second)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after stop while waiting: %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the node did not stop while waiting for NATS")
	}
	if ln, err := net.Listen("tcp", addr); err != nil {
		t.Errorf("port still taken after stop: %v", err)
	} else {
		_ = ln.Close()
	}
}
