package main

import (
	"testing"
	"time"

	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestClusterPresence runs two gateway processes, a game node and a match
// node on the machine's NATS and PostgreSQL: a user on one gateway sees
// the status of a friend on the other and is told of each change across
// nodes (leaving, coming back on the other gateway, sitting down at a
// table run by a third node); a login that moves the friend to another
// gateway is no change; presence.count counts the whole cluster; and
// when the friend's gateway is killed the friend goes offline and is
// announced exactly once, by a node that is still there.
func TestClusterPresence(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=1m",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m", "LORDGAME_CHAT_PRESENCE_GRACE=500ms")
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	c.start("game")
	c.start("match")
	ws1, ws2 := "ws://"+gw1.addr+"/ws", "ws://"+gw2.addr+"/ws"
	a := newChatUser(t, gw1.addr, "cluster-presence-a-"+c.prefix)
	b := newChatUser(t, gw2.addr, "cluster-presence-b-"+c.prefix)
	x := newChatUser(t, gw2.addr, "cluster-presence-x-"+c.prefix)
	a.dial(ws1)
	al := watchPresence(t, a)
	b.dial(ws2)
	a.ok("friend.request", &pb.FriendReq{UserId: b.uid}, &pb.FriendResp{})
	b.ok("friend.accept", &pb.FriendReq{UserId: a.uid}, &pb.FriendResp{})
	waitStatus(t, "b on gw2 seen from gw1", a, []int64{a.uid, b.uid}, "online", "online")
	waitStatus(t, "a on gw1 seen from gw2", b, []int64{a.uid, b.uid}, "online", "online")
	var pc pb.PresenceCountResp
	a.ok("presence.count", &pb.PresenceCountReq{}, &pc)
	if pc.Total != 2 || len(pc.Gateways) != 2 {
		t.Fatalf("presence.count with a user on each gateway: %v", &pc)
	}

	b.close()
	al.wait(t, "b leaves gw2", b.uid, "online>offline")
	b.dial(ws1)
	al.wait(t, "b is back on gw1", b.uid, "online>offline", "offline>online")
	b2 := &chatUser{t: t, uid: b.uid, tok: b.tok}
	b2.dial(ws2) // replaces the session on gw1
	b = b2
	eventually(t, "b counted on gw2 only", func() bool {
		a.ok("presence.count", &pb.PresenceCountReq{}, &pc)
		return pc.Total == 2 && len(pc.Gateways) == 2
	})
	time.Sleep(1500 * time.Millisecond) // time for a wrong offline event to come, grace included
	al.wait(t, "b moves to gw2", b.uid, "online>offline", "offline>online")

	// A table on the game node: in_game, seen from both gateways.
	x.dial(ws2)
	for _, u := range []*chatUser{a, b, x} {
		joinRetry(t, u.c)
	}
	al.wait(t, "b sits down", b.uid, "online>offline", "offline>online", "online>in_game")
	waitStatus(t, "the table seen from gw2", b, []int64{a.uid, b.uid, x.uid}, "in_game", "in_game", "in_game")
	var fl pb.FriendListResp
	a.ok("friend.list", &pb.FriendListReq{}, &fl)
	if len(fl.Friends) != 1 || fl.Friends[0].Status != "in_game" {
		t.Fatalf("friend.list at the table: %v", &fl)
	}

	// gw2 dies with b and x on it: gw1, the node left to announce, tells a
	// once, a few seconds later (when gw2 drops out of the membership).
	gw2.kill()
	al.wait(t, "b's gateway dies", b.uid, "online>offline", "offline>online", "online>in_game", "in_game>offline")
	waitStatus(t, "after gw2 died", a, []int64{a.uid, b.uid, x.uid}, "in_game", "offline", "offline")
	time.Sleep(1500 * time.Millisecond) // a second announcement would come now
	al.wait(t, "b's offline announced once", b.uid, "online>offline", "offline>online", "online>in_game", "in_game>offline")
	a.ok("presence.count", &pb.PresenceCountReq{}, &pc)
	if pc.Total != 1 || pc.InGame != 1 || len(pc.Gateways) != 1 {
		t.Fatalf("presence.count after gw2 died: %v", &pc)
	}
}
