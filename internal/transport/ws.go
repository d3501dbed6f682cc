package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/gobwas/ws"
)

// WebSocket messages are read and written with the low-level API of
// github.com/gobwas/ws: no per-connection buffers beyond what a message needs.

// ErrWSProtocol is returned for WebSocket framing the RFC forbids.
var ErrWSProtocol = errors.New("transport: websocket protocol violation")

// WSReader reads whole WebSocket messages from R, joining fragments and
// unmasking client frames. Control frames are returned as they come.
type WSReader struct {
	R       io.Reader
	MaxBody int // largest data message, header included
	// Borrow lets Next return a payload that aliases R's buffer when R is
	// a *bufio.Reader (see Next).
	Borrow bool

	// A fragmented message interrupted by a control frame waits here.
	fragOp ws.OpCode
	frag   []byte
	// hdr holds the frame header being read, so that reading one
	// allocates nothing.
	hdr [ws.MaxHeaderSize - 2]byte
}

// Next returns the next message's opcode and payload. Lengths are checked
// before anything is allocated. With Borrow set, when R is a *bufio.Reader
// and a single-frame message fits in its buffer, the payload is unmasked in
// place and returned without a copy: the header and a small message then
// cost one read from the socket, and the payload is valid only until the
// next call. Otherwise data payloads are read into buf when they fit, else
// into a new slice.
func (w *WSReader) Next(buf []byte) (ws.OpCode, []byte, error) {
	op, msg := w.fragOp, w.frag
	w.fragOp, w.frag = 0, nil
	inBuf := false
	for {
		h, err := ws.ReadHeaderBuffer(w.R, w.hdr[:2])
		if err != nil {
			return 0, nil, err
		}
		if h.OpCode.IsControl() {
			if h.Length > 125 || !h.Fin {
				return 0, nil, ErrWSProtocol
			}
			p := make([]byte, h.Length)
			if err := readPayload(w.R, p, h); err != nil {
				return 0, nil, err
			}
			if op != 0 { // keep the unfinished message for the next call
				w.fragOp, w.frag = op, append([]byte(nil), msg...)
			}
			return h.OpCode, p, nil
		}
		if h.OpCode == ws.OpContinuation {
			if op == 0 {
				return 0, nil, ErrWSProtocol
			}
		} else {
			if op != 0 {
				return 0, nil, ErrWSProtocol
			}
			op = h.OpCode
		}
		total := int64(len(msg)) + h.Length
		if h.Length < 0 || total > int64(w.MaxBody) {
			return 0, nil, ErrFrameTooLarge
		}
		n := len(msg)
		if br, ok := w.R.(*bufio.Reader); ok && w.Borrow && n == 0 && h.Fin && int(h.Length) <= br.Size() {
			p, err := borrow(br, int(h.Length))
			if err != nil {
				return 0, nil, err
			}
			if h.Masked {
				ws.Cipher(p, h.Mask, 0)
			}
			return op, p, nil
		}
		if int(total) <= cap(buf) && (n == 0 || inBuf) {
			msg, inBuf = buf[:total], true
		} else {
			grown := make([]byte, total)
			copy(grown, msg)
			msg, inBuf = grown, false
		}
		if err := readPayload(w.R, msg[n:], h); err != nil {
			return 0, nil, err
		}
		if h.Fin {
			return op, msg, nil
		}
	}
}

func readPayload(r io.Reader, p []byte, h ws.Header) error {
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	return nil
}

type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// AppendWSHeader appends the header of an unmasked, final WebSocket frame
// with the given opcode and payload length (server to client).
// It is written by hand (RFC 6455 section 5.2) because ws.WriteHeader
// allocates twice per frame.
func AppendWSHeader(dst []byte, op ws.OpCode, n int) []byte {
	b0 := 0x80 | byte(op) // FIN
	switch {
	case n <= 125:
		return append(dst, b0, byte(n))
	case n <= 0xFFFF:
		return append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, b0, 127), uint64(n))
	}
}

// AppendWSMasked appends a whole masked, final WebSocket frame (client to
// server) carrying payload.
func AppendWSMasked(dst []byte, op ws.OpCode, payload []byte, mask [4]byte) []byte {
	w := appendWriter{b: dst}
	_ = ws.WriteHeader(&w, ws.Header{Fin: true, OpCode: op, Length: int64(len(payload)), Masked: true, Mask: mask})
	n := len(w.b)
	w.b = append(w.b, payload...)
	ws.Cipher(w.b[n:], mask, 0)
	return w.b
}
