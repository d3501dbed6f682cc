package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Kind is the first header byte: what a frame is. The values are the
// lordgame.v1.Kind enum of proto/lordgame/v1/protocol.proto.
type Kind uint8

// Frame kinds.
const (
	KindHandshake    Kind = 1
	KindHandshakeAck Kind = 2
	KindRequest      Kind = 3
	KindResponse     Kind = 4
	KindNotify       Kind = 5
	KindPush         Kind = 6
	KindHeartbeat    Kind = 7
	KindKick         Kind = 8
)

var kindNames = [...]string{"", "handshake", "handshake_ack", "request", "response", "notify", "push", "heartbeat", "kick"}

// String is the kind's name as used in JSON text mode.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// KindFromString parses a JSON text mode kind name.
func KindFromString(s string) (Kind, bool) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k >= KindHandshake && k <= KindKick }

// FlagError marks a RESPONSE or HANDSHAKE_ACK whose body is an Error.
const FlagError uint8 = 1

// Header sizes in bytes. A TCP frame is a 4-byte body length followed by the
// 8-byte WebSocket header; a WebSocket binary message is the 8-byte header
// and the body, its length given by the WebSocket frame.
const (
	HeaderWS  = 8
	HeaderTCP = 4 + HeaderWS
)

// DefaultMaxFrameBytes is the default largest body a peer may send.
const DefaultMaxFrameBytes = 64 << 10

// Frame is one protocol message. All multi-byte header fields are big-endian
// (network byte order).
//
//	offset  size  field
//	0       1     kind
//	1       1     flags (bit 0: error)
//	2       2     route id
//	4       4     seq
//	8       n     body
type Frame struct {
	Kind  Kind
	Flags uint8
	Route uint16
	Seq   uint32
	Body  []byte
	// RouteName is set instead of Route by JSON text mode clients that name
	// routes; the gateway resolves it.
	RouteName string
}

// Decoding errors. Each one means the peer broke the framing and the
// connection cannot be trusted any further.
var (
	ErrShortFrame    = errors.New("transport: frame shorter than its header")
	ErrFrameTooLarge = errors.New("transport: frame larger than the maximum")
	ErrBadKind       = errors.New("transport: unknown frame kind")
)

func putHeader(b []byte, f *Frame) {
	b[0] = byte(f.Kind)
	b[1] = f.Flags
	binary.BigEndian.PutUint16(b[2:4], f.Route)
	binary.BigEndian.PutUint32(b[4:8], f.Seq)
}

// AppendWS appends f as a WebSocket binary message payload.
func AppendWS(dst []byte, f *Frame) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, HeaderWS)...)
	putHeader(dst[n:], f)
	return append(dst, f.Body...)
}

// AppendTCP appends f as a TCP frame: body length, header, body.
func AppendTCP(dst []byte, f *Frame) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, HeaderTCP)...)
	binary.BigEndian.PutUint32(dst[n:], uint32(len(f.Body)))
	putHeader(dst[n+4:], f)
	return append(dst, f.Body...)
}

// DecodeWS decodes a WebSocket binary message. The body aliases msg.
func DecodeWS(msg []byte, maxBody int) (Frame, error) {
	if len(msg) < HeaderWS {
		return Frame{}, ErrShortFrame
	}
	if len(msg)-HeaderWS > maxBody {
		return Frame{}, ErrFrameTooLarge
	}
	f := decodeHeader(msg)
	if !f.Kind.Valid() {
		return Frame{}, ErrBadKind
	}
	f.Body = msg[HeaderWS:]
	return f, nil
}

func decodeHeader(b []byte) Frame {
	return Frame{
		Kind:  Kind(b[0]),
		Flags: b[1],
		Route: binary.BigEndian.Uint16(b[2:4]),
		Seq:   binary.BigEndian.Uint32(b[4:8]),
	}
}

// TCPReader reads TCP frames. Its header buffer lives in the struct so that
// reading a header allocates nothing.
type TCPReader struct {
	R       io.Reader
	MaxBody int
	// Borrow lets Next return a body that aliases R's buffer when R is a
	// *bufio.Reader (see Next).
	Borrow bool
	hdr    [HeaderTCP]byte
}

// Next reads one frame; the length is checked against MaxBody before
// anything is allocated. With Borrow set, when R is a *bufio.Reader and the
// body fits in its buffer, the body is returned without a copy and is valid
// only until the next call (a header and a small body then cost one read
// from the socket). Otherwise the body is read into buf when it fits (buf's
// capacity), else into a new slice.
func (t *TCPReader) Next(buf []byte) (Frame, error) {
	if _, err := io.ReadFull(t.R, t.hdr[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(t.hdr[0:4])
	if uint64(n) > uint64(t.MaxBody) {
		return Frame{}, ErrFrameTooLarge
	}
	f := decodeHeader(t.hdr[4:])
	if !f.Kind.Valid() {
		return Frame{}, ErrBadKind
	}
	if br, ok := t.R.(*bufio.Reader); ok && t.Borrow && int(n) <= br.Size() {
		p, err := borrow(br, int(n))
		if err != nil {
			return Frame{}, err
		}
		f.Body = p
		return f, nil
	}
	if int(n) <= cap(buf) {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(t.R, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	f.Body = buf
	return f, nil
}

// DecodeTCP decodes exactly one TCP frame from b (used by tests and fuzzing).
func DecodeTCP(b []byte, maxBody int) (Frame, error) {
	if len(b) < HeaderTCP {
		return Frame{}, ErrShortFrame
	}
	n := binary.BigEndian.Uint32(b[0:4])
	if uint64(n) > uint64(maxBody) {
		return Frame{}, ErrFrameTooLarge
	}
	if uint64(len(b)-HeaderTCP) != uint64(n) {
		return Frame{}, ErrShortFrame
	}
	f := decodeHeader(b[4:])
	if !f.Kind.Valid() {
		return Frame{}, ErrBadKind
	}
	f.Body = b[HeaderTCP:]
	return f, nil
}

// borrow returns the next n bytes of br (n at most br.Size()) as a slice of
// its buffer, valid until the next read from br, and consumes them. A
// stream that ends first is io.ErrUnexpectedEOF: the header promised n.
func borrow(br *bufio.Reader, n int) ([]byte, error) {
	p, err := br.Peek(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	_, _ = br.Discard(n) // cannot fail: Peek returned n bytes
	return p, nil
}
