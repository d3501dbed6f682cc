package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	names map[int32]string // the newest name each player came with
	chats []string
	from  []string // chats[i]'s sender name
}

func (wc *worldClient) nameOf(id int32) string {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	return wc.names[id]
}

func (wc *worldClient) sees(id int32) ([2]float32, bool) {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	p, ok := wc.known[id]
	return p, ok
}

func worldJoin(t *testing.T, s *server, device string) (*worldClient, *pb.WorldEnterResp) {
	t.Helper()
	wc := worldDial(t, s, device)
	return wc, wc.enter(t)
}

func (wc *worldClient) enter(t *testing.T) *pb.WorldEnterResp {
	t.Helper()
	var resp pb.WorldEnterResp
	if err := wc.c.Request(t.Context(), "world.enter", &pb.WorldEnterReq{}, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}

func worldDial(t *testing.T, s *server, device string) *worldClient {
	t.Helper()
	tok, _ := guest(t, s.HTTPAddr(), device)
	c, err := client.Dial(t.Context(), "tcp://"+s.TCPAddr(), client.Options{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return attachWorldClient(t, c)
}

// attachWorldClient follows c's world pushes.
func attachWorldClient(t *testing.T, c *client.Client) *worldClient {
	wc := &worldClient{c: c, known: map[int32][2]float32{}, names: map[int32]string{}}
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
			wc.names[e.Id] = e.Name
		}
		for _, e := range m.Moved {
			if _, ok := wc.known[e.Id]; ok {
				wc.known[e.Id] = [2]float32{e.X, e.Z}
				if e.Name != "" {
					wc.names[e.Id] = e.Name
				}
			}
		}
	})
	c.On("world.chat_msg", func(p client.Push) {
		var m pb.WorldChatMsg
		_ = p.Decode(&m)
		wc.mu.Lock()
		wc.chats = append(wc.chats, m.Text)
		wc.from = append(wc.from, m.Name)
		wc.mu.Unlock()
	})
	return wc
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
	if st := s.world.cur().Stats(); st.RefusedFast != 1 || st.RefusedOffMap != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func asErr(err error, target **client.Error) bool { return errors.As(err, target) }

// TestWorldNames: a native player enters with its account's display name
// (word-filtered), seen by others above its dot and with its chat lines;
// renamed and back in the world, others get the new name.
func TestWorldNames(t *testing.T) {
	words := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(words, []byte("darn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, _ := startServer(t, "-chat-words", words)
	a := worldDial(t, s, "world-names-device-aaaa")
	var acct pb.Account
	if err := a.c.Request(t.Context(), "account.set_name", &pb.SetDisplayNameReq{DisplayName: "Darnley Walker"}, &acct); err != nil {
		t.Fatal(err)
	}
	ea := a.enter(t)
	if ea.Self.Name != "****ley Walker" {
		t.Fatalf("a enters as %q, want its masked display name", ea.Self.Name)
	}
	b, eb := worldJoin(t, s, "world-names-device-bbbb")
	if !strings.HasPrefix(eb.Self.Name, "Guest") {
		t.Fatalf("a guest enters as %q, want its guest name", eb.Self.Name)
	}
	// Bring b next to a so that each is in the other's view.
	bx, bz := eb.Self.X, eb.Self.Z
	for bx != ea.Self.X || bz != ea.Self.Z {
		step := func(v, to float32) float32 { return max(min(to, v+3), v-3) }
		bx, bz = step(bx, ea.Self.X), step(bz, ea.Self.Z)
		if err := b.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: bx, Z: bz}, &pb.WorldMoveResp{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(110 * time.Millisecond)
	}
	eventually(t, "b sees a by name", func() bool { return b.nameOf(ea.Self.Id) == "****ley Walker" })
	eventually(t, "a sees b by name", func() bool { return a.nameOf(eb.Self.Id) == eb.Self.Name })
	if err := a.c.Request(t.Context(), "world.chat", &pb.WorldChatReq{Text: "hi"}, &pb.WorldChatResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b gets a's line with a's name", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.from) == 1 && b.from[0] == "****ley Walker"
	})
	// a renames and enters again (the same player, taken back): b sees
	// the new name with a's next move.
	if err := a.c.Request(t.Context(), "account.set_name", &pb.SetDisplayNameReq{DisplayName: "Alice Two"}, &acct); err != nil {
		t.Fatal(err)
	}
	if again := a.enter(t); again.Self.Id != ea.Self.Id || again.Self.Name != "Alice Two" {
		t.Fatalf("a back as %d %q, want %d \"Alice Two\"", again.Self.Id, again.Self.Name, ea.Self.Id)
	}
	if err := a.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: ea.Self.X + 1, Z: ea.Self.Z}, &pb.WorldMoveResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b sees a's new name", func() bool { return b.nameOf(ea.Self.Id) == "Alice Two" })
}
