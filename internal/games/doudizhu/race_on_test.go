//go:build race

package doudizhu_test

// raceEnabled shortens the slow property tests under the race detector,
// which finds nothing more in them after a few hundred iterations.
const raceEnabled = true
