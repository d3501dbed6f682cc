package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// row is one result row; both database/sql and pgx rows satisfy it.
type row interface {
	Scan(dest ...any) error
}

// rows is a result set.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// querier runs SQL written with `?` placeholders.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	queryRow(ctx context.Context, q string, args ...any) row
	query(ctx context.Context, q string, args ...any) (rows, error)
}

// backend is one database engine.
type backend interface {
	querier
	// tx runs fn in one transaction, committing when fn returns nil.
	tx(ctx context.Context, fn func(q querier) error) error
	dialect() string
	close() error
}

func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isCheck reports whether err is a CHECK-constraint violation.
func isCheck(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23514"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK
	}
	return false
}

// sqliteBackend has one writer connection (every write is serialised there)
// and a pool of readers; WAL lets readers run beside the writer.
type sqliteBackend struct {
	writer *sql.DB
	reader *sql.DB
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// sqlQ runs writes on w and reads on r (the same handle inside a transaction).
type sqlQ struct{ w, r sqlQuerier }

func (q sqlQ) exec(ctx context.Context, s string, args ...any) (int64, error) {
	res, err := q.w.ExecContext(ctx, s, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQ) queryRow(ctx context.Context, s string, args ...any) row {
	return q.r.QueryRowContext(ctx, s, args...)
}

func (q sqlQ) query(ctx context.Context, s string, args ...any) (rows, error) {
	rs, err := q.r.QueryContext(ctx, s, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}

func (b *sqliteBackend) exec(ctx context.Context, s string, args ...any) (int64, error) {
	return sqlQ{b.writer, b.reader}.exec(ctx, s, args...)
}

func (b *sqliteBackend) queryRow(ctx context.Context, s string, args ...any) row {
	return sqlQ{b.writer, b.reader}.queryRow(ctx, s, args...)
}

func (b *sqliteBackend) query(ctx context.Context, s string, args ...any) (rows, error) {
	return sqlQ{b.writer, b.reader}.query(ctx, s, args...)
}

func (b *sqliteBackend) tx(ctx context.Context, fn func(q querier) error) error {
	tx, err := b.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlQ{tx, tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (b *sqliteBackend) dialect() string { return "sqlite" }

func (b *sqliteBackend) close() error {
	return errors.Join(b.reader.Close(), b.writer.Close())
}

// pgBackend runs on a pgx pool.
type pgBackend struct {
	pool   *pgxpool.Pool
	rebind sync.Map // `?` query -> `$n` query
}

type pgExec interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

type pgQ struct {
	b *pgBackend
	e pgExec
}

type pgRows struct{ pgx.Rows }

func (r pgRows) Close() { r.Rows.Close() }

func (q pgQ) exec(ctx context.Context, s string, args ...any) (int64, error) {
	tag, err := q.e.Exec(ctx, q.b.sql(s), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQ) queryRow(ctx context.Context, s string, args ...any) row {
	return q.e.QueryRow(ctx, q.b.sql(s), args...)
}

func (q pgQ) query(ctx context.Context, s string, args ...any) (rows, error) {
	rs, err := q.e.Query(ctx, q.b.sql(s), args...)
	if err != nil {
		return nil, err
	}
	return pgRows{rs}, nil
}

// sql rewrites `?` placeholders to `$1, $2, ...`. Our queries never contain
// a literal question mark.
func (b *pgBackend) sql(s string) string {
	if v, ok := b.rebind.Load(s); ok {
		return v.(string)
	}
	var sb strings.Builder
	n := 0
	for _, r := range s {
		if r == '?' {
			n++
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	out := sb.String()
	b.rebind.Store(s, out)
	return out
}

func (b *pgBackend) exec(ctx context.Context, s string, args ...any) (int64, error) {
	return pgQ{b, b.pool}.exec(ctx, s, args...)
}

func (b *pgBackend) queryRow(ctx context.Context, s string, args ...any) row {
	return pgQ{b, b.pool}.queryRow(ctx, s, args...)
}

func (b *pgBackend) query(ctx context.Context, s string, args ...any) (rows, error) {
	return pgQ{b, b.pool}.query(ctx, s, args...)
}

func (b *pgBackend) tx(ctx context.Context, fn func(q querier) error) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return fn(pgQ{b, tx}) })
}

func (b *pgBackend) dialect() string { return "postgres" }

func (b *pgBackend) close() error {
	b.pool.Close()
	return nil
}
