package ddz

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestRecoverMidDoubling: a table with every house rule crashes in the
// doubling phase (one farmer has doubled); the node restored from the
// log goes on with the same choices, the landlord shows the hand, and
// every seat then sees it.
func TestRecoverMidDoubling(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var users [3]int64
	for i := range users {
		users[i] = int64(200 + i)
		if _, err := db.CreateAccount(ctx, store.NewAccount{ID: users[i], Guest: true, DeviceID: fmt.Sprint("hr-", i), InitialCoins: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	const id, seed = 7, 77
	ng := store.NewGame{ID: id, Mode: "house", Seed: seed}
	for s, u := range users {
		ng.Players = append(ng.Players, store.Player{Seat: s, UserID: u})
	}
	if err := db.CreateGame(ctx, ng); err != nil {
		t.Fatal(err)
	}
	opts := ddz.DefaultOptions()
	opts.MaxRedeals, opts.Doubling, opts.ShowHand, opts.CardCounter = 3, true, true, true
	g, err := ddz.New(opts, ddz.SeedFromUint64(seed))
	if err != nil {
		t.Fatal(err)
	}
	landlord := g.Turn()
	for _, e := range []ddz.Event{ddz.Bid(landlord, 3), ddz.Double((landlord+1)%3, true)} {
		if _, err := g.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	recs := []record{{Kind: kindOptions, Options: &tableOptions{Rules: opts, Mode: "house", Stake: 1, Seed: seed}}}
	for _, e := range g.Events() {
		recs = append(recs, engineRecord(e))
	}
	var evs []store.Event
	for i, rc := range recs {
		ev, err := rc.storeEvent(id, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if err := db.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}

	cfg := DefaultConfig()
	cfg.Grace = time.Hour
	modes := append(match.DefaultConfig().Modes, match.Mode{Name: "house", Stake: 1, Doubling: true, ShowHand: true, CardCounter: true})
	svc, err := New(cfg, modes, db, nopPush{}, &counter{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = svc.Run(rctx) })
	if resumed, _, _, err := svc.Recover(rctx); err != nil || resumed != 1 {
		t.Fatalf("Recover: %d resumed, %v", resumed, err)
	}
	for _, u := range users {
		svc.Connected(u)
	}
	state := func(s int) *pb.DdzSnapshot {
		t.Helper()
		v, err := svc.Do(ctx, users[s], &pb.DdzStateReq{})
		if err != nil {
			t.Fatal(err)
		}
		return v.(*pb.DdzSnapshot)
	}
	f1, f2 := (landlord+1)%3, (landlord+2)%3
	for s := range 3 {
		sn := state(s)
		want := make([]uint32, 3)
		want[f1] = 2
		if sn.Phase != "doubling" || int(sn.Turn) != f2 || fmt.Sprint(sn.Doubles) != fmt.Sprint(want) ||
			!slices.Equal(sn.HouseRules, []string{"doubling", "show_hand", "card_counter"}) {
			t.Fatalf("seat %d restored: phase %s turn %d doubles %v rules %v; want doubling, turn %d, %v", s, sn.Phase, sn.Turn, sn.Doubles, sn.HouseRules, f2, want)
		}
		if len(sn.Counter) != ddz.NumRanks || len(sn.ShownFaces) != 0 || sn.Shown {
			t.Fatalf("seat %d: counter %v shown %v %v", s, sn.Counter, sn.Shown, sn.ShownFaces)
		}
	}
	// The farmer who doubled cannot choose again; the next one and the
	// landlord choose.
	if _, err := svc.Do(ctx, users[f1], &pb.DdzDoubleReq{Double: true}); err == nil {
		t.Fatal("a second doubling choice was accepted")
	}
	if _, err := svc.Do(ctx, users[landlord], &pb.DdzShowReq{}); err == nil {
		t.Fatal("a show during the doubling phase was accepted")
	}
	for _, s := range []int{f2, landlord} {
		if _, err := svc.Do(ctx, users[s], &pb.DdzDoubleReq{Double: s == landlord}); err != nil {
			t.Fatalf("seat %d double: %v", s, err)
		}
	}
	// What leaving costs counts the choices: M 3, the landlord ×2, f1 ×2,
	// f2 ×1: f1 risks 3×2×2, f2 3×1×2, the landlord both.
	for s, want := range map[int]int64{f1: 12, f2: 6, landlord: 18} {
		v, err := svc.Do(ctx, users[s], &pb.DdzLeaveReq{})
		if err != nil {
			t.Fatal(err)
		}
		if q := v.(*pb.DdzLeaveResp); q.AtRisk != want || q.Left {
			t.Errorf("seat %d leave quote: at risk %d (left %v), want %d", s, q.AtRisk, q.Left, want)
		}
	}
	sn := state(landlord)
	if sn.Phase != "playing" || !sn.CanShow || int(sn.Turn) != landlord {
		t.Fatalf("after doubling: phase %s can_show %v turn %d", sn.Phase, sn.CanShow, sn.Turn)
	}
	hand := sn.HandFaces
	if _, err := svc.Do(ctx, users[f1], &pb.DdzShowReq{}); err == nil {
		t.Fatal("a farmer's show was accepted")
	}
	if _, err := svc.Do(ctx, users[landlord], &pb.DdzShowReq{}); err != nil {
		t.Fatalf("show: %v", err)
	}
	for s := range 3 {
		sn := state(s)
		if !sn.Shown || !slices.Equal(sn.ShownFaces, hand) || sn.Multiplier != 6 || sn.CanShow {
			t.Fatalf("seat %d after the show: shown %v faces %v multiplier %d can_show %v; want the landlord's %v, ×6", s, sn.Shown, sn.ShownFaces, sn.Multiplier, sn.CanShow, hand)
		}
		// The counter is what the other two hold: 37 cards for a farmer.
		n := 0
		for _, c := range sn.Counter {
			n += int(c)
		}
		if want := 54 - len(sn.Hand); n != want {
			t.Fatalf("seat %d counter counts %d, want %d", s, n, want)
		}
	}
	// The log holds every choice: a replay of it reaches the same table.
	stored, err := db.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	log, err := decodeLog(stored)
	if err != nil {
		t.Fatal(err)
	}
	rg, _, err := replay(seed, log)
	if err != nil {
		t.Fatal(err)
	}
	wantD := [3]int{}
	wantD[f1], wantD[f2], wantD[landlord] = 2, 1, 2
	if rg.Doubles() != wantD || !rg.Shown() || rg.Multiplier() != 6 {
		t.Fatalf("replayed log: doubles %v shown %v multiplier %d; want %v, shown, 6", rg.Doubles(), rg.Shown(), rg.Multiplier(), wantD)
	}
}
