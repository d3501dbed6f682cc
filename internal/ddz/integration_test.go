package ddz_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	engine "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// playTable seats three players in classic and plays one game with the
// engine bots through the protocol; it returns each seat's result.
func playTable(t *testing.T, n *node, uids []int64) []*pb.DdzResult {
	t.Helper()
	return playTableObs(t, n, uids, nil)
}

func playTableObs(t *testing.T, n *node, uids []int64, obs func(*client.Client)) []*pb.DdzResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out := make([]*pb.DdzResult, len(uids))
	players := make([]*ddzclient.Player, len(uids))
	for i, uid := range uids {
		c := n.dial(t, uid)
		if obs != nil && i == 0 {
			obs(c)
		}
		players[i] = ddzclient.New(c, 0)
		players[i].Stake = 1
		if err := players[i].Join(ctx, "classic"); err != nil {
			t.Fatalf("join %d: %v", uid, err)
		}
	}
	var wg sync.WaitGroup
	for i, p := range players {
		wg.Go(func() {
			res, err := p.Play(ctx)
			if err != nil {
				t.Errorf("player %d: %v", uids[i], err)
			}
			out[i] = res
			for _, v := range p.Violations() {
				t.Errorf("player %d: violation: %s", uids[i], v)
			}
		})
	}
	wg.Wait()
	return out
}

func TestFullGameOverProtocol(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	uids := []int64{n.user(t, 1000), n.user(t, 1000), n.user(t, 1000)}
	res := playTable(t, n, uids)
	if t.Failed() {
		return
	}
	gid := res[0].GameId
	for _, r := range res {
		if r.GameId != gid || fmt.Sprint(r.Scores) != fmt.Sprint(res[0].Scores) || fmt.Sprint(r.Coins) != fmt.Sprint(res[0].Coins) {
			t.Fatalf("players saw different results: %v / %v", r, res[0])
		}
	}
	id, _ := strconv.ParseInt(gid, 10, 64)
	rec, err := n.db.Game(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != "finished" || rec.Settlement == nil {
		t.Fatalf("game record %+v, want finished and settled", rec)
	}
	// The ledger: one entry per seat with the settlement key, summing to zero.
	var sum int64
	for _, p := range rec.Players {
		led, err := n.db.Ledger(t.Context(), p.UserID, 10)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("game:%s:seat:%d", gid, p.Seat)
		found := 0
		for _, e := range led {
			if e.Key == key {
				found++
				sum += e.Delta
				if e.Delta != res[0].Coins[p.Seat] {
					t.Errorf("seat %d ledger %d, result says %d", p.Seat, e.Delta, res[0].Coins[p.Seat])
				}
			}
		}
		if found != 1 {
			t.Errorf("seat %d: %d ledger entries with key %s, want 1", p.Seat, found, key)
		}
	}
	if sum != 0 {
		t.Errorf("ledger entries of the game sum to %d", sum)
	}
	// Stats and ratings moved with the settlement.
	var ratings int64
	for _, p := range rec.Players {
		st, err := n.db.Stats(t.Context(), p.UserID)
		if err != nil {
			t.Fatal(err)
		}
		landlord := int64(0)
		if p.Seat == int(res[0].Landlord) {
			landlord = 1
		}
		if st.Games != 1 || st.LandlordGames != landlord || st.FarmerGames != 1-landlord {
			t.Errorf("seat %d stats %+v", p.Seat, st)
		}
		ratings += st.Rating - 1500
	}
	if ratings != 0 {
		t.Errorf("rating changes sum to %d between three players", ratings)
	}
	// The game is over: acting on it is refused.
	c0 := n.dial(t, uids[2])
	wantRule(t, "play after the end", c0.Request(t.Context(), "ddz.pass", &pb.DdzPassReq{}, &pb.DdzActionResp{}), "conflict", "not_at_table")

	// The realtime record replays to the same result.
	c := n.dial(t, uids[0])
	gr := &pb.DdzGameRecord{}
	if err := c.Request(t.Context(), "ddz.game", &pb.DdzGameReq{GameId: gid}, gr); err != nil {
		t.Fatal(err)
	}
	checkReplay(t, gr)

	// Over HTTP, for a player, and not for a stranger.
	get := func(uid int64) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", n.http+"/v1/games/"+gid, nil)
		req.Header.Set("Authorization", fmt.Sprint("Bearer user:", uid))
		return http.DefaultClient.Do(req)
	}
	resp, err := get(uids[1])
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["game_id"] != gid {
		t.Errorf("GET /v1/games/%s = %d %v", gid, resp.StatusCode, body)
	}
	resp, err = get(n.user(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("a stranger got %d for the game, want 404", resp.StatusCode)
	}
}

// checkReplay replays a game record with the engine and compares the result.
func checkReplay(t *testing.T, gr *pb.DdzGameRecord) {
	t.Helper()
	var opts engine.Options
	if err := json.Unmarshal([]byte(gr.OptionsJson), &opts); err != nil {
		t.Fatalf("options %q: %v", gr.OptionsJson, err)
	}
	seed, _ := strconv.ParseUint(gr.Seed, 10, 64)
	var log []engine.Event
	for _, e := range gr.Events {
		k := engine.Kind(e.Kind)
		if !k.IsAction() {
			continue
		}
		c, err := engine.ParseCards(fmt.Sprint(e.Cards))
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, engine.Event{Kind: k, Seat: int(e.Seat), Value: int(e.Value), Cards: c})
	}
	g, err := engine.Replay(opts, engine.SeedFromUint64(seed), log)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	res, ok := g.Result()
	if !ok {
		t.Fatal("replayed game is not over")
	}
	want := gr.Result
	if int32(res.Landlord) != want.Landlord || res.LandlordWon != want.LandlordWon ||
		fmt.Sprint(res.Scores) != fmt.Sprint(want.Scores) || uint32(res.Multiplier) != want.Multiplier {
		t.Errorf("replay = %+v, record says %v", res, want)
	}
}

