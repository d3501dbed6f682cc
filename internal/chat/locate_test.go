package chat

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
)

// located is what Locate and Gateways answer, in one comparable string.
func located(p *Presence, self string, users ...int64) string {
	var at []string
	ok := p.Locate(users, self, func(uid int64, node string, direct bool) {
		if !direct {
			node += "(older)"
		}
		at = append(at, fmt.Sprintf("%d@%s", uid, node))
	})
	gws, older, ok2 := p.Gateways(self, nil)
	slices.Sort(gws)
	return fmt.Sprintf("%v %v %v %v older=%v", ok, at, ok2, gws, older)
}

// TestPresenceLocate: the fan-out's directory is the presence map: users
// on live nodes other than self, by node; the gateways other than self
// with at least one session; nothing known before the first replay ends.
// A node of an earlier release (without FeatureNodeSubject) is told apart.
func TestPresenceLocate(t *testing.T) {
	s, _, _ := newTestService(t, nil)
	nodes := &featureNodes{ids: []string{"gw1", "gw2", "gw3"}, older: map[string]bool{}}
	p := NewPresence(s, nodes, "gw1", 10*time.Minute)
	p.NodesChanged()
	f := p.ConnFollower()
	now := time.Now()
	conn := func(uid int64, node string) {
		f.Change(cluster.PresenceChange{UserID: uid, Loc: cluster.Location{Node: node, Session: "s"}, At: now, Here: true})
	}
	gone := func(uid int64) { f.Change(cluster.PresenceChange{UserID: uid, At: now}) }

	f.Reset()
	conn(1, "gw1")
	conn(2, "gw2")
	for _, c := range []struct {
		what, want string
		step       func()
	}{
		{"in the first replay: unknown", "false [] false [] older=false", nil},
		{"replay done", "true [2@gw2] true [gw2] older=false", f.Synced},
		{"a second user on gw2, one on gw3", "true [2@gw2 3@gw3 4@gw2] true [gw2 gw3] older=false", func() { conn(3, "gw3"); conn(4, "gw2") }},
		{"3 moves to gw2: gw3 holds nobody", "true [2@gw2 3@gw2 4@gw2] true [gw2] older=false", func() { conn(3, "gw2") }},
		{"3 moves here", "true [2@gw2 4@gw2] true [gw2] older=false", func() { conn(3, "gw1") }},
		{"2 leaves, 4 is left on gw2", "true [4@gw2] true [gw2] older=false", func() { gone(2) }},
		{"gw2 drops out: its records name no live node", "true [] true [] older=false", func() { nodes.ids = []string{"gw1", "gw3"}; p.NodesChanged() }},
		{"gw2 back", "true [4@gw2] true [gw2] older=false", func() { nodes.ids = []string{"gw1", "gw2", "gw3"}; p.NodesChanged() }},
		{"5 on gw4, of an earlier release", "true [4@gw2 5@gw4(older)] true [gw2] older=true", func() {
			nodes.ids, nodes.older["gw4"] = append(nodes.ids, "gw4"), true
			p.NodesChanged()
			conn(5, "gw4")
		}},
		{"5 leaves gw4", "true [4@gw2] true [gw2] older=false", func() { gone(5) }},
		{"a replay without 4: gone", "true [] true [] older=false", func() { f.Reset(); conn(3, "gw1"); f.Synced() }},
	} {
		if c.step != nil {
			c.step()
		}
		if got := located(p, "gw1", 1, 2, 3, 4, 5); got != c.want {
			t.Errorf("%s: %s, want %s", c.what, got, c.want)
		}
	}
	if len(p.perNode) != 1 || p.perNode["gw1"] != 1 {
		t.Errorf("sessions by node %v, want gw1:1", p.perNode)
	}
}

// featureNodes is a membership whose live nodes the test sets, each with
// FeatureNodeSubject unless it is in older.
type featureNodes struct {
	ids   []string
	older map[string]bool
}

func (n *featureNodes) Live() []cluster.NodeInfo {
	out := make([]cluster.NodeInfo, len(n.ids))
	for i, id := range n.ids {
		out[i] = cluster.NodeInfo{ID: id}
		if !n.older[id] {
			out[i].Features = []string{FeatureNodeSubject}
		}
	}
	return out
}
