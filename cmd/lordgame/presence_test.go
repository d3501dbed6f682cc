package main

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// presenceLog collects the presence.event pushes one client gets.
type presenceLog struct {
	mu  sync.Mutex
	evs []*pb.PresenceEvent
}

func watchPresence(t *testing.T, u *chatUser) *presenceLog {
	l := &presenceLog{}
	u.c.On("presence.event", func(p client.Push) {
		e := &pb.PresenceEvent{}
		if err := p.Decode(e); err != nil {
			t.Error(err)
			return
		}
		l.mu.Lock()
		l.evs = append(l.evs, e)
		l.mu.Unlock()
	})
	return l
}

// of lists user's events as "previous>status".
func (l *presenceLog) of(user int64) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.evs {
		if e.UserId == user {
			out = append(out, e.Previous+">"+e.Status)
		}
	}
	return out
}

// waitEither waits until user's events are one of the wants and returns
// them.
func (l *presenceLog) waitEither(t *testing.T, what string, user int64, wants ...[]string) []string {
	t.Helper()
	var got []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		got = l.of(user)
		for _, w := range wants {
			if slices.Equal(got, w) {
				return got
			}
		}
	}
	t.Fatalf("%s: presence events of %d %v, want one of %v", what, user, got, wants)
	return nil
}

// wait waits until user's events are want, and fails if they become
// anything else.
func (l *presenceLog) wait(t *testing.T, what string, user int64, want ...string) {
	t.Helper()
	var got []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		got = l.of(user)
		if slices.Equal(got, want) {
			return
		}
		if len(got) >= len(want) {
			break
		}
	}
	t.Fatalf("%s: presence events of %d %v, want %v", what, user, got, want)
}

func statusOf(t *testing.T, u *chatUser, ids ...int64) []string {
	t.Helper()
	var r pb.PresenceGetResp
	u.ok("presence.get", &pb.PresenceGetReq{UserIds: ids}, &r)
	out := make([]string, len(r.Users))
	for i, s := range r.Users {
		if s.UserId != ids[i] {
			t.Fatalf("presence.get answers %v for ids %v", &r, ids)
		}
		out[i] = s.Status
	}
	return out
}

func waitStatus(t *testing.T, what string, u *chatUser, ids []int64, want ...string) {
	t.Helper()
	var got []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if got = statusOf(t, u, ids...); slices.Equal(got, want) {
			return
		}
	}
	t.Fatalf("%s: presence.get %v = %v, want %v", what, ids, got, want)
}

func metricValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{%s}", name, label)
	return 0
}

