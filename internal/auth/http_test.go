package auth

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRegisterAndLogin(t *testing.T) {
	f := newFixture(t, nil)
	r := f.register(t, "Alice", "correct horse")
	for _, k := range []string{"user_id", "session_id", "access_token", "refresh_token"} {
		if r.str(k) == "" {
			t.Errorf("register answer lacks %s: %s", k, r.raw)
		}
	}
	if r.body["expires_in"] != float64(900) || r.str("token_type") != "Bearer" {
		t.Errorf("register answer = %s", r.raw)
	}
	uid, err := strconv.ParseInt(r.str("user_id"), 10, 64)
	if err != nil || uid <= 0 {
		t.Fatalf("user_id %q is not a decimal id", r.str("user_id"))
	}

	me := f.call(t, "GET", "/v1/account", r.str("access_token"), "")
	if me.code != 200 || me.str("user_id") != r.str("user_id") || me.str("username") != "Alice" || me.str("display_name") != "Alice" ||
		me.body["balance"] != float64(1000) || me.body["rating"] != float64(1500) || me.body["guest"] != false {
		t.Errorf("GET /v1/account = %d %s", me.code, me.raw)
	}
	if stats, _ := me.body["stats"].(map[string]any); stats == nil || stats["games"] != float64(0) {
		t.Errorf("stats missing: %s", me.raw)
	}

	in := f.login(t, "aLICE", "correct horse")
	if in.code != 200 || in.str("user_id") != r.str("user_id") || in.str("session_id") == r.str("session_id") {
		t.Errorf("login (other case) = %d %s", in.code, in.raw)
	}
	wrong := f.login(t, "alice", "wrong horse")
	unknown := f.login(t, "nobody", "wrong horse")
	wantErr(t, wrong, 401, "unauthenticated", "invalid username or password")
	if wrong.raw != unknown.raw {
		t.Errorf("wrong password %s and unknown user %s answer differently", wrong.raw, unknown.raw)
	}
	wantErr(t, f.call(t, "POST", "/v1/auth/register", "", `{"username":"ALICE","password":"another pass"}`), 409, "conflict", "username: already taken")

	if strings.Contains(f.logs.String(), in.str("access_token")) || strings.Contains(f.logs.String(), "correct horse") {
		t.Error("a token or password reached the log")
	}
}

func TestConcurrentRegister(t *testing.T) {
	f := newFixture(t, nil)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.call(t, "POST", "/v1/auth/register", "", `{"username":"twin","password":"password1"}`).code
		})
	}
	wg.Wait()
	if !(codes[0] == 201 && codes[1] == 409 || codes[0] == 409 && codes[1] == 201) {
		t.Errorf("two registrations of one name: %v, want one 201 and one 409", codes)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBodyBytes = 256 })
	tests := []struct {
		name, path, body, msg string
	}{
		{"empty body", "/v1/auth/register", ``, "body: empty"},
		{"invalid JSON", "/v1/auth/register", `{"username":`, "body: invalid JSON"},
		{"two objects", "/v1/auth/register", `{} {}`, "body: one JSON object"},
		{"unknown field", "/v1/auth/register", `{"username":"abc","password":"password1","admin":true}`, `body: unknown field "admin"`},
		{"wrong type", "/v1/auth/register", `{"username":5,"password":"password1"}`, "username: must be a string"},
		{"too large", "/v1/auth/register", `{"username":"` + strings.Repeat("a", 300) + `"}`, "body: larger than 256 bytes"},
		{"username short", "/v1/auth/register", `{"username":"ab","password":"password1"}`, "username: must be 3 to 20"},
		{"username long", "/v1/auth/register", `{"username":"abcdefghijklmnopqrstu","password":"password1"}`, "username: must be 3 to 20"},
		{"username charset", "/v1/auth/register", `{"username":"ab cd","password":"password1"}`, "username: use letters"},
		{"username digit first", "/v1/auth/register", `{"username":"1abc","password":"password1"}`, "username: use letters"},
		{"password short", "/v1/auth/register", `{"username":"abcd","password":"short"}`, "password: must be 8 to 128"},
		{"login no username", "/v1/auth/login", `{"password":"password1"}`, "username: required"},
		{"login no password", "/v1/auth/login", `{"username":"abcd"}`, "password: required"},
		{"guest no device", "/v1/auth/guest", `{}`, "device_id: must be 8 to 128"},
		{"guest bad device", "/v1/auth/guest", `{"device_id":"dev ice id"}`, "device_id: use letters"},
		{"refresh empty", "/v1/auth/refresh", `{}`, "refresh_token: required"},
		{"logout empty", "/v1/auth/logout", `{}`, "refresh_token: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, f.call(t, "POST", tt.path, "", tt.body), 400, "bad_request", tt.msg)
		})
	}
	wantErr(t, f.call(t, "GET", "/v1/auth/login", "", ""), 405, "bad_request", "use POST")
	wantErr(t, f.call(t, "GET", "/v1/nothing", "", ""), 404, "not_found", "no endpoint")
}