func TestPracticeWithBots(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	uid := n.user(t, 0) // practice needs no coins
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
	for _, v := range p.Violations() {
		t.Errorf("violation: %s", v)
	}
	if fmt.Sprint(res.Coins) != "[0 0 0]" || fmt.Sprint(res.Rating) != "[0 0 0]" {
		t.Errorf("practice moved coins %v or rating %v", res.Coins, res.Rating)
	}
	if bal, _ := n.db.Balance(t.Context(), uid); bal != 0 {
		t.Errorf("balance %d after practice, want 0", bal)
	}
}

// seated joins three fresh players and waits for their snapshots.
func seated(t *testing.T, n *node) (cs [3]*client.Client, snaps [3]*pb.DdzSnapshot, uids [3]int64) {
	t.Helper()
	ch := make(chan *pb.DdzSnapshot, 3)
	matched := make(chan *pb.MatchStatus, 3)
	for i := range 3 {
		uids[i] = n.user(t, 1000)
		cs[i] = n.dial(t, uids[i])
		cs[i].On("match.status", func(p client.Push) {
			st := &pb.MatchStatus{}
			if p.Decode(st) == nil && st.State == "matched" {
				matched <- st
			}
		})
		cs[i].On("ddz.snapshot", func(p client.Push) {
			s := &pb.DdzSnapshot{}
			if p.Decode(s) == nil {
				ch <- s
			}
		})
		if err := cs[i].Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		select {
		case s := <-ch:
			for i := range 3 {
				if s.Seats[s.Seat].UserId == strconv.FormatInt(uids[i], 10) {
					snaps[i] = s
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no snapshot")
		}
	}
	for range 3 {
		select {
		case st := <-matched:
			if st.GameId != snaps[0].GameId || st.Mode != "classic" {
				t.Errorf("matched status %v, want game %s", st, snaps[0].GameId)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no matched status push")
		}
	}
	return cs, snaps, uids
}

func state(t *testing.T, c *client.Client) *pb.DdzSnapshot {
	t.Helper()
	s := &pb.DdzSnapshot{}
	if err := c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIllegalActionsChangeNothing(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *ddzConfig, _ *matchConfig) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = time.Minute, time.Minute, time.Minute
	})
	cs, snaps, _ := seated(t, n)
	turn := snaps[0].Turn
	var actor, other int
	for i := range 3 {
		if int32(snaps[i].Seat) == turn {
			actor = i
		} else {
			other = i
		}
	}
	before := state(t, cs[actor])
	ctx := t.Context()
	resp := &pb.DdzActionResp{}
	wantRule(t, "bid out of turn", cs[other].Request(ctx, "ddz.bid", &pb.DdzBidReq{Value: 1}, resp), "conflict", "not_your_turn")
	wantRule(t, "bid 5", cs[actor].Request(ctx, "ddz.bid", &pb.DdzBidReq{Value: 5}, resp), "bad_request", "bid_out_of_range")
	wantRule(t, "play while bidding", cs[actor].Request(ctx, "ddz.play", &pb.DdzPlayReq{Cards: []string{before.Hand[0]}}, resp), "conflict", "wrong_phase")
	wantRule(t, "bad card", cs[actor].Request(ctx, "ddz.play", &pb.DdzPlayReq{Cards: []string{"11"}}, resp), "bad_request", "bad_card")
	wantRule(t, "join while seated", cs[actor].Request(ctx, "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}), "conflict", "already_seated")
	wantRule(t, "hint while bidding", cs[actor].Request(ctx, "ddz.hint", &pb.DdzHintReq{}, &pb.DdzHintResp{}), "conflict", "wrong_phase")
	if after := state(t, cs[actor]); after.Seq != before.Seq || fmt.Sprint(after.Hand) != fmt.Sprint(before.Hand) {
		t.Fatalf("state changed after refused actions: seq %d → %d", before.Seq, after.Seq)
	}

	// Bid 3: the actor becomes landlord at once and leads.
	if err := cs[actor].Request(ctx, "ddz.bid", &pb.DdzBidReq{Value: 3}, resp); err != nil {
		t.Fatal(err)
	}
	lead := state(t, cs[actor])
	if lead.Phase != "playing" || lead.Turn != int32(lead.Seat) || !lead.Leading || len(lead.Hand) != 20 || len(lead.Bottom) != 3 {
		t.Fatalf("after bidding 3: phase %s turn %d leading %v hand %d bottom %v", lead.Phase, lead.Turn, lead.Leading, len(lead.Hand), lead.Bottom)
	}
	if lead.TimeLeftMs == 0 || lead.TimeLeftMs > 60000 {
		t.Errorf("time left %d ms, want within the 60 s lead timer", lead.TimeLeftMs)
	}
	notHeld := notIn(lead.Hand)
	wantRule(t, "pass as leader", cs[actor].Request(ctx, "ddz.pass", &pb.DdzPassReq{}, resp), "bad_request", "leader_cannot_pass")
	wantRule(t, "cards not held", cs[actor].Request(ctx, "ddz.play", &pb.DdzPlayReq{Cards: []string{notHeld}}, resp), "bad_request", "cards_not_held")
	if lo, hi := lead.Hand[0], lead.Hand[len(lead.Hand)-1]; lo != hi {
		wantRule(t, "invalid set", cs[actor].Request(ctx, "ddz.play", &pb.DdzPlayReq{Cards: []string{lo, hi}}, resp), "bad_request", "invalid_combination")
	}
	if after := state(t, cs[actor]); after.Seq != lead.Seq || len(after.Hand) != 20 {
		t.Fatalf("state changed after refused plays: seq %d → %d", lead.Seq, after.Seq)
	}
	hint := &pb.DdzHintResp{}
	if err := cs[actor].Request(ctx, "ddz.hint", &pb.DdzHintReq{}, hint); err != nil || len(hint.Plays) == 0 {
		t.Fatalf("hint: %v, %d plays", err, len(hint.Plays))
	}
	// Lead the highest single; the next seat cannot beat it with a lower one.
	high := lead.Hand[len(lead.Hand)-1]
	if err := cs[actor].Request(ctx, "ddz.play", &pb.DdzPlayReq{Cards: []string{high}}, resp); err != nil {
		t.Fatal(err)
	}
	next := (actor + 1) % 3
	for i := range 3 {
		if snaps[i].Seat == (lead.Seat+1)%3 {
			next = i
		}
	}
	low := state(t, cs[next]).Hand[0]
	if low != high && high != "RJ" {
		wantRule(t, "does not beat", cs[next].Request(ctx, "ddz.play", &pb.DdzPlayReq{Cards: []string{low}}, resp), "bad_request", "does_not_beat")
	}

	// Chat: phrases and text go to everybody; a flood is refused.
	got := make(chan *pb.DdzChat, 10)
	cs[other].On("ddz.message", func(p client.Push) {
		m := &pb.DdzChat{}
		if p.Decode(m) == nil {
			got <- m
		}
	})
	if err := cs[actor].Request(ctx, "ddz.chat", &pb.DdzChatReq{Text: "oh shit, nice"}, &pb.DdzChatResp{}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Text != "oh ****, nice" {
			t.Errorf("chat text %q, want the word masked", m.Text)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no chat push")
	}
	wantRule(t, "unknown phrase", cs[actor].Request(ctx, "ddz.chat", &pb.DdzChatReq{Phrase: 99}, &pb.DdzChatResp{}), "bad_request", "chat_invalid")
	_ = cs[actor].Request(ctx, "ddz.chat", &pb.DdzChatReq{Phrase: 1}, &pb.DdzChatResp{})
	_ = cs[actor].Request(ctx, "ddz.chat", &pb.DdzChatReq{Phrase: 2}, &pb.DdzChatResp{})
	wantRule(t, "chat flood", cs[actor].Request(ctx, "ddz.chat", &pb.DdzChatReq{Phrase: 3}, &pb.DdzChatResp{}), "rate_limited", "chat_rate_limited")
}

func notIn(hand []string) string {
	held := map[string]bool{}
	for _, c := range hand {
		held[c] = true
	}
	for _, c := range []string{"RJ", "BJ", "2", "A", "K", "Q", "J", "10", "9", "8", "7", "6", "5", "4", "3"} {
		if !held[c] {
			return c
		}
	}
	return "RJ"
}

func TestQueueRules(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	poor := n.dial(t, n.user(t, 5))
	wantRule(t, "poor join", poor.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}), "conflict", "insufficient_balance")
	c := n.dial(t, n.user(t, 1000))
	wantRule(t, "unknown mode", c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "poker"}, &pb.MatchJoinResp{}), "bad_request", "unknown_mode")
	jr := &pb.MatchJoinResp{}
	if err := c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, jr); err != nil || jr.Position != 1 {
		t.Fatalf("join: %v, position %d", err, jr.Position)
	}
	wantRule(t, "second queue", c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "practice"}, &pb.MatchJoinResp{}), "conflict", "already_queued")
	if err := c.Request(t.Context(), "match.cancel", &pb.MatchCancelReq{}, &pb.MatchCancelResp{}); err != nil {
		t.Fatal(err)
	}
	wantRule(t, "cancel twice", c.Request(t.Context(), "match.cancel", &pb.MatchCancelReq{}, &pb.MatchCancelResp{}), "conflict", "not_queued")
	wantRule(t, "act at no table", c.Request(t.Context(), "ddz.pass", &pb.DdzPassReq{}, &pb.DdzActionResp{}), "conflict", "not_at_table")

	// Positions move up, and are pushed, when somebody ahead leaves.
	a, b := n.dial(t, n.user(t, 1000)), n.dial(t, n.user(t, 1000))
	pushes := make(chan *pb.MatchStatus, 10)
	b.On("match.status", func(p client.Push) {
		st := &pb.MatchStatus{}
		if p.Decode(st) == nil {
			pushes <- st
		}
	})
	if err := a.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, jr); err != nil {
		t.Fatal(err)
	}
	if err := b.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, jr); err != nil || jr.Position != 2 {
		t.Fatalf("second join: %v, position %d", err, jr.Position)
	}
	if err := a.Request(t.Context(), "match.cancel", &pb.MatchCancelReq{}, &pb.MatchCancelResp{}); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case st := <-pushes:
			if st.State == "queued" && st.Position == 1 {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no queue status push with the new position")
		}
	}
}

