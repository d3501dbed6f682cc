package world

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/proto/gen/zinxpb"
)

// zinxFrame is one decoded server frame.
type zinxFrame struct {
	id  uint32
	pid int32 // SyncPID
	bc  *zinxpb.BroadCast
	ps  *zinxpb.SyncPlayers
}

// zinxTestClient speaks the demo protocol over a real socket.
type zinxTestClient struct {
	t      *testing.T
	c      net.Conn
	frames chan zinxFrame
	mu     sync.Mutex
	all    []zinxFrame
	err    error
	done   chan struct{}
}

func dialZinx(t *testing.T, addr string) *zinxTestClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	zc := &zinxTestClient{t: t, c: c, frames: make(chan zinxFrame, 4096), done: make(chan struct{})}
	go zc.read() // stopped by closing c (Cleanup)
	t.Cleanup(func() { _ = c.Close(); <-zc.done })
	return zc
}

func (zc *zinxTestClient) read() {
	defer close(zc.done)
	br := bufio.NewReader(zc.c)
	var buf []byte
	for {
		id, body, nb, err := readZinxFrame(br, buf, 1<<20)
		buf = nb
		if err != nil {
			zc.mu.Lock()
			zc.err = err
			zc.mu.Unlock()
			close(zc.frames)
			return
		}
		f := zinxFrame{id: id}
		switch id {
		case ZinxSyncPID, ZinxGone:
			var m zinxpb.SyncPID
			err = proto.Unmarshal(body, &m)
			f.pid = m.PID
		case ZinxBroadCast:
			f.bc = &zinxpb.BroadCast{}
			err = proto.Unmarshal(body, f.bc)
		case ZinxSyncPlayers:
			f.ps = &zinxpb.SyncPlayers{}
			err = proto.Unmarshal(body, f.ps)
		default:
			zc.t.Errorf("server sent msgID %d", id)
		}
		if err != nil {
			zc.t.Errorf("msgID %d: %v", id, err)
		}
		zc.frames <- f
	}
}

func (zc *zinxTestClient) send(id uint32, m proto.Message) {
	zc.t.Helper()
	body, err := proto.Marshal(m)
	if err != nil {
		zc.t.Fatal(err)
	}
	zc.raw(id, body)
}

func (zc *zinxTestClient) raw(id uint32, body []byte) {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	b = binary.LittleEndian.AppendUint32(b, id)
	_, _ = zc.c.Write(append(b, body...))
}

// next returns the next frame, failing after 3 s.
func (zc *zinxTestClient) next() zinxFrame {
	zc.t.Helper()
	select {
	case f, ok := <-zc.frames:
		if !ok {
			zc.t.Fatalf("connection closed: %v", zc.err)
		}
		return f
	case <-time.After(3 * time.Second):
		zc.t.Fatal("no frame within 3 s")
	}
	return zinxFrame{}
}

// waitFor skips frames until one satisfies ok.
func (zc *zinxTestClient) waitFor(what string, ok func(zinxFrame) bool) zinxFrame {
	zc.t.Helper()
	end := time.After(3 * time.Second)
	for {
		select {
		case f, open := <-zc.frames:
			if !open {
				zc.t.Fatalf("%s: connection closed: %v", what, zc.err)
			}
			if ok(f) {
				return f
			}
		case <-end:
			zc.t.Fatalf("%s: not within 3 s", what)
		}
	}
}

// closed waits until the server closes the connection.
func (zc *zinxTestClient) closed() bool {
	select {
	case <-zc.done:
		return true
	case <-time.After(3 * time.Second):
		return false
	}
}

