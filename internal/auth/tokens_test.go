package auth

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
)

func wantUnauthenticated(t *testing.T, f *fixture, token, why string) {
	t.Helper()
	if _, err := f.svc.Authenticate(t.Context(), token); status.CodeOf(err) != status.Unauthenticated {
		t.Errorf("%s: Authenticate err = %v, want unauthenticated", why, err)
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.svc.Register(t.Context(), "root", "password1", ""); err != nil {
		t.Fatal(err)
	}
	if err := GrantAdmin(t.Context(), f.db, "root"); err != nil {
		t.Fatal(err)
	}
	tk, err := f.svc.Login(t.Context(), "root", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.svc.Authenticate(t.Context(), tk.AccessToken)
	if err != nil || id.UserID != tk.UserID || id.SessionID != tk.SessionID || len(id.Roles) != 1 || id.Roles[0] != RoleAdmin {
		t.Fatalf("Authenticate = %+v, %v", id, err)
	}
	var c claims
	tok, _, err := jwt.NewParser().ParseUnverified(tk.AccessToken, &c)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["kid"] == "" || tok.Header["alg"] != "HS256" || c.Subject != strconv.FormatInt(tk.UserID, 10) ||
		c.SessionID != tk.SessionID || c.IssuedAt == nil || c.ExpiresAt.Sub(c.IssuedAt.Time) != 15*time.Minute || c.Issuer != "lordgame" {
		t.Errorf("token header %v claims %+v", tok.Header, c)
	}

	// Tampering with any part breaks the signature.
	parts := strings.Split(tk.AccessToken, ".")
	forged := claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "lordgame", Subject: "1", IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt}, SessionID: tk.SessionID, Roles: []string{RoleAdmin}}
	payload, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, forged).SigningString()
	wantUnauthenticated(t, f, strings.Split(payload, ".")[0]+"."+strings.Split(payload, ".")[1]+"."+parts[2], "forged claims")
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	wantUnauthenticated(t, f, none, "alg none")
	other := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	other.Header["kid"] = tok.Header["kid"]
	wrongKey, _ := other.SignedString([]byte("a different key of thirty-two bytes"))
	wantUnauthenticated(t, f, wrongKey, "wrong key")
	unknownKid := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	unknownKid.Header["kid"] = "nope"
	s, _ := unknownKid.SignedString([]byte("x"))
	wantUnauthenticated(t, f, s, "unknown kid")
	wantUnauthenticated(t, f, "", "empty")

	// Expiry: 15 minutes by default.
	f.clock.advance(14 * time.Minute)
	if _, err := f.svc.Authenticate(t.Context(), tk.AccessToken); err != nil {
		t.Errorf("token at 14 min: %v", err)
	}
	f.clock.advance(2 * time.Minute)
	wantUnauthenticated(t, f, tk.AccessToken, "expired")
	// The refresh token still works and gives a fresh access token.
	next, err := f.svc.Refresh(t.Context(), tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(t.Context(), next.AccessToken); err != nil {
		t.Errorf("refreshed token: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.Register(t.Context(), "ivan", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	oldKid := kidOf(t, tk.AccessToken)
	newKid, err := f.svc.RotateKey(t.Context())
	if err != nil || newKid == oldKid {
		t.Fatalf("RotateKey = %q, %v (old %q)", newKid, err, oldKid)
	}
	if _, err := f.svc.Authenticate(t.Context(), tk.AccessToken); err != nil {
		t.Errorf("token of the old key right after rotation: %v", err)
	}
	fresh, err := f.svc.Refresh(t.Context(), tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, fresh.AccessToken) != newKid {
		t.Errorf("new tokens signed with %q, want %q", kidOf(t, fresh.AccessToken), newKid)
	}
	// Long after rotation, the old key verifies nothing, even a token
	// whose own expiry has not passed.
	f.clock.advance(20 * time.Minute)
	var oldSecret []byte
	keys, _ := f.db.SigningKeys(t.Context())
	for _, k := range keys {
		if k.ID == oldKid {
			oldSecret = k.Secret
		}
	}
	now := f.clock.now()
	late := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "lordgame", Subject: strconv.FormatInt(tk.UserID, 10),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, SessionID: tk.SessionID})
	late.Header["kid"] = oldKid
	s, _ := late.SignedString(oldSecret)
	wantUnauthenticated(t, f, s, "retired key")
	late.Header["kid"] = newKid
	s, _ = late.SignedString(keysByID(t, f)[newKid])
	if _, err := f.svc.Authenticate(t.Context(), s); err != nil {
		t.Errorf("same claims with the active key: %v", err)
	}
}

