package auth

import (
	"strings"
	"testing"
	"time"
)

// TestRotateKeyAPI: POST /v1/admin/keys/rotate is for admins only, answers
// the new kid, new tokens carry it, and tokens of the old key keep
// authenticating until they expire.
func TestRotateKeyAPI(t *testing.T) {
	f := newFixture(t, nil)
	root := f.registerAdmin(t, "root", "password1").str("access_token")
	player := f.register(t, "player", "password1")
	oldKid := kidOf(t, player.str("access_token"))

	wantErr(t, f.call(t, "POST", "/v1/admin/keys/rotate", player.str("access_token"), ""), 403, "forbidden", "admin role required")
	wantErr(t, f.call(t, "POST", "/v1/admin/keys/rotate", "", ""), 401, "unauthenticated", "bearer")
	wantErr(t, f.call(t, "POST", "/v1/admin/keys/rotate", root, `{"kid":"mine"}`), 400, "bad_request", `unknown field "kid"`)
	wantErr(t, f.call(t, "GET", "/v1/admin/keys/rotate", root, ""), 405, "bad_request", "use POST")

	r := f.call(t, "POST", "/v1/admin/keys/rotate", root, "")
	if r.code != 200 || r.str("kid") == "" || r.str("kid") == oldKid {
		t.Fatalf("rotate = %d %s (old kid %q)", r.code, r.raw, oldKid)
	}
	newKid := r.str("kid")
	if !strings.Contains(f.logs.String(), "rotate_signing_key") {
		t.Error("the rotation is not in the log as an admin action")
	}
	if r := f.call(t, "GET", "/v1/account", player.str("access_token"), ""); r.code != 200 {
		t.Errorf("old-key token right after rotation = %d %s", r.code, r.raw)
	}
	fresh := f.login(t, "player", "password1")
	if kidOf(t, fresh.str("access_token")) != newKid {
		t.Errorf("new token kid = %q, want %q", kidOf(t, fresh.str("access_token")), newKid)
	}
	// Still valid a little before its own expiry...
	f.clock.advance(DefaultConfig().AccessTTL - time.Minute)
	if r := f.call(t, "GET", "/v1/account", player.str("access_token"), ""); r.code != 200 {
		t.Errorf("old-key token before its expiry = %d %s", r.code, r.raw)
	}
	// ...and not after.
	f.clock.advance(2 * time.Minute)
	wantErr(t, f.call(t, "GET", "/v1/account", player.str("access_token"), ""), 401, "unauthenticated", "expired")
}

// TestRotateConfigKey: with the key from the environment there is nothing
// stored to rotate; the answer says how to rotate it.
func TestRotateConfigKey(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.SigningKey = strings.Repeat("k", 32)
		c.SigningKeyID = "env1"
	})
	root := f.registerAdmin(t, "root", "password1").str("access_token")
	wantErr(t, f.call(t, "POST", "/v1/admin/keys/rotate", root, "{}"), 409, "conflict", "LORDGAME_AUTH_SIGNING_KEY")
	if kidOf(t, f.login(t, "root", "password1").str("access_token")) != "env1" {
		t.Error("the config key no longer signs")
	}
}

// TestRotateStoredKey is what `lordgame keys rotate` does: a node that
// loaded the old key picks the new one up and still verifies old tokens.
func TestRotateStoredKey(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.Register(t.Context(), "ivan", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	kid, err := RotateStoredKey(t.Context(), f.db, f.clock.now())
	if err != nil || kid == kidOf(t, tk.AccessToken) {
		t.Fatalf("RotateStoredKey = %q, %v", kid, err)
	}
	if _, err := f.svc.Authenticate(t.Context(), tk.AccessToken); err != nil {
		t.Errorf("old token after an offline rotation: %v", err)
	}
	f.clock.advance(keyReload + time.Second)
	fresh, err := f.svc.Refresh(t.Context(), tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := kidOf(t, fresh.AccessToken); got != kid {
		t.Errorf("after the reload interval tokens are signed with %q, want %q", got, kid)
	}
}
