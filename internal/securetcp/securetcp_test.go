package securetcp

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/lordgame/lordgame/internal/transport"
)

// pair runs a real exchange with random keys.
func pair(t *testing.T) (client, server *Session, id ed25519.PrivateKey) {
	t.Helper()
	_, id, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body, ss, err := Accept(rand.Reader, id, c.Hello())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Finish(body, id.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return cs, ss, id
}

func sealFrames(t *testing.T, s *Sealer, frames ...transport.Frame) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range frames {
		r, err := s.Seal(transport.AppendTCP(nil, &frames[i]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func readAll(o *Opener, stream []byte) ([]transport.Frame, error) {
	r := Reader{R: bufio.NewReaderSize(bytes.NewReader(stream), 64), MaxBody: 1024, Open: o, Borrow: true}
	var fs []transport.Frame
	for {
		f, err := r.Next(nil)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fs, nil
			}
			return fs, err
		}
		f.Body = append([]byte(nil), f.Body...)
		fs = append(fs, f)
	}
}

func TestRoundTrip(t *testing.T) {
	cs, ss, _ := pair(t)
	big := bytes.Repeat([]byte{7}, 300) // larger than the 64-byte read buffer: not borrowed
	recs := sealFrames(t, cs.Seal,
		transport.Frame{Kind: transport.KindHandshake, Body: []byte{8, 1}},
		transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: big},
		transport.Frame{Kind: transport.KindHeartbeat})
	fs, err := readAll(ss.Open, bytes.Join(recs, nil))
	if err != nil || len(fs) != 3 {
		t.Fatalf("frames %d, err %v", len(fs), err)
	}
	if fs[1].Kind != transport.KindRequest || fs[1].Route != 2 || fs[1].Seq != 1 || !bytes.Equal(fs[1].Body, big) {
		t.Fatalf("frame 1 = %+v", fs[1])
	}
	if ss.Open.Count() != 3 || cs.Seal.Count() != 3 {
		t.Fatalf("counters %d %d", ss.Open.Count(), cs.Seal.Count())
	}
	// The directions have different keys: the client cannot open its own records.
	if _, err := readAll(cs.Open, recs[0]); !errors.Is(err, ErrOpen) {
		t.Fatalf("own record opened with the receive key: %v", err)
	}
}

// TestTamper: a replayed, reordered, dropped, altered or cut record never
// opens.
func TestTamper(t *testing.T) {
	cs, ss, _ := pair(t)
	recs := sealFrames(t, cs.Seal,
		transport.Frame{Kind: transport.KindRequest, Seq: 1, Body: []byte("one")},
		transport.Frame{Kind: transport.KindRequest, Seq: 2, Body: []byte("two")},
		transport.Frame{Kind: transport.KindRequest, Seq: 3, Body: []byte("three")})
	fresh := func() *Opener {
		// Openers are stateful: rebuild the receive side from the same key.
		o := *ss.Open
		o.n = 0
		return &o
	}
	cases := map[string][]byte{
		"replay":   bytes.Join([][]byte{recs[0], recs[0]}, nil),
		"reorder":  bytes.Join([][]byte{recs[1], recs[0]}, nil),
		"dropped":  bytes.Join([][]byte{recs[0], recs[2]}, nil),
		"cut tail": bytes.Join([][]byte{recs[0], recs[1][:len(recs[1])-1]}, nil),
	}
	opened := map[string]int{"replay": 1, "reorder": 0, "dropped": 1, "cut tail": 1}
	for name, stream := range cases {
		fs, err := readAll(fresh(), stream)
		if err == nil {
			t.Errorf("%s: no error after %d frames", name, len(fs))
		}
		if len(fs) != opened[name] {
			t.Errorf("%s: %d frames opened before the failure, want %d", name, len(fs), opened[name])
		}
	}
	// Every single-bit flip anywhere in a record (length included) fails.
	for i := range len(recs[0]) * 8 {
		b := append([]byte(nil), recs[0]...)
		b[i/8] ^= 1 << (i % 8)
		if fs, err := readAll(fresh(), b); err == nil || len(fs) != 0 {
			t.Fatalf("bit %d flipped: frames %d, err %v", i, len(fs), err)
		}
	}
}

func TestRecordBounds(t *testing.T) {
	_, ss, _ := pair(t)
	for name, stream := range map[string][]byte{
		"too short": {0, 0, 0, MinRecord - 1},
		"too large": {0, 0, 0x10, 0},
		"cut":       {0, 0, 0, 40, 1, 2, 3},
	} {
		if _, err := readAll(ss.Open, stream); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestClientChecks(t *testing.T) {
	_, id, _ := ed25519.GenerateKey(rand.Reader)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	pub := id.Public().(ed25519.PublicKey)
	newExchange := func() (*Client, []byte) {
		c, err := NewClient(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		body, _, err := Accept(rand.Reader, id, c.Hello())
		if err != nil {
			t.Fatal(err)
		}
		return c, body
	}
	c, body := newExchange()
	if _, err := c.Finish(body, other); !errors.Is(err, ErrPin) {
		t.Errorf("other pinned key: %v", err)
	}
	if _, err := c.Finish(body, nil); err != nil {
		t.Errorf("unpinned: %v", err)
	}
	// Any changed byte of the signed part or the signature fails.
	for i := range ServerHelloSize {
		c, body := newExchange()
		b := append([]byte(nil), body...)
		b[i] ^= 0x80
		if _, err := c.Finish(b, nil); err == nil {
			t.Fatalf("byte %d altered: accepted", i)
		}
	}
	// A server hello for another client hello (a replayed answer) fails.
	c1, _ := newExchange()
	_, body2 := newExchange()
	if _, err := c1.Finish(body2, pub); !errors.Is(err, ErrSignature) {
		t.Errorf("answer to another hello: %v", err)
	}
}

func TestAcceptChecks(t *testing.T) {
	_, id, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := NewClient(rand.Reader)
	hello := c.Hello()
	zero := append([]byte{Version}, make([]byte, KeySize+NonceSize)...) // a low-order point
	for name, tc := range map[string]struct {
		body []byte
		want error
	}{
		"empty":       {nil, ErrBadHello},
		"short":       {hello[:20], ErrBadHello},
		"long":        {append(append([]byte(nil), hello...), 0), ErrBadHello},
		"version 2":   {append([]byte{2}, hello[1:]...), ErrVersion},
		"zero key":    {zero, ErrBadKey},
		"valid hello": {hello, nil},
	} {
		_, _, err := Accept(rand.Reader, id, tc.body)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", name, err, tc.want)
		}
	}
}

func TestReadFrame(t *testing.T) {
	c, _ := NewClient(rand.Reader)
	good := AppendFrame(nil, c.Hello())
	if f, err := ReadFrame(bytes.NewReader(good), ClientHelloSize); err != nil || !bytes.Equal(f.Body, c.Hello()) {
		t.Fatalf("good frame: %v", err)
	}
	bad := append([]byte(nil), good...)
	bad[9] = 1 // seq
	if _, err := ReadFrame(bytes.NewReader(bad), ClientHelloSize); !errors.Is(err, ErrBadHello) {
		t.Errorf("seq set: %v", err)
	}
	// A plain handshake_ack (a refusal) comes back as itself.
	ack := transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshakeAck, Flags: transport.FlagError, Body: []byte{8, 1}})
	if f, err := ReadFrame(bytes.NewReader(ack), ServerHelloSize); err != nil || f.Kind != transport.KindHandshakeAck {
		t.Errorf("refusal: %+v %v", f, err)
	}
	if _, err := ReadFrame(bytes.NewReader(good[:20]), ClientHelloSize); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut: %v", err)
	}
}
