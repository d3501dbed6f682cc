package gateway_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestPushUsersRemembersLookups: a push to a user of another gateway reads
// the presence bucket once; the pushes of the next moments go to the same
// gateway without a read (even after the record is gone), and a read
// again once that trust has expired.
func TestPushUsersRemembersLookups(t *testing.T) {
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	game := meshNode(t, bus, cluster.RoleGame, []string{"sys"})
	edge := meshNode(t, bus, cluster.RoleGateway, nil)
	deadline := time.Now().Add(5 * time.Second)
	for !game.Members().Alive(edge.Node()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	presence, err := cluster.NewPresence(t.Context(), bus, edge.Members())
	if err != nil {
		t.Fatal(err)
	}
	const uid = 4242
	msg := &pb.Echo{Text: "hi"}
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); status.CodeOf(err) != status.NotFound {
		t.Fatalf("push to a user connected nowhere: %v, want not_found", err)
	}
	_, _, rev, err := presence.Claim(t.Context(), uid, cluster.Location{Node: edge.Node(), Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); err != nil {
		t.Fatalf("push to a user on the other gateway: %v", err)
	}
	if err := presence.Release(context.Background(), uid, rev); err != nil {
		t.Fatal(err)
	}
	// Remembered: no read, so the release is not seen yet.
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); err != nil {
		t.Fatalf("push within the remembered time: %v", err)
	}
	time.Sleep(gateway.LookedFor + 100*time.Millisecond)
	if err := game.PushUsers([]int64{uid}, "sys.echo", msg); status.CodeOf(err) != status.NotFound {
		t.Fatalf("push after the remembered time: %v, want not_found (a new read)", err)
	}
}
