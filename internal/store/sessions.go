package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Session is one login: a refresh token family. Access tokens carry its id,
// so revoking the session revokes them too.
type Session struct {
	ID           string
	UserID       int64
	CreatedAt    time.Time
	RevokedAt    time.Time // zero while active
	RevokeReason string
}

// RefreshToken is a refresh token as stored: only its hash is kept.
type RefreshToken struct {
	Hash      string
	SessionID string
	UserID    int64
	ExpiresAt time.Time
}

// Sessions stores login sessions and their rotating refresh tokens.
type Sessions interface {
	CreateSession(ctx context.Context, s Session, first RefreshToken) error
	Session(ctx context.Context, id string) (Session, error)
	SessionByRefreshToken(ctx context.Context, hash string) (Session, error)
	RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, now time.Time) (RefreshToken, error)
	RevokeSession(ctx context.Context, id, reason string) error
	RevokeUserSessions(ctx context.Context, userID int64, reason string) (int, error)
}

// SigningKey is one access-token signing key.
type SigningKey struct {
	ID        string
	Secret    []byte
	CreatedAt time.Time
	RetiredAt time.Time // zero while it is the active key
}

// SigningKeys persists access-token signing keys.
type SigningKeys interface {
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	AddSigningKey(ctx context.Context, k SigningKey) error
}

var (
	_ Sessions    = (*DB)(nil)
	_ SigningKeys = (*DB)(nil)
)

// CreateSession starts a session with its first refresh token.
func (db *DB) CreateSession(ctx context.Context, s Session, first RefreshToken) error {
	now := db.now()
	err := db.b.tx(ctx, func(q querier) error {
		if _, err := q.exec(ctx, "INSERT INTO sessions (id, user_id, created_at) VALUES (?, ?, ?)", s.ID, s.UserID, ms(now)); err != nil {
			return err
		}
		return insertToken(ctx, q, first, s.ID, s.UserID, now)
	})
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

func insertToken(ctx context.Context, q querier, t RefreshToken, sessionID string, userID int64, now time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO refresh_tokens (hash, session_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		t.Hash, sessionID, userID, ms(now), ms(t.ExpiresAt))
	return err
}

// Session returns a session by id, or ErrNotFound.
func (db *DB) Session(ctx context.Context, id string) (Session, error) {
	var s Session
	var cre, rev int64
	err := db.b.queryRow(ctx, "SELECT id, user_id, created_at, revoked_at, revoke_reason FROM sessions WHERE id = ?", id).
		Scan(&s.ID, &s.UserID, &cre, &rev, &s.RevokeReason)
	if err != nil {
		if isNoRows(err) {
			return Session{}, ErrNotFound
		}
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	s.CreatedAt, s.RevokedAt = fromMS(cre), fromMS(rev)
	return s, nil
}

// SessionByRefreshToken returns the session a refresh token belongs to
// (spent or not), or ErrNotFound.
func (db *DB) SessionByRefreshToken(ctx context.Context, hash string) (Session, error) {
	var id string
	err := db.b.queryRow(ctx, "SELECT session_id FROM refresh_tokens WHERE hash = ?", hash).Scan(&id)
	if isNoRows(err) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session by refresh token: %w", err)
	}
	return db.Session(ctx, id)
}

// RotateRefreshToken spends the token with oldHash and stores next in the
// same session. It returns the spent token (with its session and user).
// An unknown, expired or revoked token is ErrTokenInvalid. A token that was
// already spent is ErrTokenReused, and its whole session is revoked.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, now time.Time) (RefreshToken, error) {
	var old RefreshToken
	reused := false
	err := db.b.tx(ctx, func(q querier) error {
		var exp, used, revoked int64
		err := q.queryRow(ctx, `SELECT t.session_id, t.user_id, t.expires_at, t.used_at, s.revoked_at
			FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?`, oldHash).
			Scan(&old.SessionID, &old.UserID, &exp, &used, &revoked)
		if isNoRows(err) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		old.Hash, old.ExpiresAt = oldHash, fromMS(exp)
		if revoked != 0 || !now.Before(old.ExpiresAt) {
			return ErrTokenInvalid
		}
		// The conditional UPDATE is the race arbiter: of two concurrent
		// uses of one token exactly one spends it, the other is a reuse.
		n, err := q.exec(ctx, "UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at = 0", ms(now), oldHash)
		if err != nil {
			return err
		}
		if n == 0 || used != 0 {
			reused = true
			_, err := q.exec(ctx, "UPDATE sessions SET revoked_at = ?, revoke_reason = 'refresh_token_reused' WHERE id = ? AND revoked_at = 0", ms(now), old.SessionID)
			return err
		}
		return insertToken(ctx, q, next, old.SessionID, old.UserID, now)
	})
	if err != nil {
		if errors.Is(err, ErrTokenInvalid) {
			return RefreshToken{}, ErrTokenInvalid
		}
		return RefreshToken{}, fmt.Errorf("store: rotate refresh token: %w", err)
	}
	if reused {
		return old, ErrTokenReused
	}
	return old, nil
}

// RevokeSession revokes one session (logout). Revoking twice is not an error.
func (db *DB) RevokeSession(ctx context.Context, id, reason string) error {
	_, err := db.b.exec(ctx, "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at = 0", ms(db.now()), reason, id)
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return nil
}

// RevokeUserSessions revokes every active session of a user and returns
// how many there were.
func (db *DB) RevokeUserSessions(ctx context.Context, userID int64, reason string) (int, error) {
	n, err := db.b.exec(ctx, "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at = 0", ms(db.now()), reason, userID)
	if err != nil {
		return 0, fmt.Errorf("store: revoke sessions: %w", err)
	}
	return int(n), nil
}

// SigningKeys returns every stored signing key, newest first.
func (db *DB) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	rs, err := db.b.query(ctx, "SELECT kid, secret, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid DESC")
	if err != nil {
		return nil, fmt.Errorf("store: signing keys: %w", err)
	}
	defer rs.Close()
	var out []SigningKey
	for rs.Next() {
		var k SigningKey
		var secret string
		var cre, ret int64
		if err := rs.Scan(&k.ID, &secret, &cre, &ret); err != nil {
			return nil, fmt.Errorf("store: signing keys: %w", err)
		}
		if k.Secret, err = hex.DecodeString(secret); err != nil {
			return nil, fmt.Errorf("store: signing key %s: %w", k.ID, err)
		}
		k.CreatedAt, k.RetiredAt = fromMS(cre), fromMS(ret)
		out = append(out, k)
	}
	return out, rs.Err()
}

// AddSigningKey stores k as the active key and retires the previous active
// one. A duplicate key id is ErrConflict.
func (db *DB) AddSigningKey(ctx context.Context, k SigningKey) error {
	now := db.now()
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now
	}
	err := db.b.tx(ctx, func(q querier) error {
		if _, err := q.exec(ctx, "UPDATE signing_keys SET retired_at = ? WHERE retired_at = 0", ms(now)); err != nil {
			return err
		}
		_, err := q.exec(ctx, "INSERT INTO signing_keys (kid, secret, created_at) VALUES (?, ?, ?)", k.ID, hex.EncodeToString(k.Secret), ms(k.CreatedAt))
		return err
	})
	if err != nil {
		if isUnique(err) {
			return ErrConflict
		}
		return fmt.Errorf("store: add signing key: %w", err)
	}
	return nil
}