// TestPresence plays the presence of one node: friends are told when a
// user comes and goes and when they sit down at a table, a login that
// replaces an older one is no change, presence.get, presence.group,
// presence.count, friend.list and group.members carry the statuses, a
// user who blocks the caller shows offline, and the metrics count.
func TestPresence(t *testing.T) {
	// Going offline is told after 300 ms unless the user is back by then.
	s, _, _ := startServer(t, "-chat-presence-grace", "300ms")
	addr, tcp := s.HTTPAddr(), "tcp://"+s.TCPAddr()
	a := newChatUser(t, addr, "presence-device-a")
	b := newChatUser(t, addr, "presence-device-b")
	c := newChatUser(t, addr, "presence-device-c")
	a.dial(tcp)
	al := watchPresence(t, a)
	// a's own record reaches the node's presence through the bucket's
	// watch, a moment after the login.
	waitStatus(t, "before the others connect", a, []int64{a.uid, b.uid, c.uid, 1 << 40}, "online", "offline", "offline", "offline")
	b.dial(tcp)
	a.ok("friend.request", &pb.FriendReq{UserId: b.uid}, &pb.FriendResp{})
	b.ok("friend.accept", &pb.FriendReq{UserId: a.uid}, &pb.FriendResp{})
	c.dial(tcp)
	waitStatus(t, "all three connected", a, []int64{a.uid, b.uid, c.uid}, "online", "online", "online")
	if len(al.of(c.uid)) != 0 {
		t.Fatalf("a was told of c, who is not a friend: %v", al.of(c.uid))
	}

	// b goes and comes back: a is told both times.
	b.close()
	// b's coming online is announced a moment after its login (the record
	// reaches presence through the bucket's watch, then the announcement
	// reads b's friends): when the friendship was made first, a was
	// rightly told "offline>online". Announcements keep their order, so by
	// the time a hears b leave, that one has come or never will.
	pre := al.waitEither(t, "b leaves", b.uid, []string{"online>offline"}, []string{"offline>online", "online>offline"})
	with := func(evs ...string) []string { return append(slices.Clip(pre), evs...) }
	if got := statusOf(t, a, b.uid); got[0] != "offline" {
		t.Fatalf("b after leaving: %v", got)
	}
	b.dial(tcp)
	al.wait(t, "b is back", b.uid, with("offline>online")...)

	// A second login of b replaces the first: b never was offline.
	b2 := &chatUser{t: t, uid: b.uid, tok: b.tok}
	b2.dial(tcp)
	time.Sleep(time.Second) // time for a wrong offline event to come, grace included
	al.wait(t, "b logs in again", b.uid, with("offline>online")...)
	if got := statusOf(t, a, b.uid); got[0] != "online" {
		t.Fatalf("b after a second login: %v", got)
	}
	b = b2

	// friend.list and group.members carry the status.
	var fl pb.FriendListResp
	a.ok("friend.list", &pb.FriendListReq{}, &fl)
	if len(fl.Friends) != 1 || fl.Friends[0].UserId != b.uid || fl.Friends[0].Status != "online" || !fl.Friends[0].Online {
		t.Fatalf("friend.list: %v", &fl)
	}
	var gc pb.GroupCreateResp
	a.ok("group.create", &pb.GroupCreateReq{Name: "presence", Open: true}, &gc)
	g := gc.Group.Id
	b.ok("group.join", &pb.GroupReq{ConversationId: g}, &pb.GroupResp{})
	d := newChatUser(t, addr, "presence-device-d")
	d.dial(tcp)
	d.ok("group.join", &pb.GroupReq{ConversationId: g}, &pb.GroupResp{})
	d.close()
	waitStatus(t, "d leaves", a, []int64{d.uid}, "offline")
	var gm pb.GroupMembersResp
	a.ok("group.members", &pb.GroupReq{ConversationId: g}, &gm)
	got := map[int64]string{}
	for _, m := range gm.Members {
		got[m.UserId] = m.Status
		if m.Online != (m.Status != "offline") {
			t.Fatalf("group.members online and status disagree: %v", m)
		}
	}
	if len(got) != 3 || got[a.uid] != "online" || got[b.uid] != "online" || got[d.uid] != "offline" {
		t.Fatalf("group.members statuses: %v", got)
	}
	var pg pb.PresenceGroupResp
	a.ok("presence.group", &pb.PresenceGroupReq{ConversationId: g, OnlineOnly: true}, &pg)
	if pg.Total != 3 || pg.Online != 2 || len(pg.Members) != 2 {
		t.Fatalf("presence.group online only: %v", &pg)
	}
	a.ok("presence.group", &pb.PresenceGroupReq{ConversationId: g}, &pg)
	if len(pg.Members) != 3 || !slices.IsSortedFunc(pg.Members, func(x, y *pb.PresenceStatus) int { return int(x.UserId - y.UserId) }) {
		t.Fatalf("presence.group: %v", &pg)
	}
	wantRuleErr(t, "presence.group of a stranger", c.call("presence.group", &pb.PresenceGroupReq{ConversationId: g}, &pg), "not_member")
	wantRuleErr(t, "presence.get of nobody", a.call("presence.get", &pb.PresenceGetReq{}, &pb.PresenceGetResp{}), "chat_too_many")

	// c blocks a: a sees c offline, b still sees c.
	c.ok("friend.block", &pb.FriendReq{UserId: a.uid}, &pb.FriendResp{})
	if got := statusOf(t, a, c.uid); got[0] != "offline" {
		t.Fatalf("a sees c, who blocks a, as %v", got)
	}
	if got := statusOf(t, b, c.uid); got[0] != "online" {
		t.Fatalf("b sees c as %v", got)
	}
	var pc pb.PresenceCountResp
	a.ok("presence.count", &pb.PresenceCountReq{}, &pc)
	if pc.Total != 3 || pc.Online != 3 || pc.InGame != 0 || len(pc.Gateways) != 1 {
		t.Fatalf("presence.count: %v", &pc)
	}

	// The three sit down at a table: in_game.
	for _, u := range []*chatUser{a, b, c} {
		joinRetry(t, u.c)
	}
	waitStatus(t, "seated", b, []int64{a.uid, b.uid, c.uid}, "in_game", "in_game", "in_game")
	al.wait(t, "b sits down", b.uid, with("offline>online", "online>in_game")...)
	a.ok("presence.count", &pb.PresenceCountReq{}, &pc)
	if pc.Total != 3 || pc.InGame != 3 {
		t.Fatalf("presence.count at the table: %v", &pc)
	}
	a.ok("friend.list", &pb.FriendListReq{}, &fl)
	if fl.Friends[0].Status != "in_game" {
		t.Fatalf("friend.list at the table: %v", &fl)
	}
	if v := metricValue(t, s.reg, "lordgame_presence_users", "in_game"); v != 3 {
		t.Fatalf("lordgame_presence_users{in_game} = %v, want 3", v)
	}
	// Events announced: b offline, online, in_game; a, c, d's changes
	// (counted though nobody was told). Pushes: those to a friend.
	if v := metricValue(t, s.reg, "lordgame_presence_events_total", ""); v < 3 {
		t.Fatalf("lordgame_presence_events_total = %v", v)
	}
	if v := metricValue(t, s.reg, "lordgame_presence_pushes_total", ""); v < 3 {
		t.Fatalf("lordgame_presence_pushes_total = %v", v)
	}
	// b leaves the table: back to online, a is told.
	b.ok("ddz.leave", &pb.DdzLeaveReq{Confirm: true}, &pb.DdzLeaveResp{})
	al.wait(t, "b leaves the table", b.uid, with("offline>online", "online>in_game", "in_game>online")...)
	waitStatus(t, "after b left the table", c, []int64{a.uid, b.uid}, "in_game", "online")
	if _, err := a.send(g, 0, "counted"); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, s.reg, "lordgame_chat_messages_total", "group"); v != 1 {
		t.Fatalf("lordgame_chat_messages_total{group} = %v, want 1", v)
	}
}
