package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// The abuse tests attack one server as an outsider would, each attack
// bounded in connections and time, all on loopback. The attackers come
// from 127.0.0.2; a normal client beside them (127.0.0.1) must be served
// as if nothing happened, and the server must cut every attacker off
// within its limits.

// abuseServer is a server with short limits, so that the tests end fast.
func abuseServer(t *testing.T) *server {
	s, _, _ := startServer(t,
		"-http-read-header-timeout", "500ms", "-http-read-timeout", "1s", "-http-idle-timeout", "2s",
		"-http-max-conns-per-ip", "20", "-max-conns-per-ip", "20",
		"-handshake-timeout", "1s", "-write-timeout", "1s")
	return s
}

// attacker dials the server from 127.0.0.2.
func attacker(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("attacker dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// bystander is a normal client: an HTTP request, and a sys.ping over
// WebSocket and over TCP, each answered within a second and a half.
func bystander(t *testing.T, s *server) {
	t.Helper()
	const limit = 1500 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	began := time.Now()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.HTTPAddr()+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("bystander: GET /healthz: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(began) > limit {
		t.Errorf("bystander: GET /healthz = %d after %v", resp.StatusCode, time.Since(began))
	}
	for _, url := range []string{"ws://" + s.HTTPAddr() + "/ws", "tcp://" + s.TCPAddr()} {
		began := time.Now()
		c, err := client.Dial(ctx, url, client.Options{})
		if err != nil {
			t.Fatalf("bystander: dial %s: %v", url, err)
		}
		err = c.Request(ctx, "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		_ = c.Close()
		if err != nil || time.Since(began) > limit {
			t.Errorf("bystander: %s sys.ping: %v after %v", url, err, time.Since(began))
		}
	}
}

// allClosed waits until the server has closed every conn, at most limit.
func allClosed(t *testing.T, conns []net.Conn, limit time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	open := make(chan int, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(limit))
			_, err := io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open <- i
			}
		}()
	}
	wg.Wait()
	close(open)
	if n := len(open); n > 0 {
		t.Errorf("%d of %d attacking connections still open after %v", n, len(conns), limit)
	}
}

// trickle writes one byte to every conn every interval until stop closes.
func trickle(conns []net.Conn, interval time.Duration, stop <-chan struct{}) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			for _, c := range conns {
				_, _ = c.Write([]byte("x"))
			}
		}
	}
}

