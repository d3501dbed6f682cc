package gateway_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestBurstGetsAnswersAndKick: a client that writes 600 requests at once
// and reads only afterwards (the default limits: 400 burst, 20 strikes)
// gets every answer the server wrote, rate_limited among them, then a kick
// with reason rate_limited and an orderly end of stream, not a reset that
// throws away what the server sent.
func TestBurstGetsAnswersAndKick(t *testing.T) {
	ts := start(t, nil, nil)
	r := rawTCP(t, ts)
	r.handshake(1)
	burst(t, r, 600)
	time.Sleep(200 * time.Millisecond) // the server handles the burst before the client reads a byte
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ok, limited int
	var kick *pb.Kick
	for {
		f, err := r.r.Next(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %d answers (%d rate_limited), kick %v: %v", ok+limited, limited, kick, err)
		}
		switch {
		case f.Kind == transport.KindKick:
			kick = &pb.Kick{}
			_ = proto.Unmarshal(f.Body, kick)
		case f.Kind == transport.KindResponse && f.Flags == transport.FlagError && r.errCode(f) == pb.Code_CODE_RATE_LIMITED:
			limited++
		case f.Kind == transport.KindResponse && f.Flags == 0:
			ok++
		}
	}
	if ok < 400 || limited < 1 || kick == nil || kick.Reason != "rate_limited" {
		t.Fatalf("got %d answers, %d rate_limited, kick %v; want 400+, some, rate_limited", ok, limited, kick)
	}
}

// burst writes n sys.ping requests in one write.
func burst(t *testing.T, r *raw, n int) {
	t.Helper()
	var b bytes.Buffer
	for i := range n {
		b.Write(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: gateway.RouteSysPing, Seq: uint32(i + 1)}))
	}
	if _, err := r.conn.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// TestLeakyBucket: with rate_algorithm leaky the same kind of burst is
// neither refused nor kicked but spread out at the rate.
func TestLeakyBucket(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.Session.RateAlgorithm = session.RateLeaky
		c.Session.RatePerSecond = 1000
	}, nil)
	r := rawTCP(t, ts)
	r.handshake(1)
	began := time.Now()
	burst(t, r, 600)
	for i := range 600 {
		f := r.next()
		if f.Kind != transport.KindResponse || f.Flags != 0 {
			t.Fatalf("answer %d: kind %v flags %d, want a plain response", i+1, f.Kind, f.Flags)
		}
	}
	if took := time.Since(began); took < 500*time.Millisecond {
		t.Errorf("600 requests at 1000/s answered in %v, want about 600ms", took)
	}
	if n := metric(t, ts.reg, "lordgame_rate_limited_total", ""); n != 0 {
		t.Errorf("rate_limited = %v, want 0", n)
	}
}

// TestRouteLimits: a route with a limit of its own refuses past it while
// other routes of the same connection go on; the refusals count as strikes.
func TestRouteLimits(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.RouteLimits = map[string]gateway.RouteLimit{"sys.echo": {PerSecond: 0.5, Burst: 2}}
		c.Session.RateStrikes = 3
	}, nil)
	c := dial(t, ts.tcp, client.Options{})
	echo := func() error { return c.Request(t.Context(), "sys.echo", &pb.Echo{Text: "x"}, &pb.Echo{}) }
	for i := range 2 {
		if err := echo(); err != nil {
			t.Fatalf("echo %d: %v", i+1, err)
		}
	}
	var ce *client.Error
	if err := echo(); !errors.As(err, &ce) || ce.Code != "rate_limited" || !strings.Contains(ce.Message, "sys.echo") {
		t.Fatalf("3rd echo: %v, want rate_limited naming sys.echo", err)
	}
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatalf("ping beside the limited route: %v", err)
	}
	if n := metric(t, ts.reg, "lordgame_route_rate_limited_total", "sys.echo"); n != 1 {
		t.Errorf("route_rate_limited{sys.echo} = %v, want 1", n)
	}
	_ = echo()
	var k *client.Kicked
	if err := echo(); !errors.As(err, &k) && !errors.Is(err, client.ErrDisconnected) {
		// The third strike closes: this request or the next one sees it.
		if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); !errors.As(err, &k) && !errors.Is(err, client.ErrDisconnected) {
			t.Fatalf("after 3 strikes: %v, want the rate_limited kick", err)
		}
	}
}

func TestRouteLimitsConfig(t *testing.T) {
	got, err := gateway.ParseRouteLimits("match.join=2/s:10, chat.send=0.5/s:3")
	if err != nil || len(got) != 2 || got["match.join"] != (gateway.RouteLimit{PerSecond: 2, Burst: 10}) || got["chat.send"].String() != "0.5/s:3" {
		t.Fatalf("ParseRouteLimits = %v, %v", got, err)
	}
	for _, bad := range []string{"match.join", "match.join=2:10", "=2/s:1", "x=0/s:1", "x=2/s:0", "x=a/s:1", "x=Inf/s:1"} {
		if _, err := gateway.ParseRouteLimits(bad); err == nil {
			t.Errorf("ParseRouteLimits(%q) accepted", bad)
		}
	}
	cfg := gateway.DefaultConfig()
	cfg.RouteLimits = map[string]gateway.RouteLimit{"no.such": {PerSecond: 1, Burst: 1}}
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	if _, err := gateway.New(cfg, r, nil, slog.New(slog.DiscardHandler), nil); err == nil || !strings.Contains(err.Error(), "no.such") {
		t.Errorf("a limit on an unknown route: %v, want an error naming it", err)
	}
	cfg.RouteLimits = map[string]gateway.RouteLimit{"sys.echo": {PerSecond: 1}}
	if err := cfg.Validate(); err == nil {
		t.Error("burst 0 accepted")
	}
}

// TestPipelinedRepliesWait: a client that pipelines more requests than the
// send queue holds, within its rate limit, gets every answer: the reader
// waits for the writer instead of closing the client as a slow consumer.
func TestPipelinedRepliesWait(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.Session.SendQueue = 16 }, nil)
	// A push at connect, as the server's services send (presence, notices):
	// the writer goroutine is busy when the requests arrive.
	ts.gw.OnConnect(func(s *session.Session) { _ = ts.gw.Push(s, "test.push", &pb.Echo{Text: "welcome"}) })
	r := rawTCP(t, ts)
	r.handshake(1)
	burst(t, r, 300)
	for i := 0; i < 300; {
		f := r.next()
		if f.Kind == transport.KindPush {
			continue
		}
		if f.Kind != transport.KindResponse || f.Flags != 0 || f.Seq != uint32(i+1) {
			t.Fatalf("answer %d: %+v", i+1, f)
		}
		i++
	}
	if n := metric(t, ts.reg, "lordgame_send_queue_drops_total", ""); n != 0 {
		t.Errorf("slow consumer drops = %v, want 0", n)
	}
}