func TestBearerRequired(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/v1/account", "/v1/account/password", "/v1/account/display-name", "/v1/account/upgrade", "/v1/admin/ban", "/v1/admin/unban"} {
		method := "POST"
		if path == "/v1/account" {
			method = "GET"
		}
		wantErr(t, f.call(t, method, path, "", `{}`), 401, "unauthenticated", "bearer access token required")
		wantErr(t, f.call(t, method, path, "not-a-jwt", `{}`), 401, "unauthenticated", "access token invalid")
	}
}

func TestGuestAndUpgrade(t *testing.T) {
	f := newFixture(t, nil)
	g := f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0001"}`)
	if g.code != 200 || g.str("access_token") == "" {
		t.Fatalf("guest = %d %s", g.code, g.raw)
	}
	again := f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0001"}`)
	if again.str("user_id") != g.str("user_id") {
		t.Errorf("same device gave user %s then %s", g.str("user_id"), again.str("user_id"))
	}
	me := f.call(t, "GET", "/v1/account", g.str("access_token"), "")
	if me.body["guest"] != true || !strings.HasPrefix(me.str("display_name"), "Guest") || me.str("username") != "" || me.body["balance"] != float64(1000) {
		t.Errorf("guest profile = %s", me.raw)
	}
	f.register(t, "taken", "password1")
	tok := g.str("access_token")
	wantErr(t, f.call(t, "POST", "/v1/account/upgrade", tok, `{"username":"TAKEN","password":"password1"}`), 409, "conflict", "username: already taken")
	wantErr(t, f.call(t, "POST", "/v1/account/upgrade", tok, `{"username":"x","password":"password1"}`), 400, "bad_request", "username:")
	wantErr(t, f.call(t, "POST", "/v1/account/upgrade", tok, `{"username":"newname","password":"x"}`), 400, "bad_request", "password:")
	up := f.call(t, "POST", "/v1/account/upgrade", tok, `{"username":"Newname","password":"password1"}`)
	if up.code != 200 || up.str("user_id") != g.str("user_id") || up.str("username") != "Newname" || up.body["guest"] != false {
		t.Fatalf("upgrade = %d %s", up.code, up.raw)
	}
	wantErr(t, f.call(t, "POST", "/v1/account/upgrade", tok, `{"username":"Other","password":"password1"}`), 409, "conflict", "only a guest")
	if in := f.login(t, "newname", "password1"); in.str("user_id") != g.str("user_id") {
		t.Errorf("login after upgrade = %s, want user %s", in.raw, g.str("user_id"))
	}
	if fresh := f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0001"}`); fresh.str("user_id") == g.str("user_id") {
		t.Error("the device still logs in to the upgraded account without a password")
	}
}

