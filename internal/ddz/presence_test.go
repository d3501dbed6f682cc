package ddz

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/lordgame/lordgame/internal/match"
)

// cancelCounter is a queue that counts cancellations.
type cancelCounter struct{ n int }

func (q *cancelCounter) Join(context.Context, int64, string, int64) (match.Status, error) {
	return match.Status{}, nil
}
func (q *cancelCounter) Cancel(context.Context, int64) error { q.n++; return nil }

// TestPresenceGenerations: a seated player's connection reports are
// ordered by their number, so a late report of an older connection is
// dropped; nothing is remembered for players who sit at no table.
func TestPresenceGenerations(t *testing.T) {
	svc, err := New(DefaultConfig(), match.DefaultConfig().Modes, newMemStore(), &eventLog{}, &counter{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	q := &cancelCounter{}
	svc.SetQueue(q)
	for range 3 {
		svc.DisconnectedAt(41, 9)
	}
	if len(svc.gens) != 0 || q.n != 3 {
		t.Fatalf("unseated player: %d generations kept, %d cancels; want 0 and 3", len(svc.gens), q.n)
	}
	svc.byUser[42] = &table{svc: svc, users: [3]int64{42}} // seated, at a table not yet running
	svc.ConnectedAt(42, 7)
	svc.DisconnectedAt(42, 5) // the old gateway's late report
	if svc.gens[42] != 7 || q.n != 3 {
		t.Fatalf("late report of connection 5 after 7: generation %d, cancels %d; want 7 and 3", svc.gens[42], q.n)
	}
	svc.DisconnectedAt(42, 7)
	if q.n != 4 {
		t.Fatalf("report of the current connection dropped: %d cancels, want 4", q.n)
	}
	svc.release(svc.byUser[42], false)
	if _, ok := svc.gens[42]; ok {
		t.Error("release kept the player's generation")
	}
}
