package world

import (
	"context"
	"math"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
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

// appendTick appends u as a WorldTick body.
func appendTick(b []byte, u *Update) []byte {
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
	return b
}

func chatMsg(m ChatMessage) *pb.WorldChatMsg {
	return &pb.WorldChatMsg{From: m.From, Name: m.Name, Text: m.Text, SentMs: m.SentMs}
}

// nativeSink is a native session of this node in the world.
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
	n.buf = appendTick(n.buf[:0], u)
	return n.gw.PushRaw(n.s, RouteTick, (*pb.WorldTick)(nil), n.buf) == nil
}

func (n *nativeSink) Chat(m ChatMessage) { _ = n.gw.Push(n.s, RouteChatMsg, chatMsg(m)) }

// Pusher delivers pushes to users connected to other nodes (the cluster
// mesh): a batch of bodies, one per user, in one message per gateway.
type Pusher interface {
	PushRawBatch(route string, typ proto.Message, userIDs []int64, bodies [][]byte) error
	// CallerGateway is the gateway the user's latest call came from.
	CallerGateway(userID int64) (string, bool)
}

// remoteSink is a native session on another node (a gateway of the
// cluster). Its ticks and chat lines are collected and sent at the end of
// the zone's tick, one message per gateway for all of its players; that
// gateway's send queue applies its policy (the world cannot see it, so it
// never coalesces for it).
type remoteSink struct {
	n    *Native
	uid  int64
	sid  string
	node string // its gateway ("" when not known)
}

func (r *remoteSink) Codec() Codec { return NativeCodec }

func (r *remoteSink) Send(u *Update) bool {
	r.n.ticks.add(r.uid, func(b []byte) []byte { return appendTick(b, u) })
	return true
}

func (r *remoteSink) Chat(m ChatMessage) {
	r.n.chats.add(r.uid, func(b []byte) []byte {
		out, _ := proto.MarshalOptions{}.MarshalAppend(b, chatMsg(m))
		return out
	})
}

// pushBatch collects one route's pushes to remote sessions until the end
// of a tick.
type pushBatch struct {
	mu    sync.Mutex
	uids  []int64
	ends  []int // ends[i]: where push i's body ends in buf
	buf   []byte
	spare pushBatchBuf
}

type pushBatchBuf struct {
	uids   []int64
	ends   []int
	buf    []byte
	bodies [][]byte
}

func (b *pushBatch) add(uid int64, body func([]byte) []byte) {
	b.mu.Lock()
	b.buf = body(b.buf)
	b.uids = append(b.uids, uid)
	b.ends = append(b.ends, len(b.buf))
	b.mu.Unlock()
}

// flush sends what was collected on route.
func (b *pushBatch) flush(p Pusher, route string, typ proto.Message) {
	b.mu.Lock()
	if len(b.uids) == 0 {
		b.mu.Unlock()
		return
	}
	out := pushBatchBuf{uids: b.uids, ends: b.ends, buf: b.buf, bodies: b.spare.bodies[:0]}
	b.uids, b.ends, b.buf = b.spare.uids[:0], b.spare.ends[:0], b.spare.buf[:0]
	b.spare = pushBatchBuf{}
	b.mu.Unlock()
	start := 0
	for _, end := range out.ends {
		out.bodies = append(out.bodies, out.buf[start:end])
		start = end
	}
	_ = p.PushRawBatch(route, typ, out.uids, out.bodies)
	b.mu.Lock()
	if b.spare.buf == nil { // keep the storage for the next tick
		b.spare = out
	}
	b.mu.Unlock()
}

func pbEntity(e Entity) *pb.WorldEntity {
	return &pb.WorldEntity{Id: e.ID, X: e.X, Y: e.Y, Z: e.Z, V: e.V, Name: e.Name}
}

// ErrElsewhere: this node does not run the world now.
var ErrElsewhere = status.RuleError(status.Unavailable, "world_unavailable", "the world is starting or moving to another server: try again")

