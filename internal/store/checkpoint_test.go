package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

func TestCheckpointer(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		db := e.open(t)
		defer db.Close()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- db.RunCheckpointer(ctx, 10*time.Millisecond) }()
		if err := db.CreateGame(t.Context(), store.NewGame{ID: 1, Mode: "x", Players: []store.Player{{Seat: 0}}}); err != nil {
			t.Fatal(err)
		}
		for i := range 2000 {
			if err := db.AppendEvents(t.Context(), []store.Event{{GameID: 1, Seq: int64(i + 1), Kind: "k", Payload: []byte(`{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)}}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if e.name == "sqlite" {
			// The checkpointer, not the writer, keeps the WAL from growing
			// without bound: it was reset after a checkpoint.
			st, err := os.Stat(filepath.Join(e.dataDir, store.DefaultFile+"-wal"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > 64<<20 {
				t.Errorf("WAL is %d bytes", st.Size())
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("RunCheckpointer = %v", err)
		}
		evs, err := db.Events(t.Context(), 1)
		if err != nil || len(evs) != 2000 {
			t.Fatalf("events: %d, %v", len(evs), err)
		}
	})
}
