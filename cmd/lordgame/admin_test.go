package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// adminCall sends one admin API request and returns the status and body.
func adminCall(t *testing.T, method, url, bearer string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// consoleUsers registers one account per console role (and a player and a
// target), gives them their roles and logs them in again so the tokens
// carry the roles.
func consoleUsers(t *testing.T, s *server) (tok map[string]string, ids map[string]int64) {
	t.Helper()
	base := "http://" + s.HTTPAddr()
	tok, ids = map[string]string{}, map[string]int64{}
	for _, name := range []string{"admin", "operator", "viewer", "player", "target"} {
		creds := map[string]string{"username": "u" + name, "password": "correct horse battery"}
		var tk tokens
		if code := postJSON(t, base+"/v1/auth/register", "", creds, &tk); code != http.StatusCreated {
			t.Fatalf("register %s: %d", name, code)
		}
		id, _ := strconv.ParseInt(tk.UserID, 10, 64)
		ids[name] = id
		if name == "admin" || name == "operator" || name == "viewer" {
			if err := grantRole(t.Context(), s.ddz.db, "u"+name, name); err != nil {
				t.Fatal(err)
			}
			if code := postJSON(t, base+"/v1/auth/login", "", creds, &tk); code != http.StatusOK {
				t.Fatalf("login %s: %d", name, code)
			}
		}
		tok[name] = tk.AccessToken
	}
	return tok, ids
}

// TestAdminRoles calls every admin API endpoint as nobody, a player, a
// viewer, an operator and an admin, and checks that exactly the roles the
// model allows get through. Its table must list every route the server
// registers under /v1/admin/ and /v1/cluster/ (the console's, the account
// API's and the others), so that an endpoint cannot skip the role check.
func TestAdminRoles(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	tok, ids := consoleUsers(t, s)
	target := strconv.FormatInt(ids["target"], 10)
	self := s.members.Self().ID
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	later := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	// route is the pattern the server registers; least is the least role
	// allowed; ok the status it gets.
	endpoints := []struct {
		route, path string
		body        any
		least       string
		ok          int
	}{
		{"GET /v1/admin/me", "/v1/admin/me", nil, "viewer", 200},
		{"GET /v1/admin/dashboard", "/v1/admin/dashboard", nil, "viewer", 200},
		{"GET /v1/admin/players", "/v1/admin/players?q=u", nil, "viewer", 200},
		{"GET /v1/admin/players/{id}", "/v1/admin/players/" + target, nil, "viewer", 200},
		{"POST /v1/admin/players/{id}/kick", "/v1/admin/players/" + target + "/kick", map[string]string{"reason": "test"}, "operator", 200},
		{"POST /v1/admin/players/{id}/ban", "/v1/admin/players/" + target + "/ban", map[string]string{"reason": "test", "duration": "1h"}, "operator", 200},
		{"POST /v1/admin/players/{id}/unban", "/v1/admin/players/" + target + "/unban", map[string]string{"reason": "test"}, "operator", 200},
		{"POST /v1/admin/players/{id}/coins", "/v1/admin/players/" + target + "/coins", map[string]any{"delta": 5, "reason": "test"}, "admin", 200},
		{"GET /v1/admin/tables", "/v1/admin/tables", nil, "viewer", 200},
		{"POST /v1/admin/tables/{id}/cancel", "/v1/admin/tables/123/cancel", map[string]string{"reason": "test"}, "operator", 404},
		{"POST /v1/admin/announce", "/v1/admin/announce", map[string]string{"text": "hello"}, "operator", 200},
		{"GET /v1/admin/maintenance", "/v1/admin/maintenance", nil, "viewer", 200},
		{"PUT /v1/admin/maintenance", "/v1/admin/maintenance", map[string]string{"text": "down soon", "starts_at": future, "ends_at": later}, "operator", 200},
		{"DELETE /v1/admin/maintenance", "/v1/admin/maintenance", nil, "operator", 200},
		{"GET /v1/admin/nodes", "/v1/admin/nodes", nil, "viewer", 200},
		{"GET /v1/admin/audit", "/v1/admin/audit", nil, "viewer", 200},
		{"GET /v1/admin/house", "/v1/admin/house", nil, "viewer", 200},
		{"GET /v1/cluster/nodes", "/v1/cluster/nodes", nil, "viewer", 200},
		// The account API's admin endpoints (internal/auth).
		{"POST /v1/admin/ban", "/v1/admin/ban", map[string]string{"user_id": target, "reason": "test"}, "operator", 204},
		{"POST /v1/admin/unban", "/v1/admin/unban", map[string]string{"user_id": target}, "operator", 204},
		{"POST /v1/admin/keys/rotate", "/v1/admin/keys/rotate", nil, "admin", 200},
		{"POST /v1/admin/nodes/{id}/drain", "/v1/admin/nodes/" + self + "/drain", map[string]string{"reason": "test"}, "admin", 200}, // last: the node drains
	}

	t.Run("every admin route is in the table", func(t *testing.T) {
		listed := map[string]bool{}
		for _, ep := range endpoints {
			listed[ep.route] = true
		}
		registered := map[string]bool{}
		for _, p := range append(slices.Clone(s.httpRoutes), s.ddz.auth.Routes()...) {
			path := p
			if _, rest, ok := strings.Cut(p, " "); ok {
				path = rest
			}
			path = "/" + strings.SplitN(path, "/", 2)[1] // drop a host
			if !strings.HasPrefix(path, "/v1/admin/") && !strings.HasPrefix(path, "/v1/cluster/") {
				continue
			}
			registered[p] = true
			if !listed[p] {
				t.Errorf("route %q is registered but not in TestAdminRoles: add it with the least role its admin.Action allows", p)
			}
		}
		for r := range listed {
			if !registered[r] {
				t.Errorf("TestAdminRoles lists %q, which the server does not register", r)
			}
		}
		if len(registered) < len(endpoints) {
			t.Errorf("found %d admin routes, want at least %d: is the route list (server.httpRoutes, auth Routes) complete?", len(registered), len(endpoints))
		}
	})

	rank := map[string]int{"viewer": 0, "operator": 1, "admin": 2}
	for _, ep := range endpoints {
		method, _, _ := strings.Cut(ep.route, " ")
		for _, who := range []string{"", "player", "viewer", "operator", "admin"} {
			t.Run(method+" "+ep.path+" as "+who, func(t *testing.T) {
				want := ep.ok
				var wantBody string
				switch {
				case who == "":
					want = http.StatusUnauthorized
				case who == "player" || rank[who] < rank[ep.least]:
					want = http.StatusForbidden
					wantBody = `{"code":"forbidden","message":"` + ep.least + ` role required"}`
				}
				code, body := adminCall(t, method, base+ep.path, tok[who], ep.body)
				if code != want {
					t.Errorf("%s %s as %q = %d %s, want %d", method, ep.path, who, code, body, want)
				}
				if wantBody != "" && strings.TrimSpace(string(body)) != wantBody {
					t.Errorf("%s %s as %q: body %s, want %s", method, ep.path, who, body, wantBody)
				}
			})
		}
	}
	// The console's drain is `lordgame drain`'s: /readyz fails from now on.
	if code, err := httpGet(base + "/readyz"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after the console's drain = %d %v, want 503", code, err)
	}
}

// TestAdminRolesReadPerRequest: every admin API reads the caller's roles
// from the database on each request, so a role given with `lordgame admin
// grant` works on the token the user already has, without a new login.
func TestAdminRolesReadPerRequest(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	var tk tokens
	if code := postJSON(t, base+"/v1/auth/register", "", map[string]string{"username": "ustaff", "password": "correct horse battery"}, &tk); code != http.StatusCreated {
		t.Fatalf("register: %d", code)
	}
	if code, body := adminCall(t, "GET", base+"/v1/admin/me", tk.AccessToken, nil); code != http.StatusForbidden {
		t.Fatalf("me before the grant = %d %s", code, body)
	}
	if err := grantRole(t.Context(), s.ddz.db, "ustaff", "operator"); err != nil {
		t.Fatal(err)
	}
	code, body := adminCall(t, "GET", base+"/v1/admin/me", tk.AccessToken, nil)
	if code != 200 || !strings.Contains(string(body), `"role":"operator"`) {
		t.Errorf("me after the grant, same token = %d %s", code, body)
	}
	if code := postJSON(t, base+"/v1/admin/unban", tk.AccessToken, map[string]string{"user_id": tk.UserID}, nil); code != http.StatusNoContent {
		t.Errorf("legacy unban after the grant, same token = %d", code)
	}
	if err := grantRole(t.Context(), s.ddz.db, "ustaff", "viewer"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/v1/admin/players/" + tk.UserID + "/unban", "/v1/admin/unban"} {
		body := map[string]string{"reason": "x"}
		if p == "/v1/admin/unban" {
			body = map[string]string{"user_id": tk.UserID}
		}
		if code, raw := adminCall(t, "POST", base+p, tk.AccessToken, body); code != http.StatusForbidden {
			t.Errorf("POST %s after the downgrade to viewer = %d %s, want 403", p, code, raw)
		}
	}
}

// TestAdminActions checks what the actions do: a coin adjustment is one
// ledger entry (the balance stays the sum of the ledger), a ban closes the
// player's socket and blocks login until unbanned, an announcement reaches
// a connected player, and each action is in the audit log with its before
// and after.
func TestAdminActions(t *testing.T) {
	s, _, _ := startServer(t, "-initial-coins", "100")
	base := "http://" + s.HTTPAddr()
	tok, ids := consoleUsers(t, s)
	target := strconv.FormatInt(ids["target"], 10)

	code, body := adminCall(t, "GET", base+"/v1/admin/dashboard", tok["viewer"], nil)
	var dash struct {
		HouseBalance *int64 `json:"house_balance"`
		Nodes        []struct {
			Reachable bool `json:"reachable"`
		} `json:"nodes"`
	}
	if code != 200 || json.Unmarshal(body, &dash) != nil || dash.HouseBalance == nil || *dash.HouseBalance != 0 || len(dash.Nodes) != 1 || !dash.Nodes[0].Reachable {
		t.Errorf("dashboard = %d %s", code, body)
	}
	code, body = adminCall(t, "POST", base+"/v1/admin/players/"+target+"/coins", tok["admin"], map[string]any{"delta": -150, "reason": "too much"})
	if code != http.StatusConflict {
		t.Errorf("debit below zero = %d %s, want 409", code, body)
	}
	for _, d := range []int64{50, -30} {
		code, body := adminCall(t, "POST", base+"/v1/admin/players/"+target+"/coins", tok["admin"], map[string]any{"delta": d, "reason": "goodwill"})
		if code != 200 {
			t.Fatalf("coins %d = %d %s", d, code, body)
		}
	}
	bal, err := s.ddz.db.Balance(t.Context(), ids["target"])
	if err != nil || bal != 120 {
		t.Fatalf("balance = %d, %v; want 100+50-30", bal, err)
	}
	ledger, _ := s.ddz.db.Ledger(t.Context(), ids["target"], 0)
	var sum int64
	for _, e := range ledger {
		sum += e.Delta
	}
	if sum != bal || len(ledger) != 3 {
		t.Errorf("ledger sums to %d over %d entries, balance %d", sum, len(ledger), bal)
	}

	c, err := client.Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws", client.Options{Token: tok["player"]})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	notices := make(chan *pb.AdminNotice, 4)
	c.On(routeAdminNotice, func(p client.Push) {
		var n pb.AdminNotice
		if err := p.Decode(&n); err == nil {
			notices <- &n
		}
	})
	if code, body := adminCall(t, "POST", base+"/v1/admin/announce", tok["operator"], map[string]string{"text": "servers restart at noon"}); code != 200 {
		t.Fatalf("announce = %d %s", code, body)
	}
	select {
	case n := <-notices:
		if n.Kind != "announcement" || n.Text != "servers restart at noon" {
			t.Errorf("notice = %v", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("announcement not pushed")
	}

	if code, body := adminCall(t, "POST", base+"/v1/admin/players/"+target+"/ban", tok["operator"], map[string]string{"reason": "cheating", "duration": "2h"}); code != 200 {
		t.Fatalf("ban = %d %s", code, body)
	}
	creds := map[string]string{"username": "utarget", "password": "correct horse battery"}
	if code := postJSON(t, base+"/v1/auth/login", "", creds, nil); code != http.StatusForbidden {
		t.Errorf("banned login = %d, want 403", code)
	}
	if code, body := adminCall(t, "POST", base+"/v1/admin/players/"+target+"/unban", tok["operator"], map[string]string{"reason": "appeal"}); code != 200 {
		t.Fatalf("unban = %d %s", code, body)
	}
	if code := postJSON(t, base+"/v1/auth/login", "", creds, nil); code != http.StatusOK {
		t.Errorf("login after unban = %d, want 200", code)
	}
	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{"/ban", map[string]string{"reason": ""}, 400},
		{"/ban", map[string]string{"reason": "x", "duration": "soon"}, 400},
		{"/ban", map[string]any{"reason": "x", "extra": 1}, 400},
		{"/coins", map[string]any{"delta": 0, "reason": "x"}, 400},
	} {
		if code, body := adminCall(t, "POST", base+"/v1/admin/players/"+target+tc.path, tok["admin"], tc.body); code != tc.want {
			t.Errorf("POST %s %v = %d %s, want %d", tc.path, tc.body, code, body, tc.want)
		}
	}
	if code, _ := adminCall(t, "GET", base+"/v1/admin/players/999", tok["viewer"], nil); code != 404 {
		t.Errorf("unknown player = %d, want 404", code)
	}

	entries, err := s.ddz.db.AuditLog(t.Context(), store.AuditQuery{Target: "player:" + target})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if want := "[player.unban player.ban player.coins player.coins]"; fmt.Sprint(actions) != want {
		t.Errorf("audit actions = %v, want %s", actions, want)
	}
	if e := entries[1]; e.ActorName != "uoperator" || e.Reason != "cheating" || e.Before == "" || e.After == "" {
		t.Errorf("ban audit entry = %+v", e)
	}
	code, body = adminCall(t, "GET", base+"/v1/admin/audit?target=player:"+target, tok["viewer"], nil)
	var listed struct {
		Entries []struct {
			Action string          `json:"action"`
			Before json.RawMessage `json:"before"`
			After  json.RawMessage `json:"after"`
		} `json:"entries"`
	}
	if code != 200 || json.Unmarshal(body, &listed) != nil || len(listed.Entries) != 4 || string(listed.Entries[3].After) == "null" {
		t.Errorf("GET audit = %d %s", code, body)
	}
}

// TestAdminMaintenance checks that the banner is served publicly while in
// force and gone once cleared.
func TestAdminMaintenance(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	tok, _ := consoleUsers(t, s)
	get := func() string {
		resp, err := http.Get(base + "/v1/maintenance")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get(); got != "{\"maintenance\":null}\n" {
		t.Errorf("no banner: %q", got)
	}
	start, end := time.Now().Add(time.Hour).UTC(), time.Now().Add(3*time.Hour).UTC()
	bad := map[string]string{"text": "x", "starts_at": end.Format(time.RFC3339), "ends_at": start.Format(time.RFC3339)}
	if code, _ := adminCall(t, "PUT", base+"/v1/admin/maintenance", tok["operator"], bad); code != 400 {
		t.Errorf("ends before starts = %d, want 400", code)
	}
	ok := map[string]string{"text": "upgrade tonight", "starts_at": start.Format(time.RFC3339), "ends_at": end.Format(time.RFC3339)}
	if code, body := adminCall(t, "PUT", base+"/v1/admin/maintenance", tok["operator"], ok); code != 200 {
		t.Fatalf("set = %d %s", code, body)
	}
	var got struct {
		Maintenance *maintenance `json:"maintenance"`
	}
	if err := json.Unmarshal([]byte(get()), &got); err != nil || got.Maintenance == nil || got.Maintenance.Text != "upgrade tonight" || got.Maintenance.SetBy != "" {
		t.Errorf("public banner = %+v, %v", got.Maintenance, err)
	}
	if code, _ := adminCall(t, "DELETE", base+"/v1/admin/maintenance", tok["operator"], nil); code != 200 {
		t.Fatalf("clear = %d", code)
	}
	if got := get(); got != "{\"maintenance\":null}\n" {
		t.Errorf("after clear: %q", got)
	}
}

// TestAdminConsoleFiles checks that /admin/ serves the embedded console
// under the edge's CSP and that its folders are not listed.
func TestAdminConsoleFiles(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	for _, tc := range []struct {
		path string
		want int
	}{{"/admin/", 200}, {"/admin/admin.js", 200}, {"/admin/admin.css", 200}, {"/admin/nope.js", 404}} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
		if tc.want == 200 && resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no CSP", tc.path)
		}
	}
}

// TestAdminCancelTable seats a player with two bots, lists the table from
// the console API and cancels it: the game is recorded cancelled, the
// player is free and keeps the balance of before the deal.
func TestAdminCancelTable(t *testing.T) {
	s, _, _ := startServer(t, "-initial-coins", "1000", "-ddz-bot-wait", "50ms")
	base := "http://" + s.HTTPAddr()
	tok, ids := consoleUsers(t, s)
	c, err := client.Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws", client.Options{Token: tok["player"]})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	joinRetry(t, c)
	type tablesResp struct {
		Tables []struct {
			ID    string    `json:"id"`
			Node  string    `json:"node"`
			Phase string    `json:"phase"`
			Users [3]string `json:"users"` // 64-bit ids as strings
		} `json:"tables"`
	}
	var tr tablesResp
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body := adminCall(t, "GET", base+"/v1/admin/tables", tok["viewer"], nil)
		tr = tablesResp{}
		if code == 200 && json.Unmarshal(body, &tr) == nil && len(tr.Tables) == 1 && tr.Tables[0].Phase != "starting" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no table listed: %d %s", code, body)
		}
	}
	tb := tr.Tables[0]
	if tb.Node != s.members.Self().ID || (tb.Phase != "bidding" && tb.Phase != "playing") {
		t.Errorf("table = %+v", tb)
	}
	seated := false
	for _, u := range tb.Users {
		seated = seated || u == strconv.FormatInt(ids["player"], 10)
	}
	if !seated {
		t.Errorf("table users %v lack the player %d", tb.Users, ids["player"])
	}
	if code, _ := adminCall(t, "POST", base+"/v1/admin/tables/"+tb.ID+"/cancel", tok["viewer"], map[string]string{"reason": "stuck"}); code != 403 {
		t.Errorf("viewer cancel = %d, want 403", code)
	}
	if code, body := adminCall(t, "POST", base+"/v1/admin/tables/"+tb.ID+"/cancel", tok["operator"], map[string]string{"reason": "stuck"}); code != 200 {
		t.Fatalf("cancel = %d %s", code, body)
	}
	gid, _ := strconv.ParseInt(tb.ID, 10, 64)
	g, err := s.ddz.db.Game(t.Context(), gid)
	if err != nil || g.State != store.GameCancelled {
		t.Errorf("game after cancel = %+v, %v", g, err)
	}
	if bal, err := s.ddz.db.Balance(t.Context(), ids["player"]); err != nil || bal != 1000 {
		t.Errorf("player balance after cancel = %d, %v; want 1000", bal, err)
	}
	if code, body := adminCall(t, "GET", base+"/v1/admin/tables", tok["viewer"], nil); code != 200 || json.Unmarshal(body, &tr) != nil || len(tr.Tables) != 0 {
		t.Errorf("tables after cancel = %d %s", code, body)
	}
	if code, _ := adminCall(t, "POST", base+"/v1/admin/tables/"+tb.ID+"/cancel", tok["operator"], map[string]string{"reason": "again"}); code != 404 {
		t.Errorf("second cancel = %d, want 404", code)
	}
	entries, _ := s.ddz.db.AuditLog(t.Context(), store.AuditQuery{Target: "table:" + tb.ID})
	if len(entries) != 1 || entries[0].Action != "table.cancel" || entries[0].Reason != "stuck" {
		t.Errorf("audit = %+v", entries)
	}
	joinRetry(t, c) // free to play again
}

