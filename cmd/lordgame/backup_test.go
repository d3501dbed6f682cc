package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/internal/store"
)

// ledgerState reads every wallet of a SQLite file and the sum of its
// ledger, independently of inspect.
func ledgerState(t *testing.T, path string) (wallets map[int64][2]int64, entries int64) {
	t.Helper()
	db, err := sqliteRO(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT w.user_id, w.balance, COALESCE((SELECT SUM(delta) FROM ledger l WHERE l.user_id = w.user_id), 0) FROM wallets w`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wallets = map[int64][2]int64{}
	for rows.Next() {
		var uid, bal, sum int64
		if err := rows.Scan(&uid, &bal, &sum); err != nil {
			t.Fatal(err)
		}
		wallets[uid] = [2]int64{bal, sum}
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM ledger").Scan(&entries); err != nil {
		t.Fatal(err)
	}
	return wallets, entries
}

// TestBackupWhileBotsPlay takes backups of the SQLite database while
// players and bots play classic games, checks that a restore is refused
// while the server runs, restores the last backup after it stopped, and
// checks that every balance equals the sum of its ledger, that the
// replaced database is kept, and that a server runs on the restored data.
func TestBackupWhileBotsPlay(t *testing.T) {
	if testing.Short() {
		t.Skip("plays games")
	}
	data := t.TempDir()
	backups := t.TempDir()
	s, stopServer, done := startServer(t, "-data", data, "-ddz-bot-wait", "50ms", "-ddz-bot-delay", "0s",
		"-ddz-autoplay-delay", "0s")
	addr := s.HTTPAddr()
	ctx, stopPlay := context.WithCancel(t.Context())
	var games atomic.Int64
	var wg sync.WaitGroup
	for i := range 4 {
		tok, _ := guest(t, addr, fmt.Sprintf("backup-test-device-%d", i))
		c, err := client.Dial(t.Context(), "ws://"+addr+"/ws", client.Options{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		pl := ddzclient.New(c, 0)
		pl.Stake = 1
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := pl.Join(ctx, "classic"); err != nil {
					if ctx.Err() == nil {
						t.Errorf("player %d join: %v", i, err)
					}
					return
				}
				gctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				_, err := pl.Play(gctx)
				cancel()
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("player %d: %v", i, err)
					}
					return
				}
				games.Add(1)
				for _, v := range pl.Violations() {
					t.Errorf("player %d: %s", i, v)
				}
			}
		})
	}
	waitGames := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for games.Load() < n && time.Now().Before(deadline) && !t.Failed() {
			time.Sleep(20 * time.Millisecond)
		}
		if games.Load() < n {
			t.Fatalf("%d games played, want %d", games.Load(), n)
		}
	}
	var last string
	var lastEntries int64
	for round := range 3 {
		waitGames(int64(4 * (round + 1)))
		last = filepath.Join(backups, fmt.Sprintf("b%d.db", round))
		var out bytes.Buffer
		if err := run(t.Context(), []string{"backup", last, "-data", data}, env(nil), &out, io.Discard, nil); err != nil {
			t.Fatalf("backup %d while playing: %v", round, err)
		}
		if !strings.Contains(out.String(), "integrity ok") {
			t.Errorf("backup said %q", out.String())
		}
		wallets, entries := ledgerState(t, last)
		if entries <= lastEntries {
			t.Errorf("backup %d has %d ledger entries, the one before %d: games were settled meanwhile", round, entries, lastEntries)
		}
		lastEntries = entries
		t.Logf("backup %d after %d games: %d wallets, %d ledger entries", round, games.Load(), len(wallets), entries)
		for uid, w := range wallets {
			if w[0] != w[1] {
				t.Errorf("backup %d: user %d balance %d, ledger sum %d", round, uid, w[0], w[1])
			}
		}
	}
	// A second backup to the same file is refused; so is a restore while
	// the server holds the data folder.
	if err := run(t.Context(), []string{"backup", last, "-data", data}, env(nil), io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if err := run(t.Context(), []string{"restore", last, "-data", data}, env(nil), io.Discard, io.Discard, nil); !errors.Is(err, errDataLocked) {
		t.Errorf("restore while the server runs: %v, want errDataLocked", err)
	}
	stopPlay()
	wg.Wait()
	stopServer()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	liveWallets, liveEntries := ledgerState(t, filepath.Join(data, store.DefaultFile))
	if liveEntries <= lastEntries {
		t.Logf("no settlement after the last backup (%d entries)", liveEntries)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"restore", last, "-data", data}, env(nil), &out, io.Discard, nil); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out.String(), "every balance matches its ledger") || !strings.Contains(out.String(), ".bak") {
		t.Errorf("restore said %q", out.String())
	}
	wallets, entries := ledgerState(t, filepath.Join(data, store.DefaultFile))
	if entries != lastEntries || len(wallets) == 0 {
		t.Errorf("restored %d ledger entries and %d wallets, the backup has %d entries", entries, len(wallets), lastEntries)
	}
	for uid, w := range wallets {
		if w[0] != w[1] {
			t.Errorf("restored: user %d balance %d, ledger sum %d", uid, w[0], w[1])
		}
	}
	// The replaced database is kept, whole.
	bakWallets, bakEntries := ledgerState(t, filepath.Join(data, store.DefaultFile+".bak"))
	if bakEntries != liveEntries || len(bakWallets) != len(liveWallets) {
		t.Errorf(".bak has %d entries and %d wallets, the replaced database had %d and %d", bakEntries, len(bakWallets), liveEntries, len(liveWallets))
	}
	// A server starts on the restored data and a player finds the
	// balance of the backup.
	s2, _, _ := startServer(t, "-data", data)
	tok, uid := guest(t, s2.HTTPAddr(), "backup-test-device-0")
	_ = tok
	if w, ok := wallets[uid]; !ok || w[0] <= 0 {
		t.Errorf("player 0 (user %d) has no wallet in the restored database: %v", uid, w)
	}
}

// TestBackupRestoreRefusals: what backup and restore refuse, and that a
// refused restore changes nothing.
func TestBackupRestoreRefusals(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	// A database made by the store, with one account.
	db, err := store.Open(t.Context(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	good := filepath.Join(dir, "good.db")
	if err := run(t.Context(), []string{"backup", good, "-data", data}, env(nil), io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(good); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("backup file mode %v (%v), want no access for group and others", st.Mode(), err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	_ = os.WriteFile(garbage, bytes.Repeat([]byte("not sqlite "), 1000), 0o600)
	newer := copyDB(t, good, filepath.Join(dir, "newer.db"), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)")
	badLedger := copyDB(t, good, filepath.Join(dir, "badledger.db"),
		"INSERT INTO accounts (id, created_at, updated_at) VALUES (77, 0, 0)", "INSERT INTO wallets (user_id, balance, updated_at) VALUES (77, 500, 0)")
	badHouse := copyDB(t, good, filepath.Join(dir, "badhouse.db"), "UPDATE house SET balance = balance + 7 WHERE id = 1")
	notOurs := filepath.Join(dir, "other.db")
	copyDB(t, "", notOurs, "CREATE TABLE t (x)")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"backup without file", []string{"backup"}, "usage: lordgame backup FILE"},
		{"backup flag first", []string{"backup", "-data", data}, "usage: lordgame backup FILE"},
		{"backup overwrite", []string{"backup", good, "-data", data}, "refusing to overwrite"},
		{"backup without database", []string{"backup", filepath.Join(dir, "x.db"), "-data", filepath.Join(dir, "empty")}, "no database at"},
		{"backup on postgres", []string{"backup", filepath.Join(dir, "x.db"), "-db", "postgres://u@h/db"}, "pg_dump"},
		{"backup stray argument", []string{"backup", filepath.Join(dir, "x.db"), "extra"}, `unexpected argument "extra"`},
		{"restore on postgres", []string{"restore", good, "-db", "postgres://u@h/db"}, "pg_restore"},
		{"restore missing", []string{"restore", filepath.Join(dir, "nope.db"), "-data", data}, "no such file"},
		{"restore garbage", []string{"restore", garbage, "-data", data}, "garbage.db"},
		{"restore newer schema", []string{"restore", newer, "-data", data}, "schema version 99"},
		{"restore bad ledger", []string{"restore", badLedger, "-data", data}, "1 wallet balances differ from the sum of their ledger (e.g. user 77)"},
		{"restore bad house", []string{"restore", badHouse, "-data", data}, "the house balance"},
		{"restore other database", []string{"restore", notOurs, "-data", data}, "not a LordGame database"},
	}
	before, _ := os.ReadFile(filepath.Join(data, store.DefaultFile))
	for _, tt := range tests {
		err := run(t.Context(), tt.args, env(nil), io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	after, _ := os.ReadFile(filepath.Join(data, store.DefaultFile))
	if !bytes.Equal(before, after) {
		t.Error("a refused restore changed the database")
	}
	if _, err := os.Stat(filepath.Join(data, store.DefaultFile+".bak")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore left a .bak: %v", err)
	}
	// Two restores keep both replaced databases.
	for range 2 {
		if err := run(t.Context(), []string{"restore", good, "-data", data}, env(nil), io.Discard, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
	}
	baks, _ := filepath.Glob(filepath.Join(data, store.DefaultFile+"*.bak"))
	if len(baks) != 2 {
		t.Errorf("backups of replaced databases: %q, want 2", baks)
	}
	// A server cannot start while a restore holds the folder.
	unlock, err := lockData(data, true)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := newServer(t.Context(), mustConfig(t, "-data", data), io.Discard); !errors.Is(err, errDataLocked) {
		t.Errorf("server start during a restore: %v, want errDataLocked", err)
	}
}

func mustConfig(t *testing.T, args ...string) Config {
	t.Helper()
	cfg, _, err := loadConfig(args, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// copyDB copies src (or starts an empty database when src is "") to dst
// and runs stmts on the copy.
func copyDB(t *testing.T, src, dst string, stmts ...string) string {
	t.Helper()
	if src != "" {
		if err := copyFile(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sqlOpenRW(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return dst
}

func sqlOpenRW(path string) (*sql.DB, error) { return sql.Open("sqlite", "file:"+path) }
