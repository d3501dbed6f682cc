// Package store keeps the server's durable state (accounts, sessions, wallets,
// games) in SQLite or PostgreSQL behind one set of per-domain interfaces.
//
// Open picks the backend from the DSN: an empty DSN means an embedded SQLite
// file under the data directory (the no-configuration default), a
// postgres:// URL means PostgreSQL through a pgx connection pool. Both run
// the same queries: SQL is written once with `?` placeholders and the
// PostgreSQL backend rewrites them to `$n`. Only the schema differs where the
// dialects do, in migrations/NNNN_name.<dialect>.up.sql; a file without a
// dialect suffix is shared.
//
// SQLite runs in WAL mode with a busy timeout and a single writer
// connection, so every write transaction is serialised; reads go to a small
// pool of reader connections. PostgreSQL relies on row locks taken by
// conditional UPDATEs (wallet balance, game state, refresh token use), so
// the same code is correct under READ COMMITTED.
//
// Money-like values change only through ledger entries with a unique
// idempotency key: applying a key twice returns the first result and moves
// nothing.
//
// Errors a client may see are *status.Error values (ErrNotFound,
// ErrConflict, ErrInsufficientFunds, ...), so callers can both test them with
// errors.Is and hand them to the gateway unchanged.
//
// The package imports nothing of ours but status. It owns no goroutines;
// *DB is safe for concurrent use.
package store
