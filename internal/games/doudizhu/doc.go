// Package doudizhu implements the rules of Dou Dizhu as written in
// doudizhu-rules.md (the default ruleset, with call/grab bidding as a table
// option).
//
// It owns the card model (Rank, Cards), the classification of a set of
// cards into its unique Label (Classify), comparison (Beats), complete
// legal move generation (Moves) and the state machine of one hand (Game):
// deal, bidding, redeals, play and scoring.
//
// Suits have no effect on any rule, so a card is represented by its rank
// and a set of cards by its count per rank (Cards, a comparable array).
//
// The package is a leaf: it does no I/O, starts no goroutines, reads no
// clock and imports nothing of ours. A Game is not safe for concurrent use;
// the online server keeps each Game inside the one goroutine that owns its
// table and owns the timers too (see Game.DefaultAction for spec §11.2).
//
// Randomness comes only from the per-game Seed, so a whole hand replays
// from its seed and its action events (Replay).
package doudizhu
