package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Account is one player (or guest) account.
type Account struct {
	ID int64
	// Username is empty for a guest; it is unique ignoring case.
	Username     string
	DisplayName  string
	PasswordHash string
	Roles        []string
	Guest        bool
	BanReason    string
	// BannedUntil is zero when the account is not banned.
	BannedUntil time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Banned reports whether the account is banned at now.
func (a Account) Banned(now time.Time) bool {
	return !a.BannedUntil.IsZero() && now.Before(a.BannedUntil)
}

// HasRole reports whether the account has role r.
func (a Account) HasRole(r string) bool { return slices.Contains(a.Roles, r) }

// NewAccount describes an account to create.
type NewAccount struct {
	ID           int64
	Username     string // empty for a guest
	DisplayName  string
	PasswordHash string
	Roles        []string
	Guest        bool
	// DeviceID links a guest to the device that created it.
	DeviceID string
	// InitialCoins is credited through the ledger (key "grant:signup:<id>").
	InitialCoins int64
}

// Accounts stores accounts.
type Accounts interface {
	CreateAccount(ctx context.Context, a NewAccount) (Account, error)
	Account(ctx context.Context, id int64) (Account, error)
	AccountByUsername(ctx context.Context, username string) (Account, error)
	SetDisplayName(ctx context.Context, id int64, name string) error
	SetPasswordHash(ctx context.Context, id int64, hash string) error
	SetRoles(ctx context.Context, id int64, roles []string) error
	Ban(ctx context.Context, id int64, reason string, until time.Time) error
	Unban(ctx context.Context, id int64) error
	UpgradeGuest(ctx context.Context, id int64, username, passwordHash string) error
}

// Devices maps guest device ids to accounts.
type Devices interface {
	AccountByDevice(ctx context.Context, deviceID string) (Account, error)
}

var (
	_ Accounts = (*DB)(nil)
	_ Devices  = (*DB)(nil)
)

// UsernameKey is the case-folded form that makes usernames unique.
func UsernameKey(username string) string { return strings.ToLower(username) }

const accountColumns = `id, username, display_name, password_hash, roles, guest, ban_reason, banned_until, created_at, updated_at`

func scanAccount(r row) (Account, error) {
	var (
		a                Account
		roles            string
		guest            int64
		banned, cre, upd int64
	)
	if err := r.Scan(&a.ID, &a.Username, &a.DisplayName, &a.PasswordHash, &roles, &guest, &a.BanReason, &banned, &cre, &upd); err != nil {
		if isNoRows(err) {
			return Account{}, ErrNotFound
		}
		return Account{}, err
	}
	if roles != "" {
		a.Roles = strings.Split(roles, ",")
	}
	a.Guest = guest != 0
	a.BannedUntil, a.CreatedAt, a.UpdatedAt = fromMS(banned), fromMS(cre), fromMS(upd)
	return a, nil
}

func joinRoles(roles []string) string {
	rs := slices.Clone(roles)
	slices.Sort(rs)
	return strings.Join(slices.Compact(rs), ",")
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateAccount creates an account with its wallet (credited with
// InitialCoins), its stats row and, for a guest, its device link, all in
// one transaction. A taken username or device id is ErrConflict.
func (db *DB) CreateAccount(ctx context.Context, n NewAccount) (Account, error) {
	now := db.now()
	err := db.b.tx(ctx, func(q querier) error {
		_, err := q.exec(ctx, `INSERT INTO accounts (id, username, username_key, display_name, password_hash, roles, guest, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.Username, UsernameKey(n.Username), n.DisplayName, n.PasswordHash, joinRoles(n.Roles), boolInt(n.Guest), ms(now), ms(now))
		if err != nil {
			return err
		}
		if n.DeviceID != "" {
			if _, err := q.exec(ctx, "INSERT INTO devices (device_id, user_id, created_at) VALUES (?, ?, ?)", n.DeviceID, n.ID, ms(now)); err != nil {
				return err
			}
		}
		if _, err := q.exec(ctx, "INSERT INTO wallets (user_id, balance, updated_at) VALUES (?, 0, ?)", n.ID, ms(now)); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "INSERT INTO user_stats (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING", n.ID); err != nil {
			return err
		}
		if n.InitialCoins > 0 {
			e := Entry{UserID: n.ID, Delta: n.InitialCoins, Key: fmt.Sprintf("grant:signup:%d", n.ID), Reason: "signup grant"}
			if _, err := db.applyTx(ctx, q, e, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if isUnique(err) {
			return Account{}, ErrConflict
		}
		return Account{}, fmt.Errorf("store: create account: %w", err)
	}
	return db.Account(ctx, n.ID)
}

// Account returns the account with id, or ErrNotFound.
func (db *DB) Account(ctx context.Context, id int64) (Account, error) {
	return scanAccount(db.b.queryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE id = ?", id))
}

// AccountByUsername finds an account by username, ignoring case.
func (db *DB) AccountByUsername(ctx context.Context, username string) (Account, error) {
	if username == "" {
		return Account{}, ErrNotFound
	}
	return scanAccount(db.b.queryRow(ctx, "SELECT "+accountColumns+" FROM accounts WHERE username_key = ?", UsernameKey(username)))
}

// AccountByDevice finds the guest account created by a device.
func (db *DB) AccountByDevice(ctx context.Context, deviceID string) (Account, error) {
	return scanAccount(db.b.queryRow(ctx, "SELECT "+prefixed("a.", accountColumns)+
		" FROM devices d JOIN accounts a ON a.id = d.user_id WHERE d.device_id = ?", deviceID))
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// update runs one UPDATE on an account and maps "no row" to ErrNotFound.
func (db *DB) update(ctx context.Context, q string, args ...any) error {
	n, err := db.b.exec(ctx, q, args...)
	if err != nil {
		if isUnique(err) {
			return ErrConflict
		}
		return fmt.Errorf("store: update account: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetDisplayName changes an account's display name.
func (db *DB) SetDisplayName(ctx context.Context, id int64, name string) error {
	return db.update(ctx, "UPDATE accounts SET display_name = ?, updated_at = ? WHERE id = ?", name, ms(db.now()), id)
}

// SetPasswordHash replaces an account's password hash.
func (db *DB) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return db.update(ctx, "UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?", hash, ms(db.now()), id)
}

// SetRoles replaces an account's roles.
func (db *DB) SetRoles(ctx context.Context, id int64, roles []string) error {
	return db.update(ctx, "UPDATE accounts SET roles = ?, updated_at = ? WHERE id = ?", joinRoles(roles), ms(db.now()), id)
}

// Ban bans an account until the given time with a reason.
func (db *DB) Ban(ctx context.Context, id int64, reason string, until time.Time) error {
	return db.update(ctx, "UPDATE accounts SET ban_reason = ?, banned_until = ?, updated_at = ? WHERE id = ?", reason, ms(until), ms(db.now()), id)
}

// Unban lifts a ban.
func (db *DB) Unban(ctx context.Context, id int64) error {
	return db.update(ctx, "UPDATE accounts SET ban_reason = '', banned_until = 0, updated_at = ? WHERE id = ?", ms(db.now()), id)
}

// UpgradeGuest gives a guest account a username and password, keeping its
// id, and unlinks its device (so the device can no longer log in to it
// without the password). ErrConflict if the username is taken, ErrNotFound
// if id is not a guest.
func (db *DB) UpgradeGuest(ctx context.Context, id int64, username, passwordHash string) error {
	err := db.b.tx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `UPDATE accounts SET username = ?, username_key = ?, password_hash = ?, guest = 0, updated_at = ?
			WHERE id = ? AND guest = 1`, username, UsernameKey(username), passwordHash, ms(db.now()), id)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		_, err = q.exec(ctx, "DELETE FROM devices WHERE user_id = ?", id)
		return err
	})
	switch {
	case err == nil:
		return nil
	case isUnique(err):
		return ErrConflict
	case errors.Is(err, ErrNotFound):
		return err
	}
	return fmt.Errorf("store: upgrade guest: %w", err)
}
