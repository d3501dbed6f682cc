package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

type tokens struct {
	UserID       string `json:"user_id"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

func postJSON(t *testing.T, url, bearer string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("POST %s: %d %s: %v", url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// registerAdmin registers username on s, gives it the admin role as
// `lordgame admin grant` does, and logs in again: the tokens carry the role.
func registerAdmin(t *testing.T, s *server, username string) tokens {
	t.Helper()
	base := "http://" + s.HTTPAddr()
	creds := map[string]string{"username": username, "password": "correct horse battery"}
	if code := postJSON(t, base+"/v1/auth/register", "", creds, nil); code != 200 && code != 201 {
		t.Fatalf("register %s: %d", username, code)
	}
	if err := grantRole(t.Context(), s.ddz.db, username, "admin"); err != nil {
		t.Fatal(err)
	}
	var tk tokens
	if code := postJSON(t, base+"/v1/auth/login", "", creds, &tk); code != 200 {
		t.Fatalf("login %s: %d", username, code)
	}
	return tk
}

// TestAccountsOverBothAPIs logs in over HTTP, connects with the access
// token, reads the account over the realtime protocol, and checks that a
// ban closes the open socket with reason banned.
func TestAccountsOverBothAPIs(t *testing.T) {
	s, _, _ := startServer(t, "-initial-coins", "777")
	base := "http://" + s.HTTPAddr()
	var boss, guest tokens
	boss = registerAdmin(t, s, "boss")
	if code := postJSON(t, base+"/v1/auth/guest", "", map[string]string{"device_id": "device-123456"}, &guest); code != 200 && code != 201 {
		t.Fatalf("guest: %d", code)
	}
	kicked := make(chan string, 1)
	c, err := client.Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws", client.Options{Token: guest.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.UserID() != guest.UserID {
		t.Fatalf("handshake user %q, want %q", c.UserID(), guest.UserID)
	}
	var me pb.Account
	if err := c.Request(t.Context(), "account.me", &pb.AccountMeReq{}, &me); err != nil {
		t.Fatal(err)
	}
	if me.UserId != guest.UserID || !me.Guest || me.Balance != 777 {
		t.Fatalf("account.me = %v", &me)
	}
	err = c.Request(t.Context(), "account.set_name", &pb.SetDisplayNameReq{DisplayName: ""}, &me)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "bad_request" {
		t.Fatalf("empty display name: %v", err)
	}
	if err := c.Request(t.Context(), "account.set_name", &pb.SetDisplayNameReq{DisplayName: "Lucky Fox"}, &me); err != nil || me.DisplayName != "Lucky Fox" {
		t.Fatalf("set_name: %v %v", &me, err)
	}
	code := postJSON(t, base+"/v1/admin/ban", boss.AccessToken, map[string]string{"user_id": guest.UserID, "reason": "cheating"}, nil)
	if code != 204 && code != 200 {
		t.Fatalf("ban: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		var k *client.Kicked
		if errors.As(err, &k) {
			kicked <- k.Reason
			break
		}
		if errors.Is(err, client.ErrDisconnected) {
			// The socket closed before the kick frame was read: the close
			// itself is what the ban must cause.
			kicked <- "banned"
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("banned user still connected: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := <-kicked; r != "banned" {
		t.Errorf("kick reason %q, want banned", r)
	}
	if _, err := client.Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws", client.Options{Token: guest.AccessToken}); err == nil {
		t.Error("banned user's token still accepted")
	}
}

func TestMigrateAndAdminCommands(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "status", "-data", dir}, env(nil), &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pending") {
		t.Errorf("migrate status on an empty database: %q", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"migrate", "up", "-data", dir}, env(nil), &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "applied") {
		t.Errorf("migrate status: %q", out.String())
	}
	err := run(t.Context(), []string{"admin", "grant", "nobody", "-data", dir}, env(nil), &out, io.Discard, nil)
	if err == nil {
		t.Error("granting admin to a missing user succeeded")
	}
	if err := run(t.Context(), []string{"migrate", "sideways"}, env(nil), &out, io.Discard, nil); err == nil {
		t.Error("bad migrate command accepted")
	}
}

// TestAdminNameCannotBeSquatted: a fresh account never has a role, whatever
// its name, so registering a would-be admin's name (in another case) gives
// nothing; the role comes from admin grant, and a server given -admins
// refuses to start and says so.
func TestAdminNameCannotBeSquatted(t *testing.T) {
	var stderr strings.Builder
	if _, _, err := loadConfig([]string{"-admins", "adminuser", "-data", t.TempDir()}, func(string) string { return "" }, &stderr); err == nil ||
		!strings.Contains(err.Error(), "lordgame admin grant") {
		t.Fatalf("-admins: %v, want a refusal naming lordgame admin grant", err)
	}
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	var squatter, victim tokens
	if code := postJSON(t, base+"/v1/auth/register", "", map[string]string{"username": "ADMINUSER", "password": "correct horse battery"}, &squatter); code != 201 {
		t.Fatalf("register: %d", code)
	}
	if code := postJSON(t, base+"/v1/auth/guest", "", map[string]string{"device_id": "device-victim-1"}, &victim); code != 201 && code != 200 {
		t.Fatalf("guest: %d", code)
	}
	if code := postJSON(t, base+"/v1/admin/ban", squatter.AccessToken, map[string]string{"user_id": victim.UserID, "reason": "x"}, nil); code != http.StatusForbidden {
		t.Fatalf("ban by a fresh account named ADMINUSER: %d, want 403", code)
	}
	admin := registerAdmin(t, s, "realadmin")
	if code := postJSON(t, base+"/v1/admin/ban", admin.AccessToken, map[string]string{"user_id": victim.UserID, "reason": "x"}, nil); code != 204 && code != 200 {
		t.Fatalf("ban by a granted admin: %d", code)
	}
}
