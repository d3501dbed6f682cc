package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

func send(t *testing.T, db *store.DB, conv, sender int64, body, client string) store.SendResult {
	t.Helper()
	r := db.SendMessages(t.Context(), []store.NewMessage{{ConversationID: conv, SenderID: sender, Kind: store.MsgText, Body: body, ClientID: client}})
	return r[0]
}

func seqs(ms []store.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func TestChatPrivate(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c, err := db.PrivateConversation(ctx, 2, 1)
		if err != nil || c.Kind != store.ConvPrivate || c.Key != "private:1:2" {
			t.Fatalf("PrivateConversation = %+v, %v", c, err)
		}
		again, err := db.PrivateConversation(ctx, 1, 2)
		if err != nil || again.ID != c.ID {
			t.Fatalf("second PrivateConversation = %+v, %v; want the same", again, err)
		}
		if _, err := db.PrivateConversation(ctx, 1, 1); !errors.Is(err, store.ErrSelf) {
			t.Errorf("self conversation: %v", err)
		}
		r1 := send(t, db, c.ID, 1, "hello", "c1")
		r2 := send(t, db, c.ID, 2, "hi", "c1") // same client id, other sender
		if r1.Err != nil || r2.Err != nil || r1.Message.Seq != 1 || r2.Message.Seq != 2 {
			t.Fatalf("sends = %+v / %+v", r1, r2)
		}
		dup := send(t, db, c.ID, 1, "hello again", "c1")
		if dup.Err != nil || !dup.Replayed || dup.Message.Seq != 1 || dup.Message.Body != "hello" {
			t.Fatalf("retried send = %+v; want the original replayed", dup)
		}
		if r := send(t, db, c.ID, 3, "intruder", ""); !errors.Is(r.Err, store.ErrNotMember) {
			t.Errorf("non-member send: %v", r.Err)
		}
		if r := send(t, db, 999999, 1, "x", ""); !errors.Is(r.Err, store.ErrConvNotFound) {
			t.Errorf("unknown conversation: %v", r.Err)
		}
		all, err := db.MessagesAfter(ctx, c.ID, 0, 100)
		if err != nil || len(all) != 2 {
			t.Fatalf("MessagesAfter(0) = %v, %v; want 2 messages (nothing stored for refused or replayed sends)", seqs(all), err)
		}
		// Inbox: 1 sent seq 1 and has read it; 2's message is unread.
		in, err := db.Inbox(ctx, 1)
		if err != nil || len(in) != 1 || in[0].Unread != 1 || in[0].Last == nil || in[0].Last.Body != "hi" || in[0].Peer != 2 {
			t.Fatalf("Inbox(1) = %+v, %v", in, err)
		}
		if read, moved, err := db.MarkRead(ctx, c.ID, 1, 50); err != nil || read != 2 || !moved {
			t.Fatalf("MarkRead past the end = %d, %v, %v; want clamped to 2, moved", read, moved, err)
		}
		if read, moved, err := db.MarkRead(ctx, c.ID, 1, 1); err != nil || read != 2 || moved {
			t.Fatalf("MarkRead backwards = %d, %v, %v; want 2 (never back), not moved", read, moved, err)
		}
		if read, moved, err := db.MarkRead(ctx, c.ID, 1, 2); err != nil || read != 2 || moved {
			t.Fatalf("MarkRead again = %d, %v, %v; want 2, not moved", read, moved, err)
		}
		if read, moved, err := db.MarkRead(ctx, c.ID, 1, 60); err != nil || read != 2 || moved {
			t.Fatalf("MarkRead past the end at the end = %d, %v, %v; want 2, not moved", read, moved, err)
		}
		in, _ = db.Inbox(ctx, 1)
		if in[0].Unread != 0 {
			t.Errorf("unread after MarkRead = %d", in[0].Unread)
		}
		if n, err := db.ReadCount(ctx, c.ID, 2); err != nil || n != 1 {
			t.Errorf("ReadCount(2) = %d, %v; want 1 (user 1)", n, err)
		}
		// Block: 2 blocks 1; 1 can no longer write, 2 still can.
		if err := db.Block(ctx, 2, 1); err != nil {
			t.Fatal(err)
		}
		if r := send(t, db, c.ID, 1, "blocked?", "c9"); !errors.Is(r.Err, store.ErrBlocked) {
			t.Errorf("send to blocker: %v", r.Err)
		}
		if r := send(t, db, c.ID, 2, "still me", ""); r.Err != nil {
			t.Errorf("blocker sends: %v", r.Err)
		}
		if b, _ := db.Blocked(ctx, 2, 1); !b {
			t.Error("Blocked(2,1) = false")
		}
		if err := db.Unblock(ctx, 2, 1); err != nil {
			t.Fatal(err)
		}
		if r := send(t, db, c.ID, 1, "back", "c9"); r.Err != nil || r.Message.Seq != 4 {
			t.Errorf("after unblock: %+v", r)
		}
	})
}

