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
	return &DB{b: b, now: time.Now}, nil
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.b.dialect() }

// Close releases every connection.
func (db *DB) Close() error { return db.b.close() }

func openSQLite(ctx context.Context, path string) (backend, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
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
