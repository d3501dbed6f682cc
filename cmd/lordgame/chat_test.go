package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// chatUser is a real client that records its chat pushes.
type chatUser struct {
	t    *testing.T
	uid  int64
	tok  string
	c    *client.Client
	mu   sync.Mutex
	msgs []*pb.ChatMessage
	rcpt []*pb.ChatReadReceipt
	frnd []*pb.FriendEvent
	n    int
}

func newChatUser(t *testing.T, addr, device string) *chatUser {
	t.Helper()
	tok, uid := guest(t, addr, device)
	return &chatUser{t: t, uid: uid, tok: tok}
}

// dial connects over target (tcp://host:port or ws://host:port/ws).
func (u *chatUser) dial(target string) {
	u.t.Helper()
	c, err := client.Dial(u.t.Context(), target, client.Options{Token: u.tok})
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { _ = c.Close() })
	c.On("chat.msg", func(p client.Push) {
		m := &pb.ChatMessage{}
		if err := p.Decode(m); err != nil {
			u.t.Error(err)
			return
		}
		u.mu.Lock()
		u.msgs = append(u.msgs, m)
		u.mu.Unlock()
	})
	c.On("chat.receipt", func(p client.Push) {
		m := &pb.ChatReadReceipt{}
		_ = p.Decode(m)
		u.mu.Lock()
		u.rcpt = append(u.rcpt, m)
		u.mu.Unlock()
	})
	c.On("friend.event", func(p client.Push) {
		m := &pb.FriendEvent{}
		_ = p.Decode(m)
		u.mu.Lock()
		u.frnd = append(u.frnd, m)
		u.mu.Unlock()
	})
	u.c = c
}

func (u *chatUser) close() { _ = u.c.Close() }

func (u *chatUser) pushes(conv int64) []*pb.ChatMessage {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*pb.ChatMessage
	for _, m := range u.msgs {
		if m.ConversationId == conv {
			out = append(out, m)
		}
	}
	return out
}

