package chat

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// liveNodes is a membership whose live nodes the test sets.
type liveNodes struct{ ids []string }

func (n *liveNodes) Live() []cluster.NodeInfo {
	out := make([]cluster.NodeInfo, len(n.ids))
	for i, id := range n.ids {
		out[i] = cluster.NodeInfo{ID: id}
	}
	return out
}

type presenceRig struct {
	t     *testing.T
	p     *Presence
	nodes *liveNodes
	now   time.Time
}

func newPresenceRig(t *testing.T, self string, live ...string) *presenceRig {
	return newPresenceRigGrace(t, 0, self, live...)
}

func newPresenceRigGrace(t *testing.T, grace time.Duration, self string, live ...string) *presenceRig {
	s, _, _ := newTestService(t, func(c *Config) { c.PresenceGrace = grace })
	r := &presenceRig{t: t, nodes: &liveNodes{ids: live}, now: time.Unix(1_700_000_000, 0)}
	r.p = NewPresence(s, r.nodes, self, 10*time.Minute)
	r.p.now = func() time.Time { return r.now }
	r.p.NodesChanged()
	f := r.p.ConnFollower()
	f.Reset()
	f.Synced()
	r.p.SeatReset()
	r.p.SeatsSynced()
	return r
}

func (r *presenceRig) conn(uid int64, node string) {
	r.p.ConnFollower().Change(cluster.PresenceChange{UserID: uid, Loc: cluster.Location{Node: node, Session: "s"}, At: r.now, Here: true})
}

func (r *presenceRig) gone(uid int64) {
	r.p.ConnFollower().Change(cluster.PresenceChange{UserID: uid, At: r.now})
}

func (r *presenceRig) live(ids ...string) {
	r.nodes.ids = ids
	r.p.NodesChanged()
}

// events drains the queued announcements as "uid:previous>status".
func (r *presenceRig) events() []string {
	var out []string
	for {
		select {
		case e := <-r.p.events:
			out = append(out, string(rune('0'+e.user))+":"+e.prev+">"+e.status)
		default:
			return out
		}
	}
}

func (r *presenceRig) want(what string, uid int64, status string, events ...string) {
	r.t.Helper()
	if st, _ := r.p.Status(uid); st != status {
		r.t.Errorf("%s: status of %d %s, want %s", what, uid, st, status)
	}
	if got := r.events(); !slices.Equal(got, events) {
		r.t.Errorf("%s: announced %q, want %q", what, got, events)
	}
}

