package gateway_test

import (
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// sinkConn is a net.Conn that swallows writes: the dispatch benchmarks
// measure the server's work, not the kernel's.
type sinkConn struct{ written atomic.Int64 }

func (c *sinkConn) Read([]byte) (int, error)    { return 0, io.EOF }
func (c *sinkConn) Write(p []byte) (int, error) { c.written.Add(int64(len(p))); return len(p), nil }
func (c *sinkConn) Close() error                { return nil }
func (c *sinkConn) LocalAddr() net.Addr         { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7000} }
func (c *sinkConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *sinkConn) SetDeadline(time.Time) error      { return nil }
func (c *sinkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *sinkConn) SetWriteDeadline(time.Time) error { return nil }

// BenchmarkDispatchEcho hands a decoded sys.echo request frame (64-byte
// payload) to the gateway as a session's reader does: rate limit, route
// lookup, body decode, the full middleware chain (recover, logging,
// metrics, auth), the handler, response encoding and the send queue. The
// session's writer drains into a sinkConn on its own goroutine.
func BenchmarkDispatchEcho(b *testing.B) {
	for _, mode := range []session.Mode{session.ModeTCP, session.ModeWS} {
		b.Run(mode.String(), func(b *testing.B) {
			cfg := gateway.DefaultConfig()
			cfg.Session.RatePerSecond, cfg.Session.RateBurst = 1e12, 1<<30 // the limiter runs but never refuses
			cfg.Session.SendQueue = 1 << 16                                // the loop may outrun the writer for a moment
			r := gateway.NewRouter()
			gateway.RegisterSys(r)
			gw, err := gateway.New(cfg, r, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			conn := &sinkConn{}
			s := session.New("bench", conn, nil, mode, &cfg.Session, nil)
			b.Cleanup(func() { s.Close(session.ReasonServerShutdown, "benchmark over") })
			hs, _ := proto.Marshal(&pb.Handshake{Version: gateway.ProtocolVersion, Codec: "protobuf"})
			gw.HandleFrame(s, &transport.Frame{Kind: transport.KindHandshake, Body: hs})
			if !s.Handshaken() {
				b.Fatal("handshake refused")
			}
			body, _ := proto.Marshal(&pb.Echo{Data: make([]byte, 64)})
			f := transport.Frame{Kind: transport.KindRequest, Route: gateway.RouteSysEcho, Body: body}
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				f.Seq++
				gw.HandleFrame(s, &f)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			if s.CloseReason() != "" {
				b.Fatalf("session closed: %s", s.CloseReason())
			}
		})
	}
}

// streamConn is a net.Conn that plays a closed-loop client: its reads
// deliver a handshake, then the same request frame again and again, each
// one only after the response to the previous one has been written. Close
// makes the next read fail.
type streamConn struct {
	sinkConn
	hello, req []byte
	respBytes  int64 // size of one response on the wire
	off        int
	base, sent int64
	closed     atomic.Bool
}

func (c *streamConn) Read(p []byte) (int, error) {
	if len(c.hello) > 0 {
		n := copy(p, c.hello)
		c.hello = c.hello[n:]
		return n, nil
	}
	if c.off == 0 { // a new request: wait for the answer to the last one
		for c.base == 0 && c.written.Load() == 0 || c.written.Load() < c.base+c.sent*c.respBytes {
			if c.closed.Load() {
				return 0, io.EOF
			}
			runtime.Gosched()
		}
		if c.base == 0 {
			c.base = c.written.Load() // the handshake answer
		}
		c.sent++
	}
	if c.closed.Load() {
		return 0, io.EOF
	}
	n := copy(p, c.req[c.off:])
	c.off = (c.off + n) % len(c.req)
	return n, nil
}

func (c *streamConn) Close() error { c.closed.Store(true); return nil }

// BenchmarkServeEcho is BenchmarkDispatchEcho driven the way the server
// runs it, by a closed-loop client: the session's own reader goroutine
// (Serve) reads a sys.echo request frame from the connection, dispatches
// it and writes the response itself, then reads the next. One op is one
// response written; the benchmark loop only watches the count, so ns/op is
// the server's time per request, framing and deadlines included.
func BenchmarkServeEcho(b *testing.B) {
	for _, mode := range []session.Mode{session.ModeTCP, session.ModeWS} {
		b.Run(mode.String(), func(b *testing.B) {
			cfg := gateway.DefaultConfig()
			cfg.Session.RatePerSecond, cfg.Session.RateBurst = 1e12, 1<<30
			r := gateway.NewRouter()
			gateway.RegisterSys(r)
			gw, err := gateway.New(cfg, r, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			hs, _ := proto.Marshal(&pb.Handshake{Version: gateway.ProtocolVersion, Codec: "protobuf"})
			body, _ := proto.Marshal(&pb.Echo{Data: make([]byte, 64)})
			hello := &transport.Frame{Kind: transport.KindHandshake, Body: hs}
			req := &transport.Frame{Kind: transport.KindRequest, Route: gateway.RouteSysEcho, Seq: 1, Body: body}
			conn := &streamConn{}
			if mode == session.ModeTCP {
				conn.hello, conn.req = transport.AppendTCP(nil, hello), transport.AppendTCP(nil, req)
				conn.respBytes = int64(transport.HeaderTCP + len(body))
			} else {
				mask := [4]byte{1, 2, 3, 4}
				conn.hello = transport.AppendWSMasked(nil, ws.OpBinary, transport.AppendWS(nil, hello), mask)
				conn.req = transport.AppendWSMasked(nil, ws.OpBinary, transport.AppendWS(nil, req), mask)
				conn.respBytes = int64(2 + transport.HeaderWS + len(body))
			}
			s := session.New("bench", conn, nil, mode, &cfg.Session, nil)
			done := make(chan struct{})
			go func() { defer close(done); s.Serve(gw) }() // ends when conn is closed below
			for conn.written.Load() == 0 {                 // the handshake answer
				select {
				case <-done:
					b.Fatalf("session closed during the handshake: %s", s.CloseReason())
				default:
					runtime.Gosched()
				}
			}
			b.ReportAllocs()
			start := time.Now()
			want := conn.written.Load()
			for b.Loop() {
				want += conn.respBytes
				for conn.written.Load() < want {
					runtime.Gosched()
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			_ = conn.Close()
			<-done
			if reason := s.CloseReason(); reason != session.ReasonClientClosed {
				b.Fatalf("session closed with reason %q, want %q", reason, session.ReasonClientClosed)
			}
		})
	}
}
