package transport_test

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"

	"github.com/lordgame/lordgame/internal/transport"
)

// The frames a sys.echo request with a 64-byte payload produces: the
// steady-state traffic of lordbench -scenario rpc -size 64.
func benchFrame() *transport.Frame {
	return &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 12345, Body: bytes.Repeat([]byte{'x'}, 66)}
}

// loop replays the same bytes forever, like a socket full of identical frames.
type loop struct {
	b   []byte
	off int
}

func (l *loop) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

func BenchmarkAppendTCP(b *testing.B) {
	f := benchFrame()
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(transport.HeaderTCP + len(f.Body)))
	b.ReportAllocs()
	for b.Loop() {
		buf = transport.AppendTCP(buf[:0], f)
	}
}

func BenchmarkAppendWS(b *testing.B) {
	f := benchFrame()
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(transport.HeaderWS + len(f.Body)))
	b.ReportAllocs()
	for b.Loop() {
		// What a server writes: the WebSocket frame header, then the frame.
		buf = transport.AppendWSHeader(buf[:0], ws.OpBinary, transport.HeaderWS+len(f.Body))
		buf = transport.AppendWS(buf, f)
	}
}

func BenchmarkDecodeTCP(b *testing.B) {
	wire := transport.AppendTCP(nil, benchFrame())
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := transport.DecodeTCP(wire, transport.DefaultMaxFrameBytes)
		if err != nil || f.Seq != 12345 {
			b.Fatal(f, err)
		}
	}
}

// BenchmarkTCPReader reads frames from a stream into a reused buffer, as a
// session's read loop does.
func BenchmarkTCPReader(b *testing.B) {
	wire := transport.AppendTCP(nil, benchFrame())
	r := transport.TCPReader{R: &loop{b: wire}, MaxBody: transport.DefaultMaxFrameBytes}
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := r.Next(buf)
		if err != nil || f.Seq != 12345 {
			b.Fatal(f, err)
		}
	}
}

func BenchmarkDecodeWS(b *testing.B) {
	msg := transport.AppendWS(nil, benchFrame())
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := transport.DecodeWS(msg, transport.DefaultMaxFrameBytes)
		if err != nil || f.Seq != 12345 {
			b.Fatal(f, err)
		}
	}
}

// BenchmarkWSReader reads masked client messages from a stream into a
// reused buffer and decodes the frame, as a session's read loop does.
func BenchmarkWSReader(b *testing.B) {
	msg := transport.AppendWS(nil, benchFrame())
	wire := transport.AppendWSMasked(nil, ws.OpBinary, msg, [4]byte{1, 2, 3, 4})
	r := transport.WSReader{R: &loop{b: wire}, MaxBody: transport.DefaultMaxFrameBytes + transport.HeaderWS}
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		op, p, err := r.Next(buf)
		if err != nil || op != ws.OpBinary {
			b.Fatal(op, err)
		}
		f, err := transport.DecodeWS(p, transport.DefaultMaxFrameBytes)
		if err != nil || f.Seq != 12345 {
			b.Fatal(f, err)
		}
	}
}