func TestChatSeqNoGaps(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, err := db.Channel(ctx, store.ConvWorld, "world", "World")
		if err != nil {
			t.Fatal(err)
		}
		g, err := db.CreateGroup(ctx, 1, "g", true, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		// One batch over two conversations with a refused message in the
		// middle: the accepted ones are numbered 1..n per conversation.
		res := db.SendMessages(ctx, []store.NewMessage{
			{ConversationID: w.ID, SenderID: 5, Kind: store.MsgText, Body: "a", Authorized: true},
			{ConversationID: g.ID, SenderID: 1, Kind: store.MsgText, Body: "b", ClientID: "x"},
			{ConversationID: g.ID, SenderID: 7, Kind: store.MsgText, Body: "refused"},
			{ConversationID: w.ID, SenderID: 6, Kind: store.MsgText, Body: "c", Authorized: true},
			{ConversationID: g.ID, SenderID: 1, Kind: store.MsgText, Body: "b again", ClientID: "x"},
			{ConversationID: g.ID, SenderID: 1, Kind: store.MsgText, Body: "d"},
		})
		want := []struct {
			seq int64
			err error
		}{{1, nil}, {1, nil}, {0, store.ErrNotMember}, {2, nil}, {1, nil}, {2, nil}}
		for i, w := range want {
			if !errors.Is(res[i].Err, w.err) || res[i].Message.Seq != w.seq {
				t.Errorf("result %d = seq %d err %v; want seq %d err %v", i, res[i].Message.Seq, res[i].Err, w.seq, w.err)
			}
		}
		if !res[4].Replayed || res[4].Message.Body != "b" {
			t.Errorf("duplicate in batch = %+v; want the first replayed", res[4])
		}
		// Concurrent senders through the batcher: seqs 1..N, no gap, no repeat.
		b := store.NewChatBatcher(db, 1024, 64)
		defer b.Close()
		const n = 200
		var wg sync.WaitGroup
		got := make([]int64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := b.Send(ctx, store.NewMessage{ConversationID: g.ID, SenderID: 1, Kind: store.MsgText, Body: fmt.Sprint(i), ClientID: fmt.Sprintf("k%d", i)})
				got[i], errs[i] = r.Message.Seq, r.Err
			}()
		}
		wg.Wait()
		seen := map[int64]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("send %d: %v", i, errs[i])
			}
			if seen[got[i]] {
				t.Fatalf("seq %d given twice", got[i])
			}
			seen[got[i]] = true
		}
		all, err := db.MessagesAfter(ctx, g.ID, 0, 1000)
		if err != nil || len(all) != n+2 {
			t.Fatalf("stored %d messages, %v; want %d", len(all), err, n+2)
		}
		for i, m := range all {
			if m.Seq != int64(i+1) {
				t.Fatalf("message %d has seq %d: gap", i, m.Seq)
			}
		}
		// Retried through the batcher: the original.
		r := b.Send(ctx, store.NewMessage{ConversationID: g.ID, SenderID: 1, Kind: store.MsgText, Body: "again", ClientID: "k7"})
		if r.Err != nil || !r.Replayed || r.Message.Body != "7" {
			t.Errorf("batched retry = %+v", r)
		}
		// Sync after a seq and history pages backwards.
		after, _ := db.MessagesAfter(ctx, g.ID, 195, 100)
		if fmt.Sprint(seqs(after)) != "[196 197 198 199 200 201 202]" {
			t.Errorf("MessagesAfter(195) = %v", seqs(after))
		}
		page, _ := db.MessagesBefore(ctx, g.ID, 0, 3)
		if fmt.Sprint(seqs(page)) != "[200 201 202]" {
			t.Errorf("newest page = %v", seqs(page))
		}
		page, _ = db.MessagesBefore(ctx, g.ID, page[0].Seq, 3)
		if fmt.Sprint(seqs(page)) != "[197 198 199]" {
			t.Errorf("second page = %v", seqs(page))
		}
	})
}

