package gateway_test

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/securetcp"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// secureRaw is an encrypted TCP connection driven by hand.
type secureRaw struct {
	t    *testing.T
	conn net.Conn
	keys *securetcp.Session
	r    *securetcp.Reader
}

func dialSecure(t *testing.T, ts *testServer) *secureRaw {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.tcp, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	kx, err := securetcp.NewClient(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(securetcp.AppendFrame(nil, kx.Hello())); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	f, err := securetcp.ReadFrame(br, securetcp.ServerHelloSize)
	if err != nil || f.Kind != securetcp.Kind {
		t.Fatalf("server hello: %+v %v", f, err)
	}
	keys, err := kx.Finish(f.Body, ts.identity.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return &secureRaw{t: t, conn: conn, keys: keys, r: &securetcp.Reader{R: br, MaxBody: 1 << 20, Open: keys.Open}}
}

func (s *secureRaw) seal(f transport.Frame) []byte {
	s.t.Helper()
	rec, err := s.keys.Seal.Seal(transport.AppendTCP(nil, &f))
	if err != nil {
		s.t.Fatal(err)
	}
	return rec
}

func (s *secureRaw) write(b []byte) {
	s.t.Helper()
	if _, err := s.conn.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

func (s *secureRaw) next() (transport.Frame, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	return s.r.Next(nil)
}

func (s *secureRaw) handshake() {
	s.t.Helper()
	body, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
	s.write(s.seal(transport.Frame{Kind: transport.KindHandshake, Body: body}))
	f, err := s.next()
	if err != nil || f.Kind != transport.KindHandshakeAck || f.Flags != 0 {
		s.t.Fatalf("ack = %+v, %v", f, err)
	}
}

func (s *secureRaw) echo(seq uint32, text string) []byte {
	body, _ := proto.Marshal(&pb.Echo{Text: text})
	return s.seal(transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: seq, Body: body})
}

// expectSecureKick reads sealed frames until a kick with reason, then
// expects the stream to end.
func (s *secureRaw) expectKick(reason string) {
	s.t.Helper()
	for {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("connection ended without a %s kick: %v", reason, err)
		}
		if f.Kind != transport.KindKick {
			continue
		}
		var k pb.Kick
		if err := proto.Unmarshal(f.Body, &k); err != nil {
			s.t.Fatal(err)
		}
		if k.Reason != reason {
			s.t.Fatalf("kick reason %q, want %q", k.Reason, reason)
		}
		if _, err := s.next(); err == nil {
			s.t.Fatal("connection open after the kick")
		}
		return
	}
}

func TestEncryptedClient(t *testing.T) {
	ts := start(t, nil, nil)
	pub := ts.identity.Public().(ed25519.PublicKey)
	c := dial(t, ts.tcp, client.Options{ServerKey: pub, Token: "user-7"})
	var out pb.Echo
	if err := c.Request(t.Context(), "sys.echo", &pb.Echo{Text: "secret"}, &out); err != nil || out.Text != "secret" {
		t.Fatalf("echo = %q, %v", out.Text, err)
	}
	if !pub.Equal(c.ServerIdentity()) {
		t.Fatalf("server identity %x", c.ServerIdentity())
	}
	if c.UserID() != "7" {
		t.Fatalf("user %q: the token inside the sealed handshake was not read", c.UserID())
	}
	// Unpinned encryption works too and reports the key seen.
	c2 := dial(t, ts.tcp, client.Options{Encrypt: true})
	if err := c2.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(c2.ServerIdentity()) {
		t.Fatal("unpinned client saw another identity")
	}
	// Another pinned key is refused before anything is sent.
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := client.Dial(t.Context(), ts.tcp, client.Options{ServerKey: other}); !errors.Is(err, securetcp.ErrPin) {
		t.Fatalf("wrong pin: %v", err)
	}
	// Encryption is a TCP feature: WebSocket uses TLS (wss).
	if _, err := client.Dial(t.Context(), ts.ws, client.Options{Encrypt: true}); err == nil {
		t.Fatal("encrypt on a ws target accepted")
	}
}

func TestEncryptionRequired(t *testing.T) {
	ts := start(t, func(c *gateway.Config) { c.TCPRequireEncryption = true }, nil)
	_, err := client.Dial(t.Context(), ts.tcp, client.Options{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "bad_request" || ce.Rule != "encryption_required" {
		t.Fatalf("plain TCP: %v", err)
	}
	c := dial(t, ts.tcp, client.Options{ServerKey: ts.identity.Public().(ed25519.PublicKey)})
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatal(err)
	}
	// WebSocket is not affected (its encryption is TLS).
	w := dial(t, ts.ws, client.Options{})
	if err := w.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatal(err)
	}
}

// TestSealedFrameAttacks: a replayed, reordered, altered or cut record
// closes the connection; a kick (sealed) says why when the session is up.
func TestSealedFrameAttacks(t *testing.T) {
	ts := start(t, nil, nil)
	t.Run("replay", func(t *testing.T) {
		s := dialSecure(t, ts)
		s.handshake()
		rec := s.echo(1, "a")
		s.write(rec)
		if f, err := s.next(); err != nil || f.Kind != transport.KindResponse || f.Seq != 1 {
			t.Fatalf("first echo: %+v %v", f, err)
		}
		s.write(rec) // the same record again
		s.expectKick("protocol_error")
	})
	t.Run("reorder", func(t *testing.T) {
		s := dialSecure(t, ts)
		s.handshake()
		r1, r2 := s.echo(1, "a"), s.echo(2, "b")
		s.write(append(r2, r1...))
		s.expectKick("protocol_error")
	})
	t.Run("altered", func(t *testing.T) {
		s := dialSecure(t, ts)
		s.handshake()
		rec := s.echo(1, "a")
		rec[len(rec)-20] ^= 1 // inside the ciphertext
		s.write(rec)
		s.expectKick("protocol_error")
	})
	t.Run("dropped", func(t *testing.T) {
		s := dialSecure(t, ts)
		s.handshake()
		_ = s.echo(1, "a") // sealed, never sent
		s.write(s.echo(2, "b"))
		s.expectKick("protocol_error")
	})
	t.Run("cut", func(t *testing.T) {
		s := dialSecure(t, ts)
		s.handshake()
		rec := s.echo(1, "a")
		s.write(rec[:len(rec)-5])
		_ = s.conn.(*net.TCPConn).CloseWrite()
		s.expectKick("protocol_error")
	})
	t.Run("plain frame after key exchange", func(t *testing.T) {
		s := dialSecure(t, ts)
		s.handshake()
		s.write(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHeartbeat}))
		s.expectKick("protocol_error")
	})
	t.Run("tampered before the handshake", func(t *testing.T) {
		s := dialSecure(t, ts)
		body, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
		rec := s.seal(transport.Frame{Kind: transport.KindHandshake, Body: body})
		rec[5] ^= 0xff
		s.write(rec)
		if _, err := s.next(); err == nil {
			t.Fatal("connection not closed")
		}
	})
	// A normal encrypted client is unaffected by all of the above.
	c := dial(t, ts.tcp, client.Options{Encrypt: true})
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyExchangeRefusals(t *testing.T) {
	ts := start(t, nil, nil)
	t.Run("version 2", func(t *testing.T) {
		r := rawTCP(t, ts)
		body := make([]byte, securetcp.ClientHelloSize)
		body[0] = 2
		r.send(securetcp.Kind, 0, 0, 0, body)
		f := r.next()
		if f.Kind != transport.KindHandshakeAck || f.Flags != transport.FlagError || r.errCode(f) != pb.Code_CODE_BAD_REQUEST {
			t.Fatalf("got %+v", f)
		}
		var e pb.Error
		_ = proto.Unmarshal(f.Body, &e)
		if e.Rule != "unsupported_encryption" {
			t.Fatalf("rule %q", e.Rule)
		}
		expectClosed(t, r)
	})
	t.Run("short hello", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.send(securetcp.Kind, 0, 0, 0, []byte{1, 2, 3})
		expectClosed(t, r)
	})
	t.Run("low-order key", func(t *testing.T) {
		r := rawTCP(t, ts)
		body := make([]byte, securetcp.ClientHelloSize)
		body[0] = 1
		r.send(securetcp.Kind, 0, 0, 0, body)
		expectClosed(t, r)
	})
	t.Run("key exchange after the handshake", func(t *testing.T) {
		r := rawTCP(t, ts)
		r.handshake(1)
		c, _ := securetcp.NewClient(rand.Reader)
		r.send(securetcp.Kind, 0, 0, 0, c.Hello())
		expectClosed(t, r)
	})
}
