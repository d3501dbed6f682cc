package world

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/proto/gen/zinxpb"
)

// The Zinx MMO demo's frames: little-endian [body length u32][msgID u32]
// [protobuf body] (proto/zinx/msg.proto).
const (
	ZinxSyncPID     = 1   // server → client: your id (SyncPID)
	ZinxTalk        = 2   // client → server: world chat (Talk)
	ZinxMove        = 3   // client → server: a move (Position)
	ZinxBroadCast   = 200 // server → client: chat, appear, move (BroadCast)
	ZinxGone        = 201 // server → client: a player left the view (SyncPID)
	ZinxSyncPlayers = 202 // server → client: the players in view (SyncPlayers)

	// BroadCast.Tp values.
	ZinxTpChat   = 1
	ZinxTpAppear = 2
	ZinxTpMove   = 4

	zinxHeader = 8
)

// Errors of the demo listener's decoder; each closes the connection with
// its reason.
var (
	ErrZinxTooLarge = errors.New("world: zinx frame too large")
	ErrZinxUnknown  = errors.New("world: zinx unknown msgID")
	ErrZinxBody     = errors.New("world: zinx malformed body")
)

// readZinxFrame reads one frame into buf (grown as needed, at most max
// body bytes) and returns its msgID and body (aliasing buf).
func readZinxFrame(r io.Reader, buf []byte, max int) (id uint32, body, newBuf []byte, err error) {
	if cap(buf) < zinxHeader {
		buf = make([]byte, zinxHeader, 512)
	}
	h := buf[:zinxHeader]
	if _, err = io.ReadFull(r, h); err != nil {
		return 0, nil, buf, err
	}
	n := binary.LittleEndian.Uint32(h[0:4])
	id = binary.LittleEndian.Uint32(h[4:8])
	if n > uint32(max) {
		return id, nil, buf, fmt.Errorf("%w: %d bytes (max %d)", ErrZinxTooLarge, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	body = buf[:n]
	if _, err = io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return id, nil, buf, err
	}
	return id, body, buf, nil
}

// zinxRequest is a decoded client frame: a move (Talk nil) or a chat.
type zinxRequest struct {
	ID   uint32
	Pos  zinxpb.Position
	Talk string
}

// decodeZinx decodes a client frame's body by its msgID.
func decodeZinx(id uint32, body []byte, into *zinxRequest) error {
	into.ID = id
	switch id {
	case ZinxMove:
		into.Pos.Reset()
		if err := proto.Unmarshal(body, &into.Pos); err != nil {
			return fmt.Errorf("%w: Position: %w", ErrZinxBody, err)
		}
	case ZinxTalk:
		var t zinxpb.Talk
		if err := proto.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("%w: Talk: %w", ErrZinxBody, err)
		}
		into.Talk = t.Content
	default:
		return fmt.Errorf("%w %d", ErrZinxUnknown, id)
	}
	return nil
}

// appendZinxFrame appends a frame whose body body appends.
func appendZinxFrame(dst []byte, id uint32, body func([]byte) []byte) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	dst = body(dst)
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-zinxHeader))
	binary.LittleEndian.PutUint32(dst[at+4:], id)
	return dst
}

func appendZinxPID(dst []byte, id uint32, pid int32) []byte {
	return appendZinxFrame(dst, id, func(b []byte) []byte {
		if pid != 0 {
			b = protowire.AppendTag(b, 1, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(int64(pid)))
		}
		return b
	})
}

// appendZinxPosition appends a Position message as field num.
func appendZinxPosition(dst []byte, num protowire.Number, e *Entity) []byte {
	var body [20]byte
	b := body[:0]
	for i, f := range [4]float32{e.X, e.Y, e.Z, e.V} {
		if f != 0 {
			b = protowire.AppendTag(b, protowire.Number(1+i), protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	}
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	return protowire.AppendBytes(dst, b)
}

// appendZinxBroadCast appends a 200 BroadCast of e with tp 2 or 4.
func appendZinxBroadCast(dst []byte, tp int32, e *Entity) []byte {
	return appendZinxFrame(dst, ZinxBroadCast, func(b []byte) []byte {
		if e.ID != 0 {
			b = protowire.AppendTag(b, 1, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(int64(e.ID)))
		}
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(tp))
		return appendZinxPosition(b, 4, e)
	})
}

func appendZinxChat(dst []byte, pid int32, text string) []byte {
	return appendZinxFrame(dst, ZinxBroadCast, func(b []byte) []byte {
		if pid != 0 {
			b = protowire.AppendTag(b, 1, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(int64(pid)))
		}
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, ZinxTpChat)
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		return protowire.AppendString(b, text)
	})
}

// appendZinxPlayers appends a 202 SyncPlayers of es.
func appendZinxPlayers(dst []byte, es []Entity) []byte {
	return appendZinxFrame(dst, ZinxSyncPlayers, func(b []byte) []byte {
		for i := range es {
			e := &es[i]
			var pb [40]byte
			p := pb[:0]
			if e.ID != 0 {
				p = protowire.AppendTag(p, 1, protowire.VarintType)
				p = protowire.AppendVarint(p, uint64(int64(e.ID)))
			}
			p = appendZinxPosition(p, 2, e)
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendBytes(b, p)
		}
		return b
	})
}

// zinxCodec encodes a cell's moves as complete 200 Tp 4 frames, so a
// viewer's tick is its cells' bytes concatenated.
type zinxCodec struct{}

// ZinxCodec is the codec of demo-protocol players.
var ZinxCodec Codec = zinxCodec{}

func (zinxCodec) AppendMoves(dst []byte, ms []Entity) []byte {
	for i := range ms {
		dst = appendZinxBroadCast(dst, ZinxTpMove, &ms[i])
	}
	return dst
}
