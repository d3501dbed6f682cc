package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func TestAppendEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, e env) {
		db := e.open(t)
		defer db.Close()
		ctx := t.Context()
		for _, id := range []int64{7001, 7002} {
			if err := db.CreateGame(ctx, store.NewGame{ID: id, Mode: "classic", Seed: 1, Players: []store.Player{{Seat: 0, UserID: 0}}}); err != nil {
				t.Fatal(err)
			}
		}
		batch := []store.Event{
			{GameID: 7001, Seq: 1, Kind: "a", Payload: json.RawMessage(`{"n":1}`)},
			{GameID: 7002, Seq: 1, Kind: "b"},
			{GameID: 7001, Seq: 2, Kind: "c"},
		}
		if err := db.AppendEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvents(ctx, nil); err != nil {
			t.Fatalf("empty batch: %v", err)
		}
		// All or none: a duplicate in the batch leaves nothing behind.
		dup := []store.Event{{GameID: 7002, Seq: 2, Kind: "x"}, {GameID: 7001, Seq: 2, Kind: "dup"}}
		if err := db.AppendEvents(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate seq: %v, want ErrConflict", err)
		}
		if err := db.AppendEvents(ctx, []store.Event{{GameID: 9999, Seq: 1, Kind: "x"}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown game: %v, want ErrNotFound", err)
		}
		for id, want := range map[int64][]string{7001: {"a", "c"}, 7002: {"b"}} {
			evs, err := db.Events(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, ev := range evs {
				kinds = append(kinds, ev.Kind)
			}
			if len(kinds) != len(want) || kinds[0] != want[0] || kinds[len(kinds)-1] != want[len(want)-1] {
				t.Errorf("game %d events %v, want %v", id, kinds, want)
			}
		}
	})
}
