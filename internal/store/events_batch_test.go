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

// TestAppendEventsFencedBatch: a shared batch with several fenced games,
// each with several events, is written only when every game still has the
// epoch its events carry.
func TestAppendEventsFencedBatch(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		var ids []int64
		for range 3 {
			g := store.NewGame{ID: newID(), Mode: "classic", Seed: 1, Epoch: 1, Players: []store.Player{{Seat: 0, UserID: 1}}}
			if err := db.CreateGame(ctx, g); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, g.ID)
		}
		// ids[2] changes owner: epoch 2.
		if epoch, err := db.TakeGame(ctx, ids[2]); err != nil || epoch != 2 {
			t.Fatalf("take: epoch %d, %v; want 2", epoch, err)
		}
		ev := func(game int, seq, epoch int64) store.Event {
			return store.Event{GameID: ids[game], Seq: seq, Kind: "play", Epoch: epoch}
		}
		for _, tc := range []struct {
			name  string
			batch []store.Event
			err   error
			after []int // events of each game afterwards
		}{
			{"owner of all", []store.Event{ev(0, 1, 1), ev(1, 1, 1), ev(0, 2, 1), ev(2, 1, 2)}, nil, []int{2, 1, 1}},
			{"one stale game fences all", []store.Event{ev(0, 3, 1), ev(1, 2, 1), ev(2, 2, 1)}, store.ErrFenced, []int{2, 1, 1}},
			{"a future epoch is fenced too", []store.Event{ev(0, 3, 2)}, store.ErrFenced, []int{2, 1, 1}},
			{"fenced and unfenced together", []store.Event{ev(1, 2, 1), {GameID: ids[0], Seq: 3, Kind: "x"}}, nil, []int{3, 2, 1}},
			{"a taken seq after a passing fence", []store.Event{ev(1, 3, 1), ev(1, 2, 1)}, store.ErrConflict, []int{3, 2, 1}},
		} {
			err := db.AppendEvents(ctx, tc.batch)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			}
			for i, id := range ids {
				if evs, _ := db.Events(ctx, id); len(evs) != tc.after[i] {
					t.Errorf("%s: game %d has %d events, want %d", tc.name, i, len(evs), tc.after[i])
				}
			}
		}
	})
}
