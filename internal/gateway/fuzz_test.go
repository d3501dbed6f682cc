package gateway_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// FuzzConnection sends arbitrary bytes as a whole TCP conversation — the
// handshake first — to a real gateway. Whatever comes in, the server must
// answer only with well-formed frames, close the connection, and keep
// serving other clients.
func FuzzConnection(f *testing.F) {
	hs, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
	echo, _ := proto.Marshal(&pb.Echo{Text: "hi"})
	valid := transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake, Body: hs})
	valid = transport.AppendTCP(valid, &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: echo})
	f.Add(valid)
	f.Add(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: echo}))
	f.Add(append(valid, 0xff, 0xff, 0xff, 0xff))
	f.Add(transport.AppendTCP(append([]byte(nil), valid...), &transport.Frame{Kind: transport.KindNotify, Route: 50}))
	f.Add([]byte{0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 8, 1})

	ts := start(f, func(c *gateway.Config) {
		c.Session.HandshakeTimeout = 500 * time.Millisecond
		c.Session.HeartbeatInterval = 200 * time.Millisecond
		c.Session.MissedHeartbeats = 1
		c.Session.MaxFrameBytes = 4096
	}, nil)
	addr := strings.TrimPrefix(ts.tcp, "tcp://")
	f.Fuzz(func(t *testing.T, in []byte) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = conn.Write(in)
		_ = conn.(*net.TCPConn).CloseWrite()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, err := io.ReadAll(conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("server did not close the connection")
		}
		r := transport.TCPReader{R: bytes.NewReader(out), MaxBody: 1 << 20}
		for {
			if _, err := r.Next(nil); err != nil {
				if err != io.EOF {
					t.Fatalf("server wrote a malformed frame: %v (%x)", err, out)
				}
				break
			}
		}
	})
}

// FuzzParseRouteLimits: any text either parses into valid limits whose
// rendering parses back to the same limits, or is refused; never a panic.
func FuzzParseRouteLimits(f *testing.F) {
	for _, s := range []string{"match.join=2/s:10,chat.send=10/s:20", "", "x=0.5/s:1", "x=2:10", "=1/s:1", "x=1e309/s:1", "x=NaN/s:1", " a=1/s:1 , b=3/s:4 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := gateway.ParseRouteLimits(s)
		if err != nil {
			return
		}
		for name, l := range m {
			back, err := gateway.ParseRouteLimits(name + "=" + l.String())
			if err != nil || back[name] != l {
				t.Fatalf("%q: %s=%v renders as %q, which parses to %v, %v", s, name, l, l.String(), back, err)
			}
			cfg := gateway.DefaultConfig()
			cfg.RouteLimits = map[string]gateway.RouteLimit{name: l}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("%q parsed to %v, which Validate refuses: %v", s, l, err)
			}
		}
	})
}