func TestReconnectAndAutoplay(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *ddzConfig, _ *matchConfig) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = time.Minute, time.Minute, time.Minute
		c.AutoPlayDelay = 200 * time.Millisecond
	})
	cs, snaps, uids := seated(t, n)
	// The seat to act drops: the server puts it on auto-play and acts for it.
	var gone int
	for i := range 3 {
		if int32(snaps[i].Seat) == snaps[i].Turn {
			gone = i
		}
	}
	watcher := (gone + 1) % 3
	evs := make(chan *pb.DdzEvent, 100)
	cs[watcher].On("ddz.event", func(p client.Push) {
		e := &pb.DdzEvent{}
		if p.Decode(e) == nil {
			evs <- e
		}
	})
	seat := int32(snaps[gone].Seat)
	hand := snaps[gone].Hand
	_ = cs[gone].Close()
	var sawOffline, sawAuto, sawBid bool
	deadline := time.After(10 * time.Second)
	for !sawBid {
		select {
		case e := <-evs:
			switch {
			case e.Kind == "online" && e.Seat == seat && e.Value == 0:
				sawOffline = true
			case e.Kind == "autoplay" && e.Seat == seat && e.Value == 1:
				sawAuto = true
			case e.Kind == "bid" && e.Seat == seat:
				sawBid = true
			}
		case <-deadline:
			t.Fatalf("no auto-play bid for the dropped seat (offline %v, autoplay %v)", sawOffline, sawAuto)
		}
	}
	if !sawOffline || !sawAuto {
		t.Errorf("offline %v, autoplay %v before the server's bid", sawOffline, sawAuto)
	}
	// Back: the snapshot push restores the whole view.
	snapc := make(chan *pb.DdzSnapshot, 1)
	c, err := client.Dial(t.Context(), n.url, client.Options{Token: fmt.Sprint("user:", uids[gone])})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.On("ddz.snapshot", func(p client.Push) {
		s := &pb.DdzSnapshot{}
		if p.Decode(s) == nil {
			select {
			case snapc <- s:
			default:
			}
		}
	})
	s := state(t, c)
	if s.Seat != uint32(seat) || fmt.Sprint(s.Hand) != fmt.Sprint(hand) || !s.Seats[seat].Autoplay || !s.Seats[seat].Online {
		t.Errorf("after reconnect: seat %d hand %v autoplay %v online %v; want seat %d hand %v on auto-play, online",
			s.Seat, s.Hand, s.Seats[seat].Autoplay, s.Seats[seat].Online, seat, hand)
	}
	if s.Turn >= 0 && s.TimeLeftMs == 0 && s.Phase != "over" {
		t.Errorf("no time left shown for seat %d to act", s.Turn)
	}
	if len(s.Log) == 0 || s.Log[0].Kind != "deal" {
		t.Errorf("snapshot log does not start with the deal: %v", s.Log)
	}
	// Switch auto-play off explicitly.
	if err := c.Request(t.Context(), "ddz.autoplay", &pb.DdzAutoplayReq{On: false}, &pb.DdzActionResp{}); err != nil {
		t.Fatal(err)
	}
	if s := state(t, c); s.Seats[seat].Autoplay {
		t.Error("auto-play still on after ddz.autoplay off")
	}
}

