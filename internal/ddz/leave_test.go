package ddz_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestLeaveTimeoutsAndBids: a player who lets the timer run out sees
// their action marked timed_out, the snapshot keeps the bids, ddz.leave
// first tells the cost, then leaves: the seat plays on auto-play for its
// player, who may queue again and finds the hand in the record, the
// opponents' cards revealed.
func TestLeaveTimeoutsAndBids(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *ddzConfig, mc *matchConfig) {
		// The bid times out at once; plays wait long enough that the hand
		// is still on when the test looks at it (bots play at once).
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = 200*time.Millisecond, 3*time.Second, 3*time.Second
		c.AutoPlayDelay = 20 * time.Millisecond
		c.AutoPlayAfter = 100 // timeouts never switch to auto-play here
		// Deals where the bots pass too are redealt until someone bids:
		// three of them in a row (the player's bid times out in each)
		// would cancel the hand before the test has seen it played.
		c.MaxRedeals = 0
		mc.Modes[0].BotWait = 50 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	uid := n.user(t, 1000)
	c := n.dial(t, uid)
	evs := make(chan *pb.DdzEvent, 1000)
	c.On("ddz.event", func(p client.Push) {
		e := &pb.DdzEvent{}
		if p.Decode(e) == nil {
			evs <- e
		}
	})
	snaps := make(chan *pb.DdzSnapshot, 4)
	c.On("ddz.snapshot", func(p client.Push) {
		s := &pb.DdzSnapshot{}
		if p.Decode(s) == nil {
			snaps <- s
		}
	})
	if err := c.Request(ctx, "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
		t.Fatal(err)
	}
	var snap *pb.DdzSnapshot
	select {
	case snap = <-snaps:
	case <-ctx.Done():
		t.Fatal("no snapshot")
	}
	seat := int32(snap.Seat)
	for s, st := range snap.Seats {
		want := "p" + strconv.FormatInt(uid, 10)
		if st.Bot {
			want = "Bot " + strconv.Itoa(s+1)
		}
		if st.Name != want {
			t.Errorf("seat %d named %q, want %q", s, st.Name, want)
		}
	}
	// Wait for the player's own timed-out action.
	var last *pb.DdzEvent
	for timedOut := false; !timedOut; {
		select {
		case e := <-evs:
			if e.Seat == seat && (e.Kind == "bid" || e.Kind == "play" || e.Kind == "pass") {
				if !e.TimedOut || e.Auto {
					t.Fatalf("own action %v without timed_out", e)
				}
				if last == nil || last.Kind != "timeout" || last.Seat != seat {
					t.Errorf("timed-out action %v not preceded by the timeout event (%v)", e, last)
				}
				timedOut = true
			} else if e.Seat != seat && e.TimedOut {
				t.Errorf("a bot's move marked timed out: %v", e)
			}
			last = e
		case <-ctx.Done():
			t.Fatal("no timed-out action")
		}
	}
	// The bids are in the snapshot (a redeal may have started a deal
	// without bids yet: wait for one), and stay there once playing.
	var st *pb.DdzSnapshot
	for end := time.Now().Add(10 * time.Second); ; {
		st = state(t, c)
		if len(st.Bids) > 0 && st.Phase == "playing" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no snapshot with bids while playing: %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, b := range st.Bids {
		if b.Kind != "bid" {
			t.Errorf("bids hold a %q event", b.Kind)
		}
	}
	quote := &pb.DdzLeaveResp{}
	if err := c.Request(ctx, "ddz.leave", &pb.DdzLeaveReq{}, quote); err != nil {
		t.Fatal(err)
	}
	if quote.Left || quote.AtRisk <= 0 || quote.Multiplier == 0 || !strings.Contains(quote.Cost, "Auto-play") {
		t.Fatalf("leave quote %v: want the cost, not left", quote)
	}
	if s := state(t, c); s.Seats[seat].Autoplay && st.Seats[seat].Autoplay == false {
		t.Error("the quote switched auto-play on")
	}
	left := &pb.DdzLeaveResp{}
	if err := c.Request(ctx, "ddz.leave", &pb.DdzLeaveReq{Confirm: true}, left); err != nil {
		t.Fatal(err)
	}
	if !left.Left || left.GameId != snap.GameId {
		t.Fatalf("leave = %v", left)
	}
	err := c.Request(ctx, "ddz.state", &pb.DdzStateReq{}, &pb.DdzSnapshot{})
	wantRule(t, "state after leaving", err, "conflict", "not_at_table")
	// Free to queue again at once, then out of the queue.
	if err := c.Request(ctx, "match.join", &pb.MatchJoinReq{Mode: "practice"}, &pb.MatchJoinResp{}); err != nil {
		t.Fatalf("join after leaving: %v", err)
	}
	id, _ := strconv.ParseInt(snap.GameId, 10, 64)
	for {
		rec, err := n.db.Game(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State == "finished" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("left game still %s", rec.State)
		case <-time.After(50 * time.Millisecond):
		}
	}
	g := &pb.DdzGameRecord{}
	if err := c.Request(ctx, "ddz.game", &pb.DdzGameReq{GameId: snap.GameId}, g); err != nil {
		t.Fatal(err)
	}
	r := g.Result
	if r == nil || len(r.Hands) != 3 || len(r.Hands[r.Winner].Cards) != 0 {
		t.Fatalf("record result %v: want the three hands, the winner's empty", r)
	}
	if r.Coins[seat] != r.Scores[seat] {
		t.Errorf("the seat that left got %d coins for %d points", r.Coins[seat], r.Scores[seat])
	}
	sawLeave, autoMoves := false, 0
	for _, e := range g.Events {
		if e.Kind == "autoplay" && e.Seat == seat && e.Value == 1 {
			sawLeave = true
		}
		if sawLeave && e.Seat == seat && (e.Kind == "play" || e.Kind == "pass" || e.Kind == "bid") {
			if !e.Auto {
				t.Errorf("move %v after leaving not marked auto", e)
			}
			autoMoves++
		}
	}
	if !sawLeave || autoMoves == 0 {
		t.Errorf("record: leave %v, %d auto-play moves after it", sawLeave, autoMoves)
	}
}
