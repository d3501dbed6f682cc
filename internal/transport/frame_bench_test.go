package transport_test

import (
	"bufio"
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
	b     []byte
	off   int
	reads int
}

// Read returns at most the rest of the current message, as a socket does
// when the peer sends one message at a time.
func (l *loop) Read(p []byte) (int, error) {
	l.reads++
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

// BenchmarkTCPReader reads frames from a stream: "copy" into a reused
// buffer straight from the stream, "borrow" through a 512-byte bufio.Reader
// as a session's read loop does. reads/op counts reads from the stream.
func BenchmarkTCPReader(b *testing.B) {
	wire := transport.AppendTCP(nil, benchFrame())
	for _, borrow := range []bool{false, true} {
		b.Run(map[bool]string{false: "copy", true: "borrow"}[borrow], func(b *testing.B) {
			src := &loop{b: wire}
			r := transport.TCPReader{R: src, MaxBody: transport.DefaultMaxFrameBytes}
			if borrow {
				r.R, r.Borrow = bufio.NewReaderSize(src, 512), true
			}
			buf := make([]byte, 0, 512)
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := r.Next(buf)
				if err != nil || f.Seq != 12345 {
					b.Fatal(f, err)
				}
			}
			b.ReportMetric(float64(src.reads)/float64(b.N), "reads/op")
		})
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

// BenchmarkWSReader reads masked client messages from a stream and decodes
// the frame: "copy" into a reused buffer straight from the stream (three
// reads: 2 header bytes, the mask, the payload), "borrow" through a 512-byte
// bufio.Reader as a session's read loop does (one read). reads/op counts
// reads from the stream.
func BenchmarkWSReader(b *testing.B) {
	msg := transport.AppendWS(nil, benchFrame())
	wire := transport.AppendWSMasked(nil, ws.OpBinary, msg, [4]byte{1, 2, 3, 4})
	for _, borrow := range []bool{false, true} {
		b.Run(map[bool]string{false: "copy", true: "borrow"}[borrow], func(b *testing.B) {
			src := &loop{b: wire}
			r := transport.WSReader{R: src, MaxBody: transport.DefaultMaxFrameBytes + transport.HeaderWS}
			if borrow {
				r.R, r.Borrow = bufio.NewReaderSize(src, 512), true
			}
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
			b.ReportMetric(float64(src.reads)/float64(b.N), "reads/op")
		})
	}
}
