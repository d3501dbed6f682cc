package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lordgame/lordgame/internal/store"
)

// This file is `lordgame backup` and `lordgame restore` for the embedded
// SQLite database, and the data folder lock that keeps a restore from
// replacing the database under a running server.

// lockFile is the lock file in the data folder. A server holds a shared
// lock on it while it runs; restore takes it exclusively.
const lockFile = "lordgame.lock"

// errDataLocked means another process holds the data folder.
var errDataLocked = errors.New("data folder is in use")

// lockData takes the data folder's lock: shared for a server (several
// may share one folder, as before), exclusive for a restore. It never
// waits. The lock goes with the process, also when it is killed.
func lockData(dir string, exclusive bool) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			if exclusive {
				return nil, fmt.Errorf("%w: a lordgame server runs on %s; stop it first", errDataLocked, dir)
			}
			return nil, fmt.Errorf("%w: lordgame restore is replacing the database in %s", errDataLocked, dir)
		}
		return nil, fmt.Errorf("data folder lock %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil // closing releases the lock
}

// sqliteRO opens a SQLite file read-only (it must exist).
func sqliteRO(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	u := url.URL{Scheme: "file", Opaque: path, RawQuery: "mode=ro&_pragma=busy_timeout(10000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// dbFacts is what a check of a SQLite database file found.
type dbFacts struct {
	Version  int   // newest applied migration
	Accounts int64 // rows in accounts
	Ledger   int64 // rows in ledger
	Size     int64 // bytes
}

// inspect checks a SQLite database file: integrity_check, a schema this
// binary can run, every wallet balance equal to the sum of its ledger, and
// the house balance equal to the sum of its ledger.
func inspect(ctx context.Context, path string) (dbFacts, error) {
	var f dbFacts
	st, err := os.Stat(path)
	if err != nil {
		return f, err
	}
	f.Size = st.Size()
	db, err := sqliteRO(path)
	if err != nil {
		return f, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return f, fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return f, err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return f, fmt.Errorf("%s: integrity check: %w", path, err)
	}
	rows.Close()
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "...")
		}
		return f, fmt.Errorf("%s fails the integrity check: %s", path, strings.Join(problems, "; "))
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil || !v.Valid {
		return f, fmt.Errorf("%s is not a LordGame database (no schema_migrations)", path)
	}
	f.Version = int(v.Int64)
	if known := store.SchemaVersion(); f.Version > known {
		return f, fmt.Errorf("%s is at schema version %d, this binary knows %d: use a newer lordgame", path, f.Version, known)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts").Scan(&f.Accounts); err != nil {
		return f, fmt.Errorf("%s: accounts: %w", path, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger").Scan(&f.Ledger); err != nil {
		return f, fmt.Errorf("%s: ledger: %w", path, err)
	}
	var bad int64
	var example sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(w.user_id) FROM wallets w
		WHERE w.balance != (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = w.user_id)`).Scan(&bad, &example)
	if err != nil {
		return f, fmt.Errorf("%s: ledger check: %w", path, err)
	}
	if bad > 0 {
		return f, fmt.Errorf("%s: %d wallet balances differ from the sum of their ledger (e.g. user %d)", path, bad, example.Int64)
	}
	if f.Version >= 4 { // the house (migration 0004)
		var house, sum int64
		err := db.QueryRowContext(ctx, "SELECT balance, (SELECT COALESCE(SUM(delta), 0) FROM house_ledger) FROM house WHERE id = 1").Scan(&house, &sum)
		if err != nil {
			return f, fmt.Errorf("%s: house check: %w", path, err)
		}
		if house != sum {
			return f, fmt.Errorf("%s: the house balance %d differs from the sum of its ledger %d", path, house, sum)
		}
	}
	return f, nil
}

// sqliteTarget is the SQLite file of the configuration; it refuses
// PostgreSQL with the tool to use instead.
func sqliteTarget(cfg Config, cmd string) (string, error) {
	if cfg.DB != "" {
		tool := "pg_dump -Fc"
		if cmd == "restore" {
			tool = "pg_restore"
		}
		return "", fmt.Errorf("lordgame %s works on the embedded SQLite database; for PostgreSQL (-db) use %s, or the server's point-in-time recovery (see docs/ops.md, Backups)", cmd, tool)
	}
	return filepath.Join(cfg.Data, store.DefaultFile), nil
}

// fileArg splits `FILE [flags]`.
func fileArg(cmd string, args []string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, usageErr(fmt.Errorf("usage: lordgame %s FILE [-data DIR]", cmd))
	}
	return args[0], args[1:], nil
}

// runBackup is `lordgame backup FILE [flags]`: a consistent copy of the
// SQLite database, taken while the server runs (VACUUM INTO reads one
// snapshot; writers go on meanwhile). It never overwrites FILE.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	dest, rest, err := fileArg("backup", args)
	if err != nil {
		return err
	}
	cfg, _, err := loadConfig(rest, getenv, stderr)
	if err != nil {
		return err
	}
	src, err := sqliteTarget(cfg, "backup")
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists: refusing to overwrite it", dest)
	}
	db, err := sqliteRO(src)
	if err != nil {
		return fmt.Errorf("backup: no database at %s: %w", src, err)
	}
	defer db.Close()
	tmp := fmt.Sprintf("%s.tmp-%d", dest, os.Getpid())
	_ = os.Remove(tmp)
	start := time.Now()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp)
	// The copy holds password hashes and sessions: owner only.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	facts, err := inspect(ctx, tmp)
	if err != nil {
		return fmt.Errorf("backup: the copy fails its check: %w", err)
	}
	// A hard link puts the finished copy in place and fails, rather than
	// replaces, when FILE appeared meanwhile.
	if err := os.Link(tmp, dest); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("backup: %s already exists: refusing to overwrite it", dest)
		}
		return fmt.Errorf("backup: %w", err)
	}
	_ = syncDir(filepath.Dir(dest))
	fmt.Fprintf(stdout, "backup %s: %d bytes in %s, schema version %d, %d accounts, %d ledger entries, integrity ok\n",
		dest, facts.Size, time.Since(start).Round(time.Millisecond), facts.Version, facts.Accounts, facts.Ledger)
	return nil
}

// runRestore is `lordgame restore FILE [flags]`: it checks FILE, then
// replaces the SQLite database with it while no server runs on the data
// folder. The replaced database is kept as lordgame.db.bak (with its
// write-ahead log, if it had one).
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	src, rest, err := fileArg("restore", args)
	if err != nil {
		return err
	}
	cfg, _, err := loadConfig(rest, getenv, stderr)
	if err != nil {
		return err
	}
	target, err := sqliteTarget(cfg, "restore")
	if err != nil {
		return err
	}
	facts, err := inspect(ctx, src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	unlock, err := lockData(cfg.Data, true)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()
	tmp := target + ".restoring"
	_ = os.Remove(tmp)
	if err := copyFile(src, tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := inspect(ctx, tmp); err != nil { // the copy, not only the source
		_ = os.Remove(tmp)
		return fmt.Errorf("restore: the copy fails its check: %w", err)
	}
	bak := ""
	if _, err := os.Stat(target); err == nil {
		bak = target + ".bak"
		if _, err := os.Lstat(bak); err == nil {
			bak = fmt.Sprintf("%s.%s.bak", target, time.Now().UTC().Format("20060102T150405Z"))
		}
		// The database, then its write-ahead log under the matching name
		// (SQLite reads NAME-wal with NAME), and the index that goes with it.
		if err := os.Rename(target, bak); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("restore: keep the old database: %w", err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Rename(target+suffix, bak+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("restore: keep the old database's %s (the old database is %s): %w", suffix, bak, err)
			}
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("restore: %w (the old database is %s)", err, bak)
	}
	_ = syncDir(filepath.Dir(target))
	fmt.Fprintf(stdout, "restored %s from %s: schema version %d (this binary: %d; the server migrates up at start), %d accounts, %d ledger entries, every balance matches its ledger\n",
		target, src, facts.Version, store.SchemaVersion(), facts.Accounts, facts.Ledger)
	if bak != "" {
		fmt.Fprintf(stdout, "the previous database is kept as %s\n", bak)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
