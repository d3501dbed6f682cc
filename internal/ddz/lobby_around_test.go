package ddz_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/leaderboard"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestLeaderboardAround checks the caller's neighbourhood on
// ddz.leaderboard: radius entries either side of the caller (3 when the
// request has none), the same rows the board's Around gives, cut at the
// ends of the board, empty for a caller who is not ranked, and a radius
// outside 0-10 is bad_request.
func TestLeaderboardAround(t *testing.T) {
	nd := startNode(t, t.TempDir(), nil)
	ctx := t.Context()
	// 20 ranked players, the first with the most coins; scores are
	// distinct, so rank i+1 is players[i].
	const n = 20
	players := make([]int64, n)
	for i := range players {
		players[i] = nd.user(t, 1000)
		res := []leaderboard.Result{{Player: fmt.Sprint(players[i]), Rating: 1000, Coins: int64(100 * (n - i))}}
		if err := nd.boards.Record(ctx, time.Now(), res); err != nil {
			t.Fatal(err)
		}
	}
	radius := func(r int32) *int32 { return &r }
	ask := func(t *testing.T, uid int64, req *pb.DdzLeaderboardReq) *pb.DdzLeaderboardResp {
		t.Helper()
		var lb pb.DdzLeaderboardResp
		if err := nd.dial(t, uid).Request(ctx, "ddz.leaderboard", req, &lb); err != nil {
			t.Fatal(err)
		}
		return &lb
	}
	// wantAround checks that around holds ranks from..to, in order, each the
	// board's player at that rank with its name and score, and me among them.
	wantAround := func(t *testing.T, lb *pb.DdzLeaderboardResp, uid int64, from, to int) {
		t.Helper()
		if len(lb.Around) != to-from+1 {
			t.Fatalf("around has %d entries %v, want ranks %d-%d", len(lb.Around), lb.Around, from, to)
		}
		for i, e := range lb.Around {
			rank := from + i
			id := players[rank-1]
			if int(e.Rank) != rank || e.UserId != fmt.Sprint(id) || e.Score != int64(100*(n-rank+1)) || e.Name != fmt.Sprint("p", id) {
				t.Errorf("around[%d] = %v, want rank %d user %d score %d", i, e, rank, id, 100*(n-rank+1))
			}
		}
		if lb.Me == nil || lb.Me.UserId != fmt.Sprint(uid) {
			t.Fatalf("me = %v, want user %d", lb.Me, uid)
		}
		// The same rows as the board itself answers.
		want, err := nd.boards.Around(ctx, leaderboard.Coins, leaderboard.AllTime, time.Now(), fmt.Sprint(uid), int(lb.Radius))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range want {
			if i >= len(lb.Around) || lb.Around[i].UserId != e.Player || int(lb.Around[i].Rank) != e.Rank || lb.Around[i].Score != e.Score {
				t.Errorf("around %v, the board's Around %v", lb.Around, want)
				break
			}
		}
	}

	t.Run("default radius", func(t *testing.T) {
		uid := players[11] // rank 12
		lb := ask(t, uid, &pb.DdzLeaderboardReq{Board: "coins"})
		if lb.Radius != 3 || lb.Me.GetRank() != 12 {
			t.Fatalf("radius %d me %v, want the default 3 around rank 12", lb.Radius, lb.Me)
		}
		wantAround(t, lb, uid, 9, 15)
		// The page is still the top 10, with a next page.
		if len(lb.Entries) != 10 || lb.Entries[0].Rank != 1 || lb.Entries[9].Rank != 10 || lb.NextOffset != 10 {
			t.Errorf("entries %v next %d, want ranks 1-10 and next 10", lb.Entries, lb.NextOffset)
		}
	})

	t.Run("radius 0 and the ends of the board", func(t *testing.T) {
		lb := ask(t, players[11], &pb.DdzLeaderboardReq{Board: "coins", Radius: radius(0)})
		if lb.Radius != 0 {
			t.Errorf("radius %d, want 0", lb.Radius)
		}
		wantAround(t, lb, players[11], 12, 12)
		lb = ask(t, players[1], &pb.DdzLeaderboardReq{Board: "coins", Radius: radius(10)})
		wantAround(t, lb, players[1], 1, 12) // one above the second, ten below
		lb = ask(t, players[n-1], &pb.DdzLeaderboardReq{Board: "coins", Radius: radius(3)})
		wantAround(t, lb, players[n-1], n-3, n) // the last: three above, none below
		// The neighbourhood does not depend on the page asked for.
		lb = ask(t, players[11], &pb.DdzLeaderboardReq{Board: "coins", Offset: 15, Limit: 5, Radius: radius(2)})
		wantAround(t, lb, players[11], 10, 14)
		if len(lb.Entries) != 5 || lb.Entries[0].Rank != 16 {
			t.Errorf("entries %v, want ranks 16-20", lb.Entries)
		}
	})

	t.Run("unranked caller", func(t *testing.T) {
		lb := ask(t, nd.user(t, 1000), &pb.DdzLeaderboardReq{Board: "coins"})
		if lb.Me != nil || len(lb.Around) != 0 || len(lb.Entries) != 10 {
			t.Errorf("me %v around %v entries %d: an unranked caller has no neighbourhood", lb.Me, lb.Around, len(lb.Entries))
		}
	})

	t.Run("radius out of range", func(t *testing.T) {
		c := nd.dial(t, players[0])
		var lb pb.DdzLeaderboardResp
		for _, r := range []int32{-1, 11, 1 << 30} {
			err := c.Request(ctx, "ddz.leaderboard", &pb.DdzLeaderboardReq{Board: "coins", Radius: radius(r)}, &lb)
			wantRule(t, fmt.Sprint("radius ", r), err, "bad_request", "")
			if err == nil || !strings.Contains(err.Error(), "radius must be 0-10") {
				t.Errorf("radius %d: err %v, want it to say the range", r, err)
			}
		}
	})
}