// Native is the world's native protocol: its routes and its sessions.
// The routes serve the world that cur returns (nil: this node runs none
// now), for sessions of this node and, forwarded by the cluster, of
// others.
type Native struct {
	cfg    Config
	cur    func() *World
	gw     *gateway.Gateway
	remote Pusher
	// names gives a user's display name as others see it ("" when
	// unknown); nil: players enter without one.
	names func(ctx context.Context, user int64) string

	mu      sync.Mutex
	remotes map[int64]*remoteSink // by user: its connection on another node

	ticks, chats pushBatch // to remote sinks, sent at the end of each tick
}

// Flush sends the pushes collected for sessions on other nodes; the
// world's zones call it at the end of their ticks (World.OnTickEnd).
func (n *Native) Flush() {
	if n.remote == nil {
		return
	}
	n.ticks.flush(n.remote, RouteTick, (*pb.WorldTick)(nil))
	n.chats.flush(n.remote, RouteChatMsg, (*pb.WorldChatMsg)(nil))
}

// SetNames sets where a player's display name comes from when it enters
// (the account's name, word-filtered); call it before serving.
func (n *Native) SetNames(f func(ctx context.Context, user int64) string) { n.names = f }

// SetRemote sets how sessions of other nodes are reached; call it before
// serving.
func (n *Native) SetRemote(p Pusher) { n.remote = p }

const sessKey = "world.player"

type sessState struct {
	sink *nativeSink
}

// Route ids and names of the cluster's internal world route.
const (
	IDGone    = 505
	RouteGone = "world.gone"
)

// RegisterNative adds the world routes to r, serving the world cur
// returns. Attach the gateway (for pushes and disconnects) with
// Native.Attach before serving. world.enter, world.leave and world.chat
// are spans while traces are recorded (trace.go).
func RegisterNative(r *gateway.Router, cfg Config, cur func() *World) *Native {
	n := &Native{cfg: cfg, cur: cur, remotes: map[int64]*remoteSink{}}
	player := func(s *session.Session) (*World, int32, error) {
		w := n.cur()
		if w == nil {
			return nil, 0, ErrElsewhere
		}
		id, ok := w.PlayerOf(s.UserID())
		if !ok {
			w.st.refusedNo.Add(1)
			return w, 0, ErrNotInWorld
		}
		return w, id, nil
	}
	gateway.Handle(r, "world.enter", IDEnter, traced("world enter", func(ctx context.Context, s *session.Session, _ *pb.WorldEnterReq) (*pb.WorldEnterResp, error) {
		w := n.cur()
		if w == nil || n.gw == nil {
			return nil, ErrElsewhere
		}
		sink, err := n.sinkOf(s)
		if err != nil {
			return nil, err
		}
		name := ""
		if n.names != nil {
			name = n.names(ctx, s.UserID())
		}
		e, err := w.Enter(s.UserID(), name, sink)
		if err != nil {
			return nil, err
		}
		spanPlayer(ctx, w, e.ID, true)
		c := w.Config()
		return &pb.WorldEnterResp{Self: pbEntity(e), Map: &pb.WorldMap{MinX: float32(c.MinX), MaxX: float32(c.MaxX),
			MinZ: float32(c.MinZ), MaxZ: float32(c.MaxZ), CellsX: uint32(c.CellsX), CellsZ: uint32(c.CellsZ),
			ViewRadius: uint32(c.ViewRadius)}, TickMs: uint32(c.Tick.Milliseconds()), MaxSpeed: float32(c.MaxSpeed)}, nil
	}))
	gateway.Handle(r, "world.move", IDMove, func(_ context.Context, s *session.Session, req *pb.WorldMoveReq) (*pb.WorldMoveResp, error) {
		w, id, err := player(s)
		if err != nil {
			return nil, err
		}
		if err := w.Move(id, req.X, req.Y, req.Z, req.V); err != nil {
			return nil, err
		}
		return &pb.WorldMoveResp{}, nil
	})
	gateway.Handle(r, "world.leave", IDLeave, traced("world leave", func(ctx context.Context, s *session.Session, _ *pb.WorldLeaveReq) (*pb.WorldLeaveResp, error) {
		w, id, err := player(s)
		if err != nil {
			return nil, err
		}
		spanPlayer(ctx, w, id, true)
		if err := w.Leave(id); err != nil {
			return nil, err
		}
		return &pb.WorldLeaveResp{}, nil
	}))
	gateway.Handle(r, "world.chat", IDChat, traced("world chat", func(ctx context.Context, s *session.Session, req *pb.WorldChatReq) (*pb.WorldChatResp, error) {
		w, id, err := player(s)
		if err != nil {
			return nil, err
		}
		spanPlayer(ctx, w, id, false)
		if err := w.Chat(ctx, id, req.Text); err != nil {
			return nil, err
		}
		return &pb.WorldChatResp{}, nil
	}))
	// world.gone: the gateway of a session on another node tells the world
	// that the connection closed (its value: the session id).
	gateway.Handle(r, RouteGone, IDGone, func(_ context.Context, s *session.Session, req *wrapperspb.StringValue) (*emptypb.Empty, error) {
		n.mu.Lock()
		rs := n.remotes[s.UserID()]
		if rs != nil && rs.sid == req.Value {
			delete(n.remotes, s.UserID())
		}
		n.mu.Unlock()
		if w := n.cur(); w != nil && rs != nil && rs.sid == req.Value {
			if id, ok := w.PlayerOf(s.UserID()); ok {
				w.Disconnect(id, rs)
			}
		}
		return &emptypb.Empty{}, nil
	}, gateway.Internal(), gateway.Public())
	r.PushRoute(RouteTick, IDTick)
	r.PushRoute(RouteChatMsg, IDChatMsg)
	return n
}

