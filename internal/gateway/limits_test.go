package gateway_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

func rawTCP(t *testing.T, ts *testServer) *raw {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.tcp, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return newRaw(t, conn)
}

// expectKick reads until the kick frame and then the end of the stream.
func expectKick(t *testing.T, r *raw, reason string) {
	t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		f, err := r.r.Next(nil)
		if err != nil {
			t.Fatalf("connection ended without a %s kick: %v", reason, err)
		}
		if f.Kind != transport.KindKick {
			continue
		}
		var k pb.Kick
		if err := proto.Unmarshal(f.Body, &k); err != nil {
			t.Fatal(err)
		}
		if k.Reason != reason {
			t.Fatalf("kick reason = %q, want %q", k.Reason, reason)
		}
		if _, err := r.r.Next(nil); err == nil {
			t.Fatal("connection still open after kick")
		}
		return
	}
}

func expectClosed(t *testing.T, r *raw) {
	t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := r.r.Next(nil); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("connection not closed by the server")
			}
			return
		}
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.Session.HeartbeatInterval = 100 * time.Millisecond
		c.Session.MissedHeartbeats = 2
	}, nil)
	r := rawTCP(t, ts)
	if ack := r.handshake(1); ack.Kind != transport.KindHandshakeAck || ack.Flags != 0 {
		t.Fatalf("ack = %+v", ack)
	}
	// A heartbeat is answered with a heartbeat.
	r.send(transport.KindHeartbeat, 0, 0, 0, nil)
	if f := r.next(); f.Kind != transport.KindHeartbeat {
		t.Fatalf("heartbeat answer = %+v", f)
	}
	start := time.Now()
	expectKick(t, r, "heartbeat_timeout")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("closed after %v, before two missed beats", d)
	}
	waitMetric(t, ts, "lordgame_disconnects_total", "heartbeat_timeout", 1)
}

func TestClientHeartbeatsKeepSessionAlive(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.Session.HeartbeatInterval = 50 * time.Millisecond
		c.Session.MissedHeartbeats = 3
	}, nil)
	c := dial(t, ts.ws, client.Options{})
	time.Sleep(400 * time.Millisecond)
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatalf("after idle with heartbeats: %v", err)
	}
}

func TestHandshakeRules(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.Session.HandshakeTimeout = 200 * time.Millisecond }, nil)
	t.Run("timeout", func(t *testing.T) {
		r := rawTCP(t, ts)
		expectClosed(t, r)
	})
	t.Run("request first", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.send(transport.KindRequest, 0, 1, 1, nil)
		f := r.next()
		if f.Kind != transport.KindHandshakeAck || f.Flags != transport.FlagError || r.errCode(f) != pb.Code_CODE_BAD_REQUEST {
			t.Fatalf("got %+v", f)
		}
		expectClosed(t, r)
	})
	t.Run("wrong version", func(t *testing.T) {
		r := rawTCP(t, ts)
		f := r.handshake(99)
		var e pb.Error
		_ = proto.Unmarshal(f.Body, &e)
		if f.Flags != transport.FlagError || e.Code != pb.Code_CODE_BAD_REQUEST || !strings.Contains(e.Message, "99") {
			t.Fatalf("got %+v %v", f, &e)
		}
		expectClosed(t, r)
	})
	t.Run("oversize frame", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.handshake(1)
		// a header announcing 16 MiB: refused before any allocation
		hdr := []byte{1, 0, 0, 0, byte(transport.KindRequest), 0, 0, 2, 0, 0, 0, 1}
		if _, err := r.conn.Write(hdr); err != nil {
			t.Fatal(err)
		}
		expectKick(t, r, "protocol_error")
	})
	t.Run("truncated frame then silence", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.handshake(1)
		if _, err := r.conn.Write([]byte{0, 0, 0, 10, 3, 0}); err != nil {
			t.Fatal(err)
		}
		_ = r.conn.(*net.TCPConn).CloseWrite()
		expectClosed(t, r)
	})
	t.Run("bad kind", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.handshake(1)
		r.send(transport.KindResponse, 0, 1, 1, nil)
		expectKick(t, r, "protocol_error")
	})
}

