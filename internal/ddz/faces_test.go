package ddz_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	dz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// view is what one player's connection saw of the physical cards.
type view struct {
	mu     sync.Mutex
	seat   int
	hand   map[string]bool     // the player's cards now, from its own pushes
	played map[uint64][]string // play and landlord events: seq -> faces
	errs   []string
}

func (v *view) fail(what string, args ...any) {
	v.errs = append(v.errs, what+": "+fmt.Sprint(args...))
}

func (v *view) onEvent(e *pb.DdzEvent) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch e.Kind {
	case "deal":
		if len(e.HandFaces) != 17 {
			v.fail("deal without its 17 faces", e.HandFaces)
		}
		v.hand = map[string]bool{}
		for _, f := range e.HandFaces {
			v.hand[f] = true
		}
		if r := ranksOf(e.HandFaces); !slices.Equal(r, e.Hand) {
			v.fail("deal hand ranks differ from the faces", e.Hand, e.HandFaces)
		}
	case "landlord":
		v.played[e.Seq] = e.Faces
		if len(e.Faces) != 3 || !slices.Equal(ranksOf(e.Faces), e.Cards) {
			v.fail("landlord event bottom", e.Cards, e.Faces)
		}
		if int(e.Seat) == v.seat {
			for _, f := range e.Faces {
				if v.hand[f] {
					v.fail("the bottom card is already in the landlord's hand", f)
				}
				v.hand[f] = true
			}
			if len(e.HandFaces) != 20 || !sameSet(e.HandFaces, v.hand) {
				v.fail("landlord hand after the bottom", e.HandFaces)
			}
		}
	case "play":
		v.played[e.Seq] = e.Faces
		if !slices.Equal(ranksOf(e.Faces), e.Cards) {
			v.fail("play ranks differ from the faces", e.Cards, e.Faces)
		}
		if int(e.Seat) == v.seat {
			for _, f := range e.Faces {
				if !v.hand[f] {
					v.fail("played a card the player does not hold", f)
				}
				delete(v.hand, f)
			}
		}
	}
}

func ranksOf(faces []string) []string {
	fs, err := dz.ParseFaces(faces)
	if err != nil {
		return []string{"bad: " + err.Error()}
	}
	return fs.Ranks().Strings()
}

func sameSet(list []string, set map[string]bool) bool {
	if len(list) != len(set) {
		return false
	}
	for _, f := range list {
		if !set[f] {
			return false
		}
	}
	return true
}