func keysByID(t *testing.T, f *fixture) map[string][]byte {
	t.Helper()
	keys, err := f.db.SigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, k := range keys {
		out[k.ID] = k.Secret
	}
	return out
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, &claims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

func TestKeysAndTokensSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureOn(t, db, nil)
	tk, err := f.svc.Register(t.Context(), "jack", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = store.Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := newFixtureOn(t, db, nil)
	if _, err := g.svc.Authenticate(t.Context(), tk.AccessToken); err != nil {
		t.Errorf("access token after restart: %v", err)
	}
	if _, err := g.svc.Refresh(t.Context(), tk.RefreshToken); err != nil {
		t.Errorf("refresh token after restart: %v", err)
	}
	if keys, _ := db.SigningKeys(t.Context()); len(keys) != 1 {
		t.Errorf("%d stored keys after restart, want the one generated on first start", len(keys))
	}
}

func TestConfigKey(t *testing.T) {
	key := strings.Repeat("k", 32)
	f := newFixture(t, func(c *Config) { c.SigningKey, c.SigningKeyID = key, "cfg1" })
	tk, err := f.svc.Register(t.Context(), "kate", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, tk.AccessToken) != "cfg1" {
		t.Errorf("kid = %q, want cfg1", kidOf(t, tk.AccessToken))
	}
	if keys, _ := f.db.SigningKeys(t.Context()); len(keys) != 0 {
		t.Errorf("a config key must not be generated or stored: %d keys", len(keys))
	}
	// Another node with the same config accepts the token.
	g := newFixtureOn(t, f.db, func(c *Config) { c.SigningKey, c.SigningKeyID = key, "cfg1" })
	if _, err := g.svc.Authenticate(t.Context(), tk.AccessToken); err != nil {
		t.Errorf("second node: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"short key", func(c *Config) { c.SigningKey = "short" }},
		{"zero ttl", func(c *Config) { c.AccessTTL = 0 }},
		{"refresh shorter", func(c *Config) { c.RefreshTTL = time.Minute }},
		{"negative coins", func(c *Config) { c.InitialCoins = -1 }},
		{"bad admin", func(c *Config) { c.Admins = []string{"a b"} }},
		{"no argon2 memory", func(c *Config) { c.Argon2.MemoryKiB = 0 }},
		{"no hashing", func(c *Config) { c.MaxHashing = 0 }},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 10 }},
		{"no lockout", func(c *Config) { c.Limits.Lockout = 0 }},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if c.Validate() == nil {
				t.Errorf("Validate accepted %+v", c)
			}
		})
	}
}

