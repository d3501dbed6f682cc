package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
)

// claims are the access token's claims: sub is the user id in decimal, sid
// the session (refresh token family), roles the user's roles.
type claims struct {
	jwt.RegisteredClaims
	SessionID string   `json:"sid"`
	Roles     []string `json:"roles,omitempty"`
}

// keyRing holds the signing keys. The active key signs; a retired key
// still verifies until every token it signed has expired.
type keyRing struct {
	mu     sync.RWMutex
	active string
	keys   map[string]ringKey
	// loadedAt limits reloads triggered by unknown key ids.
	loadedAt time.Time
}

type ringKey struct {
	secret    []byte
	retiredAt time.Time
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return b
}

func randomString(prefix string, n int) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randomBytes(n))
}

// hashToken is how refresh tokens are stored: SHA-256, hex. The tokens
// carry 256 random bits, so a fast hash is enough.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// loadKeys fills the ring from config and the store, generating and
// persisting a key on first start when config has none.
func (s *Service) loadKeys(ctx context.Context) error {
	stored, err := s.st.SigningKeys(ctx)
	if err != nil {
		return err
	}
	if s.cfg.SigningKey == "" && !hasActive(stored) {
		k := store.SigningKey{ID: "k" + strconv.FormatInt(s.now().Unix(), 36) + hex.EncodeToString(randomBytes(3)), Secret: randomBytes(32)}
		if err := s.st.AddSigningKey(ctx, k); err != nil {
			return fmt.Errorf("auth: persist signing key: %w", err)
		}
		s.log.Info("generated access token signing key", "kid", k.ID)
		if stored, err = s.st.SigningKeys(ctx); err != nil {
			return err
		}
	}
	keys := map[string]ringKey{}
	active := ""
	for _, k := range stored {
		keys[k.ID] = ringKey{secret: k.Secret, retiredAt: k.RetiredAt}
		if k.RetiredAt.IsZero() && active == "" {
			active = k.ID
		}
	}
	if s.cfg.SigningKey != "" {
		keys[s.cfg.SigningKeyID] = ringKey{secret: []byte(s.cfg.SigningKey)}
		active = s.cfg.SigningKeyID
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	s.keys.keys, s.keys.active, s.keys.loadedAt = keys, active, s.now()
	return nil
}

func hasActive(ks []store.SigningKey) bool {
	for _, k := range ks {
		if k.RetiredAt.IsZero() {
			return true
		}
	}
	return false
}

// ErrConfigKey is the answer to a rotation while the signing key comes from
// the environment: the stored keys do not sign then.
var ErrConfigKey = status.New(status.Conflict, "the signing key comes from LORDGAME_AUTH_SIGNING_KEY: rotate it by setting a new value and a new auth.signing_key_id")

// RotateStoredKey adds a new random signing key to st with a new key id and
// retires the active one, which keeps verifying the tokens it signed until
// they expire. It is what `lordgame keys rotate` runs on a store opened by
// the command; running servers sign with the new key within keyReload.
func RotateStoredKey(ctx context.Context, st store.SigningKeys, now time.Time) (string, error) {
	k := store.SigningKey{ID: "k" + strconv.FormatInt(now.Unix(), 36) + hex.EncodeToString(randomBytes(3)), Secret: randomBytes(32), CreatedAt: now}
	if err := st.AddSigningKey(ctx, k); err != nil {
		return "", fmt.Errorf("auth: rotate key: %w", err)
	}
	return k.ID, nil
}

// RotateKey makes a new stored signing key active on this node at once.
// Tokens signed with the previous key stay valid until they expire
// (AccessTTL). With a key from config it is ErrConfigKey: rotate that one
// by changing the config.
func (s *Service) RotateKey(ctx context.Context) (string, error) {
	if s.cfg.SigningKey != "" {
		return "", ErrConfigKey
	}
	kid, err := RotateStoredKey(ctx, s.st, s.now())
	if err != nil {
		return "", s.storeErr(err, nil)
	}
	if err := s.loadKeys(ctx); err != nil {
		return "", s.storeErr(err, nil)
	}
	s.log.Info("rotated access token signing key", "kid", kid)
	return kid, nil
}

// keyReload is how often a signing node rereads the stored keys, so that
// a key another node added (a rotation, or two nodes racing on first start)
// becomes the one this node signs with well before the keys it retired
// stop verifying (AccessTTL after retirement).
const keyReload = time.Minute

// signAccess issues an access token for a session.
func (s *Service) signAccess(ctx context.Context, uid int64, sid string, roles []string) (string, error) {
	s.keys.mu.RLock()
	stale := s.now().Sub(s.keys.loadedAt) > keyReload
	s.keys.mu.RUnlock()
	if stale {
		if err := s.loadKeys(ctx); err != nil {
			// Keep signing with the keys we have; verification elsewhere
			// tolerates a key for AccessTTL after it is retired.
			s.log.Warn("reload signing keys", "err", err)
		}
	}
	now := s.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   strconv.FormatInt(uid, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
		},
		SessionID: sid,
		Roles:     roles,
	}
	s.keys.mu.RLock()
	kid := s.keys.active
	key := s.keys.keys[kid]
	s.keys.mu.RUnlock()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = kid
	return t.SignedString(key.secret)
}

var errBadToken = errors.New("auth: bad token")

// keyFor finds the secret for a token's kid, refusing keys retired longer
// than AccessTTL ago.
func (s *Service) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	s.keys.mu.RLock()
	k, ok := s.keys.keys[kid]
	loadedAt := s.keys.loadedAt
	s.keys.mu.RUnlock()
	if !ok && s.now().Sub(loadedAt) > 10*time.Second {
		// Another node may have rotated: look again, at most every 10s.
		if err := s.loadKeys(ctx); err != nil {
			return nil, err
		}
		s.keys.mu.RLock()
		k, ok = s.keys.keys[kid]
		s.keys.mu.RUnlock()
	}
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id", errBadToken)
	}
	if !k.retiredAt.IsZero() && s.now().After(k.retiredAt.Add(s.cfg.AccessTTL+time.Minute)) {
		return nil, fmt.Errorf("%w: key retired", errBadToken)
	}
	return k.secret, nil
}

// parseAccess verifies an access token's signature, issuer and times.
func (s *Service) parseAccess(ctx context.Context, token string) (*claims, int64, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return s.keyFor(ctx, t) },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return nil, 0, err
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || uid <= 0 || c.SessionID == "" {
		return nil, 0, fmt.Errorf("%w: bad subject or session", errBadToken)
	}
	return &c, uid, nil
}

// DeriveKey returns a secret for another purpose (label names it) derived
// from the active signing key: every node that shares the store derives the
// same one, so it can check what another node signed with it (resume
// tokens).
func (s *Service) DeriveKey(label string) []byte {
	s.keys.mu.RLock()
	k := s.keys.keys[s.keys.active]
	s.keys.mu.RUnlock()
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte("lordgame derived key: " + label))
	return mac.Sum(nil)
}
