package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// wsConn is a WebSocket client speaking frames by hand, for what the Go
// client cannot do: set request headers, or trust a test certificate.
type wsConn struct {
	t    *testing.T
	conn net.Conn
}

// dialWS upgrades url (ws:// or wss://) with d (its headers, TLS config,
// dial function) and sends the handshake. It returns the connection and the
// handshake answer: an ack, or the error the server refused with.
func dialWS(t *testing.T, d ws.Dialer, url string) (*wsConn, *pb.HandshakeAck, *pb.Error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	d.Timeout = 10 * time.Second
	conn, br, _, err := d.Dial(ctx, url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if br != nil {
		ws.PutReader(br) // the server says nothing before the handshake
	}
	c := &wsConn{t: t, conn: conn}
	f := c.call(&transport.Frame{Kind: transport.KindHandshake}, &pb.Handshake{Version: 1, Codec: "protobuf"})
	if f.Kind != transport.KindHandshakeAck {
		t.Fatalf("handshake answer is a %v frame", f.Kind)
	}
	if f.Flags&transport.FlagError != 0 {
		var e pb.Error
		if err := proto.Unmarshal(f.Body, &e); err != nil {
			t.Fatal(err)
		}
		return c, nil, &e
	}
	var ack pb.HandshakeAck
	if err := proto.Unmarshal(f.Body, &ack); err != nil {
		t.Fatal(err)
	}
	return c, &ack, nil
}

// call sends f with body msg and reads the next frame.
func (c *wsConn) call(f *transport.Frame, msg proto.Message) transport.Frame {
	c.t.Helper()
	var err error
	if f.Body, err = proto.Marshal(msg); err != nil {
		c.t.Fatal(err)
	}
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := wsutil.WriteClientBinary(c.conn, transport.AppendWS(nil, f)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	for {
		msg, op, err := wsutil.ReadServerData(c.conn)
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if op != ws.OpBinary {
			continue
		}
		out, err := transport.DecodeWS(msg, 1<<20)
		if err != nil {
			c.t.Fatalf("decode: %v", err)
		}
		out.Body = bytes.Clone(out.Body)
		return out
	}
}

// echo sends sys.echo (route id from the handshake's route table) and
// returns the answer's text.
func (c *wsConn) echo(ack *pb.HandshakeAck, text string) string {
	c.t.Helper()
	var id uint32
	for _, r := range ack.Routes {
		if r.Name == "sys.echo" {
			id = r.Id
		}
	}
	f := c.call(&transport.Frame{Kind: transport.KindRequest, Route: uint16(id), Seq: 7}, &pb.Echo{Text: text})
	var e pb.Echo
	if f.Kind != transport.KindResponse || f.Flags&transport.FlagError != 0 || proto.Unmarshal(f.Body, &e) != nil {
		c.t.Fatalf("echo answer: %+v", f)
	}
	return e.Text
}

// xff is a dialer that says the client is addr.
func xff(addr string) ws.Dialer {
	return ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"X-Forwarded-For": {addr}})}
}

// guestFrom creates a guest account as if from the client at addr (in
// X-Forwarded-For) and returns the HTTP status.
func guestFrom(t *testing.T, base, addr, device string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/auth/guest", bytes.NewBufferString(`{"device_id":"`+device+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTrustedProxies: behind a trusted proxy (the test itself, on
// 127.0.0.1) two clients get a per-address limit each, on the WebSocket
// and on the HTTP API; a peer that is not trusted is counted by its own
// address whatever its headers say.
func TestTrustedProxies(t *testing.T) {
	limits := []string{"-max-conns-per-ip", "1", "-auth-signups-per-ip", "1"}
	trusted, _, _ := startServer(t, append(limits, "-trusted-proxies", "10.0.0.0/8, 127.0.0.1")...)
	untrusted, _, _ := startServer(t, append(limits, "-trusted-proxies", "10.0.0.0/8")...)
	const alice, bob = "203.0.113.1", "2001:db8::b0b"

	t.Run("websocket, trusted", func(t *testing.T) {
		url := "ws://" + trusted.HTTPAddr() + "/ws"
		a, ack, e := dialWS(t, xff("198.51.100.99, "+alice), url)
		if e != nil {
			t.Fatalf("alice refused: %v", e)
		}
		if _, _, e := dialWS(t, xff(bob), url); e != nil {
			t.Fatalf("bob refused while alice is connected: %v (a limit per client address)", e)
		}
		_, _, e = dialWS(t, xff("192.0.2.1, "+alice), url)
		if e == nil || e.Rule != "too_many_connections_from_address" {
			t.Fatalf("alice's second connection: %v, want too_many_connections_from_address", e)
		}
		if got := a.echo(ack, "hi"); got != "hi" {
			t.Errorf("echo = %q", got)
		}
	})
	t.Run("websocket, untrusted", func(t *testing.T) {
		url := "ws://" + untrusted.HTTPAddr() + "/ws"
		if _, _, e := dialWS(t, xff(alice), url); e != nil {
			t.Fatalf("first connection refused: %v", e)
		}
		_, _, e := dialWS(t, xff(bob), url)
		if e == nil || e.Rule != "too_many_connections_from_address" {
			t.Fatalf("second connection from 127.0.0.1 claiming to be bob: %v, want too_many_connections_from_address", e)
		}
	})
	t.Run("http api, trusted", func(t *testing.T) {
		base := "http://" + trusted.HTTPAddr()
		for _, c := range []struct {
			addr, device string
			want         int
		}{
			{alice, "device-alice-1", 200},
			{bob, "device-bob-1", 200},
			{"1.2.3.4, " + alice, "device-alice-2", 429},
		} {
			if got := guestFrom(t, base, c.addr, c.device); got != c.want {
				t.Errorf("guest %s from %q: %d, want %d", c.device, c.addr, got, c.want)
			}
		}
	})
	t.Run("http api, untrusted", func(t *testing.T) {
		base := "http://" + untrusted.HTTPAddr()
		if got := guestFrom(t, base, alice, "device-u-1"); got != 200 {
			t.Fatalf("first guest: %d", got)
		}
		if got := guestFrom(t, base, bob, "device-u-2"); got != 429 {
			t.Errorf("second guest from 127.0.0.1 claiming to be bob: %d, want 429", got)
		}
	})
}
