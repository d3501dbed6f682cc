package ddz

import (
	"time"

	"github.com/lordgame/lordgame/internal/leaderboard"
	"github.com/lordgame/lordgame/internal/store"
)

// Ranker takes settled games for the leaderboards without blocking
// (leaderboard.Feed satisfies it).
type Ranker interface {
	Offer(at time.Time, results []leaderboard.Result) bool
}

type rankerBox struct{ r Ranker }

// SetRanker attaches the leaderboards; each newly settled game with players
// in it is offered once. Safe to call while serving.
func (s *Service) SetRanker(r Ranker) { s.ranker.Store(&rankerBox{r}) }

// rank offers the players' seats of a first settlement to the leaderboards.
func (s *Service) rank(got store.Settlement, users [3]int64, payer [3]Payer) {
	box := s.ranker.Load()
	if box == nil || box.r == nil || got.Replayed {
		return
	}
	var rs []leaderboard.Result
	for _, sr := range got.Seats {
		if payer[sr.Seat] == Player && users[sr.Seat] > 0 {
			rs = append(rs, leaderboard.Result{Player: formatID(users[sr.Seat]), Rating: sr.RatingAfter, Coins: sr.Applied})
		}
	}
	if len(rs) > 0 {
		box.r.Offer(time.Now(), rs)
	}
}