func TestPresenceStatus(t *testing.T) {
	t.Run("own gateway's users are announced here", func(t *testing.T) {
		r := newPresenceRig(t, "gw1", "gw1", "gw2")
		r.conn(1, "gw1")
		r.want("1 connects here", 1, StatusOnline, "1:offline>online")
		r.conn(2, "gw2")
		r.want("2 connects to gw2", 2, StatusOnline)
		r.gone(1)
		r.want("1 leaves", 1, StatusOffline, "1:online>offline")
	})
	t.Run("a moved login is no change", func(t *testing.T) {
		r := newPresenceRig(t, "gw1", "gw1", "gw2")
		r.conn(1, "gw1")
		r.events()
		r.conn(1, "gw2")
		r.want("1 moves to gw2", 1, StatusOnline)
		r.gone(1)
		r.want("1 leaves gw2: gw2 announces", 1, StatusOffline)
	})
	t.Run("a dead gateway's users are announced by the first live node", func(t *testing.T) {
		r := newPresenceRig(t, "gw1", "gw1", "gw2", "gw3")
		r.conn(2, "gw2")
		r.live("gw1", "gw3")
		r.want("gw2 drops out", 2, StatusOffline, "2:online>offline")
		r3 := newPresenceRig(t, "gw3", "gw1", "gw2", "gw3")
		r3.conn(2, "gw2")
		r3.live("gw1", "gw3")
		r3.want("gw2 drops out, seen by gw3", 2, StatusOffline)
		r.live("gw1", "gw2", "gw3")
		r.want("gw2 is back: it announces", 2, StatusOnline)
	})
	t.Run("a seat at a live table is in_game", func(t *testing.T) {
		r := newPresenceRig(t, "gw1", "gw1", "game1")
		r.p.SetSeat(1, "game1", true)
		r.want("seated while offline", 1, StatusOffline)
		r.conn(1, "gw1")
		r.want("connects while seated", 1, StatusInGame, "1:offline>in_game")
		r.live("gw1")
		r.want("the game node dies", 1, StatusOnline, "1:in_game>online")
		r.live("gw1", "game1")
		r.want("it is back", 1, StatusInGame, "1:online>in_game")
		r.p.SetSeat(1, "", false)
		r.want("the table ends", 1, StatusOnline, "1:in_game>online")
	})
	t.Run("a replay drops what it does not replay", func(t *testing.T) {
		r := newPresenceRig(t, "gw1", "gw1")
		r.conn(1, "gw1")
		r.conn(2, "gw1")
		r.events()
		f := r.p.ConnFollower()
		f.Reset()
		r.conn(2, "gw1")
		r.want("2 replayed", 2, StatusOnline)
		f.Synced()
		r.want("1 not replayed", 1, StatusOffline, "1:online>offline")
	})
	t.Run("nothing is announced before both feeds are in", func(t *testing.T) {
		s, _, _ := newTestService(t, nil)
		p := NewPresence(s, &liveNodes{ids: []string{"gw1"}}, "gw1", time.Minute)
		p.NodesChanged()
		p.ConnFollower().Change(cluster.PresenceChange{UserID: 1, Loc: cluster.Location{Node: "gw1"}, At: time.Now(), Here: true})
		p.ConnFollower().Synced()
		if st, _ := p.Status(1); st != StatusOnline || len(p.events) != 0 {
			t.Fatalf("status %s, %d announcements before the seats are in", st, len(p.events))
		}
	})
	t.Run("an offline is told after the grace, unless the user is back", func(t *testing.T) {
		r := newPresenceRigGrace(t, 2*time.Second, "gw1", "gw1", "gw2", "game1")
		r.conn(1, "gw1")
		r.want("1 connects", 1, StatusOnline, "1:offline>online")
		r.gone(1)
		r.now = r.now.Add(time.Second)
		r.p.flushPending()
		r.want("1 gone a second", 1, StatusOffline)
		r.conn(1, "gw2")
		r.now = r.now.Add(5 * time.Second)
		r.p.flushPending()
		r.want("1 back on gw2 within the grace", 1, StatusOnline)
		r.p.SetSeat(1, "game1", true)
		r.want("1 sits down: gw2 tells", 1, StatusInGame)
		r.gone(1)
		r.conn(1, "gw1")
		r.want("1 back on gw1, still seated", 1, StatusInGame)
		r.p.SetSeat(1, "", false)
		r.want("1 leaves the table", 1, StatusOnline, "1:in_game>online")
		r.p.SetSeat(1, "game1", true)
		r.events()
		r.gone(1)
		r.now = r.now.Add(time.Second)
		r.p.SetSeat(1, "", false)
		r.conn(1, "gw1")
		r.want("gone in game, back without the seat", 1, StatusOnline, "1:in_game>online")
		r.gone(1)
		r.now = r.now.Add(2 * time.Second)
		r.p.flushPending()
		r.want("gone for the grace", 1, StatusOffline, "1:online>offline")
	})
	t.Run("a return after the grace, before the flush, tells the offline first", func(t *testing.T) {
		r := newPresenceRigGrace(t, 2*time.Second, "gw1", "gw1", "gw2")
		r.conn(1, "gw1")
		r.events()
		r.gone(1)
		r.now = r.now.Add(2 * time.Second)
		r.conn(1, "gw2")
		r.want("back on gw2 when the grace is over", 1, StatusOnline, "1:online>offline")
		r2 := newPresenceRigGrace(t, 2*time.Second, "gw2", "gw1", "gw2")
		r2.conn(1, "gw1")
		r2.gone(1)
		r2.now = r2.now.Add(2 * time.Second)
		r2.conn(1, "gw2")
		r2.want("the same seen by gw2", 1, StatusOnline, "1:offline>online")
	})
	t.Run("a dead gateway's offline is told after the grace by the first live node", func(t *testing.T) {
		r := newPresenceRigGrace(t, 2*time.Second, "gw1", "gw1", "gw2")
		r.conn(2, "gw2")
		r.live("gw1")
		r.want("gw2 drops out", 2, StatusOffline)
		r.now = r.now.Add(2 * time.Second)
		r.p.flushPending()
		r.want("the grace is over", 2, StatusOffline, "2:online>offline")
	})
	t.Run("a record not refreshed within its lifetime expires", func(t *testing.T) {
		r := newPresenceRig(t, "gw1", "gw1")
		r.conn(1, "gw1")
		r.events()
		r.now = r.now.Add(9 * time.Minute)
		r.p.sweep()
		r.want("9 minutes old", 1, StatusOnline)
		r.now = r.now.Add(2 * time.Minute)
		r.p.sweep()
		r.want("11 minutes old", 1, StatusOffline, "1:online>offline")
	})
}

