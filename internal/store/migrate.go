package store

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version with its SQL for one dialect.
type migration struct {
	version  int
	name     string
	up, down string
}

// migrationsFor lists the migrations for a dialect in version order. A file
// NNNN_name.<dialect>.up.sql wins over the shared NNNN_name.up.sql.
func migrationsFor(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		file := e.Name()
		base, dir, ok := cutDirection(file)
		if !ok {
			return nil, fmt.Errorf("store: migration %s: name must end in .up.sql or .down.sql", file)
		}
		specific := false
		if i := strings.LastIndexByte(base, '.'); i >= 0 {
			if base[i+1:] != dialect {
				continue
			}
			base, specific = base[:i], true
		}
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must start with a positive version number", file)
		}
		body, err := migrationFiles.ReadFile("migrations/" + file)
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: name}
			byVersion[v] = m
		}
		target := &m.up
		if dir == "down" {
			target = &m.down
		}
		if *target == "" || specific {
			*target = string(body)
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" {
			return nil, fmt.Errorf("store: migration %d has no up script for %s", m.version, dialect)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration versions must be 1, 2, 3...: found %d at position %d", m.version, i+1)
		}
	}
	return out, nil
}

func cutDirection(file string) (base, dir string, ok bool) {
	if b, ok := strings.CutSuffix(file, ".up.sql"); ok {
		return b, "up", true
	}
	if b, ok := strings.CutSuffix(file, ".down.sql"); ok {
		return b, "down", true
	}
	return "", "", false
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int {
	ms, err := migrationsFor("sqlite")
	if err != nil {
		return 0
	}
	return len(ms)
}

// MigrationStatus is one known or applied schema version.
type MigrationStatus struct {
	Version   int
	Name      string
	AppliedAt time.Time // zero if pending
}

const schemaTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)`

// migrate runs "up" (to the newest version), "down" (undo the newest
// applied version) or "status" in one transaction, and returns the status
// afterwards. Against a schema newer than the binary it returns
// ErrSchemaTooNew and changes nothing.
func (db *DB) migrate(ctx context.Context, cmd string) ([]MigrationStatus, error) {
	known, err := migrationsFor(db.b.dialect())
	if err != nil {
		return nil, err
	}
	var result []MigrationStatus
	err = db.b.tx(ctx, func(q querier) error {
		if db.b.dialect() == "postgres" {
			// Two nodes starting together must not both migrate.
			if _, err := q.exec(ctx, "SELECT pg_advisory_xact_lock(7243001)"); err != nil {
				return err
			}
		}
		if _, err := q.exec(ctx, schemaTable); err != nil {
			return err
		}
		applied, err := appliedVersions(ctx, q)
		if err != nil {
			return err
		}
		newest := 0
		for v := range applied {
			newest = max(newest, v)
		}
		if newest > len(known) {
			return fmt.Errorf("%w: database at version %d, binary knows %d", ErrSchemaTooNew, newest, len(known))
		}
		switch cmd {
		case "up":
			for _, m := range known {
				if _, ok := applied[m.version]; ok {
					continue
				}
				if _, err := q.exec(ctx, m.up); err != nil {
					return fmt.Errorf("store: apply migration %d_%s: %w", m.version, m.name, err)
				}
				now := db.now().UnixMilli()
				if _, err := q.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, now); err != nil {
					return err
				}
				applied[m.version] = now
			}
		case "down":
			if newest == 0 {
				return fmt.Errorf("store: migrate down: nothing to undo")
			}
			m := known[newest-1]
			if m.down == "" {
				return fmt.Errorf("store: migration %d_%s cannot be undone", m.version, m.name)
			}
			if _, err := q.exec(ctx, m.down); err != nil {
				return fmt.Errorf("store: undo migration %d_%s: %w", m.version, m.name, err)
			}
			if _, err := q.exec(ctx, "DELETE FROM schema_migrations WHERE version = ?", m.version); err != nil {
				return err
			}
			delete(applied, m.version)
		case "status":
		default:
			return fmt.Errorf("store: unknown migrate command %q: want up, down or status", cmd)
		}
		for _, m := range known {
			s := MigrationStatus{Version: m.version, Name: m.name}
			if at, ok := applied[m.version]; ok {
				s.AppliedAt = fromMS(at)
			}
			result = append(result, s)
		}
		return nil
	})
	return result, err
}

func appliedVersions(ctx context.Context, q querier) (map[int]int64, error) {
	rs, err := q.query(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[int]int64{}
	for rs.Next() {
		var v, at int64
		if err := rs.Scan(&v, &at); err != nil {
			return nil, err
		}
		out[int(v)] = at
	}
	return out, rs.Err()
}

// MigrateCommand runs `lordgame migrate up|down|status` against the
// database named by dsn and dataDir (as in Open) and prints what it did to
// out. "up" applies every pending migration, "down" undoes the newest
// applied one, "status" lists versions without changing anything.
func MigrateCommand(ctx context.Context, dsn, dataDir string, args []string, out io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: lordgame migrate up|down|status")
	}
	db, err := open(ctx, dsn, dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.migrate(ctx, "status")
	if err != nil {
		return err
	}
	after, err := db.migrate(ctx, args[0])
	if err != nil {
		return err
	}
	for i, s := range after {
		state := "pending"
		if !s.AppliedAt.IsZero() {
			state = "applied " + s.AppliedAt.Format(time.RFC3339)
		}
		change := ""
		if before[i].AppliedAt.IsZero() != s.AppliedAt.IsZero() {
			change = "  (" + args[0] + ")"
			if args[0] == "down" {
				change = "  (undone)"
			}
		}
		if _, err := fmt.Fprintf(out, "%04d %-20s %s%s\n", s.Version, s.Name, state, change); err != nil {
			return err
		}
	}
	return nil
}
