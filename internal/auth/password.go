package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id parameters. Hashes record the parameters they
// were made with, so changing them only affects new hashes.
type Argon2Params struct {
	// Time is the number of passes over memory.
	Time uint32 `yaml:"time"`
	// MemoryKiB is the memory per hash in KiB.
	MemoryKiB uint32 `yaml:"memory_kib"`
	// Threads is the parallelism.
	Threads uint8 `yaml:"threads"`
}

// DefaultArgon2 follows the OWASP password storage recommendation for
// argon2id (m=19 MiB, t=2, p=1): about 20 ms and 19 MiB per hash on one
// core of the reference machine (bench/RESULTS.md), expensive for an
// offline attacker while a core still serves ~45 logins/s.
var DefaultArgon2 = Argon2Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

const (
	saltBytes = 16
	keyBytes  = 32
)

func (p Argon2Params) validate() error {
	if p.Time < 1 || p.MemoryKiB < 8*uint32(max(p.Threads, 1)) || p.Threads < 1 {
		return errors.New("auth: argon2 needs time >= 1, threads >= 1 and memory_kib >= 8*threads")
	}
	return nil
}

// hashPassword returns a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func hashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyBytes)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword reports whether password matches a PHC hash, comparing in
// constant time.
func checkPassword(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("auth: unknown password hash format")
	}
	var version int
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("auth: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("auth: bad argon2 parameters: %w", err)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("auth: bad argon2 salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("auth: bad argon2 key: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// hasher bounds concurrent argon2 work.
type hasher struct {
	params Argon2Params
	slots  chan struct{}
	// dummy is checked when an account does not exist, so that a login for
	// an unknown name costs the same time as one with a wrong password.
	dummy string
}

func newHasher(p Argon2Params, slots int) (*hasher, error) {
	d, err := hashPassword("no such account", p)
	if err != nil {
		return nil, err
	}
	return &hasher{params: p, slots: make(chan struct{}, slots), dummy: d}, nil
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (h *hasher) release() { <-h.slots }

func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return hashPassword(password, h.params)
}

// check verifies password against hash; an empty hash (no such account, or
// a guest) is checked against the dummy and always fails.
func (h *hasher) check(ctx context.Context, password, hash string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if hash == "" {
		_, _ = checkPassword(password, h.dummy)
		return false, nil
	}
	return checkPassword(password, hash)
}

// needsRehash reports whether hash was made with other parameters than p,
// so that a login can upgrade it while the password is at hand.
func needsRehash(hash string, p Argon2Params) bool {
	parts := strings.Split(hash, "$")
	return len(parts) != 6 || parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.MemoryKiB, p.Time, p.Threads)
}