func TestChatRecallAndDelete(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c, _ := db.PrivateConversation(ctx, 1, 2)
		m := send(t, db, c.ID, 1, "oops", "").Message
		if _, err := db.RecallMessage(ctx, c.ID, m.Seq, 2, time.Minute); !errors.Is(err, store.ErrRecallForeign) {
			t.Errorf("foreign recall: %v", err)
		}
		if _, err := db.RecallMessage(ctx, c.ID, 99, 1, time.Minute); !errors.Is(err, store.ErrMsgNotFound) {
			t.Errorf("recall of nothing: %v", err)
		}
		if _, err := db.RecallMessage(ctx, c.ID, m.Seq, 1, -time.Second); !errors.Is(err, store.ErrRecallLate) {
			t.Errorf("late recall: %v", err)
		}
		ev, err := db.RecallMessage(ctx, c.ID, m.Seq, 1, time.Minute)
		if err != nil || ev.Kind != store.MsgRecall || ev.RefSeq != m.Seq || ev.Seq != 2 {
			t.Fatalf("recall = %+v, %v", ev, err)
		}
		again, err := db.RecallMessage(ctx, c.ID, m.Seq, 1, time.Minute)
		if err != nil || again.Seq != ev.Seq {
			t.Errorf("second recall = %+v, %v; want the first event", again, err)
		}
		hist, _ := db.MessagesAfter(ctx, c.ID, 0, 10)
		if len(hist) != 2 || hist[0].Body != "" || hist[0].RecalledAt.IsZero() || hist[0].RecalledBy != 1 {
			t.Fatalf("history after recall = %+v", hist)
		}
		in, _ := db.Inbox(ctx, 2)
		if in[0].Unread != 0 {
			t.Errorf("a recalled message counts as unread: %d", in[0].Unread)
		}
		m2 := send(t, db, c.ID, 2, "rude", "").Message
		del, err := db.DeleteMessage(ctx, c.ID, m2.Seq, 42)
		if err != nil || del.Kind != store.MsgDelete || del.RefSeq != m2.Seq {
			t.Fatalf("delete = %+v, %v", del, err)
		}
		hist, _ = db.MessagesAfter(ctx, c.ID, 0, 10)
		if len(hist) != 4 || hist[2].Body != "" || hist[2].RecalledBy != 42 {
			t.Errorf("history after delete = %+v", hist)
		}
	})
}

