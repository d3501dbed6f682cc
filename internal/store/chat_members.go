package store

import "context"

// AddMembers makes users members of a world or table conversation (a
// table's players), keeping those already in. Groups are joined with
// JoinGroup, which checks their limits.
func (db *DB) AddMembers(ctx context.Context, convID int64, users []int64) error {
	now := ms(db.now())
	return wrap("add members", db.b.tx(ctx, func(q querier) error {
		c, err := scanConv(q.queryRow(ctx, "SELECT "+convCols+" FROM chat_conversations WHERE id = ?", convID))
		if isNoRows(err) {
			return ErrConvNotFound
		} else if err != nil {
			return err
		}
		if c.Kind != ConvWorld && c.Kind != ConvTable {
			return ErrConvNotFound
		}
		for _, u := range users {
			if _, err := q.exec(ctx, "INSERT INTO chat_members (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", convID, u, RoleMember, now); err != nil {
				return err
			}
		}
		return nil
	}))
}

// BlockedBy lists the users who block target: the receivers a message of
// target's is hidden from.
func (db *DB) BlockedBy(ctx context.Context, target int64) ([]int64, error) {
	rs, err := db.b.query(ctx, "SELECT user_id FROM chat_blocks WHERE blocked_id = ? ORDER BY user_id", target)
	if err != nil {
		return nil, wrap("blocked by", err)
	}
	defer rs.Close()
	var out []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, wrap("blocked by", err)
		}
		out = append(out, id)
	}
	return out, wrap("blocked by", rs.Err())
}
