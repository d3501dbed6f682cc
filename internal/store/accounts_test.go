package store_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

var nextID atomic.Int64

func init() { nextID.Store(time.Now().UnixNano() / 1000) }

func newID() int64 { return nextID.Add(1) }

func mustAccount(t *testing.T, db *store.DB, username string, coins int64) store.Account {
	t.Helper()
	a, err := db.CreateAccount(t.Context(), store.NewAccount{ID: newID(), Username: username, DisplayName: username, PasswordHash: "h", InitialCoins: coins})
	if err != nil {
		t.Fatalf("CreateAccount(%q): %v", username, err)
	}
	return a
}

func TestAccounts(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "Alice", 0)
		if a.Username != "Alice" || a.DisplayName != "Alice" || a.Guest || a.CreatedAt.IsZero() {
			t.Errorf("created account = %+v", a)
		}
		got, err := db.AccountByUsername(ctx, "aLiCe")
		if err != nil || got.ID != a.ID {
			t.Fatalf("AccountByUsername(aLiCe) = %+v, %v; want id %d", got, err, a.ID)
		}
		_, err = db.CreateAccount(ctx, store.NewAccount{ID: newID(), Username: "ALICE", DisplayName: "x"})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("second ALICE: err = %v, want ErrConflict", err)
		}
		if _, err := db.Account(ctx, 42); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Account(42) err = %v, want ErrNotFound", err)
		}
		if _, err := db.AccountByUsername(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AccountByUsername(nobody) err = %v, want ErrNotFound", err)
		}
		if err := db.SetDisplayName(ctx, a.ID, "Queen A"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPasswordHash(ctx, a.ID, "h2"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetRoles(ctx, a.ID, []string{"admin", "mod", "admin"}); err != nil {
			t.Fatal(err)
		}
		until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
		if err := db.Ban(ctx, a.ID, "cheating", until); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Account(ctx, a.ID)
		if got.DisplayName != "Queen A" || got.PasswordHash != "h2" || !got.HasRole("admin") || len(got.Roles) != 2 ||
			got.BanReason != "cheating" || !got.BannedUntil.Equal(until) || !got.Banned(time.Now()) {
			t.Errorf("after updates: %+v", got)
		}
		if err := db.Unban(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ = db.Account(ctx, a.ID); got.Banned(time.Now()) || got.BanReason != "" {
			t.Errorf("after unban: %+v", got)
		}
		for name, err := range map[string]error{
			"SetDisplayName": db.SetDisplayName(ctx, 42, "x"),
			"Ban":            db.Ban(ctx, 42, "x", until),
			"Unban":          db.Unban(ctx, 42),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(unknown) err = %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestGuests(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		g, err := db.CreateAccount(ctx, store.NewAccount{ID: newID(), DisplayName: "Guest1", Guest: true, DeviceID: "dev-1", InitialCoins: 100})
		if err != nil {
			t.Fatal(err)
		}
		// Two guests have no username: the unique index must allow that.
		g2, err := db.CreateAccount(ctx, store.NewAccount{ID: newID(), DisplayName: "Guest2", Guest: true, DeviceID: "dev-2"})
		if err != nil {
			t.Fatalf("second guest: %v", err)
		}
		if _, err := db.CreateAccount(ctx, store.NewAccount{ID: newID(), Guest: true, DeviceID: "dev-1"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same device twice: err = %v, want ErrConflict", err)
		}
		got, err := db.AccountByDevice(ctx, "dev-1")
		if err != nil || got.ID != g.ID || !got.Guest {
			t.Fatalf("AccountByDevice = %+v, %v", got, err)
		}
		mustAccount(t, db, "taken", 0)
		if err := db.UpgradeGuest(ctx, g2.ID, "TAKEN", "h"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("upgrade to taken name: err = %v, want ErrConflict", err)
		}
		if err := db.UpgradeGuest(ctx, g.ID, "Bob", "h"); err != nil {
			t.Fatal(err)
		}
		got, _ = db.AccountByUsername(ctx, "bob")
		if got.ID != g.ID || got.Guest || got.PasswordHash != "h" {
			t.Errorf("upgraded = %+v, want id %d, not guest", got, g.ID)
		}
		if bal, _ := db.Balance(ctx, g.ID); bal != 100 {
			t.Errorf("balance after upgrade = %d, want 100", bal)
		}
		if _, err := db.AccountByDevice(ctx, "dev-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("device still linked after upgrade: %v", err)
		}
		if err := db.UpgradeGuest(ctx, g.ID, "Bob2", "h"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("upgrade non-guest: err = %v, want ErrNotFound", err)
		}
	})
}

func TestConcurrentRegistration(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = db.CreateAccount(t.Context(), store.NewAccount{ID: newID(), Username: fmt.Sprintf("Same%s", []string{"", "NAME", "name"}[i%3]), DisplayName: "x", InitialCoins: 10})
			})
		}
		wg.Wait()
		// Names differ only by case after the first three, so group by key.
		ok := map[string]int{}
		for i, err := range errs {
			key := store.UsernameKey(fmt.Sprintf("Same%s", []string{"", "NAME", "name"}[i%3]))
			switch {
			case err == nil:
				ok[key]++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("registration %d: %v", i, err)
			}
		}
		if ok["same"] != 1 || ok["samename"] != 1 {
			t.Errorf("successes per name = %v, want exactly one each", ok)
		}
	})
}
