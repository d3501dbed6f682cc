package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/lordgame/lordgame/internal/status"
)

// Errors a client may see. They are *status.Error values, so errors.Is works
// on them and status.From passes them through to the wire unchanged.
var (
	ErrNotFound          = status.New(status.NotFound, "not found")
	ErrConflict          = status.New(status.Conflict, "already exists")
	ErrInsufficientFunds = status.New(status.Conflict, "insufficient balance")
	ErrKeyReused         = status.New(status.Conflict, "idempotency key already used for a different entry")
	ErrGameClosed        = status.New(status.Conflict, "game already finished or cancelled")
	// ErrTokenReused means a refresh token was presented after it had been
	// rotated: its whole session was revoked.
	ErrTokenReused = status.New(status.Unauthenticated, "refresh token already used: session revoked")
	// ErrTokenInvalid covers unknown, expired and revoked refresh tokens.
	ErrTokenInvalid = status.New(status.Unauthenticated, "refresh token invalid or expired")
)

// ErrSchemaTooNew means the database was migrated by a newer binary.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")

// DefaultFile is the SQLite file name inside the data directory.
const DefaultFile = "lordgame.db"

// DB is the durable state of one server, on SQLite or PostgreSQL. It
// implements every domain interface of this package.
type DB struct {
	b backend
	// now is the clock for created_at columns; tests may replace it.
	now func() time.Time
}

// Open connects to the database named by dsn and applies pending
// migrations. An empty dsn means SQLite at <dataDir>/lordgame.db (the
// directory is created); "postgres://" or "postgresql://" means PostgreSQL;
// "sqlite:<path>" names a SQLite file explicitly.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	db, err := open(ctx, dsn, dataDir)
	if err != nil {
		return nil, err
	}
	if _, err := db.migrate(ctx, "up"); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	var (
		b   backend
		err error
	)
	switch {
	case dsn == "":
		if dataDir == "" {
			dataDir = "data"
		}
		if err := SecureDir(dataDir); err != nil {
			return nil, err
		}
		b, err = openSQLite(ctx, filepath.Join(dataDir, DefaultFile))
	case strings.HasPrefix(dsn, "sqlite:"):
		b, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		b, err = openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("store: unsupported database address %q: want empty (SQLite), sqlite:PATH or postgres://", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	return &DB{b: tracedBackend{b}, now: time.Now}, nil
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.b.dialect() }

// Close releases every connection.
func (db *DB) Close() error { return db.b.close() }

// SecureDir creates the data folder dir readable only by its owner
// (0700), and tightens an existing one that is looser: it holds the
// database, and with it the token signing keys and password hashes.
func SecureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: create data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("store: data directory: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("store: restrict data directory %s to its owner: %w", dir, err)
		}
	}
	return nil
}

// secureFile creates path if needed and makes it 0600, fixing an existing
// file (from an older version) that other users could read.
func secureFile(path string, create bool) error {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, os.ErrNotExist) && !create {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("store: restrict %s to its owner: %w", path, err)
		}
	}
	return nil
}

func openSQLite(ctx context.Context, path string) (backend, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	// The file holds the signing keys: 0600 from the start (SQLite gives
	// its -wal and -shm files the mode of the database file), and an
	// older, looser file and its companions are tightened.
	if err := secureFile(path, true); err != nil {
		return nil, err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := secureFile(path+suffix, false); err != nil {
			return nil, err
		}
	}
	params := "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	writer, err := sql.Open("sqlite", "file:"+path+params+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	writer.SetConnMaxLifetime(0)
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", "file:"+path+params+"&_pragma=query_only(1)")
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	n := max(2, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	return &sqliteBackend{writer: writer, reader: reader}, nil
}

func openPostgres(ctx context.Context, dsn string) (backend, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: parse postgres address %s: %w", redact(dsn), err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect postgres %s: %w", redact(dsn), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect postgres %s: %w", redact(dsn), err)
	}
	return &pgBackend{pool: pool}, nil
}

// redact hides the password of a database URL so it can be logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Redact returns dsn with its password hidden, for logs.
func Redact(dsn string) string { return redact(dsn) }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
