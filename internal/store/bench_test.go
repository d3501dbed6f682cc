package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

// benchBackends runs a benchmark on SQLite and, when LORDGAME_TEST_POSTGRES
// is set, on PostgreSQL.
func benchBackends(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) {
		db := sqliteEnv(b).open(b)
		b.Cleanup(func() { db.Close() })
		fn(b, db)
	})
	b.Run("postgres", func(b *testing.B) {
		db := postgresEnv(b).open(b)
		b.Cleanup(func() { db.Close() })
		fn(b, db)
	})
}

func benchAccount(b *testing.B, db *store.DB, name string) int64 {
	b.Helper()
	a, err := db.CreateAccount(b.Context(), store.NewAccount{ID: newID(), Username: name, DisplayName: name, InitialCoins: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	return a.ID
}

// BenchmarkApplyContended applies entries with distinct keys to one wallet
// from 8 goroutines per core.
func BenchmarkApplyContended(b *testing.B) {
	benchBackends(b, func(b *testing.B, db *store.DB) {
		uid := benchAccount(b, db, "hot")
		var n atomic.Int64
		b.SetParallelism(8)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				k := n.Add(1)
				if _, err := db.Apply(b.Context(), store.Entry{UserID: uid, Delta: 1 - 2*(k%2), Key: fmt.Sprintf("b:%d", k)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}

// BenchmarkApplyManyWallets applies entries to 64 wallets from 8
// goroutines per core, each goroutine on its own wallets.
func BenchmarkApplyManyWallets(b *testing.B) {
	benchBackends(b, func(b *testing.B, db *store.DB) {
		uids := make([]int64, 64)
		for i := range uids {
			uids[i] = benchAccount(b, db, fmt.Sprintf("w%d", i))
		}
		var n, worker atomic.Int64
		b.SetParallelism(8)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := worker.Add(1)
			for pb.Next() {
				k := n.Add(1)
				uid := uids[(w*7+k)%int64(len(uids))]
				if _, err := db.Apply(b.Context(), store.Entry{UserID: uid, Delta: 1, Key: fmt.Sprintf("m:%d", k)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}

// BenchmarkApplyReplay measures answering an already applied key.
func BenchmarkApplyReplay(b *testing.B) {
	benchBackends(b, func(b *testing.B, db *store.DB) {
		uid := benchAccount(b, db, "replay")
		e := store.Entry{UserID: uid, Delta: 5, Key: "once"}
		if _, err := db.Apply(b.Context(), e); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if r, err := db.Apply(b.Context(), e); err != nil || !r.Replayed {
				b.Fatal(r, err)
			}
		}
	})
}
