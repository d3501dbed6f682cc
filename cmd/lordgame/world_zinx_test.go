package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/proto/gen/pb"
	"github.com/lordgame/lordgame/proto/gen/zinxpb"
)

// zinxPeer is a client of the Zinx MMO demo's protocol: what it knows
// of the world, from the frames it read.
type zinxPeer struct {
	c     net.Conn
	mu    sync.Mutex
	ids   []uint32 // msgIDs in arrival order
	pid   int32
	known map[int32][2]float32
	chats []string
}

func dialZinxPeer(t *testing.T, addr string) *zinxPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	z := &zinxPeer{c: c, known: map[int32][2]float32{}}
	done := make(chan struct{})
	go func() { // stopped by closing c
		defer close(done)
		br := bufio.NewReader(c)
		h := make([]byte, 8)
		for {
			if _, err := io.ReadFull(br, h); err != nil {
				return
			}
			body := make([]byte, binary.LittleEndian.Uint32(h))
			id := binary.LittleEndian.Uint32(h[4:])
			if _, err := io.ReadFull(br, body); err != nil {
				return
			}
			z.apply(t, id, body)
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return z
}

func (z *zinxPeer) apply(t *testing.T, id uint32, body []byte) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.ids = append(z.ids, id)
	switch id {
	case 1, 201:
		var m zinxpb.SyncPID
		if err := proto.Unmarshal(body, &m); err != nil {
			t.Error(err)
		}
		if id == 1 {
			z.pid = m.PID
		} else {
			delete(z.known, m.PID)
		}
	case 200:
		var m zinxpb.BroadCast
		if err := proto.Unmarshal(body, &m); err != nil {
			t.Error(err)
		}
		switch m.Tp {
		case 1:
			z.chats = append(z.chats, m.GetContent())
		case 2, 4:
			z.known[m.PID] = [2]float32{m.GetP().X, m.GetP().Z}
		}
	case 202:
		var m zinxpb.SyncPlayers
		if err := proto.Unmarshal(body, &m); err != nil {
			t.Error(err)
		}
		for _, p := range m.Ps {
			z.known[p.PID] = [2]float32{p.P.X, p.P.Z}
		}
	default:
		t.Errorf("unexpected msgID %d", id)
	}
}

func (z *zinxPeer) send(t *testing.T, id uint32, m proto.Message) {
	t.Helper()
	body, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	b = binary.LittleEndian.AppendUint32(b, id)
	if _, err := z.c.Write(append(b, body...)); err != nil {
		t.Fatal(err)
	}
}

func (z *zinxPeer) sees(id int32) ([2]float32, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	p, ok := z.known[id]
	return p, ok
}

// TestWorldZinx: a client of the Zinx demo's protocol on -mmo-zinx and a
// native client share the world: each sees the other, its moves and its
// chat, and the demo client's leaving.
func TestWorldZinx(t *testing.T) {
	s, _, _ := startServer(t, "-mmo-zinx", "127.0.0.1:0", "-world-spawn", "180,182,150,152")
	if s.world.ZinxAddr() == "" {
		t.Fatal("no zinx listener")
	}
	a, ea := worldJoin(t, s, "world-zinx-device-aaaa")
	z := dialZinxPeer(t, s.world.ZinxAddr())
	eventually(t, "the demo client's hello", func() bool {
		z.mu.Lock()
		defer z.mu.Unlock()
		return len(z.ids) >= 3
	})
	z.mu.Lock()
	hello, me := append([]uint32(nil), z.ids[:3]...), z.pid
	z.mu.Unlock()
	if hello[0] != 1 || hello[1] != 200 || hello[2] != 202 || me == 0 {
		t.Fatalf("hello msgIDs %v pid %d, want 1, 200, 202", hello, me)
	}
	if _, ok := z.sees(ea.Self.Id); !ok {
		t.Fatal("the demo client's 202 lacks the native player")
	}
	eventually(t, "native sees the demo player", func() bool { _, ok := a.sees(me); return ok })

	start, _ := z.sees(me)
	z.send(t, 3, &zinxpb.Position{X: start[0] + 1, Y: 3, Z: start[1] - 1, V: 90})
	eventually(t, "native sees the demo move", func() bool { p, _ := a.sees(me); return p == [2]float32{start[0] + 1, start[1] - 1} })
	if err := a.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: ea.Self.X + 1, Z: ea.Self.Z}, &pb.WorldMoveResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the demo client sees the native move", func() bool { p, _ := z.sees(ea.Self.Id); return p == [2]float32{ea.Self.X + 1, ea.Self.Z} })

	z.send(t, 2, &zinxpb.Talk{Content: "hi from the demo"})
	eventually(t, "native gets the demo chat", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.chats) == 1 && a.chats[0] == "hi from the demo"
	})
	if err := a.c.Request(t.Context(), "world.chat", &pb.WorldChatReq{Text: "hi from native"}, &pb.WorldChatResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the demo client gets the native chat", func() bool {
		z.mu.Lock()
		defer z.mu.Unlock()
		return len(z.chats) == 2 && z.chats[1] == "hi from native"
	})

	// A chat the rules refuse is dropped (the demo protocol has no error
	// frame), counted, and the connection stays.
	z.send(t, 2, &zinxpb.Talk{Content: ""})
	eventually(t, "the refused demo chat counted in /metrics", func() bool {
		resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), "\nlordgame_world_zinx_chats_refused_total 1\n")
	})
	z.send(t, 2, &zinxpb.Talk{Content: "still here"})
	eventually(t, "native gets the demo chat after the refused one", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.chats) > 0 && a.chats[len(a.chats)-1] == "still here"
	})

	_ = z.c.Close()
	eventually(t, "native no longer sees the demo player", func() bool { _, ok := a.sees(me); return !ok })
	if got := s.world.term.Load().zinx.Stats().Closed["eof"]; got != 1 {
		t.Fatalf("closed eof %d, want 1", got)
	}
}