func TestTimeoutsLeadToAutoplay(t *testing.T) {
	n := startNode(t, t.TempDir(), func(c *ddzConfig, _ *matchConfig) {
		c.BidTimeout, c.FollowTimeout, c.LeadTimeout = 150*time.Millisecond, 150*time.Millisecond, 150*time.Millisecond
		c.AutoPlayDelay = 10 * time.Millisecond
		c.MaxRedeals = 3 // the idle table ends cancelled
	})
	cs, _, _ := seated(t, n)
	res := make(chan *pb.DdzResult, 1)
	evs := make(chan *pb.DdzEvent, 1000)
	cs[0].On("ddz.result", func(p client.Push) {
		r := &pb.DdzResult{}
		if p.Decode(r) == nil {
			res <- r
		}
	})
	cs[0].On("ddz.event", func(p client.Push) {
		e := &pb.DdzEvent{}
		if p.Decode(e) == nil {
			evs <- e
		}
	})
	// Nobody acts: timeouts, then auto-play for everybody, until the hand
	// ends or is cancelled after the redeal limit (all bids pass).
	select {
	case r := <-res:
		if !r.Cancelled {
			t.Errorf("idle table: result %v, want cancelled after max redeals", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("idle table never ended")
	}
	timeouts, autos := map[int32]int{}, map[int32]bool{}
	close(evs)
	for e := range evs {
		switch e.Kind {
		case "timeout":
			timeouts[e.Seat]++
		case "autoplay":
			if e.Value == 1 {
				if timeouts[e.Seat] != 2 {
					t.Errorf("seat %d went to auto-play after %d timeouts, want 2", e.Seat, timeouts[e.Seat])
				}
				autos[e.Seat] = true
			}
		}
	}
	if len(autos) != 3 {
		t.Errorf("auto-play for seats %v, want all three", autos)
	}
}
