package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Entry is a requested change to one wallet.
type Entry struct {
	UserID int64
	// Delta is added to the balance (negative to debit).
	Delta int64
	// Key makes the entry idempotent: a second entry with the same key
	// changes nothing and returns the first one. Settlement uses
	// "game:<id>:seat:<n>".
	Key    string
	Reason string
}

// LedgerEntry is an applied entry.
type LedgerEntry struct {
	ID           int64
	UserID       int64
	Delta        int64
	BalanceAfter int64
	Key          string
	Reason       string
	CreatedAt    time.Time
	// Replayed is true when the key had already been applied and this is
	// the first result, returned again.
	Replayed bool
}

// Wallets stores coin balances and the ledger that changes them.
type Wallets interface {
	Balance(ctx context.Context, userID int64) (int64, error)
	Apply(ctx context.Context, e Entry) (LedgerEntry, error)
	Ledger(ctx context.Context, userID int64, limit int) ([]LedgerEntry, error)
}

var _ Wallets = (*DB)(nil)

// Balance returns a user's coin balance, or ErrNotFound.
func (db *DB) Balance(ctx context.Context, userID int64) (int64, error) {
	var b int64
	err := db.b.queryRow(ctx, "SELECT balance FROM wallets WHERE user_id = ?", userID).Scan(&b)
	if isNoRows(err) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: balance: %w", err)
	}
	return b, nil
}

// Apply applies one ledger entry. If e.Key was applied before it changes
// nothing and returns the first entry with Replayed set (ErrKeyReused if the
// user or amount differ). A debit larger than the balance is
// ErrInsufficientFunds; an unknown wallet is ErrNotFound.
func (db *DB) Apply(ctx context.Context, e Entry) (LedgerEntry, error) {
	if e.Key == "" {
		return LedgerEntry{}, fmt.Errorf("store: apply: empty idempotency key")
	}
	var out LedgerEntry
	err := db.b.tx(ctx, func(q querier) error {
		var err error
		out, err = db.applyTx(ctx, q, e, db.now())
		return err
	})
	if err != nil && isUnique(err) {
		// A concurrent transaction applied the same key first: its result
		// is the answer.
		out, err = db.entryByKey(ctx, db.b, e)
	}
	if err != nil {
		return LedgerEntry{}, err
	}
	return out, nil
}

// applyTx applies e inside a transaction.
func (db *DB) applyTx(ctx context.Context, q querier, e Entry, now time.Time) (LedgerEntry, error) {
	prev, err := db.entryByKey(ctx, q, e)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return prev, err
	}
	// The conditional UPDATE takes the wallet's row lock (PostgreSQL) and
	// refuses to go below zero; the CHECK constraint is the backstop.
	var balance int64
	err = q.queryRow(ctx, "UPDATE wallets SET balance = balance + ?, updated_at = ? WHERE user_id = ? AND balance + ? >= 0 RETURNING balance",
		e.Delta, ms(now), e.UserID, e.Delta).Scan(&balance)
	if isNoRows(err) {
		if _, err := db.balanceIn(ctx, q, e.UserID); err != nil {
			return LedgerEntry{}, err
		}
		return LedgerEntry{}, ErrInsufficientFunds
	}
	if err != nil {
		if isCheck(err) {
			return LedgerEntry{}, ErrInsufficientFunds
		}
		return LedgerEntry{}, fmt.Errorf("store: apply ledger entry: %w", err)
	}
	out := LedgerEntry{UserID: e.UserID, Delta: e.Delta, BalanceAfter: balance, Key: e.Key, Reason: e.Reason, CreatedAt: fromMS(ms(now))}
	err = q.queryRow(ctx, "INSERT INTO ledger (idem_key, user_id, delta, balance_after, reason, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		e.Key, e.UserID, e.Delta, balance, e.Reason, ms(now)).Scan(&out.ID)
	if err != nil {
		return LedgerEntry{}, err // a unique violation is handled by the caller
	}
	return out, nil
}

func (db *DB) balanceIn(ctx context.Context, q querier, userID int64) (int64, error) {
	var b int64
	err := q.queryRow(ctx, "SELECT balance FROM wallets WHERE user_id = ?", userID).Scan(&b)
	if isNoRows(err) {
		return 0, ErrNotFound
	}
	return b, err
}

const ledgerColumns = "id, user_id, delta, balance_after, idem_key, reason, created_at"

func scanEntry(r row) (LedgerEntry, error) {
	var e LedgerEntry
	var at int64
	if err := r.Scan(&e.ID, &e.UserID, &e.Delta, &e.BalanceAfter, &e.Key, &e.Reason, &at); err != nil {
		if isNoRows(err) {
			return LedgerEntry{}, ErrNotFound
		}
		return LedgerEntry{}, err
	}
	e.CreatedAt = fromMS(at)
	return e, nil
}

// entryByKey returns the entry already applied with e.Key (Replayed set),
// ErrKeyReused if it was for another user or amount, or ErrNotFound.
func (db *DB) entryByKey(ctx context.Context, q querier, e Entry) (LedgerEntry, error) {
	prev, err := scanEntry(q.queryRow(ctx, "SELECT "+ledgerColumns+" FROM ledger WHERE idem_key = ?", e.Key))
	if err != nil {
		return LedgerEntry{}, err
	}
	if prev.UserID != e.UserID || prev.Delta != e.Delta {
		return LedgerEntry{}, ErrKeyReused
	}
	prev.Replayed = true
	return prev, nil
}

// Ledger returns a user's newest entries first (at most limit, default 50).
func (db *DB) Ledger(ctx context.Context, userID int64, limit int) ([]LedgerEntry, error) {
	if limit <= 0 {
		limit = 50
	}
	rs, err := db.b.query(ctx, "SELECT "+ledgerColumns+" FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ?", userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: ledger: %w", err)
	}
	defer rs.Close()
	var out []LedgerEntry
	for rs.Next() {
		e, err := scanEntry(rs)
		if err != nil {
			return nil, fmt.Errorf("store: ledger: %w", err)
		}
		out = append(out, e)
	}
	return out, rs.Err()
}
