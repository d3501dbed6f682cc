package auth

import (
	"fmt"
	"testing"
	"time"
)

// TestLockoutThresholds checks the numbers docs/api.md gives: with the
// default limits a username answers 401 to five wrong passwords and 429
// from the sixth attempt on, an address answers 401 to twenty and 429 from
// the twenty-first; each further failure after a lockout doubles it.
func TestLockoutThresholds(t *testing.T) {
	def := DefaultConfig().Limits
	if def.FreePerAccount != 5 || def.FreePerIP != 20 {
		t.Fatalf("default limits = %d per account, %d per address; docs/api.md says 5 and 20", def.FreePerAccount, def.FreePerIP)
	}
	for _, tc := range []struct {
		name     string
		scope    string
		limit    int
		username func(i int) string // the i-th attempt's username
	}{
		{"account", "account", def.FreePerAccount, func(int) string { return "henry" }},
		{"address", "ip", def.FreePerIP, func(i int) string { return fmt.Sprintf("ghost%d", i) }},
		{"account limit 1", "account", 1, func(int) string { return "henry" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				if tc.scope == "account" {
					c.Limits.FreePerAccount = tc.limit
				}
			})
			f.register(t, "henry", "password1")
			for i := range tc.limit {
				wantErr(t, f.login(t, tc.username(i), "wrong pass"), 401, "unauthenticated", "invalid username")
			}
			if got := counterValue(t, f.svc.m.lockouts.WithLabelValues(tc.scope)); got != 1 {
				t.Errorf("%s lockouts after %d failures = %v, want 1", tc.scope, tc.limit, got)
			}
			// The next attempt is refused, even with the right password.
			wantErr(t, f.login(t, "henry", "password1"), 429, "rate_limited", "try again in 1s")
			f.clock.advance(1100 * time.Millisecond)
			wantErr(t, f.login(t, tc.username(tc.limit), "wrong pass"), 401, "unauthenticated", "invalid username")
			wantErr(t, f.login(t, "henry", "password1"), 429, "rate_limited", "try again in 2s")
			f.clock.advance(2100 * time.Millisecond)
			if tc.scope == "account" {
				if r := f.login(t, "henry", "password1"); r.code != 200 {
					t.Fatalf("login after the lockout = %d %s", r.code, r.raw)
				}
				// Success cleared the username's counter: a fresh allowance.
				wantErr(t, f.login(t, "henry", "wrong pass"), 401, "unauthenticated", "invalid username")
			}
		})
	}
}

// TestSignupThreshold: Limits.SignupsPerIP accounts are created, the next
// one is refused.
func TestSignupThreshold(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Limits.SignupsPerIP = 3 })
	for i := range 3 {
		f.register(t, fmt.Sprintf("user%d", i), "password1")
	}
	wantErr(t, f.call(t, "POST", "/v1/auth/register", "", `{"username":"user3","password":"password1"}`), 429, "rate_limited", "too many new accounts")
}
