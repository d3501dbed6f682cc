package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// TestAdminCluster runs a gateway, a game node and a match node as
// separate processes and drives the admin API on the gateway: the
// dashboard hears from every node, the table on the game node is listed
// and cancelled over NATS with every balance unchanged, and the game node
// is drained from the gateway.
func TestAdminCluster(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=1m",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m")
	gw := c.start("gateway")
	game := c.start("game")
	c.start("match")
	for deadline := time.Now().Add(5 * time.Second); len(c.nodes()) != 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	base := "http://" + gw.addr
	creds := map[string]string{"username": "clusterboss", "password": "correct horse battery"}
	if code := postJSON(t, base+"/v1/auth/register", "", creds, nil); code != http.StatusCreated {
		t.Fatalf("register: %d", code)
	}
	if out, err := exec.Command(c.bin, "admin", "grant", "clusterboss", "admin", "-db", c.dsn).CombinedOutput(); err != nil {
		t.Fatalf("admin grant: %v %s", err, out)
	}
	var boss tokens
	if code := postJSON(t, base+"/v1/auth/login", "", creds, &boss); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	ps := clusterPlayers(t, c, gw)
	gameID := startTable(t, ps)
	before := balances(t, c.dsn, ps)

	code, body := adminCall(t, "GET", base+"/v1/admin/dashboard", boss.AccessToken, nil)
	var dash struct {
		Nodes []struct {
			ID        string   `json:"id"`
			Roles     []string `json:"roles"`
			Reachable bool     `json:"reachable"`
		} `json:"nodes"`
		Queues map[string]int `json:"queues"`
	}
	if code != 200 || json.Unmarshal(body, &dash) != nil || len(dash.Nodes) != 3 {
		t.Fatalf("dashboard = %d %s", code, body)
	}
	for _, n := range dash.Nodes {
		if !n.Reachable {
			t.Errorf("node %s %v not reachable from the gateway", n.ID, n.Roles)
		}
	}
	if _, ok := dash.Queues["classic"]; !ok {
		t.Errorf("dashboard queues %v lack the match node's classic queue", dash.Queues)
	}

	var tables struct {
		Tables []struct {
			ID     string `json:"id"`
			GameID string `json:"game_id"`
			Node   string `json:"node"`
		} `json:"tables"`
	}
	code, body = adminCall(t, "GET", base+"/v1/admin/tables", boss.AccessToken, nil)
	if code != 200 || json.Unmarshal(body, &tables) != nil || len(tables.Tables) != 1 || tables.Tables[0].GameID != gameID {
		t.Fatalf("tables = %d %s, want game %s", code, body, gameID)
	}
	gameNode := tables.Tables[0].Node
	if code, body := adminCall(t, "POST", base+"/v1/admin/tables/"+tables.Tables[0].ID+"/cancel", boss.AccessToken, map[string]string{"reason": "cluster test"}); code != 200 {
		t.Fatalf("cancel = %d %s", code, body)
	}
	after := balances(t, c.dsn, ps)
	for uid, b := range before {
		if after[uid] != b {
			t.Errorf("player %d balance %d after cancel, %d before", uid, after[uid], b)
		}
	}
	for _, sp := range ps {
		joinRetry(t, sp.c) // free again
	}

	if code, body := adminCall(t, "POST", base+"/v1/admin/nodes/"+gameNode+"/drain", boss.AccessToken, map[string]string{"reason": "cluster test"}); code != 200 {
		t.Fatalf("drain = %d %s", code, body)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		drained := false
		for _, n := range c.nodes() {
			drained = drained || n.ID == gameNode && n.Draining
		}
		if drained {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("game node %s (%s) not draining", gameNode, game.addr)
		}
	}
}
