package auth

import (
	"errors"
	"log/slog"
	"time"
)

// Config holds the account and token settings.
type Config struct {
	// AccessTTL is how long an access token (JWT) is valid.
	AccessTTL time.Duration `yaml:"access_ttl"`
	// RefreshTTL is how long a refresh token is valid; every use rotates it.
	RefreshTTL time.Duration `yaml:"refresh_ttl"`
	// Issuer is the "iss" claim of access tokens.
	Issuer string `yaml:"issuer"`
	// SigningKey is the HMAC-SHA256 secret for access tokens, at least 32
	// bytes. Set it only through the environment (LORDGAME_AUTH_SIGNING_KEY).
	// Empty: a random key is generated on first start and kept in the
	// store, so every node sharing the database shares it.
	SigningKey string `yaml:"-"`
	// SigningKeyID is the "kid" of SigningKey; change it whenever the key
	// changes.
	SigningKeyID string `yaml:"signing_key_id"`
	// InitialCoins is credited to every new account through the ledger.
	InitialCoins int64 `yaml:"initial_coins"`
	// Admins is refused when set (ErrAdminsSetting): it used to give the
	// admin role to these usernames at registration and at start, so
	// whoever registered such a name first (in any case) was an admin.
	// The field stays so that a configuration that still has it is told
	// what to do instead of having it ignored.
	Admins []string `yaml:"admins"`
	// BlockedWords may not appear in display names (ignoring case).
	BlockedWords []string `yaml:"blocked_words"`
	// Argon2 are the password hashing parameters.
	Argon2 Argon2Params `yaml:"argon2"`
	// MaxHashing caps concurrent password hashes, so a login storm cannot
	// take Argon2.MemoryKiB times the request count of memory.
	MaxHashing int `yaml:"max_hashing"`
	// MaxBodyBytes caps the size of an HTTP request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Limits throttle failed logins.
	Limits LimitConfig `yaml:"limits"`
}

// LimitConfig throttles failed logins per client address and per account,
// and account creation per client address.
type LimitConfig struct {
	// Window is how long failures (and new accounts) are remembered.
	Window time.Duration `yaml:"window"`
	// FreePerAccount and FreePerIP are the failed logins per Window that
	// lock the username or address out: that many attempts fail, the next
	// one is refused for Lockout, doubling with every further failure up
	// to MaxLockout. (The names are kept for existing config files.)
	FreePerAccount int           `yaml:"free_per_account"`
	FreePerIP      int           `yaml:"free_per_ip"`
	Lockout        time.Duration `yaml:"lockout"`
	MaxLockout     time.Duration `yaml:"max_lockout"`
	// SignupsPerIP is how many accounts (registered or guest) one address
	// may create per Window.
	SignupsPerIP int `yaml:"signups_per_ip"`
}

// LogValue logs the config with the signing key redacted, so the server
// can log its effective config.
func (c Config) LogValue() slog.Value {
	key := ""
	if c.SigningKey != "" {
		key = "(redacted)"
	}
	return slog.GroupValue(
		slog.Duration("access_ttl", c.AccessTTL), slog.Duration("refresh_ttl", c.RefreshTTL),
		slog.String("issuer", c.Issuer), slog.String("signing_key", key), slog.String("signing_key_id", c.SigningKeyID),
		slog.Int64("initial_coins", c.InitialCoins), slog.Any("admins", c.Admins), slog.Int("blocked_words", len(c.BlockedWords)),
		slog.Any("argon2", c.Argon2), slog.Int("max_hashing", c.MaxHashing), slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Any("limits", c.Limits),
	)
}

// DefaultConfig returns the defaults documented in docs/api.md.
func DefaultConfig() Config {
	return Config{
		AccessTTL:    15 * time.Minute,
		RefreshTTL:   30 * 24 * time.Hour,
		Issuer:       "lordgame",
		SigningKeyID: "config",
		InitialCoins: 1000,
		Argon2:       DefaultArgon2,
		MaxHashing:   4,
		MaxBodyBytes: 4 << 10,
		Limits: LimitConfig{
			Window:         15 * time.Minute,
			FreePerAccount: 5,
			FreePerIP:      20,
			Lockout:        time.Second,
			MaxLockout:     15 * time.Minute,
			SignupsPerIP:   30,
		},
	}
}

// Validate rejects settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.AccessTTL < time.Second || c.RefreshTTL < c.AccessTTL:
		return errors.New("auth: access_ttl must be at least 1s and refresh_ttl at least access_ttl")
	case c.SigningKey != "" && len(c.SigningKey) < 32:
		return errors.New("auth: the signing key (LORDGAME_AUTH_SIGNING_KEY) must be at least 32 bytes")
	case c.SigningKey != "" && c.SigningKeyID == "":
		return errors.New("auth: signing_key_id is required with a signing key")
	case c.InitialCoins < 0:
		return errors.New("auth: initial_coins must not be negative")
	case c.MaxHashing < 1:
		return errors.New("auth: max_hashing must be at least 1")
	case c.MaxBodyBytes < 256:
		return errors.New("auth: max_body_bytes must be at least 256")
	case c.Limits.Window <= 0 || c.Limits.FreePerAccount < 1 || c.Limits.FreePerIP < 1 || c.Limits.Lockout <= 0 || c.Limits.MaxLockout < c.Limits.Lockout || c.Limits.SignupsPerIP < 1:
		return errors.New("auth: limits need a positive window and lockout, free attempts and signups_per_ip of at least 1, and max_lockout >= lockout")
	}
	if err := c.Argon2.validate(); err != nil {
		return err
	}
	if len(c.Admins) > 0 {
		return ErrAdminsSetting
	}
	return nil
}

// ErrAdminsSetting refuses auth.admins (-admins): a name set aside for the
// admin role could be registered by anyone before its owner.
var ErrAdminsSetting = errors.New("auth: admins: admin rights are no longer given by name (anyone who registered the name first got them); " +
	"grant them to an existing account with `lordgame admin grant USERNAME` and remove this setting")
