package main

import (
	"testing"

	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
)

// BenchmarkSim plays hands between bots, redeals included; run it with
// -cpu 1 for the one-core figure.
func BenchmarkSim(b *testing.B) {
	for _, levels := range [][3]bot.Level{
		{bot.LevelEasy, bot.LevelEasy, bot.LevelEasy},
		{bot.LevelNormal, bot.LevelEasy, bot.LevelEasy},
		{bot.LevelNormal, bot.LevelNormal, bot.LevelNormal},
	} {
		b.Run(string(levels[0])+"-"+string(levels[1])+"-"+string(levels[2]), func(b *testing.B) {
			b.ReportAllocs()
			const per = 100
			games := 0
			for b.Loop() {
				simulate(simConfig{games: per, seed: uint64(games), bots: levels, rotate: true})
				games += per
			}
			b.ReportMetric(float64(games)/b.Elapsed().Seconds(), "games/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(games), "us/game")
		})
	}
}
