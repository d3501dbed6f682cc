package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func TestWallet(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "carol", 1000)
		if bal, err := db.Balance(ctx, a.ID); err != nil || bal != 1000 {
			t.Fatalf("initial balance = %d, %v; want 1000", bal, err)
		}
		e, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: -300, Key: "k1", Reason: "bet"})
		if err != nil || e.BalanceAfter != 700 || e.Replayed || e.ID == 0 {
			t.Fatalf("Apply(-300) = %+v, %v", e, err)
		}
		again, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: -300, Key: "k1", Reason: "bet"})
		if err != nil || !again.Replayed || again.ID != e.ID || again.BalanceAfter != 700 {
			t.Fatalf("replay = %+v, %v; want first result replayed", again, err)
		}
		if _, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: -1, Key: "k1"}); !errors.Is(err, store.ErrKeyReused) {
			t.Errorf("same key, other amount: err = %v, want ErrKeyReused", err)
		}
		if _, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: -701, Key: "k2"}); !errors.Is(err, store.ErrInsufficientFunds) {
			t.Errorf("overdraft: err = %v, want ErrInsufficientFunds", err)
		}
		// The refused key was not consumed.
		if e, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: -700, Key: "k2"}); err != nil || e.BalanceAfter != 0 {
			t.Errorf("exact debit = %+v, %v; want balance 0", e, err)
		}
		if _, err := db.Apply(ctx, store.Entry{UserID: 42, Delta: 1, Key: "k3"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown wallet: err = %v, want ErrNotFound", err)
		}
		if _, err := db.Balance(ctx, 42); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Balance(unknown) err = %v, want ErrNotFound", err)
		}
		ledger, err := db.Ledger(ctx, a.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ledger) != 3 || ledger[0].Key != "k2" || ledger[2].Key != fmt.Sprintf("grant:signup:%d", a.ID) || ledger[2].Delta != 1000 {
			t.Errorf("ledger = %+v", ledger)
		}
	})
}

func TestConcurrentLedger(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "dave", 1000)
		const n = 100
		entry := func(i int) store.Entry {
			d := int64(7)
			if i%2 == 1 {
				d = -5
			}
			return store.Entry{UserID: a.ID, Delta: d, Key: fmt.Sprintf("c:%d", i)}
		}
		run := func(wantReplayed bool) {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					e, err := db.Apply(ctx, entry(i))
					if err != nil {
						t.Errorf("entry %d: %v", i, err)
					} else if e.Replayed != wantReplayed {
						t.Errorf("entry %d: replayed = %v, want %v", i, e.Replayed, wantReplayed)
					}
				})
			}
			wg.Wait()
		}
		run(false)
		want := int64(1000 + 50*7 - 50*5)
		if bal, _ := db.Balance(ctx, a.ID); bal != want {
			t.Fatalf("balance after %d entries = %d, want %d", n, bal, want)
		}
		run(true)
		if bal, _ := db.Balance(ctx, a.ID); bal != want {
			t.Fatalf("balance after replays = %d, want %d", bal, want)
		}
		if l, _ := db.Ledger(ctx, a.ID, 1000); len(l) != n+1 {
			t.Errorf("ledger has %d entries, want %d", len(l), n+1)
		}
		// Many racers on one key: exactly one moves coins.
		var wg sync.WaitGroup
		applied := make(chan bool, 10)
		for range 10 {
			wg.Go(func() {
				e, err := db.Apply(ctx, store.Entry{UserID: a.ID, Delta: 1, Key: "same"})
				if err != nil {
					t.Errorf("same key: %v", err)
				}
				applied <- !e.Replayed
			})
		}
		wg.Wait()
		close(applied)
		firsts := 0
		for a := range applied {
			if a {
				firsts++
			}
		}
		if bal, _ := db.Balance(ctx, a.ID); bal != want+1 || firsts != 1 {
			t.Errorf("same key x10: balance %d (want %d), first results %d (want 1)", bal, want+1, firsts)
		}
	})
}
