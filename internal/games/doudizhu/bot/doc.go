// Package bot chooses Dou Dizhu actions for a seat from what that seat may
// see.
//
// Every level implements Player and decides from a doudizhu.View only, so a
// bot never sees another seat's cards. Each play it makes is taken from
// doudizhu.Moves, and each bid is checked against the highest bid, so a bot
// never makes an illegal move.
//
// Levels: Easy bids rarely, plays the smallest legal move and never bombs
// its teammate; Normal splits its hand into the fewest plays, bids by hand
// strength, keeps bombs and the rocket for when they decide the hand,
// follows the landlord aggressively as a farmer and lets its teammate's
// plays run. Hint suggests a play to a human player and AutoPlay is the
// 托管 move (spec §11.6).
//
// The package does no I/O and starts no goroutines. A Player keeps scratch
// buffers, so one Player serves one seat at a time.
package bot
