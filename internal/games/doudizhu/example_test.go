package doudizhu_test

import (
	"encoding/json"
	"errors"
	"fmt"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

func ExampleClassify() {
	for _, s := range []string{"3 3 3 4", "3 3 3 4 4 4 5 5 5 9 9 9", "BJ RJ", "3 3 3 3 4"} {
		fmt.Println(ddz.Classify(ddz.MustParse(s)))
	}
	// Output:
	// trio_single 3 1
	// airplane_single 3 3
	// rocket
	// invalid
}

func ExampleMoves() {
	hand := ddz.MustParse("3 3 4 BJ RJ")
	prev := ddz.Classify(ddz.MustParse("3"))
	for _, m := range ddz.Moves(hand, prev) {
		fmt.Println(m)
	}
	// Output:
	// []
	// 4
	// BJ
	// RJ
	// BJ RJ
}

// A server drives a Game from its table goroutine: it applies each
// player's action, broadcasts the returned events and sends each seat its
// own View. When a timer runs out it applies DefaultAction.
func ExampleGame() {
	g, err := ddz.New(ddz.Options{FirstBidder: 0, BaseStake: 1}, ddz.SeedFromUint64(7))
	if err != nil {
		panic(err)
	}
	// Seat 1 tries to act out of turn: a typed error, nothing changes.
	_, err = g.Bid(1, 3)
	var re *ddz.RuleError
	fmt.Println(errors.As(err, &re), re.Rule)

	events, _ := g.Bid(0, 3)
	for _, e := range events {
		b, _ := json.Marshal(e)
		fmt.Println(string(b))
	}
	fmt.Println("turn", g.Turn(), "leading", g.Leading(), "hand size", g.View(0).Hand.Len())

	// Everybody times out from here on: the farmers pass and the landlord
	// leads its lowest card each round, a spring.
	for g.Phase() != ddz.PhaseOver {
		e, _ := g.DefaultAction()
		if _, err := g.Apply(e); err != nil {
			panic(err)
		}
	}
	r, _ := g.Result()
	fmt.Println("winner", r.Winner, "landlord won", r.LandlordWon, "scores", r.Scores)
	// Output:
	// true not_your_turn
	// {"kind":"bid","seat":0,"value":3}
	// {"kind":"landlord","seat":0,"value":3,"cards":["3","8","J"],"faces":["3H","8H","JH"],"multiplier":3}
	// turn 0 leading true hand size 20
	// winner 0 landlord won true scores [12 -6 -6]
}

// Any hand replays from its seed and its log.
func ExampleReplay() {
	opts := ddz.DefaultOptions()
	seed := ddz.SeedFromUint64(42)
	g, _ := ddz.New(opts, seed)
	for g.Phase() != ddz.PhaseOver {
		e, _ := g.DefaultAction()
		if g.Phase() == ddz.PhaseBidding {
			e = ddz.Bid(g.Turn(), 1) // someone must bid, or the deal repeats
		}
		if _, err := g.Apply(e); err != nil {
			e, _ = g.DefaultAction()
			g.Apply(e)
		}
	}
	log := g.Events()
	again, err := ddz.Replay(opts, seed, log)
	a, _ := g.Result()
	b, _ := again.Result()
	fmt.Println(err, a == b, len(again.Events()) == len(log))
	// Output:
	// <nil> true true
}
