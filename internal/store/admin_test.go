package store_test

import (
	"strconv"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func TestAuditLog(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if _, err := db.AppendAudit(ctx, store.AuditEntry{ActorID: 1}); err == nil {
			t.Fatal("AppendAudit without an action: no error")
		}
		var ids []int64
		for i, target := range []string{"player:1", "player:2", "player:1"} {
			e, err := db.AppendAudit(ctx, store.AuditEntry{ActorID: 9, ActorName: "root", Action: "player.ban", Target: target,
				Reason: "r", Before: `{"banned":false}`, After: `{"banned":true}`})
			if err != nil {
				t.Fatalf("AppendAudit %d: %v", i, err)
			}
			if e.ID == 0 || e.CreatedAt.IsZero() {
				t.Fatalf("AppendAudit %d = %+v: no id or time", i, e)
			}
			ids = append(ids, e.ID)
		}
		all, err := db.AuditLog(ctx, store.AuditQuery{})
		if err != nil || len(all) != 3 || all[0].ID != ids[2] || all[2].ID != ids[0] {
			t.Fatalf("AuditLog() = %+v, %v; want ids %v newest first", all, err, ids)
		}
		if e := all[0]; e.ActorID != 9 || e.ActorName != "root" || e.Action != "player.ban" || e.Target != "player:1" ||
			e.Reason != "r" || e.Before != `{"banned":false}` || e.After != `{"banned":true}` {
			t.Errorf("AuditLog()[0] = %+v: fields not kept", e)
		}
		one, err := db.AuditLog(ctx, store.AuditQuery{Target: "player:1"})
		if err != nil || len(one) != 2 {
			t.Fatalf("AuditLog(player:1) = %d entries, %v; want 2", len(one), err)
		}
		page, err := db.AuditLog(ctx, store.AuditQuery{BeforeID: ids[2], Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != ids[1] {
			t.Fatalf("AuditLog(before %d, limit 1) = %+v, %v; want id %d", ids[2], page, err, ids[1])
		}
	})
}

func TestSearchAccounts(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		alice := mustAccount(t, db, "Alice", 0)
		mustAccount(t, db, "Alfred", 0)
		bob := mustAccount(t, db, "Bob_1", 0)
		tests := []struct {
			q    string
			want int
		}{
			{"al", 2}, {"ALI", 1}, {"bob", 1}, {"bob_", 1}, {"b%", 0}, {"_", 0}, {"", 0}, {"zz", 0},
		}
		for _, tt := range tests {
			got, err := db.SearchAccounts(ctx, tt.q, 0)
			if err != nil || len(got) != tt.want {
				t.Errorf("SearchAccounts(%q) = %d accounts, %v; want %d", tt.q, len(got), err, tt.want)
			}
		}
		got, err := db.SearchAccounts(ctx, "al", 1)
		if err != nil || len(got) != 1 || got[0].ID != alice.ID {
			t.Errorf("SearchAccounts(al, limit 1) = %+v, %v; want Alice first", got, err)
		}
		byID, err := db.SearchAccounts(ctx, strconv.FormatInt(bob.ID, 10), 0)
		if err != nil || len(byID) != 1 || byID[0].ID != bob.ID {
			t.Errorf("SearchAccounts(id) = %+v, %v; want Bob_1", byID, err)
		}
	})
}

func TestPlayerGames(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "Carol", 0)
		g1, g2 := newID(), newID()
		for _, g := range []int64{g1, g2} {
			if err := db.CreateGame(ctx, store.NewGame{ID: g, Mode: "classic", Players: []store.Player{{Seat: 1, UserID: a.ID}, {Seat: 0, UserID: -1}}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CancelGame(ctx, g1); err != nil {
			t.Fatal(err)
		}
		got, err := db.PlayerGames(ctx, a.ID, 0)
		if err != nil || len(got) != 2 {
			t.Fatalf("PlayerGames = %+v, %v; want 2", got, err)
		}
		states := map[int64]string{}
		for _, g := range got {
			if g.Seat != 1 || g.Mode != "classic" {
				t.Errorf("game %+v: want seat 1, classic", g)
			}
			states[g.ID] = g.State
		}
		if states[g1] != store.GameCancelled || states[g2] != store.GameRunning {
			t.Errorf("states = %v", states)
		}
	})
}
