package main

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// worldDialAt is worldDial on a node of a cluster (WebSocket).
func worldDialAt(t *testing.T, p *proc, device string) *worldClient {
	t.Helper()
	tok, _ := guest(t, p.addr, device)
	c, err := client.Dial(t.Context(), "ws://"+p.addr+"/ws", client.Options{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return attachWorldClient(t, c)
}

// enterRetry enters, trying again while the cluster has no world yet or
// while it moves (world_unavailable, or unavailable while no node serves
// the route).
func (wc *worldClient) enterRetry(t *testing.T) *pb.WorldEnterResp {
	t.Helper()
	var err error
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		var resp pb.WorldEnterResp
		if err = wc.c.Request(t.Context(), "world.enter", &pb.WorldEnterReq{}, &resp); err == nil {
			return &resp
		}
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != "unavailable" {
			t.Fatal(err)
		}
	}
	t.Fatalf("world.enter: %v", err)
	return nil
}

// worldLeader is the game node that runs the world: the one that does
// not stand by for it.
func (c *testCluster) worldLeader(procs ...*proc) *proc {
	c.t.Helper()
	var found *proc
	eventuallyFor(c.t, 10*time.Second, "a game node runs the world", func() bool {
		for _, n := range c.nodes() {
			if !slices.Contains(n.Roles, "game") || slices.Contains(n.Standby, "world") {
				continue
			}
			for _, p := range procs {
				if p.addr == n.HTTP {
					found = p
					return true
				}
			}
		}
		return false
	})
	return found
}

// TestClusterWorld: two gateways and two game nodes. One game node runs
// the world and the other stands by; players on both gateways are in the
// same world: each sees the other move and chat, a player who reconnects
// on the other gateway within the grace gets its player back, and a
// leaver disappears, and so does the player of a gateway that dies. When
// the world's node is killed, the other game
// node takes the world over and the players enter it again.
func TestClusterWorld(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_WORLD_SPAWN=180,182,150,152", "LORDGAME_WORLD_GRACE=2s")
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	g1, g2 := c.start("game"), c.start("game")
	leader := c.worldLeader(g1, g2)

	a := worldDialAt(t, gw1, "cluster-world-aaaa")
	b := worldDialAt(t, gw2, "cluster-world-bbbb")
	ea, eb := a.enterRetry(t), b.enterRetry(t)
	if ea.Self.Id == eb.Self.Id {
		t.Fatalf("one id for two players: %v %v", ea, eb)
	}
	eventually(t, "a (gw1) sees b (gw2) and b sees a", func() bool {
		_, ok1 := a.sees(eb.Self.Id)
		_, ok2 := b.sees(ea.Self.Id)
		return ok1 && ok2
	})
	if err := b.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: eb.Self.X + 1, Z: eb.Self.Z}, &pb.WorldMoveResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a sees b's move across the nodes", func() bool {
		p, _ := a.sees(eb.Self.Id)
		return p == [2]float32{eb.Self.X + 1, eb.Self.Z}
	})
	// A notify (what clients send moves as) is forwarded without waiting
	// for an answer, and applied.
	if err := a.c.Notify("world.move", &pb.WorldMoveReq{X: ea.Self.X - 1, Z: ea.Self.Z}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b sees a's notified move", func() bool {
		p, _ := b.sees(ea.Self.Id)
		return p == [2]float32{ea.Self.X - 1, ea.Self.Z}
	})
	ea.Self.X--
	if err := a.c.Request(t.Context(), "world.chat", &pb.WorldChatReq{Text: "hello across nodes"}, &pb.WorldChatResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b gets a's chat", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return slices.Contains(b.chats, "hello across nodes")
	})
	err := a.c.Request(t.Context(), "world.move", &pb.WorldMoveReq{X: ea.Self.X + 100, Z: ea.Self.Z}, &pb.WorldMoveResp{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Rule != "too_fast" {
		t.Fatalf("a jump across the nodes: %v, want the rule too_fast", err)
	}

	// b closes and comes back on the other gateway within the grace: the
	// same player, where it was; a never lost it.
	_ = b.c.Close()
	b2 := worldDialAt(t, gw1, "cluster-world-bbbb")
	eb2 := b2.enterRetry(t)
	if eb2.Self.Id != eb.Self.Id || eb2.Self.X != eb.Self.X+1 {
		t.Fatalf("back on gw1: %v, want player %d at X %v", eb2.Self, eb.Self.Id, eb.Self.X+1)
	}
	eventually(t, "b, back, sees a", func() bool { _, ok := b2.sees(ea.Self.Id); return ok })
	if _, ok := a.sees(eb.Self.Id); !ok {
		t.Fatal("a lost b while it reconnected")
	}
	if err := b2.c.Request(t.Context(), "world.leave", &pb.WorldLeaveReq{}, &pb.WorldLeaveResp{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a no longer sees b", func() bool { _, ok := a.sees(eb.Self.Id); return !ok })
	// A connection that closes is told to the world's node by its gateway:
	// after the grace (2 s here) the player is gone.
	eb2 = b2.enterRetry(t)
	eventually(t, "a sees b again", func() bool { _, ok := a.sees(eb2.Self.Id); return ok })
	_ = b2.c.Close()
	eventually(t, "a no longer sees b, whose connection closed", func() bool { _, ok := a.sees(eb2.Self.Id); return !ok })
	b2 = worldDialAt(t, gw2, "cluster-world-bbbb")

	// A gateway dies with a player on it: it never tells the world, which
	// drops the connection when the gateway leaves the cluster (3 s) and
	// the player after the grace (2 s).
	gw3 := c.start("gateway")
	d := worldDialAt(t, gw3, "cluster-world-dddd")
	ed := d.enterRetry(t)
	eventually(t, "a sees d, on a third gateway", func() bool { _, ok := a.sees(ed.Self.Id); return ok })
	gw3.kill()
	eventuallyFor(t, 15*time.Second, "a no longer sees d, whose gateway died", func() bool { _, ok := a.sees(ed.Self.Id); return !ok })

	// The world's node dies: the other game node runs a new world, and the
	// players enter it again.
	other := g1
	if leader == g1 {
		other = g2
	}
	leader.kill()
	if got := c.worldLeader(other); got != other {
		t.Fatalf("world leader after the kill: %v", got)
	}
	a.enterRetry(t)
	eb3 := b2.enterRetry(t)
	eventually(t, "a sees b in the new world", func() bool { _, ok := a.sees(eb3.Self.Id); return ok })
}

func eventuallyFor(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out waiting: %s", what)
}
