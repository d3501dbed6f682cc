package main

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/cluster"
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

// TestClusterChatFanoutPerGateway runs three gateway processes and
// watches the chat subjects on the bus: a message to a conversation is
// published once per gateway that holds members online, with those
// members, and to no other gateway; a world message goes once to each
// gateway with sessions (not to one without); nothing goes on the shared
// subject once the presence map is complete.
func TestClusterChatFanoutPerGateway(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_CHAT_RATE_WORLD=50/1s")
	gw1, gw2, gw3 := c.start("gateway"), c.start("gateway"), c.start("gateway")
	a := newChatUser(t, gw1.addr, "fanout-node-aaaa")
	b := newChatUser(t, gw2.addr, "fanout-node-bbbb")
	d := newChatUser(t, gw2.addr, "fanout-node-dddd")
	a.dial("ws://" + gw1.addr + "/ws")
	b.dial("ws://" + gw2.addr + "/ws")
	d.dial("ws://" + gw2.addr + "/ws")

	bus := c.bus()
	var mu sync.Mutex
	seen := map[string][]string{} // subject → the Lg-Chat-Users of each message
	for _, subj := range []string{c.prefix + ".node.*.chat", c.prefix + ".bcast.chat"} {
		sub, err := bus.Subscribe(subj, "", func(_ context.Context, m *cluster.Msg) {
			mu.Lock()
			seen[m.Subject] = append(seen[m.Subject], m.Header.Get("Lg-Chat-Users"))
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := bus.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	kv, err := bus.OpenKV(t.Context(), "presence")
	if err != nil {
		t.Fatal(err)
	}
	nodeOf := func(u *chatUser) string {
		t.Helper()
		var e cluster.KVEntry
		var err error
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if e, err = kv.Get(t.Context(), strconv.FormatInt(u.uid, 10)); err == nil {
				break
			}
		}
		if err != nil { // written once the session is set up
			t.Fatalf("presence record of %d: %v", u.uid, err)
		}
		node, _, _ := strings.Cut(string(e.Value()), " ")
		return node
	}
	n2 := nodeOf(b)
	if nodeOf(d) != n2 || nodeOf(a) == n2 {
		t.Fatalf("presence: a on %s, b on %s, d on %s", nodeOf(a), n2, nodeOf(d))
	}
	// gw1's map holds b and d (presence.get is answered from it).
	waitStatus(t, "gw1 sees b and d", a, []int64{b.uid, d.uid}, "online", "online")
	// expect waits until the bus carried want (subject → user lists),
	// then a little longer for anything that should not come.
	expect := func(what string, want map[string][]string) {
		t.Helper()
		count := func(m map[string][]string) (n int) {
			for _, v := range m {
				n += len(v)
			}
			return n
		}
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := count(seen)
			mu.Unlock()
			if n >= count(want) {
				break
			}
		}
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		got := maps.Clone(seen)
		clear(seen)
		mu.Unlock()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the bus carried %v, want %v", what, got, want)
		}
	}
	sorted := func(ids ...int64) string {
		slices.Sort(ids)
		return cluster.JoinIDs(ids)
	}
	sub2 := c.prefix + ".node." + n2 + ".chat"

	var gc pb.GroupCreateResp
	a.ok("group.create", &pb.GroupCreateReq{Name: "per node", Open: true}, &gc)
	g := gc.Group.Id
	b.ok("group.join", &pb.GroupReq{ConversationId: g}, &pb.GroupResp{})
	d.ok("group.join", &pb.GroupReq{ConversationId: g}, &pb.GroupResp{})
	clearSeen := func() { time.Sleep(300 * time.Millisecond); mu.Lock(); clear(seen); mu.Unlock() }
	clearSeen() // the joins' system messages
	gm, err := a.send(g, 0, "one message for gw2")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*chatUser{b, d} {
		u.waitPush("the group message", g, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == gm.Message.Seq })
	}
	got := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(seen[sub2], ",") }()
	if ids := cluster.ParseIDs(got); sorted(ids...) != sorted(b.uid, d.uid) {
		t.Fatalf("the group message's receivers on gw2: %q, want b and d", got)
	}
	expect("a group message", map[string][]string{sub2: {got}})

	if _, err := a.send(0, b.uid, "private"); err != nil {
		t.Fatal(err)
	}
	expect("a private message", map[string][]string{sub2: {strconv.FormatInt(b.uid, 10)}})

	var op pb.ChatOpenResp
	a.ok("chat.open", &pb.ChatOpenReq{Kind: "world"}, &op)
	w := op.Conversation.Id
	if _, err := a.send(w, 0, "world, gw3 has nobody"); err != nil {
		t.Fatal(err)
	}
	expect("a world message with gw3 empty", map[string][]string{sub2: {""}})

	e := newChatUser(t, gw3.addr, "fanout-node-eeee")
	e.dial("ws://" + gw3.addr + "/ws")
	n3 := nodeOf(e)
	waitStatus(t, "gw1 sees e", a, []int64{e.uid}, "online")
	wm, err := a.send(w, 0, "world, everyone")
	if err != nil {
		t.Fatal(err)
	}
	e.waitPush("the world message on gw3", w, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == wm.Message.Seq })
	expect("a world message", map[string][]string{sub2: {""}, c.prefix + ".node." + n3 + ".chat": {""}})
}

