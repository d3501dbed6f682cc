package world

import (
	"context"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Route ids of the native protocol (docs/protocol-world.md).
const (
	IDEnter   = 501
	IDMove    = 502
	IDLeave   = 503
	IDChat    = 504
	IDTick    = 550
	IDChatMsg = 551

	RouteTick    = "world.tick"
	RouteChatMsg = "world.chat_msg"
)

// nativeCodec encodes a cell's moves as WorldTick field 2 entries, so a
// viewer's WorldTick body is the concatenation of its cells' bytes.
type nativeCodec struct{}

// NativeCodec is the codec of native-protocol players.
var NativeCodec Codec = nativeCodec{}

func (nativeCodec) AppendMoves(dst []byte, ms []Entity) []byte {
	for i := range ms {
		dst = appendEntity(dst, 2, &ms[i])
	}
	return dst
}

func appendEntity(dst []byte, field protowire.Number, e *Entity) []byte {
	var body [64]byte
	b := body[:0]
	if e.ID != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(e.ID)))
	}
	for i, f := range [4]float32{e.X, e.Y, e.Z, e.V} {
		if f != 0 {
			b = protowire.AppendTag(b, protowire.Number(2+i), protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	}
	if e.Name != "" {
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b = protowire.AppendString(b, e.Name)
	}
	dst = protowire.AppendTag(dst, field, protowire.BytesType)
	return protowire.AppendBytes(dst, b)
}

// nativeSink is a native session in the world.
type nativeSink struct {
	gw     *gateway.Gateway
	s      *session.Session
	behind int
	buf    []byte
}

func (n *nativeSink) Codec() Codec { return NativeCodec }

func (n *nativeSink) Send(u *Update) bool {
	if n.s.Queued() >= n.behind {
		return false
	}
	b := n.buf[:0]
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, u.Tick)
	for _, m := range u.Moved {
		b = append(b, m...)
	}
	for i := range u.Entered {
		b = appendEntity(b, 3, &u.Entered[i])
	}
	for _, id := range u.Left {
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(id)))
	}
	if u.Reset {
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	n.buf = b
	return n.gw.PushRaw(n.s, RouteTick, (*pb.WorldTick)(nil), b) == nil
}

func (n *nativeSink) Chat(m ChatMessage) {
	_ = n.gw.Push(n.s, RouteChatMsg, &pb.WorldChatMsg{From: m.From, Name: m.Name, Text: m.Text, SentMs: m.SentMs})
}

func pbEntity(e Entity) *pb.WorldEntity {
	return &pb.WorldEntity{Id: e.ID, X: e.X, Y: e.Y, Z: e.Z, V: e.V, Name: e.Name}
}

// Native is the world's native protocol: its routes and its sessions.
type Native struct {
	w  *World
	gw *gateway.Gateway
	// names gives a user's display name as others see it ("" when
	// unknown); nil: players enter without one.
	names func(ctx context.Context, user int64) string
}

// SetNames sets where a player's display name comes from when it enters
// (the account's name, word-filtered); call it before serving.
func (n *Native) SetNames(f func(ctx context.Context, user int64) string) { n.names = f }

const sessKey = "world.player"

type sessState struct {
	id   int32
	sink *nativeSink
}

// RegisterNative adds the world routes to r. Attach the gateway (for
// pushes and disconnects) with Native.Attach before serving.
func RegisterNative(r *gateway.Router, w *World) *Native {
	n := &Native{w: w}
	cfg := w.Config()
	gateway.Handle(r, "world.enter", IDEnter, func(ctx context.Context, s *session.Session, _ *pb.WorldEnterReq) (*pb.WorldEnterResp, error) {
		if n.gw == nil {
			return nil, ErrStopped
		}
		st := &sessState{sink: &nativeSink{gw: n.gw, s: s, behind: cfg.Behind}}
		if old, ok := s.Get(sessKey); ok && old != nil {
			st = old.(*sessState)
		}
		name := ""
		if n.names != nil {
			name = n.names(ctx, s.UserID())
		}
		e, err := w.Enter(s.UserID(), name, st.sink)
		if err != nil {
			return nil, err
		}
		st.id = e.ID
		s.Set(sessKey, st)
		return &pb.WorldEnterResp{Self: pbEntity(e), Map: &pb.WorldMap{MinX: float32(cfg.MinX), MaxX: float32(cfg.MaxX),
			MinZ: float32(cfg.MinZ), MaxZ: float32(cfg.MaxZ), CellsX: uint32(cfg.CellsX), CellsZ: uint32(cfg.CellsZ),
			ViewRadius: uint32(cfg.ViewRadius)}, TickMs: uint32(cfg.Tick.Milliseconds()), MaxSpeed: float32(cfg.MaxSpeed)}, nil
	})
	gateway.Handle(r, "world.move", IDMove, func(_ context.Context, s *session.Session, req *pb.WorldMoveReq) (*pb.WorldMoveResp, error) {
		st := state(s)
		if st == nil {
			w.st.refusedNo.Add(1)
			return nil, ErrNotInWorld
		}
		if err := w.Move(st.id, req.X, req.Y, req.Z, req.V); err != nil {
			return nil, err
		}
		return &pb.WorldMoveResp{}, nil
	})
	gateway.Handle(r, "world.leave", IDLeave, func(_ context.Context, s *session.Session, _ *pb.WorldLeaveReq) (*pb.WorldLeaveResp, error) {
		st := state(s)
		if st == nil {
			return nil, ErrNotInWorld
		}
		s.Set(sessKey, nil)
		if err := w.Leave(st.id); err != nil {
			return nil, err
		}
		return &pb.WorldLeaveResp{}, nil
	})
	gateway.Handle(r, "world.chat", IDChat, func(ctx context.Context, s *session.Session, req *pb.WorldChatReq) (*pb.WorldChatResp, error) {
		st := state(s)
		if st == nil {
			return nil, ErrNotInWorld
		}
		if err := w.Chat(ctx, st.id, req.Text); err != nil {
			return nil, err
		}
		return &pb.WorldChatResp{}, nil
	})
	r.PushRoute(RouteTick, IDTick)
	r.PushRoute(RouteChatMsg, IDChatMsg)
	return n
}

func state(s *session.Session) *sessState {
	v, ok := s.Get(sessKey)
	if !ok || v == nil {
		return nil
	}
	return v.(*sessState)
}

// Attach gives the routes their gateway and follows its disconnects.
func (n *Native) Attach(gw *gateway.Gateway) {
	n.gw = gw
	gw.OnDisconnect(func(s *session.Session, _ string) {
		if st := state(s); st != nil {
			n.w.Disconnect(st.id, st.sink)
		}
	})
}
