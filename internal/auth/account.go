package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
)

// Profile is what a player sees of their own account.
type Profile struct {
	UserID      int64
	Username    string // empty for a guest
	DisplayName string
	Guest       bool
	Roles       []string
	Balance     int64
	Stats       store.Stats
	CreatedAt   time.Time
}

// Profile returns a user's profile with balance, rating and stats.
func (s *Service) Profile(ctx context.Context, userID int64) (Profile, error) {
	notFound := status.New(status.NotFound, "account not found")
	a, err := s.st.Account(ctx, userID)
	if err != nil {
		return Profile{}, s.storeErr(err, notFound)
	}
	bal, err := s.st.Balance(ctx, userID)
	if err != nil {
		return Profile{}, s.storeErr(err, notFound)
	}
	st, err := s.st.Stats(ctx, userID)
	if err != nil {
		return Profile{}, s.storeErr(err, notFound)
	}
	return Profile{UserID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Guest: a.Guest, Roles: a.Roles,
		Balance: bal, Stats: st, CreatedAt: a.CreatedAt}, nil
}

// ChangePassword replaces a password after checking the old one, revokes
// every session of the user (other devices are kicked) and returns fresh
// tokens for the caller.
func (s *Service) ChangePassword(ctx context.Context, userID int64, oldPassword, newPassword string) (Tokens, error) {
	if oldPassword == "" {
		return Tokens{}, fieldErr("old_password", "required")
	}
	if err := checkPasswordField("new_password", newPassword); err != nil {
		return Tokens{}, err
	}
	a, err := s.st.Account(ctx, userID)
	if err != nil {
		return Tokens{}, s.storeErr(err, errUnauthenticated)
	}
	if a.Guest {
		return Tokens{}, status.New(status.Conflict, "guest accounts have no password: upgrade first")
	}
	ok, err := s.hash.check(ctx, oldPassword, a.PasswordHash)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: check password of user %d: %w", a.ID, err)
	}
	if !ok {
		return Tokens{}, status.New(status.Unauthenticated, "old_password: wrong password")
	}
	hash, err := s.hash.hash(ctx, newPassword)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.st.SetPasswordHash(ctx, userID, hash); err != nil {
		return Tokens{}, s.storeErr(err, errUnauthenticated)
	}
	if _, err := s.st.RevokeUserSessions(ctx, userID, KickPasswordChanged); err != nil {
		return Tokens{}, s.storeErr(err, nil)
	}
	s.kick(userID, "", KickPasswordChanged)
	return s.issue(ctx, a)
}

// SetDisplayName validates and sets a display name.
func (s *Service) SetDisplayName(ctx context.Context, userID int64, name string) (Profile, error) {
	if err := checkDisplayName(name, s.cfg.BlockedWords); err != nil {
		return Profile{}, err
	}
	name = s.maskName(name)
	if err := s.st.SetDisplayName(ctx, userID, name); err != nil {
		return Profile{}, s.storeErr(err, status.New(status.NotFound, "account not found"))
	}
	s.nameChanged(userID, name)
	return s.Profile(ctx, userID)
}

// UpgradeGuest turns a guest into a username account keeping its id,
// coins and stats. The device no longer logs in to it by itself.
func (s *Service) UpgradeGuest(ctx context.Context, userID int64, username, password string) (Profile, error) {
	if err := checkUsername(username); err != nil {
		return Profile{}, err
	}
	if err := checkPasswordField("password", password); err != nil {
		return Profile{}, err
	}
	hash, err := s.hash.hash(ctx, password)
	if err != nil {
		return Profile{}, err
	}
	err = s.st.UpgradeGuest(ctx, userID, username, hash)
	switch {
	case errors.Is(err, store.ErrConflict):
		return Profile{}, status.New(status.Conflict, "username: already taken")
	case errors.Is(err, store.ErrNotFound):
		return Profile{}, status.New(status.Conflict, "only a guest account can be upgraded")
	case err != nil:
		return Profile{}, s.storeErr(err, nil)
	}
	return s.Profile(ctx, userID)
}

// Forever is the ban expiry meaning "no expiry".
var Forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Ban bans a user until a time (zero: forever): they cannot log in,
// refresh or authenticate, their sessions are revoked and their open
// connections kicked.
func (s *Service) Ban(ctx context.Context, userID int64, reason string, until time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxBanReason {
		return fieldErr("reason", "must be 1 to %d characters", MaxBanReason)
	}
	if until.IsZero() {
		until = Forever
	}
	if !until.After(s.now()) {
		return fieldErr("until", "must be in the future")
	}
	if err := s.st.Ban(ctx, userID, reason, until); err != nil {
		return s.storeErr(err, status.New(status.NotFound, "user_id: no such account"))
	}
	if _, err := s.st.RevokeUserSessions(ctx, userID, KickBanned); err != nil {
		return s.storeErr(err, nil)
	}
	s.log.Info("user banned", "player_id", userID, "until", until)
	s.kick(userID, "", KickBanned)
	return nil
}

// Unban lifts a ban. The user logs in again; old sessions stay revoked.
func (s *Service) Unban(ctx context.Context, userID int64) error {
	if err := s.st.Unban(ctx, userID); err != nil {
		return s.storeErr(err, status.New(status.NotFound, "user_id: no such account"))
	}
	s.log.Info("user unbanned", "player_id", userID)
	return nil
}

// GrantAdmin gives the admin role to a username.
func (s *Service) GrantAdmin(ctx context.Context, username string) error {
	err := GrantAdmin(ctx, s.st, username)
	if errors.Is(err, store.ErrNotFound) {
		return status.New(status.NotFound, "username: no such account")
	}
	return err
}