func (u *chatUser) waitPush(what string, conv int64, f func(ms []*pb.ChatMessage) bool) []*pb.ChatMessage {
	u.t.Helper()
	var ms []*pb.ChatMessage
	end := time.Now().Add(10 * time.Second)
	for {
		ms = u.pushes(conv)
		if f(ms) {
			return ms
		}
		if time.Now().After(end) {
			u.t.Fatalf("user %d: timed out waiting for %s; pushes %v", u.uid, what, texts(ms))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (u *chatUser) send(conv, to int64, text string) (*pb.ChatSendResp, error) {
	u.n++
	return u.sendID(conv, to, text, fmt.Sprintf("c%d-%d", u.uid, u.n))
}

func (u *chatUser) sendID(conv, to int64, text, id string) (*pb.ChatSendResp, error) {
	var r pb.ChatSendResp
	err := u.c.Request(u.t.Context(), "chat.send", &pb.ChatSendReq{ConversationId: conv, ToUserId: to, ClientId: id, Text: text}, &r)
	return &r, err
}

func (u *chatUser) call(route string, req, resp proto.Message) error {
	return u.c.Request(u.t.Context(), route, req, resp)
}

func (u *chatUser) ok(route string, req, resp proto.Message) {
	u.t.Helper()
	if err := u.call(route, req, resp); err != nil {
		u.t.Fatalf("user %d %s: %v", u.uid, route, err)
	}
}

func (u *chatUser) sync(conv, after int64) *pb.ChatSyncBatch {
	u.t.Helper()
	var r pb.ChatSyncResp
	u.ok("chat.sync", &pb.ChatSyncReq{Cursors: []*pb.ChatSyncCursor{{ConversationId: conv, AfterSeq: after}}}, &r)
	if len(r.Batches) != 1 {
		u.t.Fatalf("sync: %d batches", len(r.Batches))
	}
	return r.Batches[0]
}

func wantRuleErr(t *testing.T, what string, err error, rule string) {
	t.Helper()
	var ce *client.Error
	if !asErr(err, &ce) || ce.Rule != rule {
		t.Fatalf("%s: %v, want rule %s", what, err, rule)
	}
}

func texts(ms []*pb.ChatMessage) []string {
	var out []string
	for _, m := range ms {
		s := fmt.Sprintf("%d:%s:%s", m.Seq, m.Kind, m.Text)
		if m.RefSeq != 0 {
			s += fmt.Sprintf("->%d", m.RefSeq)
		}
		out = append(out, s)
	}
	return out
}

func seqList(ms []*pb.ChatMessage) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// TestChat drives the chat routes with real TCP and WebSocket clients on
// one node: private messages pushed live, an idempotent retry, sync after
// a reconnect with nothing lost or repeated, unread counts and a read
// receipt, recall as a tombstone live and in history, refusals by rule
// with the connection kept, blocks, groups and their permissions, and the
// world conversation with its rate limit.
func TestChat(t *testing.T) {
	words := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(words, []byte("# the test's list\ndarn\n坏蛋\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, _ := startServer(t, "-chat-rate-world", "3/1h", "-chat-rate-private", "100/1s", "-chat-words", words)
	tcp, wsURL := "tcp://"+s.TCPAddr(), "ws://"+s.HTTPAddr()+"/ws"
	a := newChatUser(t, s.HTTPAddr(), "chat-test-device-aaaa")
	b := newChatUser(t, s.HTTPAddr(), "chat-test-device-bbbb")
	c := newChatUser(t, s.HTTPAddr(), "chat-test-device-cccc")
	a.dial(tcp)
	b.dial(wsURL)
	c.dial(tcp)

	// A private message, pushed to the receiver.
	r1, err := a.sendID(0, b.uid, "hello b", "first")
	if err != nil || r1.Message.Seq != 1 || r1.Replayed || r1.Message.Kind != "text" || r1.Message.ConversationKind != "private" {
		t.Fatalf("first send: %+v, %v", r1, err)
	}
	pc := r1.Message.ConversationId
	b.waitPush("the first message", pc, func(ms []*pb.ChatMessage) bool {
		return len(ms) == 1 && ms[0].Text == "hello b" && ms[0].SenderId == a.uid
	})
	// The retry returns the original and stores nothing.
	r1b, err := a.sendID(pc, 0, "hello b (retry)", "first")
	if err != nil || !r1b.Replayed || r1b.Message.Seq != 1 || r1b.Message.Text != "hello b" {
		t.Fatalf("retried send: %+v, %v", r1b, err)
	}
	// Bad input: typed errors, nothing stored, the connection stays.
	_, err = a.send(pc, 0, "   ")
	wantRuleErr(t, "empty text", err, "chat_empty")
	_, err = a.send(pc, 0, strings.Repeat("x", 501))
	wantRuleErr(t, "long text", err, "chat_too_long")
	_, err = a.sendID(pc, 0, "no id", "")
	wantRuleErr(t, "no client id", err, "chat_bad_client_id")
	_, err = a.send(987654321, 0, "nowhere")
	wantRuleErr(t, "unknown conversation", err, "conversation_not_found")
	_, err = c.send(pc, 0, "intruder")
	wantRuleErr(t, "non-member", err, "not_member")
	var sr pb.ChatSendResp
	wantRuleErr(t, "unknown phrase", a.call("chat.send", &pb.ChatSendReq{ConversationId: pc, ClientId: "p0", Kind: "phrase", Phrase: 99}, &sr), "chat_bad_phrase")
	var hr pb.ChatHistoryResp
	wantRuleErr(t, "foreign history", c.call("chat.history", &pb.ChatHistoryReq{ConversationId: pc}, &hr), "not_member")

	// The word filter masks each character of a listed word, in any case.
	fm, err := b.send(pc, 0, "DARN it, 你是坏蛋")
	if err != nil || fm.Message.Text != "**** it, 你是**" {
		t.Fatalf("filtered message: %v, %v", fm.Message, err)
	}
	a.waitPush("b's filtered message", pc, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 && ms[0].Text == "**** it, 你是**" })
	var acct pb.Account
	a.ok("account.set_name", &pb.SetDisplayNameReq{DisplayName: "Mr Darnley"}, &acct)
	if acct.DisplayName != "Mr ****ley" {
		t.Fatalf("display name %q, want the word masked", acct.DisplayName)
	}
	var fg pb.GroupCreateResp
	a.ok("group.create", &pb.GroupCreateReq{Name: "darn club", Open: true}, &fg)
	if fg.Group.Name != "**** club" || !fg.Group.Open {
		t.Fatalf("group name %q, want the word masked", fg.Group.Name)
	}

	// b goes away; a sends five; b comes back on the other transport and
	// syncs after the last seq it holds: exactly the five.
	b.close()
	for i := range 5 {
		if _, err := a.send(pc, 0, fmt.Sprintf("missed %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	b.dial(tcp)
	var in pb.ChatInboxResp
	b.ok("chat.inbox", &pb.ChatInboxReq{}, &in)
	if len(in.Entries) != 1 || in.Entries[0].Unread != 5 || in.TotalUnread != 5 || in.Entries[0].Last.Text != "missed 4" || in.Entries[0].Conversation.PeerId != a.uid || in.World == nil {
		t.Fatalf("inbox after reconnect: %v", &in)
	}
	got := b.sync(pc, 2)
	if !slices.Equal(seqList(got.Messages), []int64{3, 4, 5, 6, 7}) || got.HasMore || got.NextSeq != 7 {
		t.Fatalf("sync after 2: %v next %d more %v", texts(got.Messages), got.NextSeq, got.HasMore)
	}
	if again := b.sync(pc, got.NextSeq); len(again.Messages) != 0 || again.NextSeq != 7 {
		t.Fatalf("sync at the end: %v", texts(again.Messages))
	}
	// Reading tells a; the unread count drops.
	var rr pb.ChatReadResp
	b.ok("chat.read", &pb.ChatReadReq{ConversationId: pc, Seq: 4}, &rr)
	if rr.ReadSeq != 4 || rr.Unread != 3 || rr.TotalUnread != 3 {
		t.Fatalf("read: %v", &rr)
	}
	eventually(t, "a gets the read receipt", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.rcpt) == 1 && a.rcpt[0].ReadSeq == 4 && a.rcpt[0].UserId == b.uid
	})
	var rc pb.ChatReceiptsResp
	a.ok("chat.receipts", &pb.ChatReceiptsReq{ConversationId: pc, Seqs: []int64{4, 5}}, &rc)
	if !slices.Equal(rc.ReadCounts, []int64{1, 0}) {
		t.Fatalf("receipts: %v", rc.ReadCounts)
	}

	// Recall: a tombstone for both, live and in history.
	var rec pb.ChatRecallResp
	wantRuleErr(t, "foreign recall", b.call("chat.recall", &pb.ChatRecallReq{ConversationId: pc, Seq: 3}, &rec), "recall_not_sender")
	a.ok("chat.recall", &pb.ChatRecallReq{ConversationId: pc, Seq: 3}, &rec)
	if rec.Event.Kind != "recall" || rec.Event.RefSeq != 3 || rec.Event.Seq != 8 {
		t.Fatalf("recall event: %v", rec.Event)
	}
	b.waitPush("the recall event", pc, func(ms []*pb.ChatMessage) bool {
		return len(ms) > 0 && ms[len(ms)-1].Kind == "recall" && ms[len(ms)-1].RefSeq == 3
	})
	b.ok("chat.history", &pb.ChatHistoryReq{ConversationId: pc, Limit: 3}, &hr)
	if !slices.Equal(seqList(hr.Messages), []int64{6, 7, 8}) || hr.NextBefore != 6 {
		t.Fatalf("history page: %v next %d", texts(hr.Messages), hr.NextBefore)
	}
	b.ok("chat.history", &pb.ChatHistoryReq{ConversationId: pc, BeforeSeq: hr.NextBefore, Limit: 3}, &hr)
	if !slices.Equal(seqList(hr.Messages), []int64{3, 4, 5}) || hr.Messages[0].RecalledMs == 0 || hr.Messages[0].Text != "" || hr.Messages[0].RecalledBy != a.uid || hr.Messages[1].Text != "missed 1" {
		t.Fatalf("older page with the tombstone: %v", hr.Messages)
	}
	b.ok("chat.history", &pb.ChatHistoryReq{ConversationId: pc, BeforeSeq: hr.NextBefore, Limit: 3}, &hr)
	if !slices.Equal(seqList(hr.Messages), []int64{1, 2}) || hr.NextBefore != 0 {
		t.Fatalf("oldest page: %v next %d", texts(hr.Messages), hr.NextBefore)
	}
	// No duplicate pushes: b got seq 1 before the reconnect and 8 after.
	if ps := b.pushes(pc); !slices.Equal(seqList(ps), []int64{1, 8}) {
		t.Fatalf("b's pushes: %v", texts(ps))
	}

	// Friends, then a block.
	var fr pb.FriendResp
	a.ok("friend.request", &pb.FriendReq{UserId: c.uid}, &fr)
	if fr.State != "pending_out" {
		t.Fatalf("friend request: %v", &fr)
	}
	eventually(t, "c hears of the request", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.frnd) == 1 && c.frnd[0].Event == "request" })
	c.ok("friend.accept", &pb.FriendReq{UserId: a.uid}, &fr)
	var fl pb.FriendListResp
	a.ok("friend.list", &pb.FriendListReq{}, &fl)
	if len(fl.Friends) != 1 || fl.Friends[0].UserId != c.uid || fl.Friends[0].State != "accepted" || !fl.Friends[0].Online {
		t.Fatalf("friends: %v", &fl)
	}
	b.ok("friend.block", &pb.FriendReq{UserId: a.uid}, &fr)
	_, err = a.send(pc, 0, "are you there?")
	wantRuleErr(t, "message to a blocker", err, "blocked")
	wantRuleErr(t, "friend request to a blocker", a.call("friend.request", &pb.FriendReq{UserId: b.uid}, &fr), "blocked")
	if _, err := b.send(pc, 0, "b can still write"); err != nil {
		t.Fatalf("the blocker writes: %v", err)
	}

	// Groups: invite-only, invitations, permissions, mute, kick.
	var gc pb.GroupCreateResp
	wantRuleErr(t, "empty group name", a.call("group.create", &pb.GroupCreateReq{Name: " "}, &gc), "group_bad_name")
	wantRuleErr(t, "group too large", a.call("group.create", &pb.GroupCreateReq{Name: "big", MaxMembers: 501}, &gc), "group_bad_size")
	a.ok("group.create", &pb.GroupCreateReq{Name: "the club"}, &gc)
	g := gc.Group
	if g.MaxMembers != 500 || g.Open || g.Role != "owner" || g.OwnerId != a.uid {
		t.Fatalf("group: %v", g)
	}
	var gr pb.GroupResp
	wantRuleErr(t, "join invite-only", c.call("group.join", &pb.GroupReq{ConversationId: g.Id}, &gr), "group_invite_only")
	wantRuleErr(t, "invite a blocker", a.call("group.invite", &pb.GroupReq{ConversationId: g.Id, UserId: b.uid}, &gr), "blocked")
	a.ok("group.invite", &pb.GroupReq{ConversationId: g.Id, UserId: c.uid}, &gr)
	b.ok("friend.unblock", &pb.FriendReq{UserId: a.uid}, &fr)
	a.ok("group.invite", &pb.GroupReq{ConversationId: g.Id, UserId: b.uid}, &gr)
	b.ok("friend.block", &pb.FriendReq{UserId: a.uid}, &fr)
	wantRuleErr(t, "member invites", c.call("group.invite", &pb.GroupReq{ConversationId: g.Id, UserId: a.uid}, &gr), "not_admin")
	wantRuleErr(t, "member kicks", c.call("group.kick", &pb.GroupReq{ConversationId: g.Id, UserId: a.uid}, &gr), "not_admin")
	gm, err := c.send(g.Id, 0, "hi club")
	if err != nil {
		t.Fatal(err)
	}
	a.waitPush("c's group message", g.Id, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == gm.Message.Seq })
	ga, err := a.send(g.Id, 0, "from a")
	if err != nil {
		t.Fatal(err)
	}
	c.waitPush("a's group message", g.Id, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == ga.Message.Seq })
	// b blocks a: a's group messages are hidden from b, live and in sync.
	if _, err := c.send(g.Id, 0, "after a"); err != nil {
		t.Fatal(err)
	}
	b.waitPush("c's second group message", g.Id, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Text == "after a" })
	for _, m := range b.pushes(g.Id) {
		if m.SenderId == a.uid && (m.Kind == "text" || m.Kind == "phrase") {
			t.Fatalf("b got a message of a user it blocks: %v", m)
		}
	}
	bs := b.sync(g.Id, 0)
	for _, m := range bs.Messages {
		if m.SenderId == a.uid && m.Kind == "text" {
			t.Fatalf("b's sync shows a blocked sender's message: %v", texts(bs.Messages))
		}
	}
	if bs.NextSeq != bs.LastSeq {
		t.Fatalf("sync next %d, want the last seq %d", bs.NextSeq, bs.LastSeq)
	}
	var rc2 pb.ChatReceiptsResp
	c.ok("chat.read", &pb.ChatReadReq{ConversationId: g.Id, Seq: ga.Message.Seq}, &rr)
	a.ok("chat.receipts", &pb.ChatReceiptsReq{ConversationId: g.Id, Seqs: []int64{ga.Message.Seq}}, &rc2)
	if rc2.ReadCounts[0] != 1 {
		t.Fatalf("group read count: %v", rc2.ReadCounts)
	}
	var mem pb.GroupMembersResp
	c.ok("group.members", &pb.GroupReq{ConversationId: g.Id}, &mem)
	if len(mem.Members) != 3 || mem.Members[0].UserId != a.uid || mem.Members[0].Role != "owner" || !mem.Members[0].Online {
		t.Fatalf("members: %v", &mem)
	}
	a.ok("group.mute", &pb.GroupMuteReq{ConversationId: g.Id, UserId: c.uid, Seconds: 600}, &gr)
	_, err = c.send(g.Id, 0, "muted?")
	wantRuleErr(t, "muted member", err, "muted")
	a.ok("group.kick", &pb.GroupReq{ConversationId: g.Id, UserId: c.uid}, &gr)
	c.waitPush("the kick", g.Id, func(ms []*pb.ChatMessage) bool {
		return len(ms) > 0 && ms[len(ms)-1].Kind == "system" && strings.Contains(ms[len(ms)-1].Text, `"kick"`)
	})
	_, err = c.send(g.Id, 0, "still here?")
	wantRuleErr(t, "kicked member", err, "not_member")
	wantRuleErr(t, "owner leaves", a.call("group.leave", &pb.GroupReq{ConversationId: g.Id}, &gr), "owner_cannot_leave")
	wantRuleErr(t, "member disbands", b.call("group.disband", &pb.GroupReq{ConversationId: g.Id}, &gr), "not_owner")
	a.ok("group.disband", &pb.GroupReq{ConversationId: g.Id}, &gr)
	_, err = a.send(g.Id, 0, "anyone?")
	wantRuleErr(t, "disbanded group", err, "group_disbanded")

	// The world: everyone online, minus those who block the sender; the
	// rate limit (3 per hour here) is a typed error and the connection
	// stays.
	var op pb.ChatOpenResp
	a.ok("chat.open", &pb.ChatOpenReq{Kind: "world"}, &op)
	w := op.Conversation.Id
	wm, err := a.send(w, 0, "hello world")
	if err != nil {
		t.Fatal(err)
	}
	// It carries a's name since the rename above (account.set_name on
	// this node: at once), in the answer and the push, and in a fetch.
	if wm.Message.SenderName != "Mr ****ley" {
		t.Fatalf("a's world line names a %q", wm.Message.SenderName)
	}
	c.waitPush("the world message", w, func(ms []*pb.ChatMessage) bool {
		return len(ms) == 1 && ms[0].Seq == wm.Message.Seq && ms[0].SenderName == "Mr ****ley"
	})
	if ws := c.sync(w, 0); len(ws.Messages) == 0 || ws.Messages[len(ws.Messages)-1].SenderName != "Mr ****ley" {
		t.Fatalf("c's world sync: %v", ws.Messages)
	}
	cm, err := c.send(w, 0, "hi all")
	if err != nil {
		t.Fatal(err)
	}
	b.waitPush("c's world message", w, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == cm.Message.Seq })
	if ps := b.pushes(w); len(ps) != 1 {
		t.Fatalf("b (who blocks a) got world pushes %v", texts(ps))
	}
	if ws := b.sync(w, 0); len(ws.Messages) != 1 || ws.Messages[0].SenderId != c.uid {
		t.Fatalf("b's world sync: %v", texts(ws.Messages))
	}
	for range 2 {
		if _, err := a.send(w, 0, "more"); err != nil {
			t.Fatal(err)
		}
	}
	_, err = a.send(w, 0, "flood")
	wantRuleErr(t, "world flood", err, "chat_rate_limited")
	a.ok("chat.inbox", &pb.ChatInboxReq{}, &in) // still connected
}