func TestGrantAdmin(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.Register(t.Context(), "lena", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := GrantAdmin(t.Context(), f.db, "LENA"); err != nil {
		t.Fatal(err)
	}
	if err := GrantAdmin(t.Context(), f.db, "lena"); err != nil {
		t.Errorf("second grant: %v", err)
	}
	id, err := f.svc.Authenticate(t.Context(), tk.AccessToken)
	if err != nil || len(id.Roles) != 1 || id.Roles[0] != RoleAdmin {
		t.Errorf("roles after grant = %v, %v", id.Roles, err)
	}
	if err := GrantAdmin(t.Context(), f.db, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("grant to unknown: %v", err)
	}
	if err := f.svc.GrantAdmin(t.Context(), "nobody"); status.CodeOf(err) != status.NotFound {
		t.Errorf("Service.GrantAdmin(unknown) = %v", err)
	}
}

// TestNoAdminByName: naming an admin in the configuration is refused, so
// that nobody gets the role by registering the name (in any case) before
// its owner; a registered account has no role until it is granted one,
// and names that differ only by case are one account.
func TestNoAdminByName(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Admins = []string{"adminuser"}
	if err := cfg.Validate(); !errors.Is(err, ErrAdminsSetting) {
		t.Fatalf("Validate with admins = %v, want ErrAdminsSetting", err)
	}
	f := newFixture(t, nil)
	if _, err := New(t.Context(), cfg, f.db, nil, slog.New(slog.DiscardHandler), nil); !errors.Is(err, ErrAdminsSetting) {
		t.Fatalf("New with admins = %v, want ErrAdminsSetting", err)
	}
	tk, err := f.svc.Register(t.Context(), "ADMINUSER", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := f.svc.Authenticate(t.Context(), tk.AccessToken); err != nil || len(id.Roles) != 0 {
		t.Fatalf("a new account's roles = %v (%v), want none", id.Roles, err)
	}
	for _, name := range []string{"adminuser", "AdminUser", "aDMINUSER"} {
		if _, err := f.svc.Register(t.Context(), name, "password1", ""); status.CodeOf(err) != status.Conflict {
			t.Errorf("register %q beside ADMINUSER: %v, want conflict", name, err)
		}
	}
	for _, name := range []string{"admınuser", "admіnuser", "ａdminuser", "adminuser\u200b"} { // dotless i, Cyrillic i, fullwidth a, zero width space
		if _, err := f.svc.Register(t.Context(), name, "password1", ""); status.CodeOf(err) != status.BadRequest {
			t.Errorf("register look-alike %q: %v, want bad_request", name, err)
		}
	}
	if err := GrantAdmin(t.Context(), f.db, "adminuser"); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Login(t.Context(), "AdminUser", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := f.svc.Authenticate(t.Context(), again.AccessToken); len(id.Roles) != 1 || id.Roles[0] != RoleAdmin {
		t.Errorf("roles after admin grant = %v, want [admin]", id.Roles)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("secret pass", cheapArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := hashPassword("secret pass", cheapArgon2)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, c := range []struct {
		pw, hash string
		ok       bool
	}{
		{"secret pass", h, true},
		{"secret pasS", h, false},
		{"", h, false},
	} {
		if ok, err := checkPassword(c.pw, c.hash); ok != c.ok || err != nil {
			t.Errorf("checkPassword(%q) = %v, %v; want %v", c.pw, ok, err, c.ok)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := checkPassword("x", bad); err == nil {
			t.Errorf("checkPassword accepted hash %q", bad)
		}
	}
}

func TestLimiterForgets(t *testing.T) {
	c := &testClock{t: time.Now()}
	l := newLimiter(LimitConfig{Window: time.Minute, Lockout: time.Second, MaxLockout: 4 * time.Second}, c.now)
	if l.fail("k", 2) || l.wait("k") != 0 {
		t.Error("locked below the limit")
	}
	if !l.fail("k", 2) || l.wait("k") != time.Second {
		t.Error("the limit-th failure did not lock for Lockout")
	}
	l.fail("k", 2)
	l.fail("k", 2)
	l.fail("k", 2)
	if d := l.wait("k"); d != 4*time.Second {
		t.Errorf("lockout after 5 failures = %v, want the 4s cap", d)
	}
	c.advance(2 * time.Minute)
	if l.wait("k") != 0 || l.fail("k", 2) {
		t.Error("failures outlived the window")
	}
	l.sweep(c.now().Add(2 * time.Minute))
	if len(l.keys) != 0 {
		t.Errorf("sweep kept %d keys", len(l.keys))
	}
}

func TestRotationSeenByOtherNode(t *testing.T) {
	a := newFixture(t, nil)
	b := newFixtureOn(t, a.db, nil)
	tk, err := a.svc.Register(t.Context(), "nora", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	kid, err := b.svc.RotateKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Authenticate(t.Context(), tk.AccessToken); err != nil {
		t.Errorf("node b refuses node a's token of the retired key: %v", err)
	}
	a.clock.advance(2 * time.Minute)
	next, err := a.svc.Refresh(t.Context(), tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := kidOf(t, next.AccessToken); got != kid {
		t.Errorf("node a signs with %q two minutes after b rotated, want %q", got, kid)
	}
}

func TestLoginUpgradesHash(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.Register(t.Context(), "olga", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	stronger := Argon2Params{Time: 2, MemoryKiB: 128, Threads: 1}
	g := newFixtureOn(t, f.db, func(c *Config) { c.Argon2 = stronger })
	if _, err := g.svc.Login(t.Context(), "olga", "password1", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	a, _ := f.db.Account(t.Context(), tk.UserID)
	if needsRehash(a.PasswordHash, stronger) {
		t.Errorf("hash after login = %q, want the new parameters", a.PasswordHash)
	}
	if _, err := g.svc.Login(t.Context(), "olga", "password1", "192.0.2.9"); err != nil {
		t.Errorf("login with the upgraded hash: %v", err)
	}
}