func TestPresenceCounts(t *testing.T) {
	r := newPresenceRig(t, "gw1", "gw1", "gw2", "game1")
	r.conn(1, "gw1")
	r.conn(2, "gw2")
	r.conn(3, "gw2")
	r.conn(4, "gw9") // a gateway that is gone
	r.p.SetSeat(3, "game1", true)
	got := r.p.Counts()
	want := &pb.PresenceCountResp{Total: 3, Online: 2, InGame: 1, Gateways: map[string]uint32{"gw1": 1, "gw2": 2}}
	if got.Total != want.Total || got.Online != want.Online || got.InGame != want.InGame || len(got.Gateways) != 2 || got.Gateways["gw2"] != 2 {
		t.Fatalf("Counts() = %v, want %v", got, want)
	}
}

// TestPresenceAnnounce: a change goes to the accepted friends only, never
// to a user the changer blocks; presence.get hides who blocks the caller.
func TestPresenceAnnounce(t *testing.T) {
	r := newPresenceRig(t, "gw1", "gw1")
	s, rec := r.p.svc, r.p.svc.out.(*recorder)
	ctx := t.Context()
	if _, err := s.Friend(ctx, 1, FriendRequest, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Friend(ctx, 2, FriendAccept, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Friend(ctx, 1, FriendRequest, 3); err != nil { // pending
		t.Fatal(err)
	}
	if _, err := s.Friend(ctx, 1, FriendBlock, 4); err != nil {
		t.Fatal(err)
	}
	r.conn(1, "gw1")
	r.p.announce(ctx, <-r.p.events)
	last := rec.last()
	ev, ok := last.msg.(*pb.PresenceEvent)
	if last.route != RoutePresence || !ok || ev.UserId != 1 || ev.Status != StatusOnline || ev.Previous != StatusOffline || !slices.Equal(last.users, []int64{2}) || !slices.Contains(last.except, 4) {
		t.Fatalf("announcement %+v", last)
	}
	if st := r.p.Stats(); st.Events != 1 || st.Pushes != 1 {
		t.Fatalf("stats %+v", st)
	}
	r.conn(4, "gw1")
	r.events()
	got, err := r.p.Get(ctx, 4, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Users[0].Status != StatusOffline || got.Users[1].Status != StatusOffline {
		t.Fatalf("4, blocked by 1, sees %v", got)
	}
	if got, _ := r.p.Get(ctx, 2, []int64{1}); got.Users[0].Status != StatusOnline || got.Users[0].SinceMs != r.now.UnixMilli() {
		t.Fatalf("2 sees %v", got)
	}
	if _, err := r.p.Get(ctx, 2, make([]int64, 201)); !errors.Is(err, ErrTooMany) {
		t.Fatalf("201 ids: %v", err)
	}
	if _, err := r.p.Group(ctx, 2, 999, false); err == nil {
		t.Fatal("presence.group of no group answered")
	}
}
