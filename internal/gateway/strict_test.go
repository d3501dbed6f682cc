package gateway_test

import (
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// jsonWS speaks JSON text mode by hand.
type jsonWS struct {
	t    *testing.T
	conn net.Conn
}

func dialJSON(t *testing.T, ts *testServer) *jsonWS {
	t.Helper()
	conn, _, _, err := ws.Dial(t.Context(), ts.ws)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &jsonWS{t: t, conn: conn}
}

// call sends one text message and returns the next text message.
func (c *jsonWS) call(msg string) string {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.conn, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := wsutil.ReadServerText(c.conn)
	if err != nil {
		c.t.Fatalf("after %s: %v", msg, err)
	}
	return string(b)
}

// TestStrictProtocol: what docs/protocol.md asks of a client is checked.
func TestStrictProtocol(t *testing.T) {
	ts := start(t, nil, nil)
	t.Run("seq 0", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.handshake(1)
		r.send(transport.KindRequest, 0, gateway.RouteSysPing, 0, nil)
		f := r.next()
		var e pb.Error
		_ = proto.Unmarshal(f.Body, &e)
		if f.Kind != transport.KindResponse || f.Flags != transport.FlagError || e.Code != pb.Code_CODE_BAD_REQUEST || e.Rule != "zero_seq" {
			t.Fatalf("request with seq 0: %+v %v, want bad_request zero_seq", f, &e)
		}
		r.send(transport.KindRequest, 0, gateway.RouteSysPing, 1, nil) // the connection stays usable
		if f := r.next(); f.Kind != transport.KindResponse || f.Flags != 0 || f.Seq != 1 {
			t.Fatalf("next request: %+v", f)
		}
	})
	t.Run("seq 0 json", func(t *testing.T) {
		c := dialJSON(t, ts)
		c.call(`{"kind":"handshake","body":{"version":1,"codec":"json"}}`)
		if got := c.call(`{"kind":"request","route":"sys.ping","body":{}}`); !strings.Contains(got, `"rule":"zero_seq"`) {
			t.Fatalf("request without seq: %s", got)
		}
	})
	for _, tc := range []struct{ name, codec string }{{"empty codec", ""}, {"json codec on binary", "json"}} {
		t.Run(tc.name, func(t *testing.T) {
			r := rawTCP(t, ts)
			b, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: tc.codec})
			r.send(transport.KindHandshake, 0, 0, 0, b)
			f := r.next()
			var e pb.Error
			_ = proto.Unmarshal(f.Body, &e)
			if f.Flags != transport.FlagError || e.Code != pb.Code_CODE_BAD_REQUEST || e.Rule != "bad_codec" {
				t.Fatalf("handshake with codec %q: %+v %v, want bad_request bad_codec", tc.codec, f, &e)
			}
			expectClosed(t, r)
		})
	}
	t.Run("json handshake without codec", func(t *testing.T) {
		c := dialJSON(t, ts)
		if got := c.call(`{"kind":"handshake","body":{"version":1}}`); !strings.Contains(got, `"rule":"bad_codec"`) {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("unknown json field", func(t *testing.T) {
		c := dialJSON(t, ts)
		c.call(`{"kind":"handshake","body":{"version":1,"codec":"json"}}`)
		got := c.call(`{"kind":"request","seq":1,"route":"sys.echo","body":{"text":"hi","colour":"red"}}`)
		if !strings.Contains(got, `"code":"bad_request"`) || !strings.Contains(got, "colour") {
			t.Fatalf("body with an unknown key: %s, want bad_request naming it", got)
		}
		if got := c.call(`{"kind":"request","seq":2,"route":"sys.echo","body":{"text":"hi"}}`); !strings.Contains(got, `"body":{"text":"hi"}`) {
			t.Fatalf("known keys only: %s", got)
		}
	})
	t.Run("unknown json handshake field", func(t *testing.T) {
		c := dialJSON(t, ts)
		if got := c.call(`{"kind":"handshake","body":{"version":1,"codec":"json","colour":"red"}}`); !strings.Contains(got, `"code":"bad_request"`) || !strings.Contains(got, "colour") {
			t.Fatalf("got %s", got)
		}
	})
}

// TestHalfHandshakeKicked: a handshake that never completes gets kick
// handshake_timeout at the deadline, counted from the accept: neither
// silence nor a byte now and then buys more time.
func TestHalfHandshakeKicked(t *testing.T) {
	const timeout = 400 * time.Millisecond
	ts := start(t, func(c *gateway.Config) { c.Session.HandshakeTimeout = timeout }, nil)
	for _, trickle := range []bool{false, true} {
		r := rawTCP(t, ts)
		began := time.Now()
		b, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
		frame := transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake, Body: b})
		if _, err := r.conn.Write(frame[:5]); err != nil {
			t.Fatal(err)
		}
		if trickle {
			for _, c := range frame[5:9] {
				time.Sleep(timeout / 8)
				if _, err := r.conn.Write([]byte{c}); err != nil {
					t.Fatal(err)
				}
			}
		}
		expectKick(t, r, "handshake_timeout")
		// The server counts from its accept, a little before began.
		if d := time.Since(began); d < timeout-50*time.Millisecond || d > timeout+400*time.Millisecond {
			t.Errorf("trickle %v: kicked after %v, want at the %v deadline", trickle, d, timeout)
		}
	}
}

