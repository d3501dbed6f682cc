package store

import (
	"context"
	"fmt"
	"strings"
)

// Profile is what others may see of an account: its name, avatar and
// whether it is a guest.
type Profile struct {
	UserID      int64
	DisplayName string
	// Avatar is the name of a built-in avatar, "" when none was chosen.
	Avatar string
	Guest  bool
}

// MaxProfiles is the most ids one Profiles call looks up.
const MaxProfiles = 200

// Profiles returns the profiles of the accounts among ids that exist.
func (db *DB) Profiles(ctx context.Context, ids []int64) (map[int64]Profile, error) {
	out := make(map[int64]Profile, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > MaxProfiles {
		return nil, fmt.Errorf("store: profiles: %d ids, at most %d", len(ids), MaxProfiles)
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	rs, err := db.b.query(ctx, "SELECT id, display_name, avatar, guest FROM accounts WHERE id IN ("+marks+")", args...)
	if err != nil {
		return nil, fmt.Errorf("store: profiles: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var p Profile
		var guest int64
		if err := rs.Scan(&p.UserID, &p.DisplayName, &p.Avatar, &guest); err != nil {
			return nil, fmt.Errorf("store: profiles: %w", err)
		}
		p.Guest = guest != 0
		out[p.UserID] = p
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: profiles: %w", err)
	}
	return out, nil
}

// SetAvatar records the avatar an account chose; ErrNotFound when there is
// no such account. The caller checks the name against its set.
func (db *DB) SetAvatar(ctx context.Context, id int64, avatar string) error {
	return db.update(ctx, "UPDATE accounts SET avatar = ?, updated_at = ? WHERE id = ?", avatar, ms(db.now()), id)
}
