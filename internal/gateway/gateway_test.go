package gateway_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// testServer is a gateway on :0 listeners for WebSocket and TCP.
type testServer struct {
	gw    *gateway.Gateway
	reg   *prometheus.Registry
	ws    string
	tcp   string
	stop  func()
	block chan struct{}
	// identity is the TCP encryption key (SetIdentity).
	identity ed25519.PrivateKey
}

type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, tok string) (gateway.Identity, error) {
	if uid, ok := strings.CutPrefix(tok, "user-"); ok {
		n := int64(0)
		for _, c := range uid {
			n = n*10 + int64(c-'0')
		}
		return gateway.Identity{UserID: n, Roles: []string{"player"}}, nil
	}
	return gateway.Identity{}, status.New(status.Unauthenticated, "token expired")
}

func start(t testing.TB, mutate func(*gateway.Config), register func(*gateway.Router)) *testServer {
	t.Helper()
	return startLogged(t, mutate, register, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startLogged is start with the gateway's logger.
func startLogged(t testing.TB, mutate func(*gateway.Config), register func(*gateway.Router), log *slog.Logger) *testServer {
	t.Helper()
	cfg := gateway.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	ts := &testServer{block: make(chan struct{})}
	gateway.Handle(r, "test.panic", 50, func(context.Context, *session.Session, *pb.PingReq) (*pb.PingResp, error) {
		panic("boom")
	}, gateway.Public())
	gateway.Handle(r, "test.whoami", 51, func(_ context.Context, s *session.Session, _ *pb.PingReq) (*pb.Echo, error) {
		return &pb.Echo{Text: s.ID()}, nil
	})
	gateway.Handle(r, "test.slow", 52, func(ctx context.Context, _ *session.Session, _ *pb.PingReq) (*pb.PingResp, error) {
		select {
		case <-ts.block:
		case <-ctx.Done():
		}
		return &pb.PingResp{ServerTimeMs: 1}, nil
	}, gateway.Public(), gateway.Concurrent())
	gateway.Handle(r, "test.flood", 53, func(_ context.Context, s *session.Session, req *pb.Echo) (*pb.PingResp, error) {
		for range 10000 {
			_ = s.Send(6, 54, "test.push", 0, req)
		}
		return &pb.PingResp{}, nil
	}, gateway.Public())
	gateway.Handle(r, "test.deadline", 55, func(ctx context.Context, _ *session.Session, req *pb.Echo) (*pb.Echo, error) {
		if req.Text == "wait" { // gives up when the deadline passes
			<-ctx.Done()
			return nil, ctx.Err()
		}
		time.Sleep(100 * time.Millisecond) // ignores ctx and answers late
		return req, nil
	}, gateway.Public(), gateway.Timeout(30*time.Millisecond))
	r.PushRoute("test.push", 54)
	if register != nil {
		register(r)
	}
	ts.reg = prometheus.NewRegistry()
	gw, err := gateway.New(cfg, r, fakeAuth{}, log, ts.reg)
	if err != nil {
		t.Fatal(err)
	}
	ts.gw = gw
	// Every test server offers TCP encryption: plain clients must not notice.
	_, ts.identity, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	gw.SetIdentity(ts.identity)
	hs := httptest.NewServer(gw)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = gw.ServeTCP(ctx, ln) }()
	ts.ws = "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	ts.tcp = "tcp://" + ln.Addr().String()
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			sctx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
			defer c2()
			_ = gw.Shutdown(sctx)
			hs.Close()
			wg.Wait()
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

func targets(ts *testServer) map[string]struct {
	url string
	opt client.Options
} {
	return map[string]struct {
		url string
		opt client.Options
	}{
		"ws":      {ts.ws, client.Options{}},
		"ws-json": {ts.ws, client.Options{Codec: "json"}},
		"tcp":     {ts.tcp, client.Options{}},
		"tcp-enc": {ts.tcp, client.Options{ServerKey: ts.identity.Public().(ed25519.PublicKey)}},
	}
}

func dial(t *testing.T, url string, opt client.Options) *client.Client {
	t.Helper()
	c, err := client.Dial(t.Context(), url, opt)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRequests(t *testing.T) {
	ts := start(t, nil, nil)
	for name, tg := range targets(ts) {
		t.Run(name, func(t *testing.T) {
			c := dial(t, tg.url, tg.opt)
			var pong pb.PingResp
			if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pong); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(time.UnixMilli(pong.ServerTimeMs)); d < -time.Second || d > time.Second {
				t.Errorf("server time off by %v", d)
			}
			var echo pb.Echo
			in := &pb.Echo{Data: []byte{0, 1, 2, 255}, Text: "héllo \"quoted\""}
			if err := c.Request(t.Context(), "sys.echo", in, &echo); err != nil {
				t.Fatal(err)
			}
			if string(echo.Data) != string(in.Data) || echo.Text != in.Text {
				t.Errorf("echo = %v, want %v", &echo, in)
			}
			// A panicking handler answers internal and the session lives on.
			err := c.Request(t.Context(), "test.panic", &pb.PingReq{}, &pong)
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Code != "internal" {
				t.Fatalf("panic route: err = %v, want internal", err)
			}
			// Authenticated routes refuse anonymous sessions.
			err = c.Request(t.Context(), "test.whoami", &pb.PingReq{}, &echo)
			if !errors.As(err, &ce) || ce.Code != "unauthenticated" {
				t.Fatalf("whoami anonymous: err = %v, want unauthenticated", err)
			}
			if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pong); err != nil {
				t.Fatalf("after errors: %v", err)
			}
			if err := c.Notify("sys.echo", &pb.Echo{Text: "one way"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAuthAndDuplicateLogin(t *testing.T) {
	ts := start(t, nil, nil)
	_, err := client.Dial(t.Context(), ts.ws, client.Options{Token: "garbage"})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "unauthenticated" {
		t.Fatalf("bad token: err = %v, want unauthenticated", err)
	}
	first := dial(t, ts.ws, client.Options{Token: "user-42"})
	if first.UserID() != "42" {
		t.Fatalf("user id = %q", first.UserID())
	}
	var echo pb.Echo
	if err := first.Request(t.Context(), "test.whoami", &pb.PingReq{}, &echo); err != nil || echo.Text != first.SessionID() {
		t.Fatalf("whoami = %q, %v", echo.Text, err)
	}
	second := dial(t, ts.tcp, client.Options{Token: "user-42"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := first.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		var k *client.Kicked
		if errors.As(err, &k) && k.Reason == "logged_in_elsewhere" || errors.Is(err, client.ErrDisconnected) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first session still alive after second login: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := second.Request(t.Context(), "test.whoami", &pb.PingReq{}, &echo); err != nil {
		t.Fatalf("second session: %v", err)
	}
}

func TestUnknownRouteAndBadBody(t *testing.T) {
	ts := start(t, nil, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.tcp, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw := newRaw(t, conn)
	raw.handshake(1)
	// unknown route id 999
	raw.send(3, 0, 999, 7, nil)
	f := raw.next()
	if f.Kind != 4 || f.Seq != 7 || f.Flags != 1 || raw.errCode(f) != pb.Code_CODE_NOT_FOUND {
		t.Fatalf("unknown route: got %+v code %v", f, raw.errCode(f))
	}
	// garbage protobuf body on sys.echo
	raw.send(3, 0, 2, 8, []byte{0xff, 0xff, 0xff})
	f = raw.next()
	if f.Seq != 8 || raw.errCode(f) != pb.Code_CODE_BAD_REQUEST {
		t.Fatalf("bad body: got %+v code %v", f, raw.errCode(f))
	}
	// sys.echo whose text (field 2) is not UTF-8: refused with a rule
	raw.send(3, 0, 2, 10, []byte{0x12, 0x02, 0xff, 0xfe})
	f = raw.next()
	var e pb.Error
	if err := proto.Unmarshal(f.Body, &e); err != nil || f.Seq != 10 || e.Code != pb.Code_CODE_BAD_REQUEST || e.Rule != "invalid_utf8" {
		t.Fatalf("invalid UTF-8: got %+v %v (%v), want bad_request invalid_utf8", f, &e, err)
	}
	// still usable
	raw.send(3, 0, 1, 9, nil)
	if f = raw.next(); f.Seq != 9 || f.Flags != 0 {
		t.Fatalf("ping after errors: %+v", f)
	}
	if got := metric(t, ts.reg, "lordgame_bad_frames_total", "unknown_route"); got != 1 {
		t.Errorf("bad_frames{unknown_route} = %v, want 1", got)
	}
}

// TestRequestDeadline: a request past its route's deadline is answered
// unavailable "request timed out", whether the handler gave up on ctx or
// finished late, and the session carries on.
func TestRequestDeadline(t *testing.T) {
	ts := start(t, nil, nil)
	for _, target := range []string{ts.ws, ts.tcp} {
		c := dial(t, target, client.Options{})
		for _, text := range []string{"wait", "late"} {
			err := c.Request(t.Context(), "test.deadline", &pb.Echo{Text: text}, &pb.Echo{})
			var se *client.Error
			if !errors.As(err, &se) || se.Code != "unavailable" || !strings.Contains(se.Message, "timed out") {
				t.Errorf("%s %s: err = %v, want unavailable: request timed out", target, text, err)
			}
		}
		if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
			t.Errorf("%s: ping after timeouts: %v", target, err)
		}
	}
}

// TestKeptContextIsCanceled: a handler that hands its context to work
// that outlives the request sees it canceled once the response is sent,
// as with any request context, and it stays usable.
func TestKeptContextIsCanceled(t *testing.T) {
	kept := make(chan context.Context, 1)
	ts := start(t, nil, func(r *gateway.Router) {
		gateway.Handle(r, "test.keep", 56, func(ctx context.Context, _ *session.Session, _ *pb.PingReq) (*pb.PingResp, error) {
			kept <- ctx
			return &pb.PingResp{}, nil
		}, gateway.Public())
	})
	c := dial(t, ts.tcp, client.Options{})
	for range 40 { // more than one chunk of call records
		if err := c.Request(t.Context(), "test.keep", &pb.PingReq{}, &pb.PingResp{}); err != nil {
			t.Fatal(err)
		}
		ctx := <-kept
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a kept request context is not canceled after the response")
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err = %v, want canceled", ctx.Err())
		}
		if dl, ok := ctx.Deadline(); !ok || dl.IsZero() {
			t.Fatal("a kept context lost its deadline")
		}
		_ = fmt.Sprint(ctx) // printing it must not touch the cleared call
	}
}
