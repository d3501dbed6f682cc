package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
)

// errBadCredentials is the one answer to a wrong username or password, so
// that it does not tell which one was wrong or whether the account exists.
var errBadCredentials = status.New(status.Unauthenticated, "invalid username or password")

// Register creates an account with a username and password and logs it in.
// clientIP counts against Limits.SignupsPerIP (empty: not limited, for
// trusted callers).
func (s *Service) Register(ctx context.Context, username, password, clientIP string) (Tokens, error) {
	if err := checkUsername(username); err != nil {
		return Tokens{}, err
	}
	if err := checkPasswordField("password", password); err != nil {
		return Tokens{}, err
	}
	if err := s.allowSignup(clientIP); err != nil {
		return Tokens{}, err
	}
	hash, err := s.hash.hash(ctx, password)
	if err != nil {
		return Tokens{}, err
	}
	uid, err := s.ids.Next()
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: new user id: %w", err)
	}
	// A new account never has a role: rights come only from `lordgame
	// admin grant` on an account that exists (a name set aside in the
	// configuration went to whoever registered it first).
	a, err := s.st.CreateAccount(ctx, store.NewAccount{ID: uid, Username: username, DisplayName: username,
		PasswordHash: hash, InitialCoins: s.cfg.InitialCoins})
	if errors.Is(err, store.ErrConflict) {
		return Tokens{}, status.New(status.Conflict, "username: already taken")
	}
	if err != nil {
		return Tokens{}, s.storeErr(err, nil)
	}
	s.m.registrations.WithLabelValues("user").Inc()
	s.countSignup(clientIP)
	return s.issue(ctx, a)
}

// allowSignup refuses a new account from an address that made
// Limits.SignupsPerIP of them within Limits.Window.
func (s *Service) allowSignup(clientIP string) error {
	if clientIP == "" {
		return nil
	}
	if d := s.signups.wait("ip:" + clientIP); d > 0 {
		return status.Errorf(status.RateLimited, "too many new accounts from this address: try again in %ds", int(math.Ceil(d.Seconds())))
	}
	return nil
}

func (s *Service) countSignup(clientIP string) {
	if clientIP != "" {
		s.signups.fail("ip:"+clientIP, s.cfg.Limits.SignupsPerIP)
	}
}

// Login checks a username and password. Failures are counted per client
// address and per username (existing or not); past the free attempts
// both are locked out with a growing delay.
func (s *Service) Login(ctx context.Context, username, password, clientIP string) (Tokens, error) {
	if username == "" {
		return Tokens{}, fieldErr("username", "required")
	}
	if password == "" {
		return Tokens{}, fieldErr("password", "required")
	}
	if len(username) > MaxUsername || len(password) > MaxPassword {
		return Tokens{}, errBadCredentials
	}
	ipKey, accountKey := "ip:"+clientIP, "account:"+store.UsernameKey(username)
	if d := s.limit.wait(ipKey, accountKey); d > 0 {
		s.m.logins.WithLabelValues("rate_limited").Inc()
		return Tokens{}, status.Errorf(status.RateLimited, "too many failed logins: try again in %ds", int(math.Ceil(d.Seconds())))
	}
	a, err := s.st.AccountByUsername(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Tokens{}, s.storeErr(err, nil)
	}
	ok, err := s.hash.check(ctx, password, a.PasswordHash) // a is zero when not found: checks a dummy
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: check password of user %d: %w", a.ID, err)
	}
	if !ok {
		s.m.logins.WithLabelValues("bad_credentials").Inc()
		if s.limit.fail(ipKey, s.cfg.Limits.FreePerIP) {
			s.m.lockouts.WithLabelValues("ip").Inc()
		}
		if s.limit.fail(accountKey, s.cfg.Limits.FreePerAccount) {
			s.m.lockouts.WithLabelValues("account").Inc()
		}
		return Tokens{}, errBadCredentials
	}
	s.limit.reset(accountKey)
	if needsRehash(a.PasswordHash, s.cfg.Argon2) {
		s.rehash(ctx, a.ID, password)
	}
	if err := s.checkBan(a); err != nil {
		s.m.logins.WithLabelValues("banned").Inc()
		return Tokens{}, err
	}
	s.m.logins.WithLabelValues("ok").Inc()
	return s.issue(ctx, a)
}

// rehash stores the password under the current Argon2 parameters. A
// failure only delays the upgrade to the next login.
func (s *Service) rehash(ctx context.Context, uid int64, password string) {
	hash, err := s.hash.hash(ctx, password)
	if err == nil {
		err = s.st.SetPasswordHash(ctx, uid, hash)
	}
	if err != nil {
		s.log.Warn("upgrade password hash", "player_id", uid, "err", err)
	}
}

