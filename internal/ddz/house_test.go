package ddz_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestBotsPlayForTheHouse plays classic games of one player against two
// bots: the player's coins are exactly their score times the stake, the
// bots' coins are the house's, and the ledger balances with the house
// included. The second player leaves the connection at once and is played
// for by auto-play: the seat still plays for its own player.
func TestBotsPlayForTheHouse(t *testing.T) {
	n := startNode(t, t.TempDir(), func(_ *ddzConfig, mc *matchConfig) {
		mc.Modes[0].BotWait = 50 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var house int64
	check := func(uid int64, r *pb.DdzResult) {
		t.Helper()
		seat := -1
		id, _ := strconv.ParseInt(r.GameId, 10, 64)
		rec, err := n.db.Game(ctx, id)
		if err != nil || rec.Settlement == nil {
			t.Fatalf("game %s: %+v, %v", r.GameId, rec, err)
		}
		var bots int
		for _, p := range rec.Players {
			if p.UserID == uid {
				seat = p.Seat
			} else if p.UserID <= 0 {
				bots++
			}
		}
		if seat < 0 || bots != 2 {
			t.Fatalf("game %s players %+v: want the player and two bots", r.GameId, rec.Players)
		}
		if r.Coins[seat] != r.Scores[seat] {
			t.Errorf("game %s: player's coins %d, score %d (stake 1)", r.GameId, r.Coins[seat], r.Scores[seat])
		}
		var sum int64
		for s := range 3 {
			sum += r.Coins[s]
			if s != seat {
				house += r.Coins[s]
			}
		}
		if sum != 0 {
			t.Errorf("game %s: coins %v sum to %d", r.GameId, r.Coins, sum)
		}
		got, err := n.db.HouseBalance(ctx)
		if err != nil || got != house {
			t.Errorf("house balance %d, %v; want %d", got, err, house)
		}
		bal, _ := n.db.Balance(ctx, uid)
		if want := 1000 + r.Coins[seat]; bal != want {
			t.Errorf("player balance %d, want %d", bal, want)
		}
	}

	// A player who plays.
	uid := n.user(t, 1000)
	p := ddzclient.New(n.dial(t, uid), 0)
	p.Stake = 1
	var r *pb.DdzResult
	for attempt := 1; r == nil; attempt++ { // a hand every seat passed three deals in a row is cancelled: again
		if err := p.Join(ctx, "classic"); err != nil {
			t.Fatal(err)
		}
		res, err := p.Play(ctx)
		switch {
		case errors.Is(err, ddzclient.ErrCancelled) || err == nil && res.Cancelled:
			if attempt == 5 {
				t.Fatal("5 hands in a row cancelled")
			}
		case err != nil:
			t.Fatal(err)
		default:
			r = res
		}
	}
	for _, v := range p.Violations() {
		t.Errorf("violation: %s", v)
	}
	check(uid, r)
	// The result push reveals what every seat still held.
	if len(r.Hands) != 3 || len(r.Hands[r.Winner].Cards) != 0 {
		t.Errorf("result hands %v (winner %d): want three, the winner's empty", r.Hands, r.Winner)
	}
	for s, h := range r.Hands {
		if int32(s) != r.Winner && len(h.Cards) == 0 {
			t.Errorf("seat %d shows no cards left at the end", s)
		}
	}

	// A player who drops as soon as seated: auto-play ends the hand. If
	// every seat passes three deals in a row the hand is cancelled with
	// nothing moved (auto-play and bots may all pass): it plays again.
	uid2 := n.user(t, 1000)
	for attempt := 1; ; attempt++ {
		if dropAndWait(ctx, t, n, uid2, check) {
			break
		}
		if attempt == 5 {
			t.Fatal("5 hands in a row cancelled")
		}
	}
}

// dropAndWait seats uid in a classic game, drops its connection and waits
// for the game to end on auto-play: finished (checked with check, true)
// or cancelled (false).
func dropAndWait(ctx context.Context, t *testing.T, n *node, uid int64, check func(int64, *pb.DdzResult)) bool {
	t.Helper()
	c := n.dial(t, uid)
	snap := make(chan *pb.DdzSnapshot, 1)
	c.On("ddz.snapshot", func(p client.Push) {
		s := &pb.DdzSnapshot{}
		if p.Decode(s) == nil {
			select {
			case snap <- s:
			default:
			}
		}
	})
	if err := c.Request(ctx, "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
		t.Fatal(err)
	}
	var s *pb.DdzSnapshot
	select {
	case s = <-snap:
	case <-ctx.Done():
		t.Fatal("no snapshot")
	}
	_ = c.Close()
	id, _ := strconv.ParseInt(s.GameId, 10, 64)
	for {
		rec, err := n.db.Game(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch rec.State {
		case "cancelled":
			return false
		case "finished":
			var r2 [3]int64
			for _, sr := range rec.Settlement.Seats {
				r2[sr.Seat] = sr.Applied
			}
			c2 := n.dial(t, uid)
			g := &pb.DdzGameRecord{}
			if err := c2.Request(ctx, "ddz.game", &pb.DdzGameReq{GameId: s.GameId}, g); err != nil {
				t.Fatal(err)
			}
			if g.Result == nil || fmt.Sprint(g.Result.Coins) != fmt.Sprint(r2[:]) {
				t.Fatalf("record result %v, settlement %v", g.Result, r2)
			}
			check(uid, g.Result)
			return true
		}
		select {
		case <-ctx.Done():
			t.Fatalf("game %d still %s", id, rec.State)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