// TestChatTable: the Dou Dizhu table chat (ddz.chat, quick phrases
// included) is kept in the table's conversation: the players get the
// ddz.message push as before and chat.msg next to it, the conversation is
// opened by game id and synced like any other, the word filter applies,
// and someone who is not at the table cannot open it.
func TestChatTable(t *testing.T) {
	words := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(words, []byte("darn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, _ := startServer(t, "-chat-words", words)
	var us []*chatUser
	legacy := make(chan *pb.DdzChat, 16)
	for i := range 3 {
		u := newChatUser(t, s.HTTPAddr(), fmt.Sprintf("chat-table-device-%d", i))
		u.dial("tcp://" + s.TCPAddr())
		if i == 1 {
			u.c.On("ddz.message", func(p client.Push) {
				m := &pb.DdzChat{}
				_ = p.Decode(m)
				legacy <- m
			})
		}
		joinRetry(t, u.c)
		us = append(us, u)
	}
	gid := oneTable(t, us, 10*time.Second)
	us[0].ok("ddz.chat", &pb.DdzChatReq{Text: "darn, good luck"}, &pb.DdzChatResp{})
	us[0].ok("ddz.chat", &pb.DdzChatReq{Phrase: 3}, &pb.DdzChatResp{})
	for range 2 {
		select {
		case m := <-legacy:
			if m.Text != "" && m.Text != "****, good luck" {
				t.Fatalf("legacy push %v, want the text masked", m)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no ddz.message push")
		}
	}
	// The conversation is opened by the chat layer's writer, right after
	// the table starts.
	var op pb.ChatOpenResp
	eventually(t, "the table conversation", func() bool {
		return us[2].call("chat.open", &pb.ChatOpenReq{Kind: "table", TableId: gid}, &op) == nil
	})
	tc := op.Conversation
	if tc.Kind != "table" || tc.Role != "member" {
		t.Fatalf("table conversation: %v", tc)
	}
	ms := us[2].waitPush("the table lines", tc.Id, func(ms []*pb.ChatMessage) bool { return len(ms) == 2 })
	if ms[0].Text != "****, good luck" || ms[1].Kind != "phrase" || ms[1].Phrase != 3 || ms[1].Text != "Nice play!" || ms[0].SenderId != us[0].uid {
		t.Fatalf("table pushes: %v", ms)
	}
	if b := us[1].sync(tc.Id, 0); !slices.Equal(seqList(b.Messages), []int64{1, 2}) {
		t.Fatalf("table sync: %v", texts(b.Messages))
	}
	r, err := us[1].send(tc.Id, 0, "from the chat panel")
	if err != nil {
		t.Fatal(err)
	}
	us[0].waitPush("the chat-panel line", tc.Id, func(ms []*pb.ChatMessage) bool { return len(ms) > 0 && ms[len(ms)-1].Seq == r.Message.Seq })
	out := newChatUser(t, s.HTTPAddr(), "chat-table-device-out")
	out.dial("tcp://" + s.TCPAddr())
	wantRuleErr(t, "a stranger opens the table", out.call("chat.open", &pb.ChatOpenReq{Kind: "table", TableId: gid}, &op), "conversation_not_found")
	_, err = out.send(tc.Id, 0, "let me in")
	wantRuleErr(t, "a stranger writes at the table", err, "not_member")
}

// oneTable waits until every user of us sits at the same table and
// returns its game id.
func oneTable(t *testing.T, us []*chatUser, within time.Duration) string {
	t.Helper()
	var gid string
	for i, deadline := 0, time.Now().Add(within); i < len(us); {
		st := &pb.DdzSnapshot{}
		if err := us[i].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, st); err == nil && st.GameId != "" && (gid == "" || gid == st.GameId) {
			gid = st.GameId
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %d players are not at one table", len(us))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return gid
}