// TestAdminLegacyEndpointsAudited checks that POST /v1/admin/ban, /unban
// and /keys/rotate of the account API write the console's audit log, and
// that ban and unban take the console's role: an operator may, a viewer
// may not (and nothing is recorded for a refusal).
func TestAdminLegacyEndpointsAudited(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	tok, ids := consoleUsers(t, s)
	target := strconv.FormatInt(ids["target"], 10)
	if code := postJSON(t, base+"/v1/admin/ban", tok["admin"], map[string]string{"user_id": target, "reason": "old api"}, nil); code != http.StatusNoContent {
		t.Fatalf("ban = %d", code)
	}
	if code := postJSON(t, base+"/v1/admin/unban", tok["admin"], map[string]string{"user_id": target}, nil); code != http.StatusNoContent {
		t.Fatalf("unban = %d", code)
	}
	entries, err := s.ddz.db.AuditLog(t.Context(), store.AuditQuery{Target: "player:" + target})
	if err != nil || len(entries) != 2 {
		t.Fatalf("audit = %+v, %v; want 2 entries", entries, err)
	}
	if e := entries[1]; e.Action != "player.ban" || e.ActorName != "uadmin" || e.Reason != "old api" ||
		e.Before != `{"banned":false}` || !strings.Contains(e.After, `"banned":true`) {
		t.Errorf("ban entry = %+v", e)
	}
	if e := entries[0]; e.Action != "player.unban" || e.After != `{"banned":false}` {
		t.Errorf("unban entry = %+v", e)
	}

	code, body := adminCall(t, "POST", base+"/v1/admin/ban", tok["viewer"], map[string]string{"user_id": target, "reason": "viewer"})
	if code != http.StatusForbidden || strings.TrimSpace(string(body)) != `{"code":"forbidden","message":"operator role required"}` {
		t.Errorf("ban by a viewer = %d %s", code, body)
	}
	if code := postJSON(t, base+"/v1/admin/ban", tok["operator"], map[string]string{"user_id": target, "reason": "by operator"}, nil); code != http.StatusNoContent {
		t.Fatalf("ban by an operator = %d", code)
	}
	if code := postJSON(t, base+"/v1/admin/unban", tok["operator"], map[string]string{"user_id": target}, nil); code != http.StatusNoContent {
		t.Fatalf("unban by an operator = %d", code)
	}
	code, body = adminCall(t, "POST", base+"/v1/admin/keys/rotate", tok["operator"], nil)
	if code != http.StatusForbidden || strings.TrimSpace(string(body)) != `{"code":"forbidden","message":"admin role required"}` {
		t.Errorf("rotate by an operator = %d %s", code, body)
	}
	if code, body := adminCall(t, "POST", base+"/v1/admin/keys/rotate", tok["admin"], nil); code != http.StatusOK {
		t.Fatalf("rotate by an admin = %d %s", code, body)
	}
	entries, err = s.ddz.db.AuditLog(t.Context(), store.AuditQuery{Target: "player:" + target})
	if err != nil || len(entries) != 4 {
		t.Fatalf("audit = %+v, %v; want 4 entries", entries, err)
	}
	if e := entries[1]; e.Action != "player.ban" || e.ActorName != "uoperator" || e.Reason != "by operator" {
		t.Errorf("operator's ban entry = %+v", e)
	}
	if e := entries[0]; e.Action != "player.unban" || e.ActorName != "uoperator" {
		t.Errorf("operator's unban entry = %+v", e)
	}
	keys, err := s.ddz.db.AuditLog(t.Context(), store.AuditQuery{Target: "signing_key"})
	if err != nil || len(keys) != 1 || keys[0].Action != "keys.rotate" || keys[0].ActorName != "uadmin" || !strings.Contains(keys[0].After, `"kid"`) {
		t.Errorf("rotation audit = %+v, %v", keys, err)
	}
}
