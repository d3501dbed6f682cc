package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/internal/cluster"
)

func getJSON(t *testing.T, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestClusterAPI: GET /v1/cluster/nodes is for admins and lists the node
// with its roles and load; GET /v1/gateways tells a client where to
// connect, by load or by the hash of its user.
func TestClusterAPI(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	var boss, guest tokens
	boss = registerAdmin(t, s, "boss")
	if code := postJSON(t, base+"/v1/auth/guest", "", map[string]string{"device_id": "device-nodes-1"}, &guest); code != 200 && code != 201 {
		t.Fatalf("guest: %d", code)
	}
	if code := getJSON(t, base+"/v1/cluster/nodes", "", nil); code != http.StatusUnauthorized {
		t.Errorf("nodes without a token: %d, want 401", code)
	}
	if code := getJSON(t, base+"/v1/cluster/nodes", guest.AccessToken, nil); code != http.StatusForbidden {
		t.Errorf("nodes for a player: %d, want 403", code)
	}
	var nodes struct {
		Self  string
		Nodes []map[string]any
	}
	if code := getJSON(t, base+"/v1/cluster/nodes", boss.AccessToken, &nodes); code != 200 {
		t.Fatalf("nodes for an admin: %d", code)
	}
	if len(nodes.Nodes) != 1 || nodes.Nodes[0]["id"] != nodes.Self {
		t.Fatalf("nodes = %+v, want this node only", nodes)
	}
	n := nodes.Nodes[0]
	for _, k := range []string{"id", "roles", "version", "sessions", "tables", "last_seen", "cpu"} {
		if _, ok := n[k]; !ok {
			t.Errorf("node lacks %q: %v", k, n)
		}
	}
	if roles, _ := n["roles"].([]any); len(roles) != 3 {
		t.Errorf("roles of the all-in-one node: %v, want gateway, game and match", n["roles"])
	}
	want := "ws://" + s.HTTPAddr() + "/ws"
	for _, q := range []string{"", "?user=12345"} {
		var g struct {
			Gateways []struct{ Node, WS, TCP string }
		}
		if code := getJSON(t, base+"/v1/gateways"+q, "", &g); code != 200 {
			t.Fatalf("gateways%s: %d", q, code)
		}
		if len(g.Gateways) != 1 || g.Gateways[0].WS != want || g.Gateways[0].TCP != s.TCPAddr() || g.Gateways[0].Node != nodes.Self {
			t.Errorf("gateways%s = %+v, want %s and %s", q, g, want, s.TCPAddr())
		}
	}
}

// TestServiceAPI: every node registers with the NATS service API, its
// forwarded routes as endpoints, so NATS tooling finds and pings it.
func TestServiceAPI(t *testing.T) {
	s, _, _ := startServer(t)
	info, err := s.bus.Request(t.Context(), "$SRV.INFO."+cluster.ServiceName, nil)
	if err != nil {
		t.Fatalf("$SRV.INFO: %v", err)
	}
	var v struct {
		Name      string
		Metadata  map[string]string
		Endpoints []struct{ Name, Subject string }
	}
	if err := json.Unmarshal(info, &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != cluster.ServiceName || v.Metadata["node"] != s.members.Self().ID {
		t.Fatalf("service info %+v", v)
	}
	want := cluster.NewSubjects(cluster.DefaultPrefix).NodeRPC(s.members.Self().ID, "ddz.play")
	found := false
	for _, e := range v.Endpoints {
		found = found || e.Subject == want
	}
	if !found {
		t.Errorf("endpoints %+v lack %s", v.Endpoints, want)
	}
	if _, err := s.bus.Request(t.Context(), "$SRV.PING."+cluster.ServiceName, nil); err != nil {
		t.Errorf("$SRV.PING: %v", err)
	}
}

// TestClusterNodesCommand: lordgame cluster nodes needs the NATS address
// and says so, and refuses a wrong subcommand.
func TestClusterNodesCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"cluster", "nodes"}, "set -nats"},
		{[]string{"cluster"}, "usage: lordgame cluster nodes"},
		{[]string{"cluster", "tables"}, "usage: lordgame cluster nodes"},
	} {
		err := run(t.Context(), tt.args, env(nil), io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("lordgame %v: %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}
