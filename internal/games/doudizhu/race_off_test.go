//go:build !race

package doudizhu_test

const raceEnabled = false
