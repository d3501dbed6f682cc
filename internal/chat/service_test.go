package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// recorder is a Fanout that keeps what it was asked to push.
type recorder struct {
	mu     sync.Mutex
	pushes []pushRec
	online map[int64]bool
}

type pushRec struct {
	route  string
	msg    proto.Message
	users  []int64
	all    bool
	except []int64
}

func (r *recorder) Push(_ context.Context, route string, msg proto.Message, users []int64, all bool, except []int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pushes = append(r.pushes, pushRec{route, msg, users, all, except})
	return nil
}

func (r *recorder) Online(_ context.Context, users []int64) []bool {
	out := make([]bool, len(users))
	for i, u := range users {
		out[i] = r.online[u]
	}
	return out
}

func (r *recorder) last() pushRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pushes[len(r.pushes)-1]
}

func newTestService(t *testing.T, edit func(*Config)) (*Service, *recorder, *store.DB) {
	t.Helper()
	db, err := store.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for id := int64(1); id <= 5; id++ {
		if _, err := db.CreateAccount(t.Context(), store.NewAccount{ID: id, DisplayName: fmt.Sprintf("user%d", id), Guest: true, DeviceID: fmt.Sprintf("device-%d", id)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Rates[store.ConvPrivate] = Rate{Burst: 1000, Window: time.Second}
	cfg.Rates[store.ConvWorld] = Rate{Burst: 1000, Window: time.Second}
	if edit != nil {
		edit(&cfg)
	}
	rec := &recorder{online: map[int64]bool{}}
	s, err := New(cfg, db, rec, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, rec, db
}

func TestContent(t *testing.T) {
	s, _, _ := newTestService(t, nil)
	for _, tc := range []struct {
		kind, text string
		phrase     uint32
		body, k    string
		err        error
	}{
		{"", "hi", 0, "hi", "text", nil},
		{"text", "  trimmed  ", 0, "trimmed", "text", nil},
		{"text", " \t ", 0, "", "", ErrEmpty},
		{"text", string(make([]rune, 501)), 0, "", "", ErrTooLong},
		{"text", "\xff", 0, "", "", ErrBadUTF8},
		{"phrase", "", 3, "3", "phrase", nil},
		{"emote", "", 8, "8", "phrase", nil},
		{"phrase", "", 9, "", "", ErrBadPhrase},
		{"phrase", "", 0, "", "", ErrBadPhrase},
		{"phrase", "words too", 1, "", "", ErrBadPhrase},
		{"system", "x", 0, "", "", ErrBadKind},
		{"recall", "x", 0, "", "", ErrBadKind},
	} {
		body, k, err := s.content(tc.kind, tc.text, tc.phrase)
		if !errors.Is(err, tc.err) || body != tc.body || k != tc.k {
			t.Errorf("content(%q, %.10q, %d) = %q, %q, %v; want %q, %q, %v", tc.kind, tc.text, tc.phrase, body, k, err, tc.body, tc.k, tc.err)
		}
	}
}

func TestWindow(t *testing.T) {
	var w window
	t0 := time.Unix(1000, 0)
	for i, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Second, true}, {1500 * time.Millisecond, false}, {2 * time.Second, true}, {2100 * time.Millisecond, false}, {3 * time.Second, true}} {
		if got := w.allow(t0.Add(tc.at), 2, 2*time.Second); got != tc.want {
			t.Errorf("step %d at %v: allow = %v, want %v", i, tc.at, got, tc.want)
		}
	}
	if w.idle(t0.Add(4*time.Second), 2*time.Second) || !w.idle(t0.Add(5*time.Second), 2*time.Second) {
		t.Error("idle")
	}
}

func TestSendRulesAndFanout(t *testing.T) {
	s, rec, db := newTestService(t, func(c *Config) { c.Rates[store.ConvGroup] = Rate{Burst: 2, Window: time.Hour} })
	ctx := t.Context()
	m, replayed, err := s.Send(ctx, 1, SendReq{ToUser: 2, ClientID: "a", Text: "hi"})
	if err != nil || replayed || m.Seq != 1 {
		t.Fatalf("send: %v %v %v", m, replayed, err)
	}
	p := rec.last()
	if p.route != RouteMsg || p.all || !slices.Contains(p.users, 2) || !slices.Contains(p.except, 1) {
		t.Fatalf("private push: %+v", p)
	}
	n := len(rec.pushes)
	if _, replayed, err := s.Send(ctx, 1, SendReq{ConversationID: m.ConversationId, ClientID: "a", Text: "again"}); err != nil || !replayed || len(rec.pushes) != n {
		t.Fatalf("a replay pushes nothing: %v %v, %d pushes", replayed, err, len(rec.pushes)-n)
	}
	for _, tc := range []struct {
		r   SendReq
		err error
	}{
		{SendReq{ToUser: 1, ClientID: "x", Text: "me"}, store.ErrSelf},
		{SendReq{ToUser: 99, ClientID: "x", Text: "who"}, ErrUserNotFound},
		{SendReq{ClientID: "x", Text: "where"}, ErrNoTarget},
		{SendReq{ToUser: 2, ClientID: string(make([]byte, 65)), Text: "id"}, ErrBadClientID},
	} {
		if _, _, err := s.Send(ctx, 1, tc.r); !errors.Is(err, tc.err) {
			t.Errorf("Send(%+v) = %v, want %v", tc.r, err, tc.err)
		}
	}
	// A group: the members are pushed, minus the sender and whoever
	// blocks the sender; the group rate applies.
	g, err := s.CreateGroup(ctx, 1, "g", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []int64{2, 3} {
		if err := s.Group(ctx, u, GroupJoin, g.Id, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Block(ctx, 3, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: "g1", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	p = rec.last()
	if !slices.Contains(p.except, 3) || !slices.Contains(p.except, 1) || !slices.Contains(p.users, 2) {
		t.Fatalf("group push: %+v", p)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: "g2", Text: "two"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: "g3", Text: "three"}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("third group message in the window: %v", err)
	}
	// 3 blocks 1: its sync of the group leaves 1's messages out but
	// moves past them.
	b, err := s.Sync(ctx, 3, []*pb.ChatSyncCursor{{ConversationId: g.Id}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range b[0].Messages {
		if m.SenderId == 1 && m.Kind == store.MsgText {
			t.Fatalf("hidden sender in sync: %v", m)
		}
	}
	if b[0].NextSeq != b[0].LastSeq || b[0].HasMore {
		t.Fatalf("sync next %d last %d more %v", b[0].NextSeq, b[0].LastSeq, b[0].HasMore)
	}
	// World: everyone, except who blocks the sender.
	w, err := s.Open(ctx, 1, store.ConvWorld, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: w.Id, ClientID: "w1", Text: "world"}); err != nil {
		t.Fatal(err)
	}
	if p := rec.last(); !p.all || !slices.Contains(p.except, 3) {
		t.Fatalf("world push: %+v", p)
	}
}

func TestSyncPagesAndRecallLate(t *testing.T) {
	s, _, _ := newTestService(t, func(c *Config) { c.RecallWindow = time.Millisecond })
	ctx := t.Context()
	var conv int64
	for i := range 7 {
		m, _, err := s.Send(ctx, 1, SendReq{ConversationID: conv, ToUser: 2, ClientID: fmt.Sprint(i), Text: fmt.Sprint("m", i)})
		if err != nil {
			t.Fatal(err)
		}
		conv = m.ConversationId
	}
	var got []int64
	after := int64(0)
	for {
		b, err := s.Sync(ctx, 2, []*pb.ChatSyncCursor{{ConversationId: conv, AfterSeq: after}}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range b[0].Messages {
			got = append(got, m.Seq)
		}
		after = b[0].NextSeq
		if !b[0].HasMore {
			break
		}
	}
	if !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("paged sync: %v", got)
	}
	if _, err := s.Sync(ctx, 3, []*pb.ChatSyncCursor{{ConversationId: conv}}, 0); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("stranger's sync: %v", err)
	}
	if _, err := s.Sync(ctx, 2, make([]*pb.ChatSyncCursor, 101), 0); !errors.Is(err, ErrTooMany) {
		t.Fatalf("101 cursors: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := s.Recall(ctx, 1, conv, 7); !errors.Is(err, store.ErrRecallLate) {
		t.Fatalf("late recall: %v", err)
	}
	if _, err := s.Delete(ctx, 2, false, conv, 7); !errors.Is(err, store.ErrNotAdmin) {
		t.Fatalf("member delete in private: %v", err)
	}
	ev, err := s.Delete(ctx, 9, true, conv, 7)
	if err != nil || ev.Kind != store.MsgDelete || ev.RefSeq != 7 {
		t.Fatalf("operator delete: %v, %v", ev, err)
	}
}

func TestWorldRetention(t *testing.T) {
	s, _, db := newTestService(t, func(c *Config) { c.WorldKeep = 3 })
	ctx := t.Context()
	w, err := s.World(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, _, err := s.Send(ctx, int64(1+i%2), SendReq{ConversationID: w.ID, ClientID: fmt.Sprint(i), Text: "w"}); err != nil {
			t.Fatal(err)
		}
	}
	s.prune(ctx)
	ms, err := db.MessagesAfter(ctx, w.ID, 0, 100)
	if err != nil || len(ms) != 3 || ms[0].Seq != 3 {
		t.Fatalf("after pruning: %v, %v", ms, err)
	}
	b, err := s.Sync(ctx, 4, []*pb.ChatSyncCursor{{ConversationId: w.ID, AfterSeq: 1}}, 0)
	if err != nil || len(b[0].Messages) != 3 || b[0].NextSeq != 5 {
		t.Fatalf("sync over the pruned part: %v, %v", b, err)
	}
}

// TestReadReceiptOnlyWhenMoved: in private chat the peer is told of a read
// marker that moved, once; reading again, backwards or past the end at
// the end pushes nothing.
func TestReadReceiptOnlyWhenMoved(t *testing.T) {
	s, rec, _ := newTestService(t, nil)
	ctx := t.Context()
	var conv int64
	for i, text := range []string{"one", "two"} {
		m, _, err := s.Send(ctx, 1, SendReq{ToUser: 2, ClientID: fmt.Sprint("r", i), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		conv = m.ConversationId
	}
	receipts := func() []*pb.ChatReadReceipt {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var out []*pb.ChatReadReceipt
		for _, p := range rec.pushes {
			if p.route == RouteRead {
				if !slices.Equal(p.users, []int64{1}) {
					t.Errorf("receipt pushed to %v, want the sender 1", p.users)
				}
				out = append(out, p.msg.(*pb.ChatReadReceipt))
			}
		}
		return out
	}
	for _, step := range []struct {
		seq, want int64
		pushes    int
	}{
		{1, 1, 1}, // moved: told
		{1, 1, 1}, // the same again: nothing
		{0, 1, 1}, // backwards: nothing
		{9, 2, 2}, // past the end: clamped to 2, moved
		{9, 2, 2}, // at the end already: nothing
		{2, 2, 2}, // the same: nothing
	} {
		r, err := s.Read(ctx, 2, conv, step.seq)
		if err != nil {
			t.Fatal(err)
		}
		if r.ReadSeq != step.want {
			t.Errorf("Read(%d) = %d, want %d", step.seq, r.ReadSeq, step.want)
		}
		if rs := receipts(); len(rs) != step.pushes || rs[len(rs)-1].ReadSeq != step.want || rs[len(rs)-1].UserId != 2 {
			t.Fatalf("after Read(%d): receipts %v, want %d ending at %d", step.seq, rs, step.pushes, step.want)
		}
	}
}

// TestFriendRemoveOfNothing: removing a friendship that does not exist
// succeeds and tells nobody; removing one that does tells the other user.
func TestFriendRemoveOfNothing(t *testing.T) {
	s, rec, _ := newTestService(t, nil)
	ctx := t.Context()
	events := func() int {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		n := 0
		for _, p := range rec.pushes {
			if p.route == RouteFriend && p.msg.(*pb.FriendEvent).Event == "removed" {
				n++
			}
		}
		return n
	}
	if _, err := s.Friend(ctx, 1, FriendRemove, 2); err != nil || events() != 0 {
		t.Fatalf("remove of nothing: %v, %d removed events", err, events())
	}
	if _, err := s.Friend(ctx, 1, FriendRequest, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Friend(ctx, 2, FriendAccept, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Friend(ctx, 1, FriendRemove, 2); err != nil || events() != 1 {
		t.Fatalf("remove of a friend: %v, %d removed events", err, events())
	}
}

// TestSendRateAndBlockEdges: a blocked sender's first private message
// leaves no conversation in the blocker's inbox; a retry of a stored
// message is answered even when the sender is over its rate; sends that
// are refused or replayed do not use up the rate.
func TestSendRateAndBlockEdges(t *testing.T) {
	s, _, db := newTestService(t, func(c *Config) {
		c.Rates[store.ConvWorld] = Rate{Burst: 1, Window: time.Hour}
		c.Rates[store.ConvGroup] = Rate{Burst: 2, Window: time.Hour}
	})
	ctx := t.Context()
	if err := db.Block(ctx, 2, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ToUser: 2, ClientID: "p1", Text: "hi"}); !errors.Is(err, store.ErrBlocked) {
		t.Fatalf("blocked sender: %v, want blocked", err)
	}
	if in, err := s.Inbox(ctx, 2); err != nil || len(in.Entries) != 0 {
		t.Fatalf("blocker's inbox after a refused first message: %v %v", in, err)
	}
	// World, one message an hour: the retry of the first is its answer,
	// a new one is refused.
	w, err := s.Open(ctx, 1, store.ConvWorld, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := s.Send(ctx, 1, SendReq{ConversationID: w.Id, ClientID: "w1", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	again, replayed, err := s.Send(ctx, 1, SendReq{ConversationID: w.Id, ClientID: "w1", Text: "hello"})
	if err != nil || !replayed || again.Seq != first.Seq {
		t.Fatalf("retry over the rate: %v replayed=%v %v, want the original", again, replayed, err)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: w.Id, ClientID: "w2", Text: "more"}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("a new message over the rate: %v", err)
	}
	if h, _, err := s.History(ctx, 1, w.Id, 0, 10); err != nil || len(h) != 1 {
		t.Fatalf("world history: %d messages, %v; want 1", len(h), err)
	}
	// A group of 3's that 1 is not in: 1's refused sends leave its two
	// group messages an hour for a group it joins.
	other, err := s.CreateGroup(ctx, 3, "other", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: other.Id, ClientID: fmt.Sprintf("x%d", i), Text: "let me in"}); !errors.Is(err, store.ErrNotMember) {
			t.Fatalf("non-member send: %v", err)
		}
	}
	g, err := s.CreateGroup(ctx, 1, "mine", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: fmt.Sprintf("g%d", i), Text: "hi"}); err != nil {
			t.Fatalf("group message %d after refused sends: %v", i+1, err)
		}
	}
	// A replay does not count either.
	if _, replayed, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: "g0", Text: "hi"}); err != nil || !replayed {
		t.Fatalf("group replay: %v %v", replayed, err)
	}
	if _, _, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: "g2", Text: "third"}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("third group message in the window: %v", err)
	}
}

// A group admin (not the owner) deletes another member's message; a plain
// member cannot delete someone else's. The message is a tombstone in
// history and sync for every member, and the delete event is pushed to
// all of them.
func TestGroupAdminDelete(t *testing.T) {
	s, rec, _ := newTestService(t, nil)
	ctx := t.Context()
	g, err := s.CreateGroup(ctx, 1, "g", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []int64{2, 3, 4} {
		if err := s.Group(ctx, u, GroupJoin, g.Id, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetRole(ctx, 1, g.Id, 2, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	m, _, err := s.Send(ctx, 3, SendReq{ConversationID: g.Id, ClientID: "m", Text: "delete me"})
	if err != nil {
		t.Fatal(err)
	}
	// A plain member, and a stranger, may not delete another's message.
	for _, u := range []int64{4, 5} {
		if _, err := s.Delete(ctx, u, false, g.Id, m.Seq); !errors.Is(err, store.ErrNotAdmin) {
			t.Fatalf("user %d deletes another's message: %v, want not_admin", u, err)
		}
	}
	h, _, err := s.History(ctx, 4, g.Id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(h, func(x *pb.ChatMessage) bool { return x.Seq == m.Seq }); i < 0 || h[i].Text != "delete me" || h[i].RecalledMs != 0 {
		t.Fatalf("a refused delete changed the message: %v", h)
	}
	// The admin (not the owner) may.
	n := len(rec.pushes)
	ev, err := s.Delete(ctx, 2, false, g.Id, m.Seq)
	if err != nil {
		t.Fatalf("admin delete: %v", err)
	}
	if ev.Kind != store.MsgDelete || ev.RefSeq != m.Seq || ev.SenderId != 2 || ev.Seq != m.Seq+1 || ev.ConversationKind != store.ConvGroup {
		t.Fatalf("delete event: %v", ev)
	}
	if len(rec.pushes) != n+1 {
		t.Fatalf("%d pushes for the delete, want 1", len(rec.pushes)-n)
	}
	p := rec.last()
	if pm, ok := p.msg.(*pb.ChatMessage); !ok || p.route != RouteMsg || pm.Kind != store.MsgDelete || pm.RefSeq != m.Seq {
		t.Fatalf("delete push: %+v", p)
	}
	for _, u := range []int64{1, 3, 4} {
		if !slices.Contains(p.users, u) || slices.Contains(p.except, u) {
			t.Fatalf("delete push does not reach user %d: %+v", u, p)
		}
	}
	// A tombstone for everyone, the sender and the owner included, in
	// history and in sync; the event follows it.
	for _, u := range []int64{1, 2, 3, 4} {
		h, _, err := s.History(ctx, u, g.Id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Sync(ctx, u, []*pb.ChatSyncCursor{{ConversationId: g.Id, AfterSeq: m.Seq - 1}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for what, ms := range map[string][]*pb.ChatMessage{"history": h, "sync": b[0].Messages} {
			i := slices.IndexFunc(ms, func(x *pb.ChatMessage) bool { return x.Seq == m.Seq })
			if i < 0 {
				t.Fatalf("user %d %s: no message %d in %v", u, what, m.Seq, ms)
			}
			if x := ms[i]; x.Text != "" || x.RecalledMs == 0 || x.RecalledBy != 2 || x.SenderId != 3 || x.Kind != store.MsgText {
				t.Fatalf("user %d %s: %v is not a tombstone deleted by 2", u, what, x)
			}
			if j := slices.IndexFunc(ms, func(x *pb.ChatMessage) bool { return x.Seq == ev.Seq }); j < 0 || ms[j].Kind != store.MsgDelete || ms[j].RefSeq != m.Seq {
				t.Fatalf("user %d %s: no delete event: %v", u, what, ms)
			}
		}
	}
	// Deleting it again answers the same event and adds nothing.
	again, err := s.Delete(ctx, 2, false, g.Id, m.Seq)
	if err != nil || again.Seq != ev.Seq {
		t.Fatalf("second delete: %v, %v; want event %d", again, err, ev.Seq)
	}
	// The admin may delete the owner's message too; a plain member still
	// may not, not even its own (it recalls it instead).
	om, _, err := s.Send(ctx, 1, SendReq{ConversationID: g.Id, ClientID: "o", Text: "owner's"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, 2, false, g.Id, om.Seq); err != nil {
		t.Fatalf("admin deletes the owner's message: %v", err)
	}
	own, _, err := s.Send(ctx, 4, SendReq{ConversationID: g.Id, ClientID: "4", Text: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, 4, false, g.Id, own.Seq); !errors.Is(err, store.ErrNotAdmin) {
		t.Fatalf("plain member deletes its own message: %v, want not_admin", err)
	}
}