// TestPhysicalCardsAgree plays a classic game of three players over the
// protocol and checks that the 54 physical cards are dealt once each,
// that every play and the bottom show the same faces to all three, that
// each player only ever plays cards it holds, that a snapshot after a
// reconnect shows the same hand, and that the game record and the seed
// give back the same physical cards.
func TestPhysicalCardsAgree(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	uids := []int64{n.user(t, 1000), n.user(t, 1000), n.user(t, 1000)}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	views := make([]*view, 3)
	players := make([]*ddzclient.Player, 3)
	conns := make([]*client.Client, 3)
	snapshotChecks := make(chan int, 3)
	for i, uid := range uids {
		c := n.dial(t, uid)
		conns[i] = c
		v := &view{seat: -1, played: map[uint64][]string{}}
		views[i] = v
		c.On("ddz.snapshot", func(p client.Push) {
			var s pb.DdzSnapshot
			if p.Decode(&s) == nil {
				v.mu.Lock()
				v.seat = int(s.Seat)
				if v.hand == nil && len(s.HandFaces) > 0 {
					v.hand = map[string]bool{}
					for _, f := range s.HandFaces {
						v.hand[f] = true
					}
				}
				v.mu.Unlock()
			}
		})
		c.On("ddz.event", func(p client.Push) {
			var e pb.DdzEvent
			if p.Decode(&e) == nil {
				v.onEvent(&e)
				if e.Kind == "play" && len(snapshotChecks) < cap(snapshotChecks) {
					select {
					case snapshotChecks <- i:
					default:
					}
				}
			}
		})
		players[i] = ddzclient.New(c, 0)
		players[i].Stake = 1
		if err := players[i].Join(ctx, "classic"); err != nil {
			t.Fatal(err)
		}
	}
	// Mid-game, ask for each player's snapshot (what a reconnect gets) and
	// compare its hand with what the pushes built.
	stopChecks := make(chan struct{})
	var checks sync.WaitGroup
	checks.Go(func() {
		for {
			select {
			case <-stopChecks:
				return
			case i := <-snapshotChecks:
				var s pb.DdzSnapshot
				if err := conns[i].Request(ctx, "ddz.state", &pb.DdzStateReq{}, &s); err != nil || s.Phase != "playing" {
					continue // the hand may just have ended
				}
				v := views[i]
				v.mu.Lock()
				if !slices.Equal(ranksOf(s.HandFaces), s.Hand) {
					v.fail("snapshot hand ranks differ from its faces", s.Hand, s.HandFaces)
				}
				for _, seat := range s.Seats {
					if !slices.Equal(ranksOf(seat.PlayedFaces), seat.Played) {
						v.fail("snapshot played ranks differ from faces", seat.Played, seat.PlayedFaces)
					}
				}
				v.mu.Unlock()
			}
		}
	})
	var wg sync.WaitGroup
	results := make([]*pb.DdzResult, 3)
	for i, p := range players {
		wg.Go(func() {
			r, err := p.Play(ctx)
			if err != nil {
				t.Errorf("player %d: %v", i, err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	close(stopChecks)
	checks.Wait()
	if t.Failed() {
		return
	}
	for i, v := range views {
		for _, e := range v.errs {
			t.Errorf("player %d: %s", i, e)
		}
	}
	// The same faces in every view.
	for seq, f := range views[0].played {
		for i := 1; i < 3; i++ {
			if g, ok := views[i].played[seq]; !ok || !slices.Equal(g, f) {
				t.Errorf("event %d: player 0 saw %v, player %d %v", seq, f, i, g)
			}
		}
	}
	// The record has the same faces at the same seqs.
	var rec pb.DdzGameRecord
	if err := conns[0].Request(ctx, "ddz.game", &pb.DdzGameReq{GameId: results[0].GameId}, &rec); err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, e := range rec.Events {
		if e.Kind == "play" || e.Kind == "landlord" {
			recorded++
			if !slices.Equal(e.Faces, views[0].played[e.Seq]) {
				t.Errorf("record event %d faces %v, live %v", e.Seq, e.Faces, views[0].played[e.Seq])
			}
		}
	}
	if recorded < 2 || recorded != len(views[0].played) {
		t.Errorf("record has %d play/landlord events, the players saw %d", recorded, len(views[0].played))
	}
	// The seed deals the physical hands the players held: everything they
	// played plus what the result reveals is their deal (landlord: plus
	// the bottom), and the 54 cards are each in exactly one of those.
	seed, _ := strconv.ParseUint(rec.Seed, 10, 64)
	deals := 0
	for _, e := range rec.Events {
		if e.Kind == "deal" {
			deals++
		}
	}
	hands, bottom := dz.DealFacesFrom(dz.SeedFromUint64(seed), true, deals)
	all := map[string]int{}
	for s := range 3 {
		var held []string
		for _, e := range rec.Events {
			if e.Kind == "play" && int(e.Seat) == s {
				held = append(held, e.Faces...)
			}
		}
		if rh := rec.GetResult().GetHands(); len(rh) == 3 {
			held = append(held, rh[s].GetFaces()...)
		}
		want := hands[s].Strings()
		if s == int(rec.GetResult().GetLandlord()) {
			want = append(want, bottom.Strings()...)
		}
		slices.Sort(held)
		slices.Sort(want)
		if !slices.Equal(held, want) {
			t.Errorf("seat %d played and kept %v, the seed dealt %v", s, held, want)
		}
		for _, f := range held {
			all[f]++
		}
	}
	if len(all) != 54 {
		t.Errorf("%d distinct cards over the hand, want 54", len(all))
	}
	for f, k := range all {
		if k != 1 {
			t.Errorf("card %s in %d places", f, k)
		}
	}
}

// TestPlayByFaces: a play may name its physical cards; another player's
// card, a card twice, or an unknown card is refused with a rule.
func TestPlayByFaces(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	uids := []int64{n.user(t, 1000), n.user(t, 1000), n.user(t, 1000)}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var cs []*client.Client
	snaps := make([]chan *pb.DdzSnapshot, 3)
	for i, uid := range uids {
		c := n.dial(t, uid)
		cs = append(cs, c)
		snaps[i] = make(chan *pb.DdzSnapshot, 8)
		c.On("ddz.snapshot", func(p client.Push) {
			var s pb.DdzSnapshot
			if p.Decode(&s) == nil {
				select {
				case snaps[i] <- &s:
				default:
				}
			}
		})
		if err := c.Request(ctx, "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
			t.Fatal(err)
		}
	}
	var s0 *pb.DdzSnapshot
	select {
	case s0 = <-snaps[0]:
	case <-ctx.Done():
		t.Fatal("no table")
	}
	// The first bidder bids 3: it is the landlord and leads.
	first := cs[s0.Turn]
	// find whose connection is at seat s0.Turn
	for i := range cs {
		var s pb.DdzSnapshot
		if err := cs[i].Request(ctx, "ddz.state", &pb.DdzStateReq{}, &s); err != nil {
			t.Fatal(err)
		}
		if int32(s.Seat) == s0.Turn {
			first = cs[i]
		}
	}
	if err := first.Request(ctx, "ddz.bid", &pb.DdzBidReq{Value: 3}, &pb.DdzActionResp{}); err != nil {
		t.Fatal(err)
	}
	var mine, theirs pb.DdzSnapshot
	if err := first.Request(ctx, "ddz.state", &pb.DdzStateReq{}, &mine); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c != first {
			if err := c.Request(ctx, "ddz.state", &pb.DdzStateReq{}, &theirs); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if len(mine.HandFaces) != 20 || len(mine.BottomFaces) != 3 || len(theirs.BottomFaces) != 3 || !slices.Equal(mine.BottomFaces, theirs.BottomFaces) {
		t.Fatalf("landlord hand %v, bottoms %v / %v", mine.HandFaces, mine.BottomFaces, theirs.BottomFaces)
	}
	for _, tc := range []struct {
		faces []string
		rule  string
	}{
		{[]string{theirs.HandFaces[0]}, "cards_not_held"},
		{[]string{mine.HandFaces[0], mine.HandFaces[0]}, "bad_card"},
		{[]string{"3X"}, "bad_card"},
	} {
		err := first.Request(ctx, "ddz.play", &pb.DdzPlayReq{Faces: tc.faces}, &pb.DdzActionResp{})
		wantRule(t, fmt.Sprint("play ", tc.faces), err, "bad_request", tc.rule)
	}
	// The highest card as a single, by its face: exactly it leaves the hand.
	top := mine.HandFaces[len(mine.HandFaces)-1]
	if err := first.Request(ctx, "ddz.play", &pb.DdzPlayReq{Faces: []string{top}}, &pb.DdzActionResp{}); err != nil {
		t.Fatal(err)
	}
	var after pb.DdzSnapshot
	if err := first.Request(ctx, "ddz.state", &pb.DdzStateReq{}, &after); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(after.HandFaces, top) || len(after.HandFaces) != 19 || after.Current == nil || !slices.Equal(after.Current.Faces, []string{top}) {
		t.Errorf("after playing %s: hand %v, current %v", top, after.HandFaces, after.Current)
	}
}
