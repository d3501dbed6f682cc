package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RunCheckpointer takes SQLite's WAL checkpoints off the write path until
// ctx ends. By default SQLite checkpoints inside the commit that crosses
// 1,000 WAL pages, and that commit then waits for the copy and the fsync
// of the database file: a stall of tens or hundreds of milliseconds for
// whichever write (a game event about to be announced) is unlucky. With
// the checkpointer, the writer never checkpoints; a connection of its own
// runs a PASSIVE checkpoint every interval, which proceeds beside the
// writer without blocking it. On PostgreSQL it does nothing.
func (db *DB) RunCheckpointer(ctx context.Context, every time.Duration) error {
	b, ok := unwrap(db.b).(*sqliteBackend)
	if !ok {
		<-ctx.Done()
		return nil
	}
	var file string
	if err := b.writer.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return fmt.Errorf("store: checkpointer: %w", err)
	}
	cp, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("store: checkpointer: %w", err)
	}
	defer cp.Close()
	cp.SetMaxOpenConns(1)
	if _, err := b.writer.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return fmt.Errorf("store: checkpointer: %w", err)
	}
	// Hand checkpoints back to the writer when we stop.
	defer func() { _, _ = b.writer.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_autocheckpoint = 1000") }()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := cp.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
				return fmt.Errorf("store: checkpoint: %w", err)
			}
		}
	}
}
