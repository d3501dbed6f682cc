package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

func TestMigrateCommand(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := t.Context()
		var out bytes.Buffer
		if err := store.MigrateCommand(ctx, e.dsn, e.dataDir, []string{"status"}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "0001 init") || !strings.Contains(out.String(), "pending") {
			t.Errorf("status on empty database:\n%s", out.String())
		}
		out.Reset()
		if err := store.MigrateCommand(ctx, e.dsn, e.dataDir, []string{"up"}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "applied") {
			t.Errorf("up:\n%s", out.String())
		}
		out.Reset()
		if err := store.MigrateCommand(ctx, e.dsn, e.dataDir, []string{"down"}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "pending  (undone)") {
			t.Errorf("down:\n%s", out.String())
		}
		for range store.SchemaVersion() - 1 { // down undoes one version at a time
			if err := store.MigrateCommand(ctx, e.dsn, e.dataDir, []string{"down"}, &out); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.MigrateCommand(ctx, e.dsn, e.dataDir, []string{"down"}, &out); err == nil {
			t.Error("down with nothing applied: want an error")
		}
		if err := store.MigrateCommand(ctx, e.dsn, e.dataDir, []string{"sideways"}, &out); err == nil {
			t.Error("unknown command: want an error")
		}
		db := e.open(t) // migrates up again
		db.Close()
		e.exec(t, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
		if _, err := store.Open(ctx, e.dsn, e.dataDir); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Errorf("Open against a newer schema: err = %v, want ErrSchemaTooNew", err)
		}
		if store.SchemaVersion() < 1 {
			t.Errorf("SchemaVersion() = %d", store.SchemaVersion())
		}
	})
}

func TestRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		ctx := t.Context()
		db := e.open(t)
		a := mustAccount(t, db, "frank", 500)
		if _, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: 25, Key: "r1"}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSession(ctx, store.Session{ID: "rs", UserID: a.ID}, store.RefreshToken{Hash: "rh", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = e.open(t)
		defer db.Close()
		if got, err := db.AccountByUsername(ctx, "FRANK"); err != nil || got.ID != a.ID {
			t.Errorf("account after restart = %+v, %v", got, err)
		}
		if bal, _ := db.Balance(ctx, a.ID); bal != 525 {
			t.Errorf("balance after restart = %d, want 525", bal)
		}
		if old, err := db.RotateRefreshToken(ctx, "rh", store.RefreshToken{Hash: "rh2", ExpiresAt: time.Now().Add(time.Hour)}, time.Now()); err != nil || old.UserID != a.ID {
			t.Errorf("refresh after restart = %+v, %v", old, err)
		}
	})
}

func TestOpenDefaultCreatesDataDir(t *testing.T) {
	dir := t.TempDir() + "/nested/data"
	db, err := store.Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != "sqlite" {
		t.Errorf("Dialect() = %q", db.Dialect())
	}
	mustAccount(t, db, "walter", 1)
	if _, err := os.Stat(filepath.Join(dir, store.DefaultFile+"-wal")); err != nil {
		t.Errorf("no write-ahead log beside the database: %v", err)
	}
	if _, err := store.Open(t.Context(), "mysql://x", dir); err == nil {
		t.Error("mysql DSN: want an error")
	}
	if got := store.Redact("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Errorf("Redact leaked the password: %s", got)
	}
}