// TestClusterChatTable: the Dou Dizhu table chat across the cluster. The
// table runs on a game node; two of its players are on one gateway and
// the third on another. A ddz.chat line reaches every seat as ddz.message
// and as chat.msg on the table's conversation, a chat.send from the other
// gateway reaches the first, a sync from either gateway returns the whole
// table log, and a stranger cannot open or write to it.
func TestClusterChatTable(t *testing.T) {
	c := newTestCluster(t)
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	c.start("game")
	c.start("match")
	addrs := []string{gw1.addr, gw1.addr, gw2.addr}
	var us []*chatUser
	legacy := make(chan *pb.DdzChat, 16)
	for i, addr := range addrs {
		u := newChatUser(t, addr, fmt.Sprintf("cluster-table-chat-%d", i))
		u.dial("ws://" + addr + "/ws")
		if i == 2 {
			u.c.On("ddz.message", func(p client.Push) {
				m := &pb.DdzChat{}
				_ = p.Decode(m)
				legacy <- m
			})
		}
		joinRetry(t, u.c)
		us = append(us, u)
	}
	gid := oneTable(t, us, 20*time.Second)
	us[0].ok("ddz.chat", &pb.DdzChatReq{Text: "good luck from gw1"}, &pb.DdzChatResp{})
	select {
	case m := <-legacy:
		if m.Text != "good luck from gw1" {
			t.Fatalf("ddz.message on gw2: %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ddz.message push on the other gateway")
	}
	var op pb.ChatOpenResp
	eventually(t, "the table conversation, opened from gw2", func() bool {
		return us[2].call("chat.open", &pb.ChatOpenReq{Kind: "table", TableId: gid}, &op) == nil
	})
	tc := op.Conversation
	if tc.Kind != "table" || tc.Role != "member" {
		t.Fatalf("table conversation: %v", tc)
	}
	us[2].waitPush("the table line on gw2", tc.Id, func(ms []*pb.ChatMessage) bool {
		return len(ms) == 1 && ms[0].Text == "good luck from gw1" && ms[0].SenderId == us[0].uid
	})
	r, err := us[2].send(tc.Id, 0, "thanks from gw2")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us[:2] {
		u.waitPush("the gw2 line on gw1", tc.Id, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == r.Message.Seq })
	}
	for _, u := range []*chatUser{us[1], us[2]} {
		if b := u.sync(tc.Id, 0); !slices.Equal(texts(b.Messages), []string{"1:text:good luck from gw1", "2:text:thanks from gw2"}) {
			t.Fatalf("table sync: %v", texts(b.Messages))
		}
	}
	out := newChatUser(t, gw2.addr, "cluster-table-chat-out")
	out.dial("ws://" + gw2.addr + "/ws")
	wantRuleErr(t, "a stranger opens the table", out.call("chat.open", &pb.ChatOpenReq{Kind: "table", TableId: gid}, &op), "conversation_not_found")
	_, err = out.send(tc.Id, 0, "let me in")
	wantRuleErr(t, "a stranger writes at the table", err, "not_member")
}
