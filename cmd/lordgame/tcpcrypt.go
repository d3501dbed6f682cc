package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The TCP identity key signs the server half of the encrypted TCP key
// exchange (docs/protocol.md, "Encrypted TCP"). It is an Ed25519 private
// key in a PEM "PRIVATE KEY" (PKCS #8) file: -tcp-identity-key, or
// tcp_identity.pem under -data, generated on first start with mode 0600.
// Clients pin its public key, which `lordgame identity` prints, the start
// log shows and GET /v1/gateways returns.

const identityFile = "tcp_identity.pem"

// identityPath is the key file the configuration names.
func identityPath(cfg *Config) string {
	if cfg.Gateway.TCPIdentityKey != "" {
		return cfg.Gateway.TCPIdentityKey
	}
	return filepath.Join(cfg.Data, identityFile)
}

// loadIdentity reads the key file, creating it (and its folder, 0700) when
// it does not exist. A file that group or others can read is refused: the
// key is what clients trust.
func loadIdentity(path string) (ed25519.PrivateKey, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := createIdentity(path)
		return k, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("tcp identity key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("tcp identity key %s: mode %04o lets other users read it: chmod 600 it", path, st.Mode().Perm())
	}
	k, err := parseIdentity(b)
	if err != nil {
		return nil, false, fmt.Errorf("tcp identity key %s: %w", path, err)
	}
	return k, false, nil
}

func parseIdentity(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New(`not a PEM "PRIVATE KEY" block`)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, want an Ed25519 key", k)
	}
	return ek, nil
}

func createIdentity(path string) (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("tcp identity key: %w", err)
	}
	// O_EXCL: two processes starting on one folder do not overwrite each
	// other's key; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		k, _, err := loadIdentity(path)
		return k, err
	}
	if err != nil {
		return nil, fmt.Errorf("tcp identity key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("tcp identity key: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return k, f.Close()
}

// identityHex is the form clients pin: 64 hex digits.
func identityHex(k ed25519.PrivateKey) string {
	return hex.EncodeToString(k.Public().(ed25519.PublicKey))
}

// setupIdentity loads (or creates) the key and gives it to the gateway.
func (s *server) setupIdentity() error {
	path := identityPath(&s.cfg)
	k, created, err := loadIdentity(path)
	if err != nil {
		return err
	}
	s.gw.SetIdentity(k)
	s.log.Info("tcp identity key", "public", identityHex(k), "file", path, "created", created,
		"require_encryption", s.cfg.Gateway.TCPRequireEncryption)
	return nil
}

// runIdentity is `lordgame identity [flags]`: it prints the public TCP
// identity key (creating the key file when missing), for clients to pin.
func runIdentity(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	k, _, err := loadIdentity(identityPath(&cfg))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, identityHex(k))
	return nil
}

// tcpCryptFlagChecks: a named key file must hold an Ed25519 key readable
// only by its owner (a missing file is created at start).
func tcpCryptFlagChecks() []flagCheck {
	return []flagCheck{{"tcp-identity-key", func(c *Config) error {
		if c.Gateway.TCPIdentityKey == "" {
			return nil
		}
		b, err := os.ReadFile(c.Gateway.TCPIdentityKey)
		if errors.Is(err, fs.ErrNotExist) {
			return checkWritableDir(filepath.Dir(c.Gateway.TCPIdentityKey))
		}
		if err != nil {
			return err
		}
		if st, err := os.Stat(c.Gateway.TCPIdentityKey); err == nil && st.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("mode %04o lets other users read it: chmod 600 it", st.Mode().Perm())
		}
		_, err = parseIdentity(b)
		return err
	}}}
}
