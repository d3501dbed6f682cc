package gateway_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

const routeRemote = 60 // test.remote: answers the session's RemoteAddr

func registerRemote(r *gateway.Router) {
	gateway.Handle(r, "test.remote", routeRemote, func(_ context.Context, s *session.Session, _ *pb.PingReq) (*pb.Echo, error) {
		return &pb.Echo{Text: s.RemoteAddr()}, nil
	}, gateway.Public())
}

// proxied opens a TCP connection and sends header (raw bytes) first.
func proxied(t *testing.T, ts *testServer, header []byte) *raw {
	t.Helper()
	r := rawTCP(t, ts)
	if _, err := r.conn.Write(header); err != nil {
		t.Fatal(err)
	}
	return r
}

func v1(src string) []byte {
	host, port, _ := net.SplitHostPort(src)
	fam := "TCP4"
	if strings.Contains(host, ":") {
		fam = "TCP6"
	}
	dst := "10.0.0.1"
	if fam == "TCP6" {
		dst = "2001:db8::1"
	}
	return []byte("PROXY " + fam + " " + host + " " + dst + " " + port + " 7000\r\n")
}

func v2(t *testing.T, src string) []byte {
	t.Helper()
	s, err := net.ResolveTCPAddr("tcp", src)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 7000}
	if s.IP.To4() == nil {
		d.IP = net.ParseIP("2001:db8::1")
	}
	b, err := proxyproto.HeaderProxyFromAddrs(2, s, d).Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// remote handshakes and asks the server for the session's address.
func (r *raw) remote() string {
	r.t.Helper()
	if ack := r.handshake(1); ack.Flags != 0 {
		r.t.Fatalf("handshake refused: %v", r.errCode(ack))
	}
	r.send(transport.KindRequest, 0, routeRemote, 1, nil)
	f := r.next()
	var e pb.Echo
	if f.Kind != transport.KindResponse || f.Flags != 0 || proto.Unmarshal(f.Body, &e) != nil {
		r.t.Fatalf("test.remote answer: %+v", f)
	}
	return e.Text
}

// TestProxyProtocol: with PROXY protocol on, the session's address is the
// one in the v1 or v2 header, and the per-address limit counts it.
func TestProxyProtocol(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.TCPProxyProtocol = "127.0.0.0/8, ::1"
		c.MaxConnsPerIP = 1
	}, registerRemote)
	alice := proxied(t, ts, v1("203.0.113.1:51000"))
	if got := alice.remote(); got != "203.0.113.1:51000" {
		t.Errorf("v1: remote = %q, want 203.0.113.1:51000", got)
	}
	bob := proxied(t, ts, v2(t, "203.0.113.2:52000"))
	if got := bob.remote(); got != "203.0.113.2:52000" {
		t.Errorf("v2: remote = %q, want 203.0.113.2:52000 (alice is still connected: one limit each)", got)
	}
	carol := proxied(t, ts, v2(t, "[2001:db8::c]:53000"))
	if got := carol.remote(); got != "[2001:db8::c]:53000" {
		t.Errorf("v2 IPv6: remote = %q", got)
	}
	dave := proxied(t, ts, v1("[2001:db8::d]:54000"))
	if got := dave.remote(); got != "[2001:db8::d]:54000" {
		t.Errorf("v1 IPv6: remote = %q", got)
	}
	again := proxied(t, ts, v2(t, "203.0.113.1:51001"))
	f := again.handshake(1)
	if f.Flags != transport.FlagError || again.errCode(f) != pb.Code_CODE_RATE_LIMITED {
		t.Fatalf("alice's second connection: %+v, want too_many_connections_from_address", f)
	}
	// A LOCAL header is the balancer's health check: the socket's address.
	local, err := (&proxyproto.Header{Version: 2, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC}).Format()
	if err != nil {
		t.Fatal(err)
	}
	if got := proxied(t, ts, local).remote(); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Errorf("LOCAL: remote = %q, want the socket peer 127.0.0.1", got)
	}
}

// TestProxyProtocolRefused: a missing, malformed or late header, or a
// peer that may not send one, closes the connection; the server goes on.
func TestProxyProtocolRefused(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.TCPProxyProtocol = "on"
		c.Session.HandshakeTimeout = 300 * time.Millisecond
	}, registerRemote)
	handshake := transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake})
	tests := []struct {
		name   string
		header []byte
	}{
		{"no header", handshake},
		{"v1 garbage", []byte("PROXY TCP4 garbage\r\n")},
		{"v1 bad address", []byte("PROXY TCP4 300.1.1.1 10.0.0.1 1 2\r\n")},
		{"v1 no CRLF", []byte("PROXY TCP4 203.0.113.1 10.0.0.1 1 2" + strings.Repeat(" ", 100))},
		{"v2 truncated", v2(t, "203.0.113.1:1")[:20]},
		{"v2 bad version", append([]byte("\r\n\r\n\x00\r\nQUIT\n\x31"), make([]byte, 20)...)},
		{"partial v1 header (the library drops it, as the spec allows)", []byte("PROXY")},
		{"silence", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := proxied(t, ts, tt.header)
			start := time.Now()
			_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := io.Copy(io.Discard, r.conn); err != nil || n != 0 {
				t.Fatalf("read %d bytes, err %v: want the connection closed without an answer", n, err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("closed after %v", d)
			}
		})
	}
	if n := metric(t, ts.reg, "lordgame_bad_frames_total", "bad_proxy_header"); n != float64(len(tests)) {
		t.Errorf("bad_proxy_header = %v, want %d", n, len(tests))
	}
	if got := proxied(t, ts, v1("203.0.113.1:1")).remote(); got != "203.0.113.1:1" {
		t.Errorf("after the bad headers: remote = %q", got)
	}

	t.Run("peer not allowed", func(t *testing.T) {
		ts := start(t, func(c *gateway.Config) { c.TCPProxyProtocol = "10.0.0.0/8" }, nil)
		r := proxied(t, ts, v1("203.0.113.1:1"))
		expectClosed(t, r)
		if n := metric(t, ts.reg, "lordgame_bad_frames_total", "proxy_peer_refused"); n != 1 {
			t.Errorf("proxy_peer_refused = %v, want 1", n)
		}
	})
}

// TestProxyProtocolShutdown: a connection still waiting for its header
// does not hold up Shutdown until the handshake timeout.
func TestProxyProtocolShutdown(t *testing.T) {
	ts := start(t, func(c *gateway.Config) {
		c.TCPProxyProtocol = "on"
		c.Session.HandshakeTimeout = time.Minute
	}, nil)
	r := proxied(t, ts, []byte("PRO"))
	time.Sleep(50 * time.Millisecond) // let the header reader start waiting
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.gw.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	expectClosed(t, r)
}

func TestProxyProtocolConfig(t *testing.T) {
	tests := []struct {
		value   string
		wantErr string
	}{
		{"off", ""}, {"", ""}, {"on", ""}, {"10.0.0.0/8", ""}, {" 10.0.0.0/8 , ::1 ", ""},
		{"yes", `"yes" is not a CIDR`}, {"10.0.0.0/8,nope", `"nope"`}, {",", "lists no network"},
	}
	for _, tt := range tests {
		cfg := gateway.DefaultConfig()
		cfg.TCPProxyProtocol = tt.value
		err := cfg.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("tcp_proxy_protocol %q: err = %v, want %q", tt.value, err, tt.wantErr)
		}
	}
	if got := gateway.DefaultConfig().TCPProxyProtocol; got != "off" {
		t.Errorf("default = %q, want off", got)
	}
}
