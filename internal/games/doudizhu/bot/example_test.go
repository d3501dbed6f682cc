package bot_test

import (
	"fmt"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
)

// Bots fill empty seats: each one acts from its seat's View only.
func ExampleRun() {
	g, _ := ddz.New(ddz.DefaultOptions(), ddz.SeedFromUint64(1))
	players := [3]bot.Player{bot.NewNormal(), bot.NewEasy(), bot.NewEasy()}
	if err := bot.Run(g, players); err != nil {
		panic(err) // a bot never makes an illegal move
	}
	r, _ := g.Result()
	fmt.Println(r.Scores[0]+r.Scores[1]+r.Scores[2], len(g.Events()) > 3)
	// Output: 0 true
}

// A server asks Hint when a player presses the hint button and AutoPlay
// for a player in auto-play.
func ExampleHint() {
	g, _ := ddz.New(ddz.Options{FirstBidder: 0}, ddz.SeedFromUint64(1))
	g.Bid(0, 3)
	v := g.View(0)
	hint := bot.Hint(&v)
	auto := bot.AutoPlay(&v)
	fmt.Println(hint.Kind, auto.Kind, auto.Cards)
	// Output: play play 3
}
