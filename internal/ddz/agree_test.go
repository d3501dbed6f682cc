package ddz_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	engine "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// The tests in this file pin what docs/protocol-ddz.md and ddz.proto say
// where an independent client found the server saying otherwise.

// TestAuctionEndEvents: the bid that ends the auction shows the table
// before the landlord takes the bottom (hand sizes 17/17/17, nobody to
// act); the landlord event brings the 20 cards and the landlord's turn.
// The landlord's hints come cheapest first, as doudizhu.Hints orders them.
func TestAuctionEndEvents(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *ddzConfig, _ *matchConfig) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = time.Minute, time.Minute, time.Minute
	})
	cs, snaps, _ := seated(t, n)
	first := 0
	for i := range 3 {
		if int32(snaps[i].Seat) == snaps[i].Turn {
			first = i
		}
	}
	evs := make(chan *pb.DdzEvent, 10)
	cs[(first+1)%3].On("ddz.event", func(p client.Push) {
		e := &pb.DdzEvent{}
		if p.Decode(e) == nil {
			evs <- e
		}
	})
	if err := cs[first].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 3}, &pb.DdzActionResp{}); err != nil {
		t.Fatal(err)
	}
	bid, lord := <-evs, <-evs
	seat := int32(snaps[first].Seat)
	if bid.Kind != "bid" || fmt.Sprint(bid.HandSizes) != "[17 17 17]" || bid.Turn != -1 || bid.TimeLeftMs != 0 {
		t.Errorf("auction-ending bid = %v, want sizes [17 17 17] and turn -1", bid)
	}
	want := []uint32{17, 17, 17}
	want[seat] = 20
	if lord.Kind != "landlord" || fmt.Sprint(lord.HandSizes) != fmt.Sprint(want) || lord.Turn != seat || !lord.Leading || lord.Seq != bid.Seq+1 {
		t.Errorf("landlord event = %v, want sizes %v and seat %d to lead", lord, want, seat)
	}
	hints := &pb.DdzHintResp{}
	if err := cs[first].Request(t.Context(), "ddz.hint", &pb.DdzHintReq{}, hints); err != nil {
		t.Fatal(err)
	}
	hand := state(t, cs[first]).Hand
	h, err := engine.ParseCards(fmt.Sprint(hand))
	if err != nil {
		t.Fatal(err)
	}
	all := engine.Hints(h, engine.Label{})
	if len(hints.Plays) != min(32, len(all)) {
		t.Fatalf("%d hints, want %d", len(hints.Plays), min(32, len(all)))
	}
	for i, p := range hints.Plays {
		if fmt.Sprint(p.Cards) != fmt.Sprint(all[i].Cards.Strings()) {
			t.Fatalf("hint %d = %v, want %v (doudizhu.Hints order)", i, p.Cards, all[i].Cards.Strings())
		}
	}
}

// TestReconnectSnapshotMerge: on a reconnect every event pushed before
// the snapshot has a seq at most the snapshot's, and the first event after
// it is the snapshot's seq + 1: the merge rule of protocol-ddz.md.
func TestReconnectSnapshotMerge(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *ddzConfig, _ *matchConfig) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = time.Minute, time.Minute, time.Minute
		c.AutoPlayDelay = 100 * time.Millisecond
	})
	cs, snaps, uids := seated(t, n)
	gone := 0
	for i := range 3 {
		if int32(snaps[i].Seat) != snaps[i].Turn {
			gone = i
		}
	}
	_ = cs[gone].Close()
	time.Sleep(200 * time.Millisecond)
	type push struct {
		route string
		seq   uint64
	}
	pushes := make(chan push, 100)
	// The snapshot is pushed as soon as the session opens: the handlers
	// are set before the connection reads its first frame.
	c, err := client.Dial(t.Context(), n.url, client.Options{Token: fmt.Sprint("user:", uids[gone]),
		Handlers: map[string]func(client.Push){
			"ddz.event": func(p client.Push) {
				e := &pb.DdzEvent{}
				if p.Decode(e) == nil {
					pushes <- push{"event", e.Seq}
				}
			},
			"ddz.snapshot": func(p client.Push) {
				s := &pb.DdzSnapshot{}
				if p.Decode(s) == nil {
					pushes <- push{"snapshot", s.Seq}
				}
			},
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Someone acts, so that events follow the snapshot.
	other := (gone + 1) % 3
	if int32(snaps[other].Seat) != snaps[other].Turn {
		other = (gone + 2) % 3
	}
	var snap uint64
	var before []uint64
	deadline := time.After(10 * time.Second)
	acted := false
	for {
		select {
		case p := <-pushes:
			switch {
			case p.route == "snapshot":
				snap = p.seq
				if !acted {
					acted = true
					if err := cs[other].Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 1}, &pb.DdzActionResp{}); err != nil {
						t.Fatal(err)
					}
				}
			case snap == 0:
				before = append(before, p.seq)
			default:
				for _, s := range before {
					if s > snap {
						t.Errorf("event seq %d pushed before a snapshot of seq %d", s, snap)
					}
				}
				if p.seq != snap+1 {
					t.Errorf("first event after the snapshot: seq %d, want %d", p.seq, snap+1)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no snapshot and event after the reconnect (snapshot seq %d)", snap)
		}
	}
}

// TestRecordAndPracticeResult: a game record is the whole log from seq 1
// (the options), without gaps; GET /v1/games/{id} is not cached and its
// 401 is the bearer message of docs/api.md; a practice result tells the
// player's balance and rating, unchanged.
func TestRecordAndPracticeResult(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	uid := n.user(t, 500)
	p := ddzclient.New(n.dial(t, uid), 0)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := p.Join(ctx, "practice"); err != nil {
		t.Fatal(err)
	}
	res, err := p.Play(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.BalanceAfter != 500 || res.RatingAfter != 1500 {
		t.Errorf("practice result balance_after %d rating_after %d, want 500 and 1500", res.BalanceAfter, res.RatingAfter)
	}
	gr := &pb.DdzGameRecord{}
	if err := n.dial(t, uid).Request(ctx, "ddz.game", &pb.DdzGameReq{GameId: res.GameId}, gr); err != nil {
		t.Fatal(err)
	}
	if len(gr.Events) == 0 || gr.Events[0].Kind != "options" {
		t.Fatalf("record starts with %v, want the options at seq 1", gr.Events[:min(1, len(gr.Events))])
	}
	for i, e := range gr.Events {
		if e.Seq != uint64(i+1) {
			t.Fatalf("record event %d has seq %d, want %d", i, e.Seq, i+1)
		}
	}
	checkReplay(t, gr)

	req, _ := http.NewRequestWithContext(ctx, "GET", n.http+"/v1/games/"+res.GameId, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 401 || body["message"] != "authorization: bearer access token required" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("no token: %d %v %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
	}
	req.Header.Set("Authorization", "Bearer user:"+strconv.FormatInt(uid, 10))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET /v1/games/%s: %d, Cache-Control %q", res.GameId, resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}