func TestDisplayName(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.register(t, "dana", "password1").str("access_token")
	tests := []struct{ name, body, msg string }{
		{"short", `{"display_name":"D"}`, "display_name: must be 2 to 24"},
		{"long", `{"display_name":"` + strings.Repeat("d", 25) + `"}`, "display_name: must be 2 to 24"},
		{"spaces", `{"display_name":" Dana"}`, "display_name: must not start"},
		{"symbols", `{"display_name":"Dana<script>"}`, "display_name: use letters"},
		{"blocked", `{"display_name":"xBadWordx"}`, "display_name: contains a blocked word"},
		{"blocked spaced", `{"display_name":"bad word"}`, "display_name: contains a blocked word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, f.call(t, "POST", "/v1/account/display-name", tok, tt.body), 400, "bad_request", tt.msg)
		})
	}
	ok := f.call(t, "POST", "/v1/account/display-name", tok, `{"display_name":"斗地主 Queen"}`)
	if ok.code != 200 || ok.str("display_name") != "斗地主 Queen" {
		t.Errorf("set display name = %d %s", ok.code, ok.raw)
	}
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t, nil)
	first := f.register(t, "erin", "password1")
	other := f.login(t, "erin", "password1")
	tok := first.str("access_token")
	wantErr(t, f.call(t, "POST", "/v1/account/password", tok, `{"old_password":"nope nope","new_password":"password2"}`), 401, "unauthenticated", "old_password: wrong")
	wantErr(t, f.call(t, "POST", "/v1/account/password", tok, `{"old_password":"password1","new_password":"short"}`), 400, "bad_request", "new_password: must be")
	wantErr(t, f.call(t, "POST", "/v1/account/password", tok, `{"new_password":"password2"}`), 400, "bad_request", "old_password: required")
	r := f.call(t, "POST", "/v1/account/password", tok, `{"old_password":"password1","new_password":"password2"}`)
	if r.code != 200 || r.str("access_token") == "" {
		t.Fatalf("change password = %d %s", r.code, r.raw)
	}
	// Every earlier session is revoked: access and refresh tokens.
	wantErr(t, f.call(t, "GET", "/v1/account", other.str("access_token"), ""), 401, "unauthenticated", "revoked")
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+other.str("refresh_token")+`"}`), 401, "unauthenticated", "refresh token")
	if me := f.call(t, "GET", "/v1/account", r.str("access_token"), ""); me.code != 200 {
		t.Errorf("new token after password change: %d %s", me.code, me.raw)
	}
	if k := f.kicked(); len(k) != 1 || k[0].reason != KickPasswordChanged || k[0].sessionID != "" {
		t.Errorf("kicks = %+v, want one password_changed for all sessions", k)
	}
	wantErr(t, f.login(t, "erin", "password1"), 401, "unauthenticated", "invalid username or password")
	if f.login(t, "erin", "password2").code != 200 {
		t.Error("login with the new password failed")
	}
	g := f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0002"}`)
	wantErr(t, f.call(t, "POST", "/v1/account/password", g.str("access_token"), `{"old_password":"whatever1","new_password":"password2"}`), 409, "conflict", "guest")
}

func TestRefreshAndReuse(t *testing.T) {
	f := newFixture(t, nil)
	first := f.register(t, "frank", "password1")
	second := f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+first.str("refresh_token")+`"}`)
	if second.code != 200 || second.str("refresh_token") == first.str("refresh_token") || second.str("session_id") != first.str("session_id") {
		t.Fatalf("refresh = %d %s", second.code, second.raw)
	}
	third := f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+second.str("refresh_token")+`"}`)
	if third.code != 200 {
		t.Fatalf("second refresh = %d %s", third.code, third.raw)
	}
	// The first token again: reuse. The family dies, the live token too.
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+first.str("refresh_token")+`"}`), 401, "unauthenticated", "refresh token")
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+third.str("refresh_token")+`"}`), 401, "unauthenticated", "refresh token")
	wantErr(t, f.call(t, "GET", "/v1/account", third.str("access_token"), ""), 401, "unauthenticated", "revoked")
	if k := f.kicked(); len(k) != 1 || k[0].reason != KickTokenReused || k[0].sessionID != first.str("session_id") {
		t.Errorf("kicks = %+v, want the reused session kicked", k)
	}
	if got := counterValue(t, f.svc.m.refreshes.WithLabelValues("reused")); got != 1 {
		t.Errorf("reused refreshes metric = %v", got)
	}
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"rt_made_up"}`), 401, "unauthenticated", "refresh token")

	// Refresh tokens expire after RefreshTTL.
	in := f.login(t, "frank", "password1")
	f.clock.advance(31 * 24 * time.Hour)
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+in.str("refresh_token")+`"}`), 401, "unauthenticated", "refresh token")
}

