package gateway_test

import (
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

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
			hs, _ := proto.Marshal(&pb.Handshake{Version: gateway.ProtocolVersion})
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
