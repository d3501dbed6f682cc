package admin_test

import (
	"testing"

	"github.com/lordgame/lordgame/internal/admin"
)

func TestAllowed(t *testing.T) {
	// want[action] is whether viewer, operator, admin may take it.
	want := map[admin.Action][3]bool{
		admin.View:        {true, true, true},
		admin.Kick:        {false, true, true},
		admin.Ban:         {false, true, true},
		admin.Announce:    {false, true, true},
		admin.Maintenance: {false, true, true},
		admin.CancelTable: {false, true, true},
		admin.AdjustCoins: {false, false, true},
		admin.Drain:       {false, false, true},
		admin.RotateKeys:  {false, false, true},
		admin.GrantRole:   {false, false, true},
	}
	if len(want) != len(admin.Actions()) {
		t.Fatalf("table covers %d actions, the model has %d", len(want), len(admin.Actions()))
	}
	for a, w := range want {
		for i, role := range admin.Roles {
			if got := admin.Allowed([]string{role}, a); got != w[i] {
				t.Errorf("Allowed([%s], %s) = %v, want %v", role, a, got, w[i])
			}
		}
		for _, roles := range [][]string{nil, {}, {"player"}, {"Admin"}, {"root"}} {
			if admin.Allowed(roles, a) {
				t.Errorf("Allowed(%q, %s) = true for a non-console account", roles, a)
			}
		}
	}
	if admin.Allowed([]string{admin.RoleAdmin}, "made.up") {
		t.Error("an unknown action is allowed")
	}
}

func TestRole(t *testing.T) {
	tests := []struct {
		roles []string
		want  string
	}{
		{nil, ""},
		{[]string{"player"}, ""},
		{[]string{"viewer"}, "viewer"},
		{[]string{"viewer", "admin"}, "admin"},
		{[]string{"operator", "viewer", "x"}, "operator"},
	}
	for _, tt := range tests {
		if got := admin.Role(tt.roles); got != tt.want {
			t.Errorf("Role(%q) = %q, want %q", tt.roles, got, tt.want)
		}
	}
	if got := admin.Permissions([]string{"operator"}); len(got) != 6 {
		t.Errorf("Permissions(operator) = %v, want 6 actions", got)
	}
}
