// Package doudizhu implements the rules of Dou Dizhu as written in
// docs/rules.md: the default ruleset, with call/grab bidding as a table
// option.
//
// It owns the card model (Rank, Cards), the classification of a set of
// cards into its unique Label (Classify), comparison (Beats), complete
// legal move generation (Moves) and the state machine of one hand (Game):
// deal, bidding, redeals, play and scoring.
//
// Suits have no effect on any rule, so a card is represented by its rank
// and a set of cards by its count per rank (Cards, a comparable array).
//
// # Driving a hand from a server
//
//	g, err := doudizhu.New(opts, doudizhu.NewSeed()) // record opts and g.Seed()
//	...
//	events, err := g.Apply(action)  // or g.Bid, g.Call, g.Grab, g.Play, g.Pass
//	// err is a *RuleError naming the broken rule; the game did not change.
//	// events are public: broadcast them and append them to the game log.
//	view := g.View(seat)            // what one seat may see: the only way to a hand
//	// Phase, Turn and Leading pick the timer; on timeout apply g.DefaultAction().
//	result, over := g.Result()      // scores and the breakdown V, k, spring, M
//	g2, err := doudizhu.Replay(opts, seed, log) // the same game again
//
// The next hand at a table is a new Game with Options.FirstBidder set to
// the seat after the previous hand's FirstBidder. The engine never passes
// for a player on its own, not even after a rocket (spec §8.5 allows it):
// the server decides, for example with DefaultAction.
//
// The package is a leaf: it does no I/O, starts no goroutines, reads no
// clock and imports nothing of ours. A Game is not safe for concurrent use;
// the server keeps each Game inside the one goroutine that owns its table,
// and owns the timers too. Randomness comes only from the per-game Seed.
package doudizhu
