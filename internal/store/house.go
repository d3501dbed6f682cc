package store

import (
	"context"
	"fmt"
	"time"
)

// HouseEntry is one applied change to the house balance: what a bot seat
// won (positive) or lost (negative) in one game.
type HouseEntry struct {
	ID           int64
	GameID       int64
	Seat         int
	Delta        int64
	BalanceAfter int64
	// Key is the bot seat's settlement key, "game:<id>:seat:<n>".
	Key       string
	CreatedAt time.Time
}

// House is the account bot seats play for. Its balance is the sum of its
// entries and may be negative.
type House interface {
	HouseBalance(ctx context.Context) (int64, error)
	HouseLedger(ctx context.Context, limit int) ([]HouseEntry, error)
}

var _ House = (*DB)(nil)

// HouseBalance returns the house's coins.
func (db *DB) HouseBalance(ctx context.Context) (int64, error) {
	var b int64
	if err := db.b.queryRow(ctx, "SELECT balance FROM house WHERE id = 1").Scan(&b); err != nil {
		return 0, fmt.Errorf("store: house balance: %w", err)
	}
	return b, nil
}

// HouseLedger returns the house's newest entries first (at most limit,
// default 50).
func (db *DB) HouseLedger(ctx context.Context, limit int) ([]HouseEntry, error) {
	if limit <= 0 {
		limit = 50
	}
	rs, err := db.b.query(ctx, "SELECT id, game_id, seat, delta, balance_after, idem_key, created_at FROM house_ledger ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("store: house ledger: %w", err)
	}
	defer rs.Close()
	var out []HouseEntry
	for rs.Next() {
		var e HouseEntry
		var at int64
		if err := rs.Scan(&e.ID, &e.GameID, &e.Seat, &e.Delta, &e.BalanceAfter, &e.Key, &at); err != nil {
			return nil, fmt.Errorf("store: house ledger: %w", err)
		}
		e.CreatedAt = fromMS(at)
		out = append(out, e)
	}
	return out, rs.Err()
}

// applyHouseTx adds a bot seat's coins to the house inside the settlement
// transaction and returns the balance after. The UPDATE takes the house
// row's lock (PostgreSQL), so concurrent settlements apply one after the
// other and each entry's balance_after is exact.
func (db *DB) applyHouseTx(ctx context.Context, q querier, gameID int64, seat int, delta int64, now time.Time) (int64, error) {
	var balance int64
	err := q.queryRow(ctx, "UPDATE house SET balance = balance + ?, updated_at = ? WHERE id = 1 RETURNING balance", delta, ms(now)).Scan(&balance)
	if err != nil {
		return 0, fmt.Errorf("store: house: %w", err)
	}
	key := fmt.Sprintf("game:%d:seat:%d", gameID, seat)
	_, err = q.exec(ctx, "INSERT INTO house_ledger (idem_key, game_id, seat, delta, balance_after, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		key, gameID, seat, delta, balance, ms(now))
	if err != nil {
		return 0, fmt.Errorf("store: house ledger entry: %w", err)
	}
	return balance, nil
}