func TestChatGroups(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		g, err := db.CreateGroup(ctx, 1, "club", false, 3, 2)
		if err != nil || g.OwnerID != 1 || g.MaxMembers != 3 || g.Open {
			t.Fatalf("CreateGroup = %+v, %v", g, err)
		}
		if _, err := db.CreateGroup(ctx, 1, "two", true, 3, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateGroup(ctx, 1, "three", true, 3, 2); !errors.Is(err, store.ErrTooManyGroups) {
			t.Errorf("third group: %v", err)
		}
		send(t, db, g.ID, 1, "before", "")
		m2, err := db.JoinGroup(ctx, g.ID, 2, 0)
		if err != nil || m2.Role != store.RoleMember || m2.ReadSeq != 1 {
			t.Fatalf("JoinGroup = %+v, %v; want member who read what came before", m2, err)
		}
		if _, err := db.JoinGroup(ctx, g.ID, 2, 0); !errors.Is(err, store.ErrAlreadyMember) {
			t.Errorf("join twice: %v", err)
		}
		if _, err := db.JoinGroup(ctx, g.ID, 3, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.JoinGroup(ctx, g.ID, 4, 0); !errors.Is(err, store.ErrGroupFull) {
			t.Errorf("join a full group: %v", err)
		}
		if err := db.KickMember(ctx, g.ID, 2, 3); !errors.Is(err, store.ErrNotAdmin) {
			t.Errorf("member kicks: %v", err)
		}
		if err := db.SetRole(ctx, g.ID, 1, 2, store.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := db.KickMember(ctx, g.ID, 2, 1); !errors.Is(err, store.ErrNotOwner) {
			t.Errorf("admin kicks owner: %v", err)
		}
		if err := db.MuteMember(ctx, g.ID, 2, 3, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if r := send(t, db, g.ID, 3, "muted?", ""); !errors.Is(r.Err, store.ErrMuted) {
			t.Errorf("muted send: %v", r.Err)
		}
		if err := db.MuteMember(ctx, g.ID, 2, 3, time.Time{}); err != nil {
			t.Fatal(err)
		}
		r := send(t, db, g.ID, 3, "free", "")
		if r.Err != nil {
			t.Fatalf("unmuted send: %v", r.Err)
		}
		// Read count: 3 sent it; 1 and 2 have not read it.
		if n, _ := db.ReadCount(ctx, g.ID, r.Message.Seq); n != 0 {
			t.Errorf("read count = %d, want 0", n)
		}
		db.MarkRead(ctx, g.ID, 1, r.Message.Seq)
		db.MarkRead(ctx, g.ID, 2, r.Message.Seq)
		if n, _ := db.ReadCount(ctx, g.ID, r.Message.Seq); n != 2 {
			t.Errorf("read count = %d, want 2", n)
		}
		if err := db.KickMember(ctx, g.ID, 2, 3); err != nil {
			t.Fatal(err)
		}
		if r := send(t, db, g.ID, 3, "gone", ""); !errors.Is(r.Err, store.ErrNotMember) {
			t.Errorf("kicked member sends: %v", r.Err)
		}
		if err := db.KickMember(ctx, g.ID, 2, 3); !errors.Is(err, store.ErrTargetNotMember) {
			t.Errorf("kick a user who is not a member: %v, want %v", err, store.ErrTargetNotMember)
		}
		if err := db.LeaveGroup(ctx, g.ID, 1); !errors.Is(err, store.ErrOwnerLeave) {
			t.Errorf("owner leaves: %v", err)
		}
		if err := db.LeaveGroup(ctx, g.ID, 2); err != nil {
			t.Fatal(err)
		}
		ms, _ := db.Members(ctx, g.ID)
		if len(ms) != 1 || ms[0].UserID != 1 || ms[0].Role != store.RoleOwner {
			t.Errorf("members = %+v", ms)
		}
		if err := db.DisbandGroup(ctx, g.ID, 2); !errors.Is(err, store.ErrNotOwner) {
			t.Errorf("non-owner disbands: %v", err)
		}
		if err := db.DisbandGroup(ctx, g.ID, 1); err != nil {
			t.Fatal(err)
		}
		if r := send(t, db, g.ID, 1, "after", ""); !errors.Is(r.Err, store.ErrDisbanded) {
			t.Errorf("send to disbanded: %v", r.Err)
		}
		if _, err := db.JoinGroup(ctx, g.ID, 5, 0); !errors.Is(err, store.ErrDisbanded) {
			t.Errorf("join disbanded: %v", err)
		}
		// A disbanded group no longer counts against the limit.
		if _, err := db.CreateGroup(ctx, 1, "three", true, 3, 2); err != nil {
			t.Errorf("group after disband: %v", err)
		}
	})
}

func TestChatFriends(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if st, err := db.RequestFriend(ctx, 1, 2, 2); err != nil || st != store.FriendPendingOut {
			t.Fatalf("request = %q, %v", st, err)
		}
		if st, _ := db.RequestFriend(ctx, 1, 2, 2); st != store.FriendPendingOut {
			t.Errorf("request again = %q", st)
		}
		fs, _ := db.Friends(ctx, 2)
		if len(fs) != 1 || fs[0].UserID != 1 || fs[0].State != store.FriendPendingIn {
			t.Fatalf("Friends(2) = %+v", fs)
		}
		if err := db.AcceptFriend(ctx, 2, 1, 2); err != nil {
			t.Fatal(err)
		}
		if err := db.AcceptFriend(ctx, 2, 1, 2); !errors.Is(err, store.ErrNoRequest) {
			t.Errorf("accept twice: %v", err)
		}
		if _, err := db.RequestFriend(ctx, 2, 1, 2); !errors.Is(err, store.ErrAlreadyFriends) {
			t.Errorf("request a friend: %v", err)
		}
		// Crossed requests become a friendship at once.
		db.RequestFriend(ctx, 3, 1, 2)
		if st, err := db.RequestFriend(ctx, 1, 3, 2); err != nil || st != store.FriendAccepted {
			t.Errorf("crossed request = %q, %v", st, err)
		}
		if _, err := db.RequestFriend(ctx, 1, 4, 2); !errors.Is(err, store.ErrTooManyFriends) {
			t.Errorf("over the friends limit: %v", err)
		}
		db.RequestFriend(ctx, 5, 2, 10)
		if err := db.DeclineFriend(ctx, 2, 5); err != nil {
			t.Fatal(err)
		}
		if err := db.DeclineFriend(ctx, 2, 5); !errors.Is(err, store.ErrNoRequest) {
			t.Errorf("decline twice: %v", err)
		}
		if removed, err := db.RemoveFriend(ctx, 1, 3); err != nil || !removed {
			t.Fatalf("RemoveFriend = %v, %v; want removed", removed, err)
		}
		if removed, err := db.RemoveFriend(ctx, 1, 3); err != nil || removed {
			t.Fatalf("RemoveFriend again = %v, %v; want nothing removed, no error", removed, err)
		}
		fs, _ = db.Friends(ctx, 3)
		if len(fs) != 0 {
			t.Errorf("Friends(3) after remove = %+v", fs)
		}
		// Block ends the friendship and refuses requests from the blocked.
		if err := db.Block(ctx, 2, 1); err != nil {
			t.Fatal(err)
		}
		if err := db.Block(ctx, 2, 1); err != nil {
			t.Errorf("block twice: %v", err)
		}
		fs, _ = db.Friends(ctx, 1)
		if len(fs) != 0 {
			t.Errorf("Friends(1) after block = %+v", fs)
		}
		if _, err := db.RequestFriend(ctx, 1, 2, 10); !errors.Is(err, store.ErrBlocked) {
			t.Errorf("request to blocker: %v", err)
		}
		if bs, _ := db.Blocks(ctx, 2); len(bs) != 1 || bs[0] != 1 {
			t.Errorf("Blocks(2) = %v", bs)
		}
	})
}

