package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lordgame/lordgame/internal/status"
)

// TestClassify feeds classify errors the real drivers return and checks
// which ones read as an outage (ErrUnavailable, status unavailable) and
// which keep their meaning.
func TestClassify(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	sqliteErr := func(t *testing.T, dsn string, stmts ...string) error {
		t.Helper()
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range stmts {
			if _, err := db.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		t.Fatalf("%q ran without an error", stmts)
		return nil
	}
	file := filepath.Join(dir, "ok.db")
	if err := sqliteErrOrNil(ctx, "file:"+file, "CREATE TABLE t (k INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a database file, it is only text, long enough to hold a header..........................."), 0o600); err != nil {
		t.Fatal(err)
	}
	// A second connection holds the write lock: the first gives up at once.
	locker, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	busy := sqliteErr(t, "file:"+file+"?_pragma=busy_timeout(0)", "INSERT INTO t VALUES (2)")
	_, _ = conn.ExecContext(ctx, "ROLLBACK")

	closed, _ := sql.Open("sqlite", "file:"+file)
	_ = closed.Close()

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"sqlite read-only", sqliteErr(t, "file:"+file+"?mode=ro", "INSERT INTO t VALUES (3)"), true},
		{"sqlite not a database", sqliteErr(t, "file:"+garbage, "SELECT * FROM t"), true},
		{"sqlite busy", busy, true},
		{"sqlite cannot open", sqliteErr(t, "file:"+filepath.Join(dir, "no", "such", "dir.db"), "SELECT 1"), true},
		{"sqlite closed handle", closed.PingContext(ctx), true},
		{"sqlite unique violation", sqliteErr(t, "file:"+file, "INSERT INTO t VALUES (1)"), false},
		{"sqlite syntax error", sqliteErr(t, "file:"+file, "SELEKT 1"), false},
		{"no rows", sql.ErrNoRows, false},
		{"caller's deadline", context.DeadlineExceeded, false},
		{"caller cancelled", context.Canceled, false},
		{"already unavailable", classify(sql.ErrConnDone), true},
		{"domain error", ErrNotFound, false},
	}
	if base := os.Getenv("LORDGAME_TEST_POSTGRES"); base != "" && !testing.Short() {
		_, refused := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		_, syntax := c.Exec(ctx, "SELEKT 1")
		_, terminated := c.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		_, afterClose := c.Exec(ctx, "SELECT 1")
		_ = c.Close(ctx)
		tests = append(tests, []struct {
			name string
			err  error
			want bool
		}{
			{"postgres connection refused", refused, true},
			{"postgres syntax error", syntax, false},
			{"postgres backend terminated", terminated, true},
			{"postgres closed connection", afterClose, true},
		}...)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to classify")
			}
			got := classify(tt.err)
			if is := errors.Is(got, ErrUnavailable); is != tt.want {
				t.Fatalf("classify(%T %v): unavailable = %v, want %v", tt.err, tt.err, is, tt.want)
			}
			code := status.CodeOf(got)
			if tt.want && code != status.Unavailable {
				t.Errorf("status code of %v = %s, want unavailable", got, code)
			}
			if !tt.want && !errors.Is(got, tt.err) {
				t.Errorf("classify(%v) = %v, lost the original error", tt.err, got)
			}
			if tt.want && !errors.Is(got, tt.err) {
				t.Errorf("classify(%v) = %v does not unwrap to the driver error", tt.err, got)
			}
		})
	}
}

func sqliteErrOrNil(ctx context.Context, dsn string, stmts ...string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