// sinkOf is the sink of s: its own for a session of this node, else the
// remote sink of the user's connection on another node (a new one for a
// new connection).
func (n *Native) sinkOf(s *session.Session) (Sink, error) {
	if n.gw.UserSession(s.UserID()) == s {
		if v, ok := s.Get(sessKey); ok && v != nil {
			return v.(*sessState).sink, nil
		}
		st := &sessState{sink: &nativeSink{gw: n.gw, s: s, behind: n.cfg.Behind}}
		s.Set(sessKey, st)
		return st.sink, nil
	}
	if n.remote == nil {
		return nil, ErrElsewhere
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rs := n.remotes[s.UserID()]
	if rs == nil || rs.sid != s.ID() {
		rs = &remoteSink{n: n, uid: s.UserID(), sid: s.ID()}
		rs.node, _ = n.remote.CallerGateway(s.UserID())
		n.remotes[s.UserID()] = rs
	}
	return rs, nil
}

// DropGone disconnects the sessions of other nodes whose gateway is not
// alive: a gateway that died never says that its connections closed (the
// players then leave after the grace, as on any disconnect). Call it only
// while this node's view of the cluster is trusted.
func (n *Native) DropGone(alive func(node string) bool) {
	var gone []*remoteSink
	n.mu.Lock()
	for uid, rs := range n.remotes {
		if rs.node != "" && !alive(rs.node) {
			gone = append(gone, rs)
			delete(n.remotes, uid)
		}
	}
	n.mu.Unlock()
	w := n.cur()
	if w == nil {
		return
	}
	for _, rs := range gone {
		if id, ok := w.PlayerOf(rs.uid); ok {
			w.Disconnect(id, rs)
		}
	}
}

// Entered reports whether s, a session of this node, entered this node's
// world (its disconnect is handled here).
func Entered(s *session.Session) bool {
	v, ok := s.Get(sessKey)
	return ok && v != nil
}

// Attach gives the routes their gateway and follows its disconnects.
func (n *Native) Attach(gw *gateway.Gateway) {
	n.gw = gw
	gw.OnDisconnect(func(s *session.Session, _ string) {
		v, ok := s.Get(sessKey)
		if !ok || v == nil {
			return
		}
		w := n.cur()
		if w == nil {
			return
		}
		if id, ok := w.PlayerOf(s.UserID()); ok {
			w.Disconnect(id, v.(*sessState).sink)
		}
	})
}
