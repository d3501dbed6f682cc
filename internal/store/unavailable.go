package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lordgame/lordgame/internal/status"
)

// ErrUnavailable is what a client sees while the database cannot answer
// (PostgreSQL unreachable, SQLite busy, read-only or failing I/O): try
// again later. Every store error caused by such an outage satisfies
// errors.Is(err, ErrUnavailable) and status.From(err) is ErrUnavailable,
// so every route and HTTP handler answers unavailable (503) without
// mapping it itself.
var ErrUnavailable = status.New(status.Unavailable, "the database is unavailable: try again")

// unavailableError is a driver error that means the database cannot
// answer now. It unwraps to the driver error (for logs and for errors.As
// on driver types) and also reads as ErrUnavailable.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "store: database unavailable: " + e.err.Error() }

func (e *unavailableError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrUnavailable) hold.
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// As makes errors.As(err, **status.Error), and so status.From, find
// ErrUnavailable rather than report the driver error as internal.
func (e *unavailableError) As(target any) bool {
	if p, ok := target.(**status.Error); ok {
		*p = ErrUnavailable
		return true
	}
	return false
}

// classify wraps err as unavailable when it says the database cannot
// answer; every other error (no rows, constraint violations, SQL errors,
// the caller's context ending) comes back unchanged. It is applied once,
// by tracedBackend, to everything a backend returns.
func classify(err error) error {
	if err == nil || !outage(err) {
		return err
	}
	return &unavailableError{err}
}

// outage reports whether err means the database is down or unreachable.
func outage(err error) bool {
	var ue *unavailableError
	switch {
	case errors.As(err, &ue):
		return false // already classified
	case isNoRows(err), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // the caller gave up: the gateway answers the timeout
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08 connection exception, 53 insufficient resources, 57P0x the
		// server shutting down or starting, 58 system (I/O) error.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			strings.HasPrefix(pe.Code, "57P0") || strings.HasPrefix(pe.Code, "58")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB:
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		closedConn(err)
}

// closedConn matches the errors pgx and database/sql return, without a
// type, for a connection that broke under a statement or a pool or handle
// that was closed (the server shutting down).
func closedConn(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "sql: database is closed") ||
		strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "connection reset")
}

// Ping reports whether the database answers now (ErrUnavailable when it
// does not); /readyz asks it.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.b.queryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		if errors.Is(err, ErrUnavailable) {
			return err
		}
		return &unavailableError{err}
	}
	return nil
}
