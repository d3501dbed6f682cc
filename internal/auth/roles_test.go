package auth

import (
	"testing"
)

// TestAdminEndpointRoles: the account API's admin endpoints follow the
// console's role model (internal/admin): an operator may ban and unban, a
// viewer may not, key rotation is for admins; and roles are read from the
// database on every request, so a role given or taken works on the
// caller's current access token, without a new login.
func TestAdminEndpointRoles(t *testing.T) {
	f := newFixture(t, nil)
	staff := f.register(t, "staff", "password1")
	tok := staff.str("access_token")
	target := f.register(t, "target", "password1").str("user_id")
	acc, err := f.db.AccountByUsername(t.Context(), "staff")
	if err != nil {
		t.Fatal(err)
	}
	setRole := func(roles ...string) {
		t.Helper()
		if err := f.db.SetRoles(t.Context(), acc.ID, roles); err != nil {
			t.Fatal(err)
		}
	}
	ban := `{"user_id":"` + target + `","reason":"cheating"}`
	unban := `{"user_id":"` + target + `"}`

	wantErr(t, f.call(t, "POST", "/v1/admin/ban", tok, ban), 403, "forbidden", "operator role required")
	setRole("viewer")
	wantErr(t, f.call(t, "POST", "/v1/admin/ban", tok, ban), 403, "forbidden", "operator role required")
	wantErr(t, f.call(t, "POST", "/v1/admin/unban", tok, unban), 403, "forbidden", "operator role required")
	wantErr(t, f.call(t, "POST", "/v1/admin/keys/rotate", tok, ""), 403, "forbidden", "admin role required")

	setRole("operator") // the same token, no new login
	if r := f.call(t, "POST", "/v1/admin/ban", tok, ban); r.code != 204 {
		t.Fatalf("ban by an operator = %d %s", r.code, r.raw)
	}
	if r := f.call(t, "POST", "/v1/admin/unban", tok, unban); r.code != 204 {
		t.Fatalf("unban by an operator = %d %s", r.code, r.raw)
	}
	wantErr(t, f.call(t, "POST", "/v1/admin/keys/rotate", tok, ""), 403, "forbidden", "admin role required")

	setRole("admin")
	if r := f.call(t, "POST", "/v1/admin/keys/rotate", tok, ""); r.code != 200 || r.str("kid") == "" {
		t.Fatalf("rotate by an admin = %d %s", r.code, r.raw)
	}
	setRole() // taken away: refused at once
	wantErr(t, f.call(t, "POST", "/v1/admin/ban", tok, ban), 403, "forbidden", "operator role required")
}

// TestRoutesListed: Routes lists what Handler serves, admin routes
// included, so that a role table can be checked against it.
func TestRoutesListed(t *testing.T) {
	f := newFixture(t, nil)
	got := map[string]bool{}
	for _, p := range f.svc.Routes() {
		got[p] = true
	}
	for _, p := range []string{"POST /v1/admin/ban", "POST /v1/admin/unban", "POST /v1/admin/keys/rotate", "POST /v1/auth/login"} {
		if !got[p] {
			t.Errorf("Routes() lacks %q: %v", p, f.svc.Routes())
		}
	}
}
