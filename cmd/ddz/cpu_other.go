//go:build !unix

package main

import "time"

// cpuTime is unknown here; ddz sim then reports wall-clock numbers only.
func cpuTime() time.Duration { return 0 }
