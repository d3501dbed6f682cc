package admin

import "slices"

// Console roles, as stored in an account's roles. A role includes every
// permission of the roles below it: viewer < operator < admin.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// Roles lists the console roles from the least to the most powerful.
var Roles = []string{RoleViewer, RoleOperator, RoleAdmin}

// Action is one thing an admin API does.
type Action string

// Actions of the admin API.
const (
	// View reads: the dashboard, players, tables, nodes, the house, the
	// audit log.
	View Action = "view"
	// Kick closes a player's connections.
	Kick Action = "player.kick"
	// Ban bans and unbans players.
	Ban Action = "player.ban"
	// Announce pushes an announcement to everyone online.
	Announce Action = "announce"
	// Maintenance sets and clears the maintenance banner.
	Maintenance Action = "maintenance"
	// CancelTable cancels a running table.
	CancelTable Action = "table.cancel"
	// AdjustCoins credits or debits a wallet through the ledger.
	AdjustCoins Action = "player.coins"
	// Drain marks a node draining.
	Drain Action = "node.drain"
	// RotateKeys makes a new access token signing key active.
	RotateKeys Action = "keys.rotate"
	// GrantRole gives or takes console roles.
	GrantRole Action = "player.role"
)

// least is the least powerful role allowed each action.
var least = map[Action]string{
	View:        RoleViewer,
	Kick:        RoleOperator,
	Ban:         RoleOperator,
	Announce:    RoleOperator,
	Maintenance: RoleOperator,
	CancelTable: RoleOperator,
	AdjustCoins: RoleAdmin,
	Drain:       RoleAdmin,
	RotateKeys:  RoleAdmin,
	GrantRole:   RoleAdmin,
}

// Actions lists every action, for tests and documentation.
func Actions() []Action {
	out := make([]Action, 0, len(least))
	for a := range least {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// rank is a role's place in Roles, -1 for a role that is not a console role.
func rank(role string) int { return slices.Index(Roles, role) }

// Role is the most powerful console role among an account's roles, "" when
// it has none (a player).
func Role(roles []string) string {
	best := -1
	for _, r := range roles {
		best = max(best, rank(r))
	}
	if best < 0 {
		return ""
	}
	return Roles[best]
}

// Allowed reports whether an account with roles may take action a. An
// unknown action is allowed to nobody.
func Allowed(roles []string, a Action) bool {
	need, ok := least[a]
	if !ok {
		return false
	}
	r := Role(roles)
	return r != "" && rank(r) >= rank(need)
}

// Least is the least powerful role allowed action a ("" for an unknown
// action), for error messages.
func Least(a Action) string { return least[a] }

// Permissions lists the actions an account with roles may take.
func Permissions(roles []string) []Action {
	out := []Action{}
	for _, a := range Actions() {
		if Allowed(roles, a) {
			out = append(out, a)
		}
	}
	return out
}
