package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestClusterChat runs two gateway processes on the machine's NATS (a
// subject prefix of their own) and PostgreSQL (a schema of their own):
// users on different gateways chat privately, in a group and in the
// world with live pushes across nodes and a read receipt back; one user
// drops off, messages go on, and it reconnects on the other gateway,
// where a sync after the last seq it holds returns exactly the missing
// messages, and new messages reach it live there.
func TestClusterChat(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_CHAT_RATE_WORLD=50/1s")
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	ws1, ws2 := "ws://"+gw1.addr+"/ws", "ws://"+gw2.addr+"/ws"
	a := newChatUser(t, gw1.addr, "cluster-chat-aaaa")
	b := newChatUser(t, gw2.addr, "cluster-chat-bbbb")
	a.dial(ws1)
	b.dial(ws2)

	r, err := a.send(0, b.uid, "hello from gw1")
	if err != nil {
		t.Fatal(err)
	}
	pc := r.Message.ConversationId
	b.waitPush("a's message across nodes", pc, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 && ms[0].Text == "hello from gw1" })
	r2, err := b.send(pc, 0, "hello from gw2")
	if err != nil {
		t.Fatal(err)
	}
	a.waitPush("b's answer across nodes", pc, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 && ms[0].Seq == r2.Message.Seq })
	a.ok("chat.read", &pb.ChatReadReq{ConversationId: pc, Seq: r2.Message.Seq}, &pb.ChatReadResp{})
	eventually(t, "b gets a's read receipt across nodes", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.rcpt) == 1 && b.rcpt[0].ReadSeq == r2.Message.Seq
	})

	var gc pb.GroupCreateResp
	a.ok("group.create", &pb.GroupCreateReq{Name: "nodes", Open: true}, &gc)
	g := gc.Group.Id
	b.ok("group.join", &pb.GroupReq{ConversationId: g}, &pb.GroupResp{})
	gm, err := a.send(g, 0, "group hello")
	if err != nil {
		t.Fatal(err)
	}
	b.waitPush("the group message across nodes", g, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == gm.Message.Seq })
	var op pb.ChatOpenResp
	a.ok("chat.open", &pb.ChatOpenReq{Kind: "world"}, &op)
	w := op.Conversation.Id
	wm, err := b.send(w, 0, "world hello")
	if err != nil {
		t.Fatal(err)
	}
	a.waitPush("the world message across nodes", w, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 && ms[0].Seq == wm.Message.Seq })

	// b holds these seqs; it drops off and misses what follows.
	heldP, heldG := r2.Message.Seq, gm.Message.Seq
	b.close()
	var wantP, wantG []int64
	for i := range 4 {
		m, err := a.send(pc, 0, fmt.Sprintf("while away %d", i))
		if err != nil {
			t.Fatal(err)
		}
		wantP = append(wantP, m.Message.Seq)
		if i%2 == 0 {
			m, err := a.send(g, 0, fmt.Sprintf("group while away %d", i))
			if err != nil {
				t.Fatal(err)
			}
			wantG = append(wantG, m.Message.Seq)
		}
	}
	b.mu.Lock()
	b.msgs = nil
	b.mu.Unlock()
	b.dial(ws1) // the other gateway
	var sr pb.ChatSyncResp
	b.ok("chat.sync", &pb.ChatSyncReq{Cursors: []*pb.ChatSyncCursor{{ConversationId: pc, AfterSeq: heldP}, {ConversationId: g, AfterSeq: heldG}}}, &sr)
	if len(sr.Batches) != 2 || !slices.Equal(seqList(sr.Batches[0].Messages), wantP) || !slices.Equal(seqList(sr.Batches[1].Messages), wantG) {
		t.Fatalf("sync after reconnecting elsewhere: %v / %v, want seqs %v / %v", texts(sr.Batches[0].Messages), texts(sr.Batches[1].Messages), wantP, wantG)
	}
	var in pb.ChatInboxResp
	b.ok("chat.inbox", &pb.ChatInboxReq{}, &in)
	// Unread: what b missed, and the group message it got live but has
	// not marked read.
	if want := int64(len(wantP) + len(wantG) + 1); in.TotalUnread != want {
		t.Fatalf("inbox total unread %d, want %d: %v", in.TotalUnread, want, &in)
	}
	// Live again, now on gw1 (a sends from gw1 too: a local push), and
	// from a user on gw2.
	c3 := newChatUser(t, gw2.addr, "cluster-chat-cccc")
	c3.dial(ws2)
	last, err := a.send(pc, 0, "welcome back")
	if err != nil {
		t.Fatal(err)
	}
	b.waitPush("a live message after the move", pc, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 && ms[0].Seq == last.Message.Seq })
	cm, err := c3.send(0, b.uid, "hi from gw2")
	if err != nil {
		t.Fatal(err)
	}
	b.waitPush("c's message from gw2", cm.Message.ConversationId, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 })
	if ps := b.pushes(pc); len(ps) != 1 {
		t.Fatalf("b got pushes it had synced: %v", texts(ps))
	}
}
