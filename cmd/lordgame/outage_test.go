package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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

// outagePlayer is a guest at a table, with the table pushes it got.
type outagePlayer struct {
	c      *client.Client
	uid    int64
	events chan *pb.DdzEvent
	snaps  chan *pb.DdzSnapshot
}

func (p *outagePlayer) event(t *testing.T, kind string, within time.Duration) *pb.DdzEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e := <-p.events:
			if e.Kind == kind {
				return e
			}
		case <-deadline:
			t.Fatalf("player %d: no %q event within %v", p.uid, kind, within)
			return nil
		}
	}
}

// profileCoins is the player's balance as ddz.profile tells it.
func profileCoins(t *testing.T, c *client.Client) int64 {
	t.Helper()
	var pr pb.DdzProfile
	if err := c.Request(t.Context(), "ddz.profile", &pb.DdzProfileReq{}, &pr); err != nil {
		t.Fatalf("ddz.profile: %v", err)
	}
	return pr.Coins
}

// TestTableDatabaseOutage cuts a server off PostgreSQL (a proxy of the
// test's own) under a running table, twice. A short cut: the action that
// hit it answers unavailable, every seat is told ("paused"), and once the
// database is back the action is in the log and the table resumes. A cut
// longer than -ddz-store-grace: the seats are told the game is cancelled
// (reason store_error), the cancel reaches PostgreSQL once it answers
// again, and no coin moved.
func TestTableDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn, proxy := proxiedDSN(t, postgresDSN(t))
	s, _, _ := startServer(t, "-db", dsn, "-ddz-bot-wait", "0s", "-ddz-bid-timeout", "1m", "-ddz-follow-timeout", "1m",
		"-ddz-lead-timeout", "1m", "-ddz-store-grace", "2s")
	ps := make([]*outagePlayer, 3)
	for i := range ps {
		tok, uid := guest(t, s.HTTPAddr(), fmt.Sprintf("device-table-outage-%d", i))
		c, err := client.Dial(t.Context(), "tcp://"+s.TCPAddr(), client.Options{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		p := &outagePlayer{c: c, uid: uid, events: make(chan *pb.DdzEvent, 256), snaps: make(chan *pb.DdzSnapshot, 16)}
		c.On("ddz.event", func(m client.Push) {
			e := &pb.DdzEvent{}
			if m.Decode(e) == nil {
				select {
				case p.events <- e:
				default:
				}
			}
		})
		c.On("ddz.snapshot", func(m client.Push) {
			sn := &pb.DdzSnapshot{}
			if m.Decode(sn) == nil {
				select {
				case p.snaps <- sn:
				default:
				}
			}
		})
		ps[i] = p
	}
	var coins int64
	for _, p := range ps {
		coins += profileCoins(t, p.c)
	}
	for _, p := range ps {
		if err := p.c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
			t.Fatal(err)
		}
	}
	var view [3]*pb.DdzSnapshot
	for i, p := range ps {
		select {
		case view[i] = <-p.snaps:
		case <-time.After(10 * time.Second):
			t.Fatal("no table")
		}
	}
	actor := func() int {
		for i, v := range view {
			if v.Turn == int32(v.Seat) {
				return i
			}
		}
		t.Fatalf("nobody to act: %v", view)
		return -1
	}
	wantStalled := func(what string, err error) {
		t.Helper()
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != "unavailable" || ce.Rule != "game_stalled" {
			t.Fatalf("%s with the database cut: %v, want unavailable (game_stalled)", what, err)
		}
	}

	// A short cut under a bid.
	a := actor()
	proxy.Cut()
	wantStalled("ddz.bid", ps[a].c.Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 1}, &pb.DdzActionResp{}))
	for i, p := range ps {
		if e := p.event(t, "paused", 5*time.Second); e.Reason != "store" || e.Seq != view[i].Seq+1 {
			t.Errorf("player %d: %v, want paused (store) at seq %d", i, e, view[i].Seq+1)
		}
	}
	time.Sleep(300 * time.Millisecond)
	proxy.Restore()
	for i, p := range ps {
		select {
		case view[i] = <-p.snaps:
		case <-time.After(10 * time.Second):
			t.Fatalf("player %d: no snapshot after the database came back", i)
		}
		if len(view[i].Bids) != 1 || view[i].Bids[0].Value != 1 || view[i].Phase != "bidding" {
			t.Errorf("player %d after the short cut: phase %s bids %v, want the bid of 1", i, view[i].Phase, view[i].Bids)
		}
	}
	game := view[0].GameId

	// A cut past the grace under the next bid.
	a = actor()
	proxy.Cut()
	wantStalled("ddz.bid", ps[a].c.Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 3}, &pb.DdzActionResp{}))
	for i, p := range ps {
		paused := p.event(t, "paused", 5*time.Second)
		if e := p.event(t, "cancel", 10*time.Second); e.Reason != "store_error" || e.Seq != paused.Seq+1 {
			t.Errorf("player %d: %v, want cancel (store_error) at seq %d", i, e, paused.Seq+1)
		}
	}
	var ce *client.Error
	if err := ps[0].c.Request(t.Context(), "ddz.game", &pb.DdzGameReq{GameId: game}, &pb.DdzGameRecord{}); !errors.As(err, &ce) || ce.Code != "unavailable" {
		t.Errorf("ddz.game with the database cut: %v, want unavailable", err)
	}
	time.Sleep(time.Second) // the outbox retries meanwhile
	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var rec pb.DdzGameRecord
		err := ps[0].c.Request(t.Context(), "ddz.game", &pb.DdzGameReq{GameId: game}, &rec)
		if err == nil && rec.State == "cancelled" {
			for _, e := range rec.Events {
				if e.Kind == "bid" && e.Value == 3 {
					t.Errorf("the bid that hit the long cut is in the log: %v", e)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("game %s 15 s after the database came back: %v %v, want cancelled", game, rec.State, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var after int64
	for _, p := range ps {
		after += profileCoins(t, p.c)
	}
	if after != coins {
		t.Errorf("coins %d after the outages, %d before", after, coins)
	}
	if err := ps[0].c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
		t.Errorf("match.join after the cancel: %v", err)
	}
}