func startZinx(t *testing.T, cfg Config, zcfg ZinxConfig) (*World, *Zinx, string) {
	t.Helper()
	w, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	z, err := NewZinx(w, zcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	wg.Go(func() {
		if err := z.Serve(ctx, ln); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return w, z, ln.Addr().String()
}

func fastConfig() Config {
	c := nearConfig()
	c.Tick = 20 * time.Millisecond
	return c
}

// TestZinxSession: the demo's order on connect, moves to the nine cells
// (the mover included), chat both ways with a native player, and a leave.
func TestZinxSession(t *testing.T) {
	w, z, addr := startZinx(t, fastConfig(), DefaultZinxConfig())
	nat := newSink(&testCodec{})
	ne, err := w.Enter(0, "native", nat)
	if err != nil {
		t.Fatal(err)
	}
	zc := dialZinx(t, addr)
	f := zc.next()
	if f.id != ZinxSyncPID || f.pid <= 0 || f.pid == ne.ID {
		t.Fatalf("first frame %+v, want 1 SyncPID with a new id", f)
	}
	me := f.pid
	f = zc.next()
	if f.id != ZinxBroadCast || f.bc.PID != me || f.bc.Tp != ZinxTpAppear || f.bc.GetP() == nil {
		t.Fatalf("second frame %+v, want 200 Tp 2 with my position", f)
	}
	start := f.bc.GetP()
	if start.X < 180 || start.X > 182 || start.Z < 150 || start.Z > 152 {
		t.Fatalf("start %v outside the spawn area", start)
	}
	f = zc.next()
	if f.id != ZinxSyncPlayers || len(f.ps.Ps) != 1 || f.ps.Ps[0].PID != ne.ID || f.ps.Ps[0].P.X != ne.X {
		t.Fatalf("third frame %+v, want 202 with the native player %+v", f, ne)
	}
	eventually(t, "native sees the zinx player", func() bool {
		nat.mu.Lock()
		defer nat.mu.Unlock()
		_, ok := nat.known[me]
		return ok
	})

	// A demo move: to everyone in view, the mover included; V carried.
	zc.send(ZinxMove, &zinxpb.Position{X: start.X + 0.5, Y: 7, Z: start.Z + 0.5, V: 42})
	f = zc.waitFor("my own move", func(f zinxFrame) bool { return f.bc != nil && f.bc.Tp == ZinxTpMove && f.bc.PID == me })
	if p := f.bc.GetP(); p.X != start.X+0.5 || p.Y != 7 || p.V != 42 {
		t.Fatalf("move echoed as %v", p)
	}
	eventually(t, "native sees the move", func() bool {
		nat.mu.Lock()
		defer nat.mu.Unlock()
		return nat.known[me] == pos{start.X + 0.5, start.Z + 0.5}
	})
	// A native move reaches the demo client.
	if err := w.Move(ne.ID, ne.X+0.5, 0, ne.Z, 0); err != nil {
		t.Fatal(err)
	}
	zc.waitFor("the native move", func(f zinxFrame) bool {
		return f.bc != nil && f.bc.Tp == ZinxTpMove && f.bc.PID == ne.ID && f.bc.GetP().X == ne.X+0.5
	})

	// Chat both ways.
	zc.send(ZinxTalk, &zinxpb.Talk{Content: "hello from zinx"})
	eventually(t, "native gets the chat", func() bool {
		nat.mu.Lock()
		defer nat.mu.Unlock()
		return len(nat.chats) == 1 && nat.chats[0].From == me && nat.chats[0].Text == "hello from zinx"
	})
	if err := w.Chat(t.Context(), ne.ID, "hello from native"); err != nil {
		t.Fatal(err)
	}
	zc.waitFor("the native chat", func(f zinxFrame) bool {
		return f.bc != nil && f.bc.Tp == ZinxTpChat && f.bc.PID == ne.ID && f.bc.GetContent() == "hello from native"
	})

	// A jump is refused and counted; the client is told where it is.
	zc.send(ZinxMove, &zinxpb.Position{X: start.X + 60, Z: start.Z})
	zc.waitFor("the correction", func(f zinxFrame) bool {
		return f.bc != nil && f.bc.Tp == ZinxTpMove && f.bc.PID == me && f.bc.GetP().X == start.X+0.5
	})
	if s := w.Stats(); s.RefusedFast != 1 {
		t.Fatalf("refused fast %d, want 1", s.RefusedFast)
	}

	// The native player leaves: 201.
	if err := w.Leave(ne.ID); err != nil {
		t.Fatal(err)
	}
	zc.waitFor("201 for the native player", func(f zinxFrame) bool { return f.id == ZinxGone && f.pid == ne.ID })

	// The demo client disconnects: gone from the world.
	_ = zc.c.Close()
	eventually(t, "the zinx player leaves the world", func() bool { return w.Stats().Players == 0 })
	eventually(t, "closed counted", func() bool { return z.Stats().Closed[ZinxCloseEOF] == 1 })
}

// TestZinxBadInput: each bad frame closes its connection with its reason,
// counted; another player is not affected.
func TestZinxBadInput(t *testing.T) {
	zcfg := DefaultZinxConfig()
	zcfg.FrameTimeout = 200 * time.Millisecond
	zcfg.Rate, zcfg.Burst = 10, 20
	w, z, addr := startZinx(t, fastConfig(), zcfg)
	bystander := newSink(&testCodec{})
	be, err := w.Enter(0, "bystander", bystander)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		send   func(zc *zinxTestClient)
		reason string
	}{
		{"unknown msgID", func(zc *zinxTestClient) { zc.raw(99, nil) }, ZinxCloseUnknown},
		{"server msgID from a client", func(zc *zinxTestClient) { zc.raw(ZinxBroadCast, nil) }, ZinxCloseUnknown},
		{"too large", func(zc *zinxTestClient) { zc.raw(ZinxTalk, make([]byte, 5000)) }, ZinxCloseTooLarge},
		{"length past the limit", func(zc *zinxTestClient) {
			_, _ = zc.c.Write([]byte{0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0})
		}, ZinxCloseTooLarge},
		{"malformed Position", func(zc *zinxTestClient) { zc.raw(ZinxMove, []byte{0x0d, 1, 2}) }, ZinxCloseBadBody},
		{"malformed Talk", func(zc *zinxTestClient) { zc.raw(ZinxTalk, []byte{0x0a, 0x7f}) }, ZinxCloseBadBody},
		{"half a frame", func(zc *zinxTestClient) { _, _ = zc.c.Write([]byte{4, 0, 0, 0, 3}) }, ZinxCloseRead},
		{"flood", func(zc *zinxTestClient) {
			var b []byte
			for range 200 {
				b = append(b, 0, 0, 0, 0, ZinxTalk, 0, 0, 0)
			}
			_, _ = zc.c.Write(b)
		}, ZinxCloseFlood},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := z.Stats().Closed[tt.reason]
			zc := dialZinx(t, addr)
			zc.waitFor("hello", func(f zinxFrame) bool { return f.id == ZinxSyncPlayers })
			tt.send(zc)
			if !zc.closed() {
				t.Fatal("connection not closed")
			}
			eventually(t, "reason "+tt.reason+" counted", func() bool { return z.Stats().Closed[tt.reason] == before+1 })
		})
	}
	eventually(t, "only the bystander is left", func() bool { return w.Stats().Players == 1 })
	if err := w.Move(be.ID, be.X+0.5, 0, be.Z, 0); err != nil {
		t.Fatalf("bystander's move: %v", err)
	}
}