func TestLogout(t *testing.T) {
	f := newFixture(t, nil)
	a := f.register(t, "gina", "password1")
	b := f.login(t, "gina", "password1")
	if r := f.call(t, "POST", "/v1/auth/logout", a.str("access_token"), ""); r.code != http.StatusNoContent {
		t.Fatalf("logout = %d %s", r.code, r.raw)
	}
	wantErr(t, f.call(t, "GET", "/v1/account", a.str("access_token"), ""), 401, "unauthenticated", "revoked")
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+a.str("refresh_token")+`"}`), 401, "unauthenticated", "refresh token")
	if f.call(t, "GET", "/v1/account", b.str("access_token"), "").code != 200 {
		t.Error("logout of one session revoked the other")
	}
	if r := f.call(t, "POST", "/v1/auth/logout", "", `{"refresh_token":"`+b.str("refresh_token")+`"}`); r.code != http.StatusNoContent {
		t.Fatalf("logout by refresh token = %d %s", r.code, r.raw)
	}
	wantErr(t, f.call(t, "GET", "/v1/account", b.str("access_token"), ""), 401, "unauthenticated", "revoked")
	wantErr(t, f.call(t, "POST", "/v1/auth/logout", "", `{"refresh_token":"rt_unknown"}`), 401, "unauthenticated", "refresh token")
	wantErr(t, f.call(t, "POST", "/v1/auth/logout", "garbage", ""), 401, "unauthenticated", "access token")
	if k := f.kicked(); len(k) != 2 || k[0].reason != KickLoggedOut || k[0].sessionID != a.str("session_id") {
		t.Errorf("kicks = %+v", k)
	}
}

