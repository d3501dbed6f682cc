package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lordgame/lordgame/internal/store"
)

// PostgresEnv names the variable that points the conformance suite at a
// PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "LORDGAME_TEST_POSTGRES"

// env is one isolated database: a temporary SQLite file or a fresh
// PostgreSQL schema that is dropped when the test ends.
type env struct {
	name    string
	dsn     string
	dataDir string
	// exec runs raw SQL beside the store (to fake a newer schema).
	exec func(t testing.TB, q string)
}

func (e env) open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), e.dsn, e.dataDir)
	if err != nil {
		t.Fatalf("%s: Open: %v", e.name, err)
	}
	return db
}

// eachBackend runs fn once on SQLite and once on PostgreSQL, each with a
// database of its own.
func eachBackend(t *testing.T, fn func(t *testing.T, e env)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, env{name: "sqlite", dataDir: dir, exec: func(t testing.TB, q string) {
			t.Helper()
			raw, err := sql.Open("sqlite", "file:"+dir+"/"+store.DefaultFile+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("exec %q: %v", q, err)
			}
		}})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, postgresEnv(t))
	})
}

// sqliteEnv is a temporary SQLite database.
func sqliteEnv(t testing.TB) env {
	dir := t.TempDir()
	return env{name: "sqlite", dataDir: dir, exec: func(t testing.TB, q string) {
		t.Helper()
		raw, err := sql.Open("sqlite", "file:"+dir+"/"+store.DefaultFile+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("exec %q: %v", q, err)
		}
	}}
}

// withStore runs fn on a freshly migrated store of each backend.
func withStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	eachBackend(t, func(t *testing.T, e env) {
		db := e.open(t)
		t.Cleanup(func() { db.Close() })
		fn(t, db)
	})
}

func postgresEnv(t testing.TB) env {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL conformance run skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv)
	}
	if testing.Short() {
		t.Skip("PostgreSQL conformance run skipped under -short: it needs a running server")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, withoutPoolParams(base))
	if err != nil {
		t.Fatalf("connect %s: %v", PostgresEnv, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "lgtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close(ctx)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return env{name: "postgres", dsn: u.String(), exec: func(t testing.TB, s string) {
		t.Helper()
		if _, err := admin.Exec(ctx, "SET search_path TO "+schema+"; "+s); err != nil {
			t.Fatalf("exec %q: %v", s, err)
		}
	}}
}

// withoutPoolParams drops pgxpool's pool_* settings, which a plain
// connection would send to the server as unknown parameters.
func withoutPoolParams(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
