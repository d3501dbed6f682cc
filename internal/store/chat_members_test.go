package store_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func TestChatChannelMembersAndBlockedBy(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		tc, err := db.Channel(ctx, store.ConvTable, "table:g1", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, tc.ID, []int64{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, tc.ID, []int64{3}); err != nil { // again: kept
			t.Fatalf("adding a member twice: %v", err)
		}
		ms, err := db.Members(ctx, tc.ID)
		if err != nil || len(ms) != 3 {
			t.Fatalf("Members = %v, %v; want 3", ms, err)
		}
		if r := send(t, db, tc.ID, 2, "gg", ""); r.Err != nil {
			t.Fatalf("member send at a table: %v", r.Err)
		}
		if r := send(t, db, tc.ID, 9, "hi", ""); !errors.Is(r.Err, store.ErrNotMember) {
			t.Fatalf("non-member send at a table: %v", r.Err)
		}
		g, err := db.CreateGroup(ctx, 1, "g", true, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, g.ID, []int64{5}); !errors.Is(err, store.ErrConvNotFound) {
			t.Fatalf("AddMembers on a group: %v, want conversation_not_found", err)
		}
		for _, u := range []int64{4, 7} {
			if err := db.Block(ctx, u, 2); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Block(ctx, 2, 4); err != nil {
			t.Fatal(err)
		}
		by, err := db.BlockedBy(ctx, 2)
		if err != nil || !slices.Equal(by, []int64{4, 7}) {
			t.Fatalf("BlockedBy(2) = %v, %v; want [4 7]", by, err)
		}
	})
}
