package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/store"
)

// runKeys is `lordgame keys rotate [-db URL] [-data DIR]`: it stores a new
// access token signing key with a new key id and retires the active one.
// Running servers on that database sign with the new key within a minute;
// tokens signed with the old one stay valid until they expire.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: lordgame keys rotate [-db URL] [-data DIR]")
	}
	cfg, _, err := loadConfig(args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Auth.SigningKey != "" {
		return errors.New("keys rotate: " + auth.ErrConfigKey.Error())
	}
	db, err := store.Open(ctx, cfg.DB, cfg.Data)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer db.Close()
	kid, err := auth.RotateStoredKey(ctx, db, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signing key %s is active; tokens signed with earlier keys stay valid until they expire (auth.access_ttl %s)\n", kid, cfg.Auth.AccessTTL)
	return nil
}