func (s *Service) checkBan(a store.Account) error {
	if !a.Banned(s.now()) {
		return nil
	}
	if a.BannedUntil.Year() >= 9999 {
		return status.Errorf(status.Forbidden, "account banned: %s", a.BanReason)
	}
	return status.Errorf(status.Forbidden, "account banned until %s: %s", a.BannedUntil.UTC().Format(time.RFC3339), a.BanReason)
}

// Guest logs in the guest account of a device, creating it on first use
// (which counts against Limits.SignupsPerIP like Register).
func (s *Service) Guest(ctx context.Context, deviceID, clientIP string) (Tokens, error) {
	if err := checkDeviceID(deviceID); err != nil {
		return Tokens{}, err
	}
	a, err := s.st.AccountByDevice(ctx, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.allowSignup(clientIP); err != nil {
			return Tokens{}, err
		}
		a, err = s.createGuest(ctx, deviceID)
		if err == nil {
			s.countSignup(clientIP)
		}
	}
	if err != nil {
		return Tokens{}, s.storeErr(err, nil)
	}
	if err := s.checkBan(a); err != nil {
		s.m.logins.WithLabelValues("banned").Inc()
		return Tokens{}, err
	}
	s.m.logins.WithLabelValues("ok").Inc()
	return s.issue(ctx, a)
}

func (s *Service) createGuest(ctx context.Context, deviceID string) (store.Account, error) {
	uid, err := s.ids.Next()
	if err != nil {
		return store.Account{}, fmt.Errorf("auth: new user id: %w", err)
	}
	name := fmt.Sprintf("Guest%06d", uid%1000000)
	a, err := s.st.CreateAccount(ctx, store.NewAccount{ID: uid, DisplayName: name, Guest: true, DeviceID: deviceID, InitialCoins: s.cfg.InitialCoins})
	if errors.Is(err, store.ErrConflict) {
		// The same device raced itself: the other request created it.
		return s.st.AccountByDevice(ctx, deviceID)
	}
	if err == nil {
		s.m.registrations.WithLabelValues("guest").Inc()
	}
	return a, err
}

var errBadRefresh = status.New(status.Unauthenticated, "refresh token invalid, expired or revoked")

// Refresh spends a refresh token and returns a new pair in the same
// session. Presenting a token that was already spent revokes the session:
// someone else holds a copy.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	if refreshToken == "" {
		return Tokens{}, fieldErr("refresh_token", "required")
	}
	if len(refreshToken) > 128 {
		return Tokens{}, errBadRefresh
	}
	next := randomString("rt_", 32)
	old, err := s.st.RotateRefreshToken(ctx, hashToken(refreshToken), store.RefreshToken{Hash: hashToken(next), ExpiresAt: s.now().Add(s.cfg.RefreshTTL)}, s.now())
	switch {
	case errors.Is(err, store.ErrTokenReused):
		s.m.refreshes.WithLabelValues("reused").Inc()
		s.log.Warn("refresh token reused: session revoked", "player_id", old.UserID, "session_id", old.SessionID)
		s.kick(old.UserID, old.SessionID, KickTokenReused)
		return Tokens{}, errBadRefresh
	case errors.Is(err, store.ErrTokenInvalid):
		s.m.refreshes.WithLabelValues("invalid").Inc()
		return Tokens{}, errBadRefresh
	case err != nil:
		return Tokens{}, s.storeErr(err, nil)
	}
	a, err := s.st.Account(ctx, old.UserID)
	if err != nil {
		return Tokens{}, s.storeErr(err, errBadRefresh)
	}
	if err := s.checkBan(a); err != nil {
		return Tokens{}, err
	}
	access, err := s.signAccess(ctx, a.ID, old.SessionID, a.Roles)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: sign access token: %w", err)
	}
	s.m.refreshes.WithLabelValues("ok").Inc()
	return Tokens{UserID: a.ID, SessionID: old.SessionID, AccessToken: access, RefreshToken: next, ExpiresIn: s.cfg.AccessTTL}, nil
}

// Logout revokes a session: its refresh token stops working and its access
// tokens stop authenticating. Logging out twice is not an error.
func (s *Service) Logout(ctx context.Context, userID int64, sessionID string) error {
	if err := s.st.RevokeSession(ctx, sessionID, KickLoggedOut); err != nil {
		return s.storeErr(err, nil)
	}
	s.kick(userID, sessionID, KickLoggedOut)
	return nil
}

// LogoutRefresh revokes the session a refresh token belongs to.
func (s *Service) LogoutRefresh(ctx context.Context, refreshToken string) error {
	if refreshToken == "" {
		return fieldErr("refresh_token", "required")
	}
	sess, err := s.st.SessionByRefreshToken(ctx, hashToken(refreshToken))
	if err != nil {
		return s.storeErr(err, errBadRefresh)
	}
	return s.Logout(ctx, sess.UserID, sess.ID)
}
