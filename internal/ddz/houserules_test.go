package ddz_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestHouseRulesOverProtocol: three players in a mode with every house
// rule play games through the real protocol with the headless player
// (which takes the doubling and show-hand decisions and checks that no
// hand is revealed without a show). Each result carries the choices and
// scores by the pair rule, every push carries the player's card counter,
// and the record holds the choices and replays to the same result.
func TestHouseRulesOverProtocol(t *testing.T) {
	n := startNode(t, t.TempDir(), func(_ *ddzConfig, mc *matchConfig) {
		mc.Modes = append(mc.Modes, match.Mode{Name: "house", Stake: 1, Window: 100, WindowPerSecond: 50,
			Doubling: true, ShowHand: true, CardCounter: true})
	})
	uids := []int64{n.user(t, 100000), n.user(t, 100000), n.user(t, 100000)}
	var mu sync.Mutex
	var events, counters int
	var badCounter []string
	observe := func(c *client.Client) {
		c.On("ddz.event", func(p client.Push) {
			ev := &pb.DdzEvent{}
			if p.Decode(ev) != nil || ev.Kind == "cancel" {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			events++
			if len(ev.Counter) == 15 {
				counters++
			} else {
				badCounter = append(badCounter, fmt.Sprintf("seq %d %s: counter %v", ev.Seq, ev.Kind, ev.Counter))
			}
		})
	}
	const games = 6
	shown, doubled := 0, 0
	for g := range games {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		res := make([]*pb.DdzResult, 3)
		var wg sync.WaitGroup
		for i, uid := range uids {
			c := n.dial(t, uid)
			if i == 0 {
				observe(c)
			}
			p := ddzclient.New(c, 0)
			p.Stake = 1
			if err := p.Join(ctx, "house"); err != nil {
				t.Fatalf("join: %v", err)
			}
			wg.Go(func() {
				r, err := p.Play(ctx)
				if err != nil {
					t.Errorf("game %d player %d: %v", g, uid, err)
				}
				res[i] = r
				for _, v := range p.Violations() {
					t.Errorf("game %d player %d: violation: %s", g, uid, v)
				}
			})
		}
		wg.Wait()
		cancel()
		if t.Failed() {
			return
		}
		r := res[0]
		if r.Cancelled {
			continue
		}
		if len(r.Doubles) != 3 || len(r.Pairs) != 3 {
			t.Fatalf("game %d: result doubles %v pairs %v", g, r.Doubles, r.Pairs)
		}
		l := int(r.Landlord)
		var sum int64
		for s := range 3 {
			if d := r.Doubles[s]; d != 1 && d != 2 {
				t.Fatalf("game %d: seat %d chose %d", g, s, d)
			}
			if r.Doubles[s] == 2 {
				doubled++
			}
			sum += r.Scores[s]
			if s == l {
				continue
			}
			if want := r.Multiplier * r.Doubles[s] * r.Doubles[l]; r.Pairs[s] != want {
				t.Errorf("game %d: seat %d pair ×%d, want M %d × %d × %d", g, s, r.Pairs[s], r.Multiplier, r.Doubles[s], r.Doubles[l])
			}
			if r.Scores[s] != int64(r.Pairs[s]) && r.Scores[s] != -int64(r.Pairs[s]) {
				t.Errorf("game %d: seat %d scores %d for pair ×%d", g, s, r.Scores[s], r.Pairs[s])
			}
		}
		if sum != 0 {
			t.Errorf("game %d: scores %v", g, r.Scores)
		}
		for _, o := range res[1:] {
			if fmt.Sprint(o.Doubles, o.Pairs, o.Scores, o.Shown) != fmt.Sprint(r.Doubles, r.Pairs, r.Scores, r.Shown) {
				t.Errorf("game %d: players saw different results", g)
			}
		}
		// The record: three choices after the landlord, the show with the
		// landlord's cards, and a replay to the same result.
		c := n.dial(t, uids[0])
		gr := &pb.DdzGameRecord{}
		if err := c.Request(t.Context(), "ddz.game", &pb.DdzGameReq{GameId: r.GameId}, gr); err != nil {
			t.Fatal(err)
		}
		checkReplay(t, gr)
		if gr.Result == nil || fmt.Sprint(gr.Result.Doubles, gr.Result.Pairs, gr.Result.Shown) != fmt.Sprint(r.Doubles, r.Pairs, r.Shown) {
			t.Errorf("game %d: record result %v, pushed %v", g, gr.Result, r)
		}
		var kinds []string
		for _, e := range gr.Events {
			switch e.Kind {
			case "landlord", "double":
				kinds = append(kinds, e.Kind)
			case "show":
				kinds = append(kinds, e.Kind)
				if len(e.Faces) != 20 || int(e.Seat) != l {
					t.Errorf("game %d: show event of seat %d with %d cards", g, e.Seat, len(e.Faces))
				}
			}
		}
		want := []string{"landlord", "double", "double", "double"}
		if r.Shown {
			shown++
			want = append(want, "show")
		}
		if !slices.Equal(kinds[max(len(kinds)-len(want), 0):], want) {
			t.Errorf("game %d: record events %v, want %v at the end", g, kinds, want)
		}
		_ = c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if events == 0 || len(badCounter) > 0 {
		t.Errorf("%d events, %d without a counter: %v", events, len(badCounter), badCounter[:min(len(badCounter), 5)])
	}
	t.Logf("%d games, %d ×2 choices, %d shown, %d events with counters", games, doubled, shown, counters)
}