// TestWorldZones: on a world of two zones (-world-zones 2x1, the border at
// X 247.5), a native player walks across the border and back on one
// connection while a demo-protocol player on the other side watches: each
// sees the other the whole way (the border bands), the walker is handed
// over twice, and /metrics counts the handovers and each zone's players.
func TestWorldZones(t *testing.T) {
	s, _, _ := startServer(t, "-mmo-zinx", "127.0.0.1:0", "-world-zones", "2x1", "-world-spawn", "244,244,200,200")
	z := dialZinxPeer(t, s.world.ZinxAddr())
	a, ea := worldJoin(t, s, "world-zones-device-aaaa")
	me := ea.Self.Id
	eventually(t, "the demo client's hello", func() bool { z.mu.Lock(); defer z.mu.Unlock(); return z.pid != 0 })
	eventually(t, "they see each other", func() bool {
		_, ok := a.sees(z.pid)
		p, ok2 := z.sees(me)
		return ok && ok2 && p == [2]float32{244, 200}
	})
	metrics := func() string {
		resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	walk := func(to float32) {
		x := ea.Self.X
		for x != to {
			if to > x {
				x = min(x+3, to)
			} else {
				x = max(x-3, to)
			}
			if err := a.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: x, Z: 200}, &pb.WorldMoveResp{}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the watcher sees the walker's step", func() bool { p, _ := z.sees(me); return p == [2]float32{x, 200} })
			if _, ok := a.sees(z.pid); !ok {
				t.Fatalf("at X %v the walker lost the watcher", x)
			}
			time.Sleep(110 * time.Millisecond)
		}
		ea.Self.X = x
	}
	walk(262)
	eventually(t, "the zones' players after the crossing", func() bool {
		m := metrics()
		return strings.Contains(m, "\nlordgame_world_handovers_total 1\n") &&
			strings.Contains(m, "\nlordgame_world_zone_players{zone=\"0\"} 1\n") && strings.Contains(m, "\nlordgame_world_zone_players{zone=\"1\"} 1\n")
	})
	// The walker still talks to the world on the same connection.
	if err := a.c.Request(t.Context(), "world.chat", &pb.WorldChatReq{Text: "across the border"}, &pb.WorldChatResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the demo client gets the chat", func() bool {
		z.mu.Lock()
		defer z.mu.Unlock()
		return len(z.chats) > 0 && z.chats[len(z.chats)-1] == "across the border"
	})
	walk(240)
	eventually(t, "the second handover", func() bool {
		return strings.Contains(metrics(), "\nlordgame_world_handovers_total 2\n")
	})
	if st := s.world.cur().Stats(); st.Players != 2 || st.RefusedFast != 0 {
		t.Fatalf("stats %+v", st)
	}
}