func TestAdminBan(t *testing.T) {
	f := newFixture(t, nil)
	root := f.registerAdmin(t, "root", "password1").str("access_token")
	user := f.register(t, "mallory", "password1")
	uid := user.str("user_id")
	wantErr(t, f.call(t, "POST", "/v1/admin/ban", user.str("access_token"), `{"user_id":"`+uid+`","reason":"x"}`), 403, "forbidden", "operator role required")
	bad := []struct{ body, msg string }{
		{`{"reason":"cheating"}`, "user_id: required"},
		{`{"user_id":"abc","reason":"cheating"}`, "user_id: must be a positive decimal id"},
		{`{"user_id":"` + uid + `"}`, "reason: must be 1 to 200"},
		{`{"user_id":"` + uid + `","reason":"cheating","until":"tomorrow"}`, "until: must be an RFC 3339"},
		{`{"user_id":"` + uid + `","reason":"cheating","until":"2001-01-01T00:00:00Z"}`, "until: must be in the future"},
	}
	for _, b := range bad {
		wantErr(t, f.call(t, "POST", "/v1/admin/ban", root, b.body), 400, "bad_request", b.msg)
	}
	wantErr(t, f.call(t, "POST", "/v1/admin/ban", root, `{"user_id":"12345","reason":"cheating"}`), 404, "not_found", "user_id: no such account")
	wantErr(t, f.call(t, "POST", "/v1/admin/unban", root, `{"user_id":"12345"}`), 404, "not_found", "user_id: no such account")
	wantErr(t, f.call(t, "POST", "/v1/admin/unban", root, `{}`), 400, "bad_request", "user_id: required")

	until := f.clock.now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	if r := f.call(t, "POST", "/v1/admin/ban", root, `{"user_id":"`+uid+`","reason":"cheating","until":"`+until+`"}`); r.code != 204 {
		t.Fatalf("ban = %d %s", r.code, r.raw)
	}
	wantErr(t, f.login(t, "mallory", "password1"), 403, "forbidden", "account banned until "+until+": cheating")
	wantErr(t, f.call(t, "GET", "/v1/account", user.str("access_token"), ""), 401, "unauthenticated", "revoked")
	wantErr(t, f.call(t, "POST", "/v1/auth/refresh", "", `{"refresh_token":"`+user.str("refresh_token")+`"}`), 401, "unauthenticated", "refresh token")
	if k := f.kicked(); len(k) != 1 || k[0].reason != KickBanned || strconv.FormatInt(k[0].userID, 10) != uid {
		t.Errorf("kicks = %+v", k)
	}
	if r := f.call(t, "POST", "/v1/admin/unban", root, `{"user_id":`+uid+`}`); r.code != 204 { // a JSON number works too
		t.Fatalf("unban = %d %s", r.code, r.raw)
	}
	if f.login(t, "mallory", "password1").code != 200 {
		t.Error("login after unban failed")
	}
	// A ban ends by itself.
	f.call(t, "POST", "/v1/admin/ban", root, `{"user_id":"`+uid+`","reason":"cool off","until":"`+until+`"}`)
	f.clock.advance(49 * time.Hour)
	if r := f.login(t, "mallory", "password1"); r.code != 200 {
		t.Errorf("login after the ban expired = %d %s", r.code, r.raw)
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Limits.FreePerAccount = 3
		c.Limits.FreePerIP = 6
		c.Limits.Lockout = 10 * time.Second
	})
	f.register(t, "henry", "password1")
	for range 3 {
		wantErr(t, f.login(t, "henry", "wrong pass"), 401, "unauthenticated", "invalid username")
	}
	// Locked now, even with the right password; the message is the same
	// for existing and unknown accounts.
	wantErr(t, f.login(t, "henry", "password1"), 429, "rate_limited", "too many failed logins: try again in 10s")
	f.clock.advance(11 * time.Second)
	wantErr(t, f.login(t, "henry", "wrong pass"), 401, "unauthenticated", "invalid username")
	wantErr(t, f.login(t, "henry", "password1"), 429, "rate_limited", "try again in 20s") // doubled
	f.clock.advance(21 * time.Second)
	if r := f.login(t, "henry", "password1"); r.code != 200 {
		t.Fatalf("login after lockout = %d %s", r.code, r.raw)
	}
	// The IP has 4 failures; two more unknown names fail (the second
	// locks the address), the next is refused.
	wantErr(t, f.login(t, "ghost1", "wrong pass"), 401, "unauthenticated", "invalid username")
	wantErr(t, f.login(t, "ghost2", "wrong pass"), 401, "unauthenticated", "invalid username")
	wantErr(t, f.login(t, "ghost3", "wrong pass"), 429, "rate_limited", "too many failed logins")
	if got := counterValue(t, f.svc.m.lockouts.WithLabelValues("account")); got != 2 {
		t.Errorf("account lockouts = %v, want 2", got)
	}
	if got := counterValue(t, f.svc.m.lockouts.WithLabelValues("ip")); got != 1 {
		t.Errorf("ip lockouts = %v, want 1", got)
	}
	if got := counterValue(t, f.svc.m.logins.WithLabelValues("rate_limited")); got != 3 {
		t.Errorf("rate limited logins = %v, want 3", got)
	}
	if !registered(t, f.reg, "lordgame_auth_logins_total") {
		t.Error("metrics not on the given registry")
	}
}

func TestSignupLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Limits.SignupsPerIP = 2 })
	f.register(t, "one", "password1")
	if r := f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0003"}`); r.code != 200 {
		t.Fatalf("guest = %d %s", r.code, r.raw)
	}
	wantErr(t, f.call(t, "POST", "/v1/auth/register", "", `{"username":"three","password":"password1"}`), 429, "rate_limited", "too many new accounts")
	wantErr(t, f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0004"}`), 429, "rate_limited", "too many new accounts")
	// An existing guest still logs in.
	if r := f.call(t, "POST", "/v1/auth/guest", "", `{"device_id":"device-0003"}`); r.code != 200 {
		t.Errorf("existing guest = %d %s", r.code, r.raw)
	}
	f.clock.advance(16 * time.Minute)
	f.register(t, "three", "password1")
}

func TestConfigLogRedactsKey(t *testing.T) {
	var buf strings.Builder
	c := DefaultConfig()
	c.SigningKey = strings.Repeat("s3cr3t", 6)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "auth", c)
	if strings.Contains(buf.String(), "s3cr3t") || !strings.Contains(buf.String(), "(redacted)") {
		t.Errorf("config log: %s", buf.String())
	}
}
