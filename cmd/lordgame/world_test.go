package main

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

type worldClient struct {
	c     *client.Client
	mu    sync.Mutex
	known map[int32][2]float32
	chats []string
}

func (wc *worldClient) sees(id int32) ([2]float32, bool) {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	p, ok := wc.known[id]
	return p, ok
}

func worldJoin(t *testing.T, s *server, device string) (*worldClient, *pb.WorldEnterResp) {
	t.Helper()
	tok, _ := guest(t, s.HTTPAddr(), device)
	c, err := client.Dial(t.Context(), "tcp://"+s.TCPAddr(), client.Options{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	wc := &worldClient{c: c, known: map[int32][2]float32{}}
	c.On("world.tick", func(p client.Push) {
		var m pb.WorldTick
		if err := p.Decode(&m); err != nil {
			t.Error(err)
			return
		}
		wc.mu.Lock()
		defer wc.mu.Unlock()
		if m.Reset_ {
			wc.known = map[int32][2]float32{}
		}
		for _, id := range m.Left {
			delete(wc.known, id)
		}
		for _, e := range m.Entered {
			wc.known[e.Id] = [2]float32{e.X, e.Z}
		}
		for _, e := range m.Moved {
			if _, ok := wc.known[e.Id]; ok {
				wc.known[e.Id] = [2]float32{e.X, e.Z}
			}
		}
	})
	c.On("world.chat_msg", func(p client.Push) {
		var m pb.WorldChatMsg
		_ = p.Decode(&m)
		wc.mu.Lock()
		wc.chats = append(wc.chats, m.Text)
		wc.mu.Unlock()
	})
	var resp pb.WorldEnterResp
	if err := c.Request(t.Context(), "world.enter", &pb.WorldEnterReq{}, &resp); err != nil {
		t.Fatal(err)
	}
	return wc, &resp
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out waiting: %s", what)
}

// TestWorldNative: real clients over TCP enter, see each other, move,
// chat, get typed refusals and see a leaver disappear.
func TestWorldNative(t *testing.T) {
	s, _, _ := startServer(t)
	a, ea := worldJoin(t, s, "world-test-device-aaaa")
	b, eb := worldJoin(t, s, "world-test-device-bbbb")
	if ea.Map.CellsX != 10 || ea.TickMs != 100 || ea.Self.Id == eb.Self.Id {
		t.Fatalf("enter: %+v %+v", ea, eb)
	}
	// The demo's spawn area is 2x4 cells: the first two joins are in view
	// of each other or not; move b next to a in steps to be sure.
	bx, bz := eb.Self.X, eb.Self.Z
	for bx != ea.Self.X || bz != ea.Self.Z {
		step := func(v, to float32) float32 {
			switch {
			case to-v > 3:
				return v + 3
			case v-to > 3:
				return v - 3
			}
			return to
		}
		bx, bz = step(bx, ea.Self.X), step(bz, ea.Self.Z)
		if err := b.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: bx, Z: bz}, &pb.WorldMoveResp{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(110 * time.Millisecond)
	}
	eventually(t, "a sees b at its position", func() bool { p, ok := a.sees(eb.Self.Id); return ok && p == [2]float32{bx, bz} })
	eventually(t, "b sees a", func() bool { _, ok := b.sees(ea.Self.Id); return ok })
	for _, tc := range []struct {
		req  *pb.WorldMoveReq
		rule string
	}{
		{&pb.WorldMoveReq{X: 1, Z: 1}, "off_map"},
		{&pb.WorldMoveReq{X: bx + 100, Z: bz}, "too_fast"},
	} {
		err := b.c.Request(t.Context(), "world.move", tc.req, &pb.WorldMoveResp{})
		var ce *client.Error
		if err == nil || !asErr(err, &ce) || ce.Rule != tc.rule {
			t.Fatalf("move %v: %v, want rule %s", tc.req, err, tc.rule)
		}
	}
	if err := a.c.Request(t.Context(), "world.chat", &pb.WorldChatReq{Text: "hello world"}, &pb.WorldChatResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b gets the chat", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.chats) == 1 && b.chats[0] == "hello world" })
	if err := b.c.Request(t.Context(), "world.leave", &pb.WorldLeaveReq{}, &pb.WorldLeaveResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a no longer sees b", func() bool { _, ok := a.sees(eb.Self.Id); return !ok })
	err := b.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: bx, Z: bz}, &pb.WorldMoveResp{})
	var ce *client.Error
	if !asErr(err, &ce) || ce.Rule != "not_in_world" {
		t.Fatalf("move after leave: %v", err)
	}
	if st := s.world.w.Stats(); st.RefusedFast != 1 || st.RefusedOffMap != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func asErr(err error, target **client.Error) bool { return errors.As(err, target) }