// TestZinxIdle: a silent connection is closed after the idle timeout.
func TestZinxIdle(t *testing.T) {
	zcfg := DefaultZinxConfig()
	zcfg.IdleTimeout = 150 * time.Millisecond
	_, z, addr := startZinx(t, fastConfig(), zcfg)
	zc := dialZinx(t, addr)
	if !zc.closed() {
		t.Fatal("idle connection not closed")
	}
	eventually(t, "idle counted", func() bool { return z.Stats().Closed[ZinxCloseIdle] == 1 })
}

// TestZinxCodecFrames: the codec's frames decode as the demo's messages.
func TestZinxCodecFrames(t *testing.T) {
	es := []Entity{{ID: 3, X: 100.5, Y: 1, Z: 200.25, V: 9}, {ID: 4}}
	b := ZinxCodec.AppendMoves(nil, es)
	b = appendZinxPlayers(b, es)
	b = appendZinxPID(b, ZinxGone, 3)
	b = appendZinxChat(b, 4, "hi")
	r := bytes.NewReader(b)
	var got []proto.Message
	for {
		id, body, _, err := readZinxFrame(r, nil, 1<<16)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var m proto.Message
		switch id {
		case ZinxBroadCast:
			m = &zinxpb.BroadCast{}
		case ZinxSyncPlayers:
			m = &zinxpb.SyncPlayers{}
		case ZinxGone:
			m = &zinxpb.SyncPID{}
		}
		if err := proto.Unmarshal(body, m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	pos := func(e Entity) *zinxpb.Position { return &zinxpb.Position{X: e.X, Y: e.Y, Z: e.Z, V: e.V} }
	want := []proto.Message{
		&zinxpb.BroadCast{PID: 3, Tp: 4, Data: &zinxpb.BroadCast_P{P: pos(es[0])}},
		&zinxpb.BroadCast{PID: 4, Tp: 4, Data: &zinxpb.BroadCast_P{P: pos(es[1])}},
		&zinxpb.SyncPlayers{Ps: []*zinxpb.Player{{PID: 3, P: pos(es[0])}, {PID: 4, P: pos(es[1])}}},
		&zinxpb.SyncPID{PID: 3},
		&zinxpb.BroadCast{PID: 4, Tp: 1, Data: &zinxpb.BroadCast_Content{Content: "hi"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("frame %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// FuzzZinxFrame: any bytes decode to frames or a typed error, never a
// panic; a decoded move re-encodes to the same position.
func FuzzZinxFrame(f *testing.F) {
	frame := func(id uint32, m proto.Message) []byte {
		body, _ := proto.Marshal(m)
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
		return append(binary.LittleEndian.AppendUint32(b, id), body...)
	}
	f.Add(frame(ZinxMove, &zinxpb.Position{X: 100, Y: 2, Z: 300, V: 1}))
	f.Add(frame(ZinxTalk, &zinxpb.Talk{Content: "hello"}))
	f.Add(append(frame(ZinxMove, &zinxpb.Position{}), frame(99, &zinxpb.Talk{})...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0})
	f.Add([]byte{3, 0, 0, 0, 3, 0, 0, 0, 0x0d, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var buf []byte
		for {
			id, body, nb, err := readZinxFrame(r, buf, 4096)
			buf = nb
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrZinxTooLarge) {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			var req zinxRequest
			if err := decodeZinx(id, body, &req); err != nil {
				if !errors.Is(err, ErrZinxUnknown) && !errors.Is(err, ErrZinxBody) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if id == ZinxMove {
				e := Entity{X: req.Pos.X, Y: req.Pos.Y, Z: req.Pos.Z, V: req.Pos.V}
				b := appendZinxBroadCast(nil, ZinxTpMove, &e)
				var bc zinxpb.BroadCast
				if err := proto.Unmarshal(b[zinxHeader:], &bc); err != nil {
					t.Fatal(err)
				}
				p := bc.GetP()
				for i, pair := range [4][2]float32{{p.X, e.X}, {p.Y, e.Y}, {p.Z, e.Z}, {p.V, e.V}} {
					if math.Float32bits(pair[0]) != math.Float32bits(pair[1]) && !(pair[0] == 0 && pair[1] == 0) {
						t.Fatalf("field %d: %v re-encoded as %v", i, pair[1], pair[0])
					}
				}
			}
		}
	})
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting: %s", what)
}

// TestZinxDocVectors: the byte-by-byte examples of docs/protocol-world.md.
func TestZinxDocVectors(t *testing.T) {
	move := []byte{0x0a, 0, 0, 0, 0x03, 0, 0, 0, 0x0d, 0, 0, 0xc8, 0x42, 0x1d, 0, 0, 0x48, 0x43}
	id, body, _, err := readZinxFrame(bytes.NewReader(move), nil, 4096)
	if err != nil || id != ZinxMove {
		t.Fatalf("move frame: id %d, err %v", id, err)
	}
	var req zinxRequest
	if err := decodeZinx(id, body, &req); err != nil {
		t.Fatal(err)
	}
	if req.Pos.X != 100 || req.Pos.Z != 200 || req.Pos.Y != 0 || req.Pos.V != 0 {
		t.Errorf("move frame decodes to %v", &req.Pos)
	}
	if got, want := appendZinxPID(nil, ZinxSyncPID, 7), []byte{2, 0, 0, 0, 1, 0, 0, 0, 0x08, 0x07}; !bytes.Equal(got, want) {
		t.Errorf("SyncPID 7 = % x, want % x", got, want)
	}
}