func TestChatPrune(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, _ := db.Channel(ctx, store.ConvWorld, "world", "")
		tab, _ := db.Channel(ctx, store.ConvTable, "table:9", "")
		var msgs []store.NewMessage
		for i := range 10 {
			msgs = append(msgs, store.NewMessage{ConversationID: w.ID, SenderID: 1, Kind: store.MsgText, Body: fmt.Sprint(i), Authorized: true})
		}
		msgs = append(msgs, store.NewMessage{ConversationID: tab.ID, SenderID: 1, Kind: store.MsgPhrase, Body: "hurry", Authorized: true})
		for _, r := range db.SendMessages(ctx, msgs) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		n, err := db.PruneMessages(ctx, store.ConvWorld, 4, time.Now().Add(-time.Hour))
		if err != nil || n != 6 {
			t.Fatalf("prune = %d, %v; want 6", n, err)
		}
		left, _ := db.MessagesAfter(ctx, w.ID, 0, 100)
		if fmt.Sprint(seqs(left)) != "[7 8 9 10]" {
			t.Errorf("kept %v", seqs(left))
		}
		r := db.SendMessages(ctx, []store.NewMessage{{ConversationID: w.ID, SenderID: 1, Kind: store.MsgText, Body: "new", Authorized: true}})
		if r[0].Message.Seq != 11 {
			t.Errorf("seq after prune = %d; want 11 (never reused)", r[0].Message.Seq)
		}
		if n, _ := db.PruneMessages(ctx, store.ConvTable, 0, time.Now().Add(time.Hour)); n != 1 {
			t.Errorf("table prune by age = %d; want 1", n)
		}
		if _, err := db.PruneMessages(ctx, store.ConvPrivate, 1, time.Now()); err == nil {
			t.Error("pruning private conversations allowed")
		}
	})
}

