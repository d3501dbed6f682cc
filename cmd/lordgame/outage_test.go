package main

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
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
		code := readyz(t, addr)
		if code == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after %v, want %d", code, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