func TestAbuse(t *testing.T) {
	s := abuseServer(t)
	const n = 40

	// Slow body: headers at once, then a body byte every 200 ms, well
	// inside any per-read timeout; -http-read-timeout ends each.
	t.Run("slow body", func(t *testing.T) {
		var conns []net.Conn
		for range n {
			c := attacker(t, s.HTTPAddr())
			_, _ = io.WriteString(c, "POST /v1/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
			conns = append(conns, c)
		}
		stop := make(chan struct{})
		go trickle(conns, 200*time.Millisecond, stop) // ends with stop
		defer close(stop)
		bystander(t, s)
		allClosed(t, conns, 10*time.Second)
		bystander(t, s)
	})

	// Slowloris: headers that never end, a header byte now and then.
	t.Run("slowloris", func(t *testing.T) {
		var conns []net.Conn
		for range n {
			c := attacker(t, s.HTTPAddr())
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-A: ")
			conns = append(conns, c)
		}
		stop := make(chan struct{})
		go trickle(conns, 100*time.Millisecond, stop) // ends with stop
		defer close(stop)
		bystander(t, s)
		allClosed(t, conns, 10*time.Second)
	})

	// Connection flood from one address: 3x the per-address caps of the
	// HTTP edge and the TCP gateway. The connections over the cap are
	// refused at once, the address never holds more than the cap.
	t.Run("connection flood", func(t *testing.T) {
		ll := s.httpLn.(*connLimitListener)
		var held []net.Conn
		for range 3 * 20 {
			held = append(held, attacker(t, s.HTTPAddr()))
		}
		waitFor(t, func() bool { return ll.open("127.0.0.2") == 20 }, "the HTTP cap to fill")
		bystander(t, s)
		if got := ll.open("127.0.0.2"); got > 20 {
			t.Errorf("127.0.0.2 holds %d HTTP connections, cap 20", got)
		}
		for _, c := range held {
			_ = c.Close()
		}
		accepted, refused := 0, 0
		hs, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
		hello := transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake, Body: hs})
		for range 3 * 20 {
			c := attacker(t, s.TCPAddr())
			if _, err := c.Write(hello); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			f, err := (&transport.TCPReader{R: c, MaxBody: 1 << 16}).Next(nil)
			switch {
			case err != nil:
				t.Fatalf("flood handshake: %v", err)
			case f.Flags == 0:
				accepted++
			default:
				var e pb.Error
				_ = proto.Unmarshal(f.Body, &e)
				if e.Rule != "too_many_connections_from_address" {
					t.Fatalf("flood handshake refused with %v", &e)
				}
				refused++
			}
		}
		if accepted != 20 || refused != 40 {
			t.Errorf("TCP flood: %d accepted, %d refused; want 20 and 40", accepted, refused)
		}
		bystander(t, s)
	})

	// Oversize and garbage frames, on TCP and WebSocket: each connection is
	// closed at once, and the server holds none of them afterwards.
	t.Run("oversize and garbage frames", func(t *testing.T) {
		waitFor(t, func() bool { return s.gw.Conns() == 0 }, "the earlier attackers to be gone")
		before := 0
		var conns []net.Conn
		garbage := func() []byte { b := make([]byte, 512); _, _ = rand.Read(b); return b }
		for i := range n {
			c := attacker(t, s.TCPAddr())
			if i%2 == 0 {
				// 16 MiB announced: refused before anything is allocated.
				_, _ = c.Write([]byte{1, 0, 0, 0, byte(transport.KindRequest), 0, 0, 1, 0, 0, 0, 1})
			} else {
				_, _ = c.Write(garbage())
			}
			conns = append(conns, c)
		}
		for i := range n / 2 {
			c := attacker(t, s.HTTPAddr())
			if _, _, _, err := (ws.Dialer{NetDial: func(context.Context, string, string) (net.Conn, error) { return c, nil }}).Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws"); err != nil {
				t.Fatalf("attacker upgrade: %v", err)
			}
			if i%2 == 0 {
				// A binary message of 16 MiB announced (masked, as from a client).
				_ = ws.WriteHeader(c, ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Length: 16 << 20})
			} else {
				_ = ws.WriteFrame(c, ws.MaskFrame(ws.NewBinaryFrame(garbage())))
			}
			conns = append(conns, c)
		}
		bystander(t, s)
		allClosed(t, conns, 3*time.Second)
		waitFor(t, func() bool { return s.gw.Conns() <= before }, fmt.Sprintf("the server to drop the attackers (%d open, %d before)", s.gw.Conns(), before))
	})

	// A request flood on WebSocket: 600 requests written before reading a
	// byte. The client still reads every answer, rate_limited ones among
	// them, the kick and the close frame, in that order, and no reset.
	t.Run("request flood", func(t *testing.T) {
		waitFor(t, func() bool { return s.gw.Conns() == 0 }, "the earlier attackers to be gone")
		c := attacker(t, s.HTTPAddr())
		if _, _, _, err := (ws.Dialer{NetDial: func(context.Context, string, string) (net.Conn, error) { return c, nil }}).Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws"); err != nil {
			t.Fatalf("attacker upgrade: %v", err)
		}
		hs, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
		frames := []transport.Frame{{Kind: transport.KindHandshake, Body: hs}}
		for i := range 600 {
			frames = append(frames, transport.Frame{Kind: transport.KindRequest, Route: 1, Seq: uint32(i + 1)})
		}
		var out []byte
		for _, f := range frames {
			var b bytes.Buffer
			_ = ws.WriteFrame(&b, ws.MaskFrame(ws.NewBinaryFrame(transport.AppendWS(nil, &f))))
			out = append(out, b.Bytes()...)
		}
		if _, err := c.Write(out); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var ok, limited int
		var kick string
		for {
			fr, err := ws.ReadFrame(c)
			if err != nil {
				t.Fatalf("after %d answers, %d rate_limited, kick %q: %v (want a close frame)", ok, limited, kick, err)
			}
			if fr.Header.OpCode == ws.OpClose {
				code, reason := ws.ParseCloseFrameData(fr.Payload)
				t.Logf("close %d %q", code, reason)
				break
			}
			if fr.Header.OpCode != ws.OpBinary {
				t.Fatalf("server sent a %v frame", fr.Header.OpCode)
			}
			f, err := transport.DecodeWS(fr.Payload, 1<<16)
			if err != nil {
				t.Fatal(err)
			}
			var e pb.Error
			switch {
			case f.Kind == transport.KindHandshakeAck && f.Flags != 0:
				t.Fatalf("handshake refused: %x", f.Body)
			case f.Kind == transport.KindKick:
				var k pb.Kick
				_ = proto.Unmarshal(f.Body, &k)
				kick = k.Reason
			case f.Kind == transport.KindResponse && f.Flags == 0:
				ok++
			case f.Kind == transport.KindResponse && proto.Unmarshal(f.Body, &e) == nil && e.Code == pb.Code_CODE_RATE_LIMITED:
				limited++
			}
		}
		if ok < 400 || limited == 0 || kick != "rate_limited" {
			t.Errorf("flood: %d answers, %d rate_limited, kick %q; want 400+, some, rate_limited", ok, limited, kick)
		}
		bystander(t, s)
	})

	// A slow consumer: asks for 400 large echoes and never reads. Its
	// answers fill its socket, and the server cuts it off (write timeout or
	// send queue) instead of holding them.
	t.Run("slow consumer", func(t *testing.T) {
		c := attacker(t, s.TCPAddr())
		hs, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
		if _, err := c.Write(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake, Body: hs})); err != nil {
			t.Fatal(err)
		}
		body, _ := proto.Marshal(&pb.Echo{Data: make([]byte, 60<<10)})
		began := time.Now()
		go func() { // ends when the server closes c (or the test's cleanup does)
			for i := range 400 {
				f := transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: uint32(i + 1), Body: body})
				if _, err := c.Write(f); err != nil {
					return
				}
			}
		}()
		time.Sleep(300 * time.Millisecond)
		bystander(t, s)
		waitFor(t, func() bool { return s.gw.Conns() == 0 }, "the slow consumer to be cut off")
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("slow consumer cut off after %v", d)
		}
		bystander(t, s)
	})
}
