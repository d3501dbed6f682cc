package store

import (
	"context"
	"errors"
	"fmt"
)

// AppendEvents appends events of one or more games in a single
// transaction: all of them or none. It is how many tables share one commit
// (group commit) when the log is written before every announcement. A
// taken (game, seq) is ErrConflict and an unknown game ErrNotFound, as for
// AppendEvent; the caller can then retry the events one by one to find
// the culprit.
func (db *DB) AppendEvents(ctx context.Context, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	now := ms(db.now())
	err := db.b.tx(ctx, func(q querier) error {
		for _, e := range evs {
			payload := string(e.Payload)
			if payload == "" {
				payload = "null"
			}
			n, err := q.exec(ctx, `INSERT INTO game_events (game_id, seq, kind, payload, created_at)
				SELECT id, CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT) FROM games WHERE id = ?`, e.Seq, e.Kind, payload, now, e.GameID)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrNotFound
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return ErrNotFound
	case isUnique(err):
		return ErrConflict
	}
	return fmt.Errorf("store: append events: %w", err)
}
