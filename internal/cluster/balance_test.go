package cluster_test

import (
	"fmt"
	"testing"

	"github.com/lordgame/lordgame/internal/cluster"
)

func nodes(ids ...string) []cluster.NodeInfo {
	out := make([]cluster.NodeInfo, len(ids))
	for i, id := range ids {
		out[i] = cluster.NodeInfo{ID: id, Weight: 1}
	}
	return out
}

func TestBalancer(t *testing.T) {
	three := nodes("a", "b", "c")
	loaded := nodes("a", "b", "c")
	loaded[0].Sessions, loaded[1].Sessions, loaded[2].Sessions = 30, 5, 10
	loaded[1].Tables = 4 // 5 + 12 = 17 > 10
	tests := []struct {
		name     string
		strategy cluster.Strategy
		nodes    []cluster.NodeInfo
		exclude  func(cluster.NodeInfo) bool
		picks    int
		want     map[string]int // exact counts
	}{
		{"round robin cycles", cluster.RoundRobin, three, nil, 6, map[string]int{"a": 2, "b": 2, "c": 2}},
		{"least loaded counts tables", cluster.LeastLoaded, loaded, nil, 3, map[string]int{"c": 3}},
		{"exclude rules out", cluster.LeastLoaded, loaded, func(n cluster.NodeInfo) bool { return n.ID == "c" }, 2, map[string]int{"b": 2}},
		{"weighted with one weight", cluster.Weighted, []cluster.NodeInfo{{ID: "a", Weight: 5}, {ID: "b", Weight: 0}}, func(n cluster.NodeInfo) bool { return n.ID == "b" }, 4, map[string]int{"a": 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := cluster.NewBalancer(tt.strategy)
			got := map[string]int{}
			for range tt.picks {
				got[tt.nodes[b.Pick(tt.nodes, "k", tt.exclude)].ID]++
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s picks = %v, want %v", tt.strategy, got, tt.want)
			}
		})
	}
	if i := cluster.NewBalancer(cluster.Random).Pick(nil, "k", nil); i != -1 {
		t.Errorf("Pick(no nodes) = %d, want -1", i)
	}
}

// TestWeighted: picks follow the weights.
func TestWeighted(t *testing.T) {
	ns := []cluster.NodeInfo{{ID: "a", Weight: 3}, {ID: "b", Weight: 1}}
	b := cluster.NewBalancer(cluster.Weighted)
	got := map[string]int{}
	for range 4000 {
		got[ns[b.Pick(ns, "", nil)].ID]++
	}
	if got["a"] < 2700 || got["a"] > 3300 {
		t.Errorf("weights 3:1 gave %v", got)
	}
}

// TestConsistentHash: a key keeps its node, keys spread over the nodes,
// and a node leaving moves only its own keys.
func TestConsistentHash(t *testing.T) {
	b := cluster.NewBalancer(cluster.ConsistentHash)
	all := nodes("n1", "n2", "n3", "n4")
	owner := map[string]string{}
	count := map[string]int{}
	for k := range 2000 {
		key := fmt.Sprint(k)
		id := all[b.Pick(all, key, nil)].ID
		if again := all[b.Pick(all, key, nil)].ID; again != id {
			t.Fatalf("key %s went to %s then %s", key, id, again)
		}
		owner[key] = id
		count[id]++
	}
	for _, n := range all {
		if count[n.ID] < 350 || count[n.ID] > 650 {
			t.Errorf("node %s got %d of 2000 keys: %v", n.ID, count[n.ID], count)
		}
	}
	rest := nodes("n1", "n2", "n4")
	for key, was := range owner {
		now := rest[b.Pick(rest, key, nil)].ID
		if was != "n3" && now != was {
			t.Fatalf("key %s moved from %s to %s when n3 left", key, was, now)
		}
	}
}

func TestParseStrategy(t *testing.T) {
	for _, s := range []string{"round-robin", "random", "weighted", "least-loaded", "consistent-hash"} {
		if _, err := cluster.ParseStrategy(s); err != nil {
			t.Errorf("ParseStrategy(%q): %v", s, err)
		}
	}
	if _, err := cluster.ParseStrategy("fastest"); err == nil {
		t.Error("ParseStrategy(fastest) accepted")
	}
}
