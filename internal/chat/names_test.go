package chat

import (
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

type replaceMasker struct{ word string }

func (m replaceMasker) Mask(s string) string {
	return strings.ReplaceAll(s, m.word, strings.Repeat("*", len(m.word)))
}

func TestEventTarget(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *pb.ChatMessage
		want int64
	}{
		{"kick", &pb.ChatMessage{Kind: store.MsgSystem, Text: `{"event":"kick","by":"1","user_id":"42"}`}, 42},
		{"created has no target", &pb.ChatMessage{Kind: store.MsgSystem, Text: `{"event":"created","by":"1"}`}, 0},
		{"text that looks like an event", &pb.ChatMessage{Kind: store.MsgText, Text: `{"event":"kick","user_id":"42"}`}, 0},
		{"broken json", &pb.ChatMessage{Kind: store.MsgSystem, Text: `{"user_id":`}, 0},
		{"not a number", &pb.ChatMessage{Kind: store.MsgSystem, Text: `{"user_id":"x"}`}, 0},
		{"empty", &pb.ChatMessage{Kind: store.MsgSystem}, 0},
	} {
		if got := eventTarget(tc.m); got != tc.want {
			t.Errorf("%s: eventTarget = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Every answer that names a user carries the name the account has when
// the answer is made: a rename shows on the next fetch of old messages,
// the inbox, members and friends, masked by the word filter.
func TestDisplayNames(t *testing.T) {
	s, rec, db := newTestService(t, nil)
	ctx := t.Context()
	m, _, err := s.Send(ctx, 1, SendReq{ToUser: 2, ClientID: "a", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if m.SenderName != "user1" {
		t.Fatalf("sent message sender_name %q, want user1", m.SenderName)
	}
	if p := rec.last().msg.(*pb.ChatMessage); p.SenderName != "user1" {
		t.Fatalf("pushed message sender_name %q, want user1", p.SenderName)
	}
	conv := m.ConversationId

	s.SetMasker(replaceMasker{"bad"})
	if err := db.SetDisplayName(ctx, 1, "badger"); err != nil {
		t.Fatal(err)
	}
	const want = "***ger"
	hist, _, err := s.History(ctx, 2, conv, 0, 0)
	if err != nil || len(hist) != 1 || hist[0].SenderName != want {
		t.Fatalf("history after the rename: %v, %v; want sender_name %q", hist, err, want)
	}
	b, err := s.Sync(ctx, 2, []*pb.ChatSyncCursor{{ConversationId: conv}}, 0)
	if err != nil || len(b[0].Messages) != 1 || b[0].Messages[0].SenderName != want {
		t.Fatalf("sync after the rename: %v, %v", b, err)
	}
	in, err := s.Inbox(ctx, 2)
	if err != nil || len(in.Entries) != 1 {
		t.Fatalf("inbox: %v, %v", in, err)
	}
	if e := in.Entries[0]; e.Conversation.PeerName != want || e.Last.SenderName != want {
		t.Fatalf("inbox peer_name %q, last sender_name %q; want %q", e.Conversation.PeerName, e.Last.SenderName, want)
	}
	if c, err := s.Open(ctx, 2, store.ConvPrivate, 1, ""); err != nil || c.PeerName != want {
		t.Fatalf("chat.open peer_name: %v, %v", c, err)
	}

	// Group: members by name, and system events name the user they are
	// about (target_name) as well as who did it (sender_name).
	g, err := s.CreateGroup(ctx, 1, "g", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []int64{2, 3} {
		if err := s.Group(ctx, u, GroupJoin, g.Id, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Mute(ctx, 1, g.Id, 3, time.Minute); err != nil {
		t.Fatal(err)
	}
	if p := rec.last().msg.(*pb.ChatMessage); p.Kind != store.MsgSystem || p.SenderName != want || p.TargetName != "user3" {
		t.Fatalf("mute event: %v; want sender_name %q, target_name user3", p, want)
	}
	mem, err := s.Members(ctx, 2, g.Id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, x := range mem.Members {
		got[x.UserId] = x.Name
	}
	if got[1] != want || got[2] != "user2" || got[3] != "user3" {
		t.Fatalf("member names %v", got)
	}
	if err := db.SetDisplayName(ctx, 3, "Third"); err != nil {
		t.Fatal(err)
	}
	gs, err := s.Sync(ctx, 2, []*pb.ChatSyncCursor{{ConversationId: g.Id}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var events int
	for _, x := range gs[0].Messages {
		if eventTarget(x) == 3 {
			events++
			if x.TargetName != "Third" {
				t.Errorf("event %s: target_name %q, want the new name Third", x.Text, x.TargetName)
			}
		}
	}
	if events != 2 { // join and muted
		t.Fatalf("%d events about user 3 in the group, want 2", events)
	}

	// Friends and blocks.
	if _, err := s.Friend(ctx, 4, FriendRequest, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Friend(ctx, 1, FriendBlock, 5); err != nil {
		t.Fatal(err)
	}
	fl, err := s.Friends(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(fl.Friends) != 1 || fl.Friends[0].Name != "user4" {
		t.Fatalf("friend names: %v", fl.Friends)
	}
	if len(fl.Blocked) != 1 || len(fl.BlockedNames) != 1 || fl.BlockedNames[0] != "user5" {
		t.Fatalf("blocked names: %v %v", fl.Blocked, fl.BlockedNames)
	}
}

// A message's sender name comes from the cache: a rename told through
// NameChanged shows on the next message at once, one made elsewhere (the
// store only) within nameTTL; fetches read the store every time.
func TestSenderNameCache(t *testing.T) {
	s, rec, db := newTestService(t, nil)
	ctx := t.Context()
	now := time.Unix(1_800_000_000, 0)
	s.now = func() time.Time { return now }
	s.SetMasker(replaceMasker{"bad"})
	send := func(id string) *pb.ChatMessage {
		t.Helper()
		m, _, err := s.Send(ctx, 1, SendReq{ToUser: 2, ClientID: id, Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if p := rec.last().msg.(*pb.ChatMessage); p.SenderName != m.SenderName {
			t.Fatalf("push names %q, answer %q", p.SenderName, m.SenderName)
		}
		return m
	}
	m := send("1")
	if m.SenderName != "user1" {
		t.Fatalf("first send: %q", m.SenderName)
	}
	// Renamed in the store by another node: this node's sends keep the
	// cached name until it is nameTTL old; a fetch has the new one.
	if err := db.SetDisplayName(ctx, 1, "Elsewhere"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(nameTTL - time.Millisecond)
	if got := send("2").SenderName; got != "user1" {
		t.Fatalf("within the TTL: %q, want the cached user1", got)
	}
	if h, _, err := s.History(ctx, 2, m.ConversationId, 0, 0); err != nil || h[0].SenderName != "Elsewhere" {
		t.Fatalf("history reads the store: %v, %v", h, err)
	}
	now = now.Add(time.Millisecond)
	if got := send("3").SenderName; got != "Elsewhere" {
		t.Fatalf("after the TTL: %q, want Elsewhere", got)
	}
	// Renamed on this node: at once, masked.
	s.NameChanged(1, "badly")
	if got := send("4").SenderName; got != "***ly" {
		t.Fatalf("after NameChanged: %q, want ***ly", got)
	}
	// The cache is bounded: full, it starts over.
	var c nameCache
	for i := range nameCacheMax + 1 {
		c.put(int64(i+1), "n", now)
	}
	if len(c.m) != 1 {
		t.Fatalf("cache holds %d after overflowing, want 1", len(c.m))
	}
	if _, ok := c.get(1, now); ok {
		t.Fatal("an entry from before the overflow survived")
	}
}

// A group's name goes through the word filter on every answer, not only
// when the group is made: a word added to the list later masks the names
// of groups that exist already, wherever a group's name is sent.
func TestGroupNameMaskedOnRead(t *testing.T) {
	s, rec, _ := newTestService(t, nil)
	ctx := t.Context()
	words, path := wordFile(t, "bad\n")
	s.SetMasker(words)
	g, err := s.CreateGroup(ctx, 1, "Friday table", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Friday table" {
		t.Fatalf("created as %q", g.Name)
	}
	if err := s.Group(ctx, 2, GroupJoin, g.Id, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, 2, SendReq{ConversationID: g.Id, ClientID: "x", Text: "see you"}); err != nil {
		t.Fatal(err)
	}

	// The list changes (as on a file change or SIGHUP): friday is listed.
	if err := os.WriteFile(path, []byte("bad\nfriday\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := words.load(); err != nil {
		t.Fatal(err)
	}
	const want = "****** table"
	n := len(rec.pushes)
	for _, u := range []int64{1, 2} {
		in, err := s.Inbox(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, e := range in.Entries {
			if e.Conversation.Id == g.Id {
				found = true
				if e.Conversation.Name != want {
					t.Errorf("user %d inbox: group name %q, want %q", u, e.Conversation.Name, want)
				}
			}
		}
		if !found {
			t.Fatalf("user %d inbox has no group: %v", u, in)
		}
		if in.World.Name != "world" {
			t.Errorf("the world's name %q", in.World.Name)
		}
		mem, err := s.Members(ctx, u, g.Id)
		if err != nil {
			t.Fatal(err)
		}
		if mem.Group.Name != want {
			t.Errorf("user %d group.members: group name %q, want %q", u, mem.Group.Name, want)
		}
	}
	// Group events after the change: their pushes (and the events in
	// sync) carry no unmasked name.
	if err := s.Mute(ctx, 1, g.Id, 2, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Group(ctx, 3, GroupJoin, g.Id, 0); err != nil {
		t.Fatal(err)
	}
	if len(rec.pushes) == n {
		t.Fatal("no group event was pushed")
	}
	for _, p := range rec.pushes[n:] {
		if b, _ := protojson.Marshal(p.msg); strings.Contains(strings.ToLower(string(b)), "friday") {
			t.Errorf("push %s carries the unmasked name: %s", p.route, b)
		}
	}
	b, err := s.Sync(ctx, 2, []*pb.ChatSyncCursor{{ConversationId: g.Id}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := protojson.Marshal(b[0]); strings.Contains(strings.ToLower(string(raw)), "friday") {
		t.Errorf("sync carries the unmasked name: %s", raw)
	}
	// A group made now is masked when it is made, as before.
	g2, err := s.CreateGroup(ctx, 3, "friday too", 0, true)
	if err != nil || g2.Name != "****** too" {
		t.Fatalf("group made after the change: %v, %v", g2, err)
	}
	// The list changes back: the stored name shows again.
	if err := os.WriteFile(path, []byte("bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := words.load(); err != nil {
		t.Fatal(err)
	}
	if mem, err := s.Members(ctx, 1, g.Id); err != nil || mem.Group.Name != "Friday table" {
		t.Fatalf("after the word is taken off the list: %v, %v", mem, err)
	}
}