// TestChatSendBatchMixed sends one batch of 330 messages over 120
// conversations (more than one lookup chunk of each kind), mixing every
// outcome: accepted, replayed from an earlier batch, repeated inside the
// batch, not a member, blocked, unknown conversation. Each message must
// get its own outcome, and the accepted ones gapless seqs per
// conversation after what was there.
func TestChatSendBatchMixed(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		convs := make([]store.Conversation, 120)
		for i := range convs {
			c, err := db.PrivateConversation(ctx, int64(1000+2*i), int64(1001+2*i))
			if err != nil {
				t.Fatal(err)
			}
			convs[i] = c
		}
		// Conversation 0: one earlier message with client id "old".
		if r := send(t, db, convs[0].ID, 1000, "earlier", "old"); r.Err != nil {
			t.Fatal(r.Err)
		}
		// Conversation 1: 1003 blocks 1002.
		if err := db.Block(ctx, 1003, 1002); err != nil {
			t.Fatal(err)
		}
		type want struct {
			err      error
			replayed bool
		}
		var msgs []store.NewMessage
		var wants []want
		add := func(m store.NewMessage, w want) {
			m.Kind = store.MsgText
			msgs = append(msgs, m)
			wants = append(wants, w)
		}
		for i, c := range convs {
			a, b := int64(1000+2*i), int64(1001+2*i)
			wa := want{}
			if i == 1 {
				wa.err = store.ErrBlocked
			}
			add(store.NewMessage{ConversationID: c.ID, SenderID: a, Body: "a", ClientID: fmt.Sprintf("m%d", i)}, wa)
			add(store.NewMessage{ConversationID: c.ID, SenderID: b, Body: "b"}, want{})
			if i%10 == 0 {
				add(store.NewMessage{ConversationID: c.ID, SenderID: 5, Body: "intruder"}, want{err: store.ErrNotMember})
			}
		}
		add(store.NewMessage{ConversationID: convs[0].ID, SenderID: 1000, Body: "retry", ClientID: "old"}, want{replayed: true})
		add(store.NewMessage{ConversationID: convs[2].ID, SenderID: 1004, Body: "again", ClientID: "m2"}, want{replayed: true})
		add(store.NewMessage{ConversationID: convs[1].ID, SenderID: 1002, Body: "blocked", ClientID: "nope"}, want{err: store.ErrBlocked})
		add(store.NewMessage{ConversationID: 99999999, SenderID: 1, Body: "nowhere"}, want{err: store.ErrConvNotFound})
		for len(msgs) < 330 {
			add(store.NewMessage{ConversationID: convs[5].ID, SenderID: 1010, Body: "more"}, want{})
		}
		res := db.SendMessages(ctx, msgs)
		next := map[int64]int64{convs[0].ID: 2} // conversation 0 had one message
		for i, r := range res {
			w, m := wants[i], msgs[i]
			switch {
			case w.err != nil:
				if !errors.Is(r.Err, w.err) {
					t.Errorf("message %d (%+v): %v, want %v", i, m, r.Err, w.err)
				}
			case w.replayed:
				if r.Err != nil || !r.Replayed || r.Message.ClientID != m.ClientID {
					t.Errorf("message %d (%+v): %+v, want the original replayed", i, m, r)
				}
			default:
				if next[m.ConversationID] == 0 {
					next[m.ConversationID] = 1
				}
				if r.Err != nil || r.Replayed || r.Message.Seq != next[m.ConversationID] || r.Message.Body != m.Body {
					t.Errorf("message %d (%+v): %+v, want seq %d", i, m, r, next[m.ConversationID])
				}
				next[m.ConversationID]++
			}
		}
		if r := res[len(convs)*2+12]; r.Message.Seq != 1 || r.Message.Body != "earlier" {
			t.Errorf("replay from an earlier batch = %+v", r)
		}
		for _, c := range []store.Conversation{convs[0], convs[5], convs[119]} {
			got, err := db.MessagesAfter(ctx, c.ID, 0, 1000)
			if err != nil || int64(len(got)) != next[c.ID]-1 {
				t.Fatalf("conversation %d: %d stored, %v; want %d", c.ID, len(got), err, next[c.ID]-1)
			}
			for k, m := range got {
				if m.Seq != int64(k+1) {
					t.Fatalf("conversation %d: seqs %v", c.ID, seqs(got))
				}
			}
		}
		// The senders' own read markers moved to their last message:
		// 1010 sent the last one of conversation 5, 1013 the only one it
		// sent in conversation 6, before 1012's.
		in, err := db.Inbox(ctx, 1010)
		if err != nil || len(in) != 1 || in[0].Unread != 0 || in[0].Member.ReadSeq != next[convs[5].ID]-1 {
			t.Errorf("inbox of 1010 = %+v, %v; want all read", in, err)
		}
		in, err = db.Inbox(ctx, 1013)
		if err != nil || len(in) != 1 || in[0].Unread != 0 || in[0].Member.ReadSeq != 2 {
			t.Errorf("inbox of 1013 = %+v, %v; want read up to its own message, seq 2", in, err)
		}
		in, err = db.Inbox(ctx, 1012)
		if err != nil || len(in) != 1 || in[0].Unread != 1 || in[0].Member.ReadSeq != 1 {
			t.Errorf("inbox of 1012 = %+v, %v; want 1013's message unread", in, err)
		}
	})
}

