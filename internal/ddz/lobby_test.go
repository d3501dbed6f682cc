package ddz_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// playVsBots plays n classic games of uid against two bots and returns
// the player's results, oldest first, with the seat they had.
func playVsBots(t *testing.T, nd *node, c *client.Client, games int) (res []*pb.DdzResult, seats []int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	p := ddzclient.New(c, 0)
	p.Stake = 1
	for range games {
		if err := p.Join(ctx, "classic"); err != nil {
			t.Fatal(err)
		}
		r, err := p.Play(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range p.Violations() {
			t.Errorf("violation: %s", v)
		}
		id, _ := strconv.ParseInt(r.GameId, 10, 64)
		rec, err := nd.db.Game(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		seat := -1
		for _, pl := range rec.Players {
			if fmt.Sprint(pl.UserID) == c.UserID() {
				seat = pl.Seat
			}
		}
		res, seats = append(res, r), append(seats, seat)
	}
	return res, seats
}

// TestLobbyAfterGamesAgainstBots plays three games against bots and
// checks that the leaderboard, the history pages and the profile all say
// what the results said.
func TestLobbyAfterGamesAgainstBots(t *testing.T) {
	nd := startNode(t, t.TempDir(), func(_ *ddzConfig, mc *matchConfig) {
		mc.Modes[0].BotWait = 20 * time.Millisecond
	})
	ctx := t.Context()
	uid := nd.user(t, 1000)
	other := nd.user(t, 1000)
	c := nd.dial(t, uid)
	results, seats := playVsBots(t, nd, c, 3)
	var coins, wins, lwins, fwins, lgames int64
	for i, r := range results {
		s := seats[i]
		coins += r.Coins[s]
		landlord := int(r.Landlord) == s
		won := (r.LandlordWon && landlord) || (!r.LandlordWon && !landlord)
		if landlord {
			lgames++
		}
		if won {
			wins++
			if landlord {
				lwins++
			} else {
				fwins++
			}
		}
	}

	t.Run("leaderboard", func(t *testing.T) {
		var lb pb.DdzLeaderboardResp
		if err := c.Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "coins", Period: "day"}, &lb); err != nil {
			t.Fatal(err)
		}
		if lb.Me == nil || lb.Me.UserId != fmt.Sprint(uid) || lb.Me.Score != coins || lb.Me.Name != fmt.Sprint("p", uid) {
			t.Fatalf("me = %v, want user %d with score %d (the sum of the results' coins)", lb.Me, uid, coins)
		}
		if len(lb.Entries) != 1 || lb.Entries[0].Rank != 1 || lb.Entries[0].Score != coins || lb.NextOffset != 0 {
			t.Errorf("entries = %v next %d, want the one player", lb.Entries, lb.NextOffset)
		}
		var rt pb.DdzLeaderboardResp
		if err := c.Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "rating"}, &rt); err != nil {
			t.Fatal(err)
		}
		st, _ := nd.db.Stats(ctx, uid)
		if rt.Me == nil || rt.Me.Score != st.Rating || rt.Period != "all" {
			t.Errorf("rating board me = %v period %q, want the stored rating %d", rt.Me, rt.Period, st.Rating)
		}
		// Someone who has not played is not ranked but sees the page.
		var lo pb.DdzLeaderboardResp
		if err := nd.dial(t, other).Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "coins", Period: "day"}, &lo); err != nil {
			t.Fatal(err)
		}
		if lo.Me != nil || len(lo.Entries) != 1 {
			t.Errorf("other's view: me %v entries %v", lo.Me, lo.Entries)
		}
	})

	t.Run("history pages", func(t *testing.T) {
		var got []*pb.DdzGameSummary
		cursor := ""
		for page := 0; ; page++ {
			var h pb.DdzHistoryResp
			if err := c.Request(ctx, "ddz.history", &pb.DdzHistoryReq{Cursor: cursor, Limit: 2}, &h); err != nil {
				t.Fatal(err)
			}
			if len(h.Games) > 2 || page > 3 {
				t.Fatalf("page %d has %d games", page, len(h.Games))
			}
			got = append(got, h.Games...)
			if h.NextCursor == "" {
				break
			}
			cursor = h.NextCursor
		}
		if len(got) != 3 {
			t.Fatalf("history has %d games, want 3", len(got))
		}
		for i, g := range got {
			r, s := results[2-i], seats[2-i] // newest first
			if g.GameId != r.GameId || int(g.Seat) != s || g.Landlord != r.Landlord || g.Coins != r.Coins[s] ||
				g.Rating != r.Rating[s] || g.Multiplier != r.Multiplier || g.State != "finished" {
				t.Errorf("history[%d] = %v, result %v (seat %d)", i, g, r, s)
			}
			if g.Names[s] != fmt.Sprint("p", uid) || slices.Index(g.Names, "") >= 0 {
				t.Errorf("history[%d] names %q", i, g.Names)
			}
			for j := range 3 { // a practice table: the others are bots
				if len(g.Bots) != 3 || g.Bots[j] != (j != s) || (j != s && g.Names[j] != fmt.Sprint("Bot ", j+1)) {
					t.Errorf("history[%d] bots %v names %q (seat %d)", i, g.Bots, g.Names, s)
				}
			}
		}
		// The same over HTTP.
		req, _ := http.NewRequestWithContext(ctx, "GET", nd.http+"/v1/games?limit=5", nil)
		req.Header.Set("Authorization", fmt.Sprint("Bearer user:", uid))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Games []struct {
				GameID string `json:"game_id"`
			} `json:"games"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("GET /v1/games: %d %v %+v", resp.StatusCode, err, body)
		}
		if len(body.Games) != 3 || body.Games[0].GameID != results[2].GameId || body.NextCursor != "" {
			t.Errorf("GET /v1/games = %+v", body)
		}
		// Another player's history is their own (empty).
		var h pb.DdzHistoryResp
		if err := nd.dial(t, other).Request(ctx, "ddz.history", &pb.DdzHistoryReq{}, &h); err != nil || len(h.Games) != 0 {
			t.Errorf("other's history: %v, %v", h.Games, err)
		}
	})

	t.Run("profile", func(t *testing.T) {
		var pr pb.DdzProfile
		if err := c.Request(ctx, "ddz.profile", &pb.DdzProfileReq{}, &pr); err != nil {
			t.Fatal(err)
		}
		bal, _ := nd.db.Balance(ctx, uid)
		if !pr.Self || pr.Games != 3 || pr.Wins != wins || pr.LandlordGames != lgames || pr.LandlordWins != lwins ||
			pr.FarmerWins != fwins || pr.Coins != bal || pr.Coins != 1000+coins {
			t.Errorf("profile = %v; want 3 games, %d wins (%d as landlord of %d, %d as farmer), coins %d", &pr, wins, lwins, lgames, fwins, 1000+coins)
		}
		if pr.WinRate != uint32(100*wins/3) {
			t.Errorf("win rate %d, want %d", pr.WinRate, 100*wins/3)
		}
		if len(pr.RatingHistory) != 3 || pr.RatingHistory[2].Rating != pr.Rating || pr.RatingHistory[0].GameId != results[0].GameId {
			t.Errorf("rating history %v, rating %d", pr.RatingHistory, pr.Rating)
		}
		// Another player sees the stats but not the coins.
		var seen pb.DdzProfile
		if err := nd.dial(t, other).Request(ctx, "ddz.profile", &pb.DdzProfileReq{UserId: fmt.Sprint(uid)}, &seen); err != nil {
			t.Fatal(err)
		}
		if seen.Self || seen.Coins != 0 || seen.Games != 3 || seen.DisplayName != pr.DisplayName {
			t.Errorf("seen by another: %v", &seen)
		}
		var set pb.DdzProfile
		if err := c.Request(ctx, "ddz.profile.set", &pb.DdzProfileSetReq{DisplayName: "Lucky Li", Avatar: "dragon"}, &set); err != nil {
			t.Fatal(err)
		}
		if set.DisplayName != "Lucky Li" || set.Avatar != "dragon" || !slices.Equal(set.Avatars, ddz.Avatars) {
			t.Errorf("after set: %v", &set)
		}
		var lb pb.DdzLeaderboardResp
		if err := c.Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "coins"}, &lb); err != nil {
			t.Fatal(err)
		}
		if lb.Me == nil || lb.Me.Name != "Lucky Li" || lb.Me.Avatar != "dragon" {
			t.Errorf("leaderboard after the change: %v", lb.Me)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		var lb pb.DdzLeaderboardResp
		wantRule(t, "unknown board", c.Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "luck"}, &lb), "bad_request", "")
		wantRule(t, "big page", c.Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "coins", Limit: 51}, &lb), "bad_request", "")
		var h pb.DdzHistoryResp
		wantRule(t, "bad cursor", c.Request(ctx, "ddz.history", &pb.DdzHistoryReq{Cursor: "abc"}, &h), "bad_request", "")
		wantRule(t, "big history page", c.Request(ctx, "ddz.history", &pb.DdzHistoryReq{Limit: 51}, &h), "bad_request", "")
		var pr pb.DdzProfile
		wantRule(t, "unknown avatar", c.Request(ctx, "ddz.profile.set", &pb.DdzProfileSetReq{Avatar: "unicorn"}, &pr), "bad_request", "")
		wantRule(t, "unknown player", c.Request(ctx, "ddz.profile", &pb.DdzProfileReq{UserId: "99"}, &pr), "not_found", "")
	})
}

// TestRecordDeals checks that a game record gives each deal as dealt: 54
// distinct cards, every card a seat plays was dealt to it (the bottom to
// the landlord), and the landlord event shows the dealt bottom.
func TestRecordDeals(t *testing.T) {
	nd := startNode(t, t.TempDir(), func(_ *ddzConfig, mc *matchConfig) {
		mc.Modes[0].BotWait = 20 * time.Millisecond
	})
	uid := nd.user(t, 1000)
	c := nd.dial(t, uid)
	results, _ := playVsBots(t, nd, c, 1)
	var gr pb.DdzGameRecord
	if err := c.Request(t.Context(), "ddz.game", &pb.DdzGameReq{GameId: results[0].GameId}, &gr); err != nil {
		t.Fatal(err)
	}
	deals := 0
	for _, e := range gr.Events {
		if e.Kind == "deal" {
			deals++
		}
	}
	if len(gr.Deals) == 0 || len(gr.Deals) != deals {
		t.Fatalf("%d deals in the record, %d deal events", len(gr.Deals), deals)
	}
	for _, d := range gr.Deals {
		if gr.Events[d.Seq-1].Kind != "deal" {
			t.Errorf("deal seq %d is a %q event", d.Seq, gr.Events[d.Seq-1].Kind)
		}
		all := map[string]bool{}
		for s, h := range d.Hands {
			if len(h.Faces) != 17 || len(h.Cards) != 17 {
				t.Errorf("seat %d dealt %d cards", s, len(h.Faces))
			}
			for _, f := range h.Faces {
				all[f] = true
			}
		}
		for _, f := range d.Bottom.Faces {
			all[f] = true
		}
		if len(all) != 54 || len(d.Bottom.Faces) != 3 {
			t.Errorf("deal %d: %d distinct cards, bottom %v", d.Seq, len(all), d.Bottom.Faces)
		}
	}
	last := gr.Deals[len(gr.Deals)-1]
	held := [3]map[string]bool{}
	for s := range 3 {
		held[s] = map[string]bool{}
		for _, f := range last.Hands[s].Faces {
			held[s][f] = true
		}
	}
	for _, e := range gr.Events {
		switch e.Kind {
		case "landlord":
			if !slices.Equal(e.Faces, last.Bottom.Faces) {
				t.Errorf("landlord event bottom %v, dealt %v", e.Faces, last.Bottom.Faces)
			}
			for _, f := range e.Faces {
				held[e.Seat][f] = true
			}
		case "play":
			for _, f := range e.Faces {
				if !held[e.Seat][f] {
					t.Errorf("seat %d played %s, which it was not dealt", e.Seat, f)
				}
				delete(held[e.Seat], f)
			}
		}
	}
	for s := range 3 {
		left := slices.Sorted(func(yield func(string) bool) {
			for f := range held[s] {
				if !yield(f) {
					return
				}
			}
		})
		want := slices.Clone(gr.Result.Hands[s].Faces)
		slices.Sort(want)
		if !slices.Equal(left, want) {
			t.Errorf("seat %d: dealt minus played = %v, the result reveals %v", s, left, want)
		}
	}
}