// TestHandshakeRefusalsDocumented: every rule a refused handshake carries
// is listed in the Refusals paragraph of docs/protocol.md, and every kick
// reason the server sends in section 8.
func TestHandshakeRefusalsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	refusals := regexp.MustCompile(`(?s)\nRefusals \(error .handshake_ack.*?\n\n`).Find(doc)
	kicks := regexp.MustCompile("(?s)## 8. Kick reasons\n(.*?)\n## ").FindSubmatch(doc)
	if refusals == nil || kicks == nil {
		t.Fatal("docs/protocol.md has no Refusals paragraph in section 5 or no section 8")
	}
	ts := start(t, func(c *gateway.Config) { c.Session.HandshakeTimeout = 200 * time.Millisecond }, nil)
	refuse := func(f transport.Frame) string {
		r := rawTCP(t, ts)
		r.send(f.Kind, 0, f.Route, f.Seq, f.Body)
		ack := r.next()
		var e pb.Error
		_ = proto.Unmarshal(ack.Body, &e)
		if ack.Kind != transport.KindHandshakeAck || ack.Flags != transport.FlagError || e.Rule == "" {
			t.Fatalf("%v first: %+v %v, want an error handshake_ack with a rule", f.Kind, ack, &e)
		}
		return e.Rule
	}
	hs := func(h *pb.Handshake) transport.Frame {
		b, _ := proto.Marshal(h)
		return transport.Frame{Kind: transport.KindHandshake, Body: b}
	}
	rules := map[string]string{
		"request first":     refuse(transport.Frame{Kind: transport.KindRequest, Route: 1, Seq: 1}),
		"wrong version":     refuse(hs(&pb.Handshake{Version: 99, Codec: "protobuf"})),
		"no codec":          refuse(hs(&pb.Handshake{Version: 1})),
		"bad token":         refuse(hs(&pb.Handshake{Version: 1, Codec: "protobuf", Token: "nope"})),
		"bad resume token":  refuse(hs(&pb.Handshake{Version: 1, Codec: "protobuf", ResumeToken: "nope"})),
		"limits (by name)":  "server_full",
		"drain (by name)":   "server_shutdown",
		"address (by name)": "too_many_connections_from_address",
	}
	if rules["request first"] != "protocol_error" {
		t.Errorf("a request before the handshake: rule %q, want protocol_error", rules["request first"])
	}
	for what, rule := range rules {
		if !strings.Contains(string(refusals), "`"+rule+"`") {
			t.Errorf("%s is refused with rule %s, which the Refusals paragraph does not list", what, rule)
		}
	}
	r := rawTCP(t, ts)
	expectKick(t, r, "handshake_timeout")
	for _, reason := range []string{"handshake_timeout", "rate_limited", "slow_consumer", "protocol_error", "heartbeat_timeout"} {
		if !strings.Contains(string(kicks[1]), "`"+reason+"`") {
			t.Errorf("kick reason %s is not in section 8", reason)
		}
	}
}