// TestChatInboxHidesBlockedSenders: the group messages of a sender the
// member blocked are neither unread nor the inbox's last message for that
// member (group events still are); other members see them, and private
// conversations are not filtered.
func TestChatInboxHidesBlockedSenders(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		g, err := db.CreateGroup(ctx, 1, "club", true, 10, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []int64{2, 3} {
			if _, err := db.JoinGroup(ctx, g.ID, u, 0); err != nil {
				t.Fatal(err)
			}
		}
		p, err := db.PrivateConversation(ctx, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		send(t, db, p.ID, 1, "private before the block", "")
		if err := db.Block(ctx, 3, 1); err != nil {
			t.Fatal(err)
		}
		send(t, db, g.ID, 2, "from 2", "")
		send(t, db, g.ID, 1, "from 1", "")
		send(t, db, g.ID, 1, "from 1 again", "")
		entry := func(user, conv int64) store.InboxEntry {
			t.Helper()
			in, err := db.Inbox(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range in {
				if e.Conversation.ID == conv {
					return e
				}
			}
			t.Fatalf("conversation %d not in %d's inbox", conv, user)
			return store.InboxEntry{}
		}
		if e := entry(3, g.ID); e.Unread != 1 || e.Last == nil || e.Last.Body != "from 2" {
			t.Errorf("blocker's group entry: unread %d, last %+v; want 1, from 2", e.Unread, e.Last)
		}
		if e := entry(2, g.ID); e.Unread != 2 || e.Last == nil || e.Last.Body != "from 1 again" {
			t.Errorf("other member's group entry: unread %d, last %+v; want 2, from 1 again", e.Unread, e.Last)
		}
		if e := entry(3, p.ID); e.Unread != 1 || e.Last == nil || e.Last.Body != "private before the block" {
			t.Errorf("blocker's private entry: unread %d, last %+v", e.Unread, e.Last)
		}
		// A group event by the blocked user is not hidden.
		r := db.SendMessages(ctx, []store.NewMessage{{ConversationID: g.ID, SenderID: 1, Kind: store.MsgSystem, Body: "renamed"}})
		if r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		if e := entry(3, g.ID); e.Unread != 2 || e.Last == nil || e.Last.Body != "renamed" {
			t.Errorf("blocker's group entry after an event: unread %d, last %+v; want 2, renamed", e.Unread, e.Last)
		}
	})
}
