package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	var err error
	if db.b.dialect() == "postgres" {
		err = appendEventsPG(ctx, db.b, evs, now)
	} else {
		err = appendEventsTx(ctx, db.b, evs, now)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrFenced):
		return ErrFenced
	case isUnique(err):
		return ErrConflict
	case isForeignKey(err):
		return ErrNotFound
	}
	return fmt.Errorf("store: append events: %w", err)
}

// appendEventsPG writes a batch on PostgreSQL in one statement, so one
// round trip and one implicit transaction instead of BEGIN, a fence check
// per game, the inserts and COMMIT. The fence is the same no-op UPDATE as
// checkEpochs, in a data-modifying WITH: it takes the fenced games' row
// locks before the insert, and the rows are inserted only when every
// fenced game still has its epoch. A statement of PostgreSQL is atomic,
// so the batch is all or none as in a transaction. The arrays keep the
// statement's text the same for every batch size (prepared once).
func appendEventsPG(ctx context.Context, q querier, evs []Event, now int64) error {
	var fenceIDs, fenceEpochs []int64
	seen := map[int64]bool{}
	for _, e := range evs {
		if e.Epoch != 0 && !seen[e.GameID] {
			seen[e.GameID] = true
			fenceIDs, fenceEpochs = append(fenceIDs, e.GameID), append(fenceEpochs, e.Epoch)
		}
	}
	games, seqs, created := make([]int64, len(evs)), make([]int64, len(evs)), make([]int64, len(evs))
	kinds, payloads := make([]string, len(evs)), make([]string, len(evs))
	for i, e := range evs {
		games[i], seqs[i], kinds[i], created[i] = e.GameID, e.Seq, e.Kind, now
		payloads[i] = string(e.Payload)
		if payloads[i] == "" {
			payloads[i] = "null"
		}
	}
	n, err := q.exec(ctx, `WITH fence AS (
  UPDATE games SET owner_epoch = owner_epoch
  WHERE (id, owner_epoch) IN (SELECT * FROM unnest(?::bigint[], ?::bigint[]))
  RETURNING 1
)
INSERT INTO game_events (game_id, seq, kind, payload, created_at)
SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[])
WHERE (SELECT count(*) FROM fence) = ?`, fenceIDs, fenceEpochs, games, seqs, kinds, payloads, created, int64(len(fenceIDs)))
	if err != nil {
		return err
	}
	if n != int64(len(evs)) {
		return ErrFenced
	}
	return nil
}

// appendEventsTx writes a batch in one transaction: the fence checks,
// then multi-row inserts.
func appendEventsTx(ctx context.Context, b backend, evs []Event, now int64) error {
	return b.tx(ctx, func(q querier) error {
		if err := checkEpochs(ctx, q, evs); err != nil {
			return err
		}
		for len(evs) > 0 {
			n := min(len(evs), rowsPerInsert)
			if err := insertEvents(ctx, q, evs[:n], now); err != nil {
				return err
			}
			evs = evs[n:]
		}
		return nil
	})
}

// checkEpochs fails with ErrFenced unless every fenced game of evs still
// has the epoch its events carry. The no-op UPDATE takes the game's row
// lock, so a FenceGame that runs meanwhile waits for this transaction (or
// it waits for FenceGame's): events are in the log before the new owner
// reads it, or refused.
func checkEpochs(ctx context.Context, q querier, evs []Event) error {
	var seen map[int64]bool
	for _, e := range evs {
		if e.Epoch == 0 || seen[e.GameID] {
			continue
		}
		if seen == nil {
			seen = map[int64]bool{}
		}
		seen[e.GameID] = true
		n, err := q.exec(ctx, "UPDATE games SET owner_epoch = owner_epoch WHERE id = ? AND owner_epoch = ?", e.GameID, e.Epoch)
		if err != nil {
			return err
		}
		if n != 1 {
			return ErrFenced
		}
	}
	return nil
}

// rowsPerInsert keeps one statement's parameters (5 a row) well under
// both dialects' limits; one multi-row statement is parsed once for many
// events, which is most of the cost of a small insert.
const rowsPerInsert = 200

// insertEvents inserts evs with one multi-row statement. The foreign key
// of game_events refuses events of unknown games.
func insertEvents(ctx context.Context, q querier, evs []Event, now int64) error {
	var b strings.Builder
	b.WriteString("INSERT INTO game_events (game_id, seq, kind, payload, created_at) VALUES ")
	args := make([]any, 0, 5*len(evs))
	for i, e := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?)")
		payload := string(e.Payload)
		if payload == "" {
			payload = "null"
		}
		args = append(args, e.GameID, e.Seq, e.Kind, payload, now)
	}
	_, err := q.exec(ctx, b.String(), args...)
	return err
}

// isForeignKey reports a foreign key violation in either dialect.
func isForeignKey(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "foreign key") || strings.Contains(msg, "23503")
}
