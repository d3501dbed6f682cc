package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
)

// Store is the state auth needs; *store.DB implements it.
type Store interface {
	store.Accounts
	store.Devices
	store.Sessions
	store.SigningKeys
	Balance(ctx context.Context, userID int64) (int64, error)
	Stats(ctx context.Context, userID int64) (store.Stats, error)
}

// IDs makes user ids; *id.Generator implements it.
type IDs interface {
	Next() (int64, error)
}

// Role names.
const (
	RoleAdmin = "admin"
)

// Kick reasons passed to KickFunc.
const (
	KickBanned          = "banned"
	KickPasswordChanged = "password_changed"
	KickLoggedOut       = "logged_out"
	KickTokenReused     = "refresh_token_reused"
)

// KickFunc closes live connections of a user: every session when
// sessionID is empty, else only that one. The server registers one with
// OnKick so that a ban, a password change or a logout takes effect on open
// sockets at once, not only when the access token expires.
type KickFunc func(userID int64, sessionID, reason string)

// Identity is who an access token belongs to. It has the same fields as
// gateway.Identity, so gateway.Identity(id) converts it.
type Identity struct {
	UserID    int64
	SessionID string
	Roles     []string
}

// Tokens are what a successful login, registration or refresh returns.
type Tokens struct {
	UserID       int64
	SessionID    string
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
}

// Service runs accounts and tokens. It is safe for concurrent use.
type Service struct {
	cfg   Config
	st    Store
	ids   IDs
	log   *slog.Logger
	m     *metrics
	hash  *hasher
	limit *limiter
	// signups counts new accounts per client address.
	signups *limiter
	keys    keyRing
	// now is the clock; tests replace it before use.
	now func() time.Time

	kickMu sync.RWMutex
	kicks  []KickFunc

	nameMask atomic.Pointer[func(string) string]
	onName   atomic.Pointer[func(int64, string)]
	audit    atomic.Pointer[auditBox]
}

// New builds the service: it loads (or creates and persists) the signing
// keys and grants the admin role to the configured admins that exist. reg
// receives the metrics (nil: none).
func New(ctx context.Context, cfg Config, st Store, ids IDs, log *slog.Logger, reg prometheus.Registerer) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h, err := newHasher(cfg.Argon2, cfg.MaxHashing)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: st, ids: ids, log: log, m: newMetrics(reg), hash: h, now: time.Now}
	s.limit = newLimiter(cfg.Limits, func() time.Time { return s.now() })
	w := cfg.Limits.Window
	s.signups = newLimiter(LimitConfig{Window: w, Lockout: w, MaxLockout: w}, func() time.Time { return s.now() })
	if err := s.loadKeys(ctx); err != nil {
		return nil, fmt.Errorf("auth: load signing keys: %w", err)
	}
	return s, nil
}

// OnKick registers fn to be called when a user's sessions must close. fn
// runs on the goroutine of the request that caused the kick (ban, password
// change, logout, refresh token reuse), so it must not block for long.
func (s *Service) OnKick(fn KickFunc) {
	s.kickMu.Lock()
	defer s.kickMu.Unlock()
	s.kicks = append(s.kicks, fn)
}

// kick calls the hooks without holding kickMu, so a hook may register
// another.
func (s *Service) kick(uid int64, sid, reason string) {
	s.kickMu.RLock()
	hooks := s.kicks
	s.kickMu.RUnlock()
	for _, fn := range hooks {
		fn(uid, sid, reason)
	}
}

var errUnauthenticated = status.New(status.Unauthenticated, "access token invalid, expired or revoked")

// Authenticate checks an access token: signature, key id, issuer, expiry,
// and that its session has not been revoked (logout, password change,
// refresh token reuse) and its user is not banned. Any failure is
// status.Unauthenticated; a store outage is status.Unavailable.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (Identity, error) {
	c, uid, err := s.parseAccess(ctx, accessToken)
	if err != nil {
		return Identity{}, errUnauthenticated
	}
	sess, err := s.st.Session(ctx, c.SessionID)
	if err != nil {
		return Identity{}, s.storeErr(err, errUnauthenticated)
	}
	if sess.UserID != uid || !sess.RevokedAt.IsZero() {
		return Identity{}, errUnauthenticated
	}
	a, err := s.st.Account(ctx, uid)
	if err != nil {
		return Identity{}, s.storeErr(err, errUnauthenticated)
	}
	if a.Banned(s.now()) {
		return Identity{}, errUnauthenticated
	}
	return Identity{UserID: uid, SessionID: c.SessionID, Roles: a.Roles}, nil
}

// storeErr maps store errors: not found becomes notFound (when given),
// anything that is not a client error becomes unavailable (and is logged
// once, here).
func (s *Service) storeErr(err error, notFound error) error {
	if notFound != nil && errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	var se *status.Error
	if errors.As(err, &se) {
		return err
	}
	s.log.Error("auth store failure", "err", err)
	return status.New(status.Unavailable, "accounts are unavailable: try again")
}

// issue starts a session for an account and returns its tokens.
func (s *Service) issue(ctx context.Context, a store.Account) (Tokens, error) {
	sid := randomString("s_", 12)
	refresh := randomString("rt_", 32)
	err := s.st.CreateSession(ctx, store.Session{ID: sid, UserID: a.ID},
		store.RefreshToken{Hash: hashToken(refresh), ExpiresAt: s.now().Add(s.cfg.RefreshTTL)})
	if err != nil {
		return Tokens{}, s.storeErr(err, nil)
	}
	access, err := s.signAccess(ctx, a.ID, sid, a.Roles)
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: sign access token: %w", err)
	}
	return Tokens{UserID: a.ID, SessionID: sid, AccessToken: access, RefreshToken: refresh, ExpiresIn: s.cfg.AccessTTL}, nil
}

// GrantAdmin gives the admin role to the account named username; it is
// what `lordgame admin grant USER` runs, on a store opened by the command.
func GrantAdmin(ctx context.Context, st store.Accounts, username string) error {
	a, err := st.AccountByUsername(ctx, username)
	if err != nil {
		return fmt.Errorf("auth: grant admin to %q: %w", username, err)
	}
	if a.HasRole(RoleAdmin) {
		return nil
	}
	return st.SetRoles(ctx, a.ID, append(a.Roles, RoleAdmin))
}
