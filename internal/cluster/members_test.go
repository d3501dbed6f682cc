package cluster_test

import (
	"errors"
	"testing"

	"github.com/lordgame/lordgame/internal/cluster"
)

// TestJoinVersion: a node of another protocol version refuses to join,
// and a forced node id held by a live node is refused.
func TestJoinVersion(t *testing.T) {
	bus := embedded(t, cluster.DefaultConfig())
	cfg := cluster.DefaultMembersConfig()
	a, err := cluster.Join(t.Context(), bus, cfg, cluster.NodeInfo{NodeID: 7, Protocol: 1, Roles: []string{cluster.RoleGame}}, nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if a.Self().NodeID != 7 || a.Self().Schema != cluster.SchemaVersion {
		t.Errorf("self = %+v", a.Self())
	}
	if _, err := cluster.Join(t.Context(), bus, cfg, cluster.NodeInfo{NodeID: -1, Protocol: 2}, nil, quiet); !errors.Is(err, cluster.ErrVersionMismatch) {
		t.Errorf("join of protocol 2 beside protocol 1: %v, want ErrVersionMismatch", err)
	}
	if _, err := cluster.Join(t.Context(), bus, cfg, cluster.NodeInfo{NodeID: 7, Protocol: 1}, nil, quiet); err == nil {
		t.Error("a second node with node id 7 joined")
	}
	b, err := cluster.Join(t.Context(), bus, cfg, cluster.NodeInfo{NodeID: -1, Protocol: 1}, nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if b.Self().NodeID == 7 || b.Self().ID == a.Self().ID {
		t.Errorf("leased id %d / %s, the same as the live node's", b.Self().NodeID, b.Self().ID)
	}
}
