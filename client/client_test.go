package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// node is a gateway serving WebSocket and TCP on fixed addresses, so a test
// can stop it and start another on the same ports.
type node struct {
	gw    *gateway.Gateway
	hs    *http.Server
	stop  context.CancelFunc
	wg    sync.WaitGroup
	wsURL string
	tcp   string
}

func startNode(t *testing.T, httpAddr, tcpAddr string, routes ...func(*gateway.Router)) *node {
	t.Helper()
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	for _, f := range routes {
		f(r)
	}
	cfg := gateway.DefaultConfig()
	cfg.Session.HeartbeatInterval = 100 * time.Millisecond
	gw, err := gateway.New(cfg, r, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	hl, tl := listenAgain(t, httpAddr), listenAgain(t, tcpAddr)
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{gw: gw, hs: &http.Server{Handler: gw}, stop: cancel,
		wsURL: "ws://" + hl.Addr().String() + "/ws", tcp: "tcp://" + tl.Addr().String()}
	n.wg.Add(2)
	go func() { defer n.wg.Done(); _ = n.hs.Serve(hl) }()
	go func() { defer n.wg.Done(); _ = gw.ServeTCP(ctx, tl) }()
	t.Cleanup(n.shutdown)
	return n
}

// listenAgain listens on addr, trying for a few seconds: a restarted
// node's port may be held a moment longer, by the old listener or by a
// reconnecting client's dial that the kernel connected to itself (its
// ephemeral source port was the very port it dialled, free at that
// instant), which lasts until the client gives that connection up.
func listenAgain(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *node) shutdown() {
	n.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = n.gw.Shutdown(ctx)
	_ = n.hs.Close()
	n.wg.Wait()
}

func TestReconnectAfterServerRestart(t *testing.T) {
	for _, transport := range []string{"ws", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			n := startNode(t, "127.0.0.1:0", "127.0.0.1:0")
			target := n.wsURL
			if transport == "tcp" {
				target = n.tcp
			}
			var states sync.Map
			var connects atomic.Int32
			c, err := client.Dial(t.Context(), target, client.Options{
				Reconnect: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
				OnState: func(s client.State) {
					states.Store(s, true)
					if s == client.StateConnected {
						connects.Add(1)
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			first := c.SessionID()
			httpAddr := n.wsURL[len("ws://") : len(n.wsURL)-len("/ws")]
			tcpAddr := n.tcp[len("tcp://"):]
			n.shutdown()
			startNode(t, httpAddr, tcpAddr)
			deadline := time.Now().Add(10 * time.Second)
			for connects.Load() < 2 {
				if time.Now().After(deadline) {
					t.Fatal("client did not reconnect")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
				t.Fatalf("after reconnect: %v", err)
			}
			if _, ok := states.Load(client.StateReconnecting); !ok {
				t.Error("no reconnecting state reported")
			}
			if c.SessionID() == "" || c.SessionID() == first {
				// a new server does not know the old resume token's key: fresh session
				t.Logf("session %q → %q", first, c.SessionID())
			}
		})
	}
}

func TestResumeKeepsSessionID(t *testing.T) {
	n := startNode(t, "127.0.0.1:0", "127.0.0.1:0")
	c, err := client.Dial(t.Context(), n.tcp, client.Options{Reconnect: true, MinBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := c.SessionID()
	// Drop the connection from the server side without a kick.
	s := n.gw.Session(id)
	if s == nil {
		t.Fatal("session not registered")
	}
	if err := n.gw.Kick(id, "heartbeat_timeout", "test"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		if err == nil && c.SessionID() == id && n.gw.Session(id) != nil && n.gw.Session(id) != s {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session not resumed: id %q → %q, last err %v", id, c.SessionID(), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	n := startNode(t, "127.0.0.1:0", "127.0.0.1:0")
	c, err := client.Dial(t.Context(), n.wsURL, client.Options{Reconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("request after Close: %v", err)
	}
	if err := c.Request(t.Context(), "no.such", &pb.PingReq{}, nil); err == nil {
		t.Fatal("unknown route accepted")
	}
}

func TestDialErrors(t *testing.T) {
	for _, target := range []string{"http://x", "tcp://127.0.0.1:1", "::bad"} {
		if _, err := client.Dial(t.Context(), target, client.Options{DialTimeout: time.Second}); err == nil {
			t.Errorf("Dial(%q) succeeded", target)
		}
	}
	if _, err := client.Dial(t.Context(), "tcp://127.0.0.1:1", client.Options{Codec: "json"}); err == nil {
		t.Error("json over tcp accepted")
	}
}

// TestSendErrors: a message that does not encode fails that one call and
// leaves the connection working; once the server has closed the
// connection, every call fails as a lost connection (the kick, or
// ErrDisconnected), never with a bare socket error.
func TestSendErrors(t *testing.T) {
	n := startNode(t, "127.0.0.1:0", "127.0.0.1:0")
	for _, target := range []string{n.wsURL, n.tcp} {
		c, err := client.Dial(t.Context(), target, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		bad := &pb.Echo{Text: "\xff\xfe"} // not UTF-8: protobuf refuses to encode it
		if err := c.Request(t.Context(), "sys.echo", bad, &pb.Echo{}); err == nil || errors.Is(err, client.ErrDisconnected) {
			t.Fatalf("%s: bad message: %v, want an encoding error", target, err)
		}
		if err := c.Notify("sys.echo", bad); err == nil {
			t.Fatalf("%s: bad notify accepted", target)
		}
		if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
			t.Fatalf("%s: the connection did not survive an encoding error: %v", target, err)
		}
		if err := n.gw.Kick(c.SessionID(), "kicked", "test"); err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
			var k *client.Kicked
			if err == nil {
				continue // sent before the close reached the client
			}
			if !errors.As(err, &k) && !errors.Is(err, client.ErrDisconnected) {
				t.Fatalf("%s: request %d after the server closed: %v", target, i, err)
			}
		}
		_ = c.Close()
	}
}

// TestHandlersSeeThePushOnConnect: a push the server sends as the session
// opens reaches a handler set in Options.Handlers, on WebSocket and TCP.
func TestHandlersSeeThePushOnConnect(t *testing.T) {
	n := startNode(t, "127.0.0.1:0", "127.0.0.1:0", func(r *gateway.Router) { r.PushRoute("test.welcome", 900) })
	n.gw.OnConnect(func(s *session.Session) {
		_ = n.gw.Push(s, "test.welcome", &pb.Echo{Text: "hi"})
	})
	for _, target := range []string{n.wsURL, n.tcp} {
		got := make(chan string, 1)
		c, err := client.Dial(t.Context(), target, client.Options{Handlers: map[string]func(client.Push){
			"test.welcome": func(p client.Push) {
				var e pb.Echo
				if p.Decode(&e) == nil {
					got <- e.Text
				}
			},
		}})
		if err != nil {
			t.Fatal(err)
		}
		// A caller busy after Dial (a handler set with On now would have
		// missed the push already).
		time.Sleep(100 * time.Millisecond)
		select {
		case s := <-got:
			if s != "hi" {
				t.Errorf("%s: welcome %q", target, s)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: the push sent on connect never reached the handler", target)
		}
		_ = c.Close()
	}
}