func TestSlowConsumerEvicted(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.Session.SendQueue = 16 }, nil)
	r := rawTCP(t, ts)
	r.handshake(1)
	body, _ := proto.Marshal(&pb.Echo{Data: make([]byte, 4096)})
	r.send(transport.KindRequest, 0, 53, 1, body) // test.flood: 10,000 pushes, never read
	deadline := time.Now().Add(5 * time.Second)
	for metric(t, ts.reg, "lordgame_send_queue_drops_total", "") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("slow consumer not evicted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Another session is unaffected.
	c := dial(t, ts.tcp, client.Options{})
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatal(err)
	}
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, r.conn); err != nil {
		t.Fatalf("evicted connection did not end cleanly: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.Session.RatePerSecond = 5
		c.Session.RateBurst = 5
		c.Session.RateStrikes = 10
	}, nil)
	c := dial(t, ts.tcp, client.Options{})
	var limited int
	var kicked error
	for i := 0; i < 40; i++ {
		err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		var ce *client.Error
		var k *client.Kicked
		switch {
		case errors.As(err, &ce) && ce.Code == "rate_limited":
			limited++
		case errors.As(err, &k), errors.Is(err, client.ErrDisconnected):
			kicked = err
		case err != nil:
			t.Fatalf("request %d: %v", i, err)
		}
		if kicked != nil {
			break
		}
	}
	if limited < 5 {
		t.Errorf("rate_limited answers = %d, want several", limited)
	}
	if kicked == nil {
		t.Error("repeat offender was not disconnected")
	}
	waitMetric(t, ts, "lordgame_rate_limited_total", "", 10)
}

func TestMaxConnections(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.MaxConns = 2 }, nil)
	dial(t, ts.tcp, client.Options{})
	dial(t, ts.ws, client.Options{})
	_, err := client.Dial(t.Context(), ts.tcp, client.Options{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "unavailable" || ce.Rule != "server_full" {
		t.Fatalf("third connection: err = %v, want unavailable/server_full", err)
	}
}

func TestMaxConnectionsPerIP(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.MaxConnsPerIP = 1 }, nil)
	dial(t, ts.tcp, client.Options{})
	_, err := client.Dial(t.Context(), ts.ws, client.Options{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "rate_limited" {
		t.Fatalf("second connection from one address: err = %v, want rate_limited", err)
	}
}

func TestMaxInFlight(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.Session.MaxInFlight = 2 }, nil)
	c := dial(t, ts.tcp, client.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- c.Request(t.Context(), "test.slow", &pb.PingReq{}, &pb.PingResp{}) }()
	}
	time.Sleep(100 * time.Millisecond)
	err := c.Request(t.Context(), "test.slow", &pb.PingReq{}, &pb.PingResp{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "rate_limited" {
		t.Fatalf("third in-flight request: err = %v, want rate_limited", err)
	}
	close(ts.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("slow request: %v", err)
		}
	}
}

func TestPushes(t *testing.T) {
	ts := start(t, nil, nil)
	for name, tg := range targets(ts) {
		t.Run(name, func(t *testing.T) {
			opt := tg.opt
			opt.Token = map[string]string{"ws": "user-7", "ws-json": "user-8", "tcp": "user-9", "tcp-enc": "user-10"}[name]
			c := dial(t, tg.url, opt)
			got := make(chan string, 1)
			c.On("test.push", func(p client.Push) {
				var e pb.Echo
				if err := p.Decode(&e); err != nil {
					got <- "decode: " + err.Error()
					return
				}
				got <- e.Text
			})
			uid := int64(map[string]int{"ws": 7, "ws-json": 8, "tcp": 9, "tcp-enc": 10}[name])
			if err := ts.gw.PushUser(uid, "test.push", &pb.Echo{Text: "hi " + name}); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s != "hi "+name {
					t.Fatalf("push = %q", s)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no push")
			}
		})
	}
}

func TestGracefulShutdown(t *testing.T) {
	ts := start(t, nil, nil)
	c := dial(t, ts.ws, client.Options{})
	kicked := make(chan struct{})
	res := make(chan error, 1)
	go func() { res <- c.Request(context.Background(), "test.slow", &pb.PingReq{}, &pb.PingResp{}) }()
	time.Sleep(100 * time.Millisecond)
	done := make(chan struct{})
	go func() { ts.stop(); close(done) }()
	time.Sleep(100 * time.Millisecond)
	close(ts.block) // the in-flight request finishes during the drain
	if err := <-res; err != nil {
		t.Fatalf("in-flight request during shutdown: %v", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	close(kicked)
	err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
	if err == nil {
		t.Fatal("request after shutdown succeeded")
	}
}

// waitMetric waits until a metric reaches at least want: the server counts
// a close after the client has seen it.
func waitMetric(t *testing.T, ts *testServer, name, label string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := metric(t, ts.reg, name, label)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s{%s} = %v, want at least %v", name, label, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
