package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one admin action: who did what to which target, when, and
// the target's state before and after (JSON, "" when there is none).
type AuditEntry struct {
	ID        int64
	ActorID   int64
	ActorName string
	// Action names what was done, e.g. "player.ban", "table.cancel".
	Action string
	// Target names what it was done to, e.g. "player:158329710493696001".
	Target    string
	Reason    string
	Before    string
	After     string
	CreatedAt time.Time
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	// Target limits the list to one target ("" for all).
	Target string
	// BeforeID pages: only entries with a smaller id (0 for the newest).
	BeforeID int64
	// Limit caps the list (default 50, at most 500).
	Limit int
}

// Audit stores the admin audit log. Entries are only ever appended.
type Audit interface {
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

var _ Audit = (*DB)(nil)

// AppendAudit records e (its ID and CreatedAt are set by the store).
func (db *DB) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.Action == "" {
		return AuditEntry{}, fmt.Errorf("store: audit: empty action")
	}
	now := db.now()
	e.CreatedAt = fromMS(ms(now))
	err := db.b.tx(ctx, func(q querier) error {
		return q.queryRow(ctx, `INSERT INTO admin_audit (actor_id, actor_name, action, target, reason, before, after, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			e.ActorID, e.ActorName, e.Action, e.Target, e.Reason, e.Before, e.After, ms(now)).Scan(&e.ID)
	})
	if err != nil {
		return AuditEntry{}, fmt.Errorf("store: audit: %w", err)
	}
	return e, nil
}

// AuditLog lists audit entries newest first.
func (db *DB) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	where, args := []string{"1 = 1"}, []any{}
	if q.Target != "" {
		where, args = append(where, "target = ?"), append(args, q.Target)
	}
	if q.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, q.BeforeID)
	}
	args = append(args, q.Limit)
	rs, err := db.b.query(ctx, `SELECT id, actor_id, actor_name, action, target, reason, before, after, created_at
		FROM admin_audit WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rs.Close()
	out := []AuditEntry{}
	for rs.Next() {
		var e AuditEntry
		var at int64
		if err := rs.Scan(&e.ID, &e.ActorID, &e.ActorName, &e.Action, &e.Target, &e.Reason, &e.Before, &e.After, &at); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.CreatedAt = fromMS(at)
		out = append(out, e)
	}
	return out, rs.Err()
}

// SearchAccounts finds accounts for the admin console: q is a user id, or
// the start of a username or of a display name (case-insensitive). At most
// limit (default 20, at most 100), oldest account first.
func (db *DB) SearchAccounts(ctx context.Context, q string, limit int) ([]Account, error) {
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	q = strings.TrimSpace(q)
	if q == "" {
		return []Account{}, nil
	}
	id, _ := strconv.ParseInt(q, 10, 64)
	pattern := escapeLike(strings.ToLower(q)) + "%"
	rs, err := db.b.query(ctx, "SELECT "+accountColumns+` FROM accounts
		WHERE id = ? OR username_key LIKE ? ESCAPE '\' OR LOWER(display_name) LIKE ? ESCAPE '\'
		ORDER BY created_at, id LIMIT ?`, id, pattern, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search accounts: %w", err)
	}
	defer rs.Close()
	out := []Account{}
	for rs.Next() {
		a, err := scanAccount(rs)
		if err != nil {
			return nil, fmt.Errorf("store: search accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rs.Err()
}

// escapeLike escapes the LIKE wildcards of s (with \ as the escape).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GameSummary is one game of a player, for the admin console.
type GameSummary struct {
	ID        int64
	Mode      string
	State     string
	Seat      int
	CreatedAt time.Time
	EndedAt   time.Time
}

// PlayerGames lists a user's games, newest first (at most limit, default
// 20, at most 200).
func (db *DB) PlayerGames(ctx context.Context, userID int64, limit int) ([]GameSummary, error) {
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	rs, err := db.b.query(ctx, `SELECT g.id, g.mode, g.state, p.seat, g.created_at, g.ended_at
		FROM game_players p JOIN games g ON g.id = p.game_id WHERE p.user_id = ? ORDER BY g.created_at DESC, g.id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: player games: %w", err)
	}
	defer rs.Close()
	out := []GameSummary{}
	for rs.Next() {
		var g GameSummary
		var cre, end int64
		if err := rs.Scan(&g.ID, &g.Mode, &g.State, &g.Seat, &cre, &end); err != nil {
			return nil, fmt.Errorf("store: player games: %w", err)
		}
		g.CreatedAt, g.EndedAt = fromMS(cre), fromMS(end)
		out = append(out, g)
	}
	return out, rs.Err()
}
