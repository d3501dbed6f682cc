// Package id hands out 64-bit snowflake ids for users, games and messages.
//
// An id is 41 bits of milliseconds since Epoch, 10 bits of node id and 12
// bits of sequence, so ids sort by creation time, never collide across
// nodes with distinct node ids, and fit in a signed int64 (always positive).
// One node makes up to 4096 ids per millisecond.
//
// A Generator never returns the same id twice and its ids only grow, even
// if the wall clock steps back: it waits out a small step (up to
// MaxBackwardWait) and refuses with ErrClockBackwards beyond that. Its
// clock is an interface so tests drive it by hand.
//
// The package imports nothing of ours. A Generator is safe for concurrent
// use; one mutex guards its last timestamp and sequence.
package id
