package transport_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
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

// benchReaders runs read as "copy", straight from a stream that replays
// wire one message per read, and as "borrow", through a 512-byte
// bufio.Reader as a session's read loop does. read reads and checks one
// message from r with the given Borrow setting and a reused buffer.
// reads/op counts reads from the stream.
func benchReaders(b *testing.B, wire []byte, read func(r io.Reader, borrow bool) func(buf []byte) error) {
	for _, borrow := range []bool{false, true} {
		b.Run(map[bool]string{false: "copy", true: "borrow"}[borrow], func(b *testing.B) {
			src := &loop{b: wire}
			var r io.Reader = src
			if borrow {
				r = bufio.NewReaderSize(src, 512)
			}
			next := read(r, borrow)
			buf := make([]byte, 0, 512)
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				if err := next(buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(src.reads)/float64(b.N), "reads/op")
		})
	}
}

// BenchmarkTCPReader reads TCP frames (two reads each when copying: the
// header, then the body; one when borrowing).
func BenchmarkTCPReader(b *testing.B) {
	benchReaders(b, transport.AppendTCP(nil, benchFrame()), func(src io.Reader, borrow bool) func([]byte) error {
		r := transport.TCPReader{R: src, MaxBody: transport.DefaultMaxFrameBytes, Borrow: borrow}
		return func(buf []byte) error {
			f, err := r.Next(buf)
			if err == nil && f.Seq != 12345 {
				err = fmt.Errorf("seq %d", f.Seq)
			}
			return err
		}
	})
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

// BenchmarkWSReader reads masked client messages and decodes the frame
// (three reads each when copying: 2 header bytes, the mask, the payload;
// one when borrowing).
func BenchmarkWSReader(b *testing.B) {
	msg := transport.AppendWS(nil, benchFrame())
	wire := transport.AppendWSMasked(nil, ws.OpBinary, msg, [4]byte{1, 2, 3, 4})
	benchReaders(b, wire, func(src io.Reader, borrow bool) func([]byte) error {
		r := transport.WSReader{R: src, MaxBody: transport.DefaultMaxFrameBytes + transport.HeaderWS, Borrow: borrow}
		return func(buf []byte) error {
			op, p, err := r.Next(buf)
			if err != nil {
				return err
			}
			if op != ws.OpBinary {
				return fmt.Errorf("opcode %v", op)
			}
			f, err := transport.DecodeWS(p, transport.DefaultMaxFrameBytes)
			if err == nil && f.Seq != 12345 {
				err = fmt.Errorf("seq %d", f.Seq)
			}
			return err
		}
	})
}
