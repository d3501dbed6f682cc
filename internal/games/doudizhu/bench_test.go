package doudizhu_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// plays returns n random legal plays of random hands.
func plays(n int) []ddz.Cards {
	rng := rand.New(rand.NewPCG(5, 6))
	out := make([]ddz.Cards, 0, n)
	for len(out) < n {
		moves := ddz.Moves(randomHand(rng, 20), ddz.Label{})
		out = append(out, moves[rng.IntN(len(moves))].Cards)
	}
	return out
}

func BenchmarkClassify(b *testing.B) {
	ps := plays(1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ddz.Classify(ps[i%len(ps)])
		i++
	}
}

// BenchmarkMovesLead20 generates every lead of random 20-card hands and
// reports the median and p99 time per hand.
func BenchmarkMovesLead20(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	hands := make([]ddz.Cards, 512)
	for i := range hands {
		hands[i] = randomHand(rng, 20)
	}
	buf := make([]ddz.Play, 0, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = ddz.AppendMoves(buf[:0], hands[i%len(hands)], ddz.Label{})
		i++
	}
	b.StopTimer()
	reportDistribution(b, hands, buf)
}

func reportDistribution(b *testing.B, hands []ddz.Cards, buf []ddz.Play) {
	times := make([]float64, len(hands))
	counts := make([]float64, len(hands))
	for i, h := range hands {
		// The best of five runs, so that other processes on the machine do
		// not show up as slow hands.
		best := time.Hour
		for range 5 {
			start := time.Now()
			buf = ddz.AppendMoves(buf[:0], h, ddz.Label{})
			best = min(best, time.Since(start))
		}
		times[i] = float64(best.Nanoseconds()) / 1000
		counts[i] = float64(len(buf))
	}
	slices.Sort(times)
	slices.Sort(counts)
	q := func(s []float64, p float64) float64 { return s[int(p*float64(len(s)-1))] }
	b.ReportMetric(q(times, 0.5), "p50-us")
	b.ReportMetric(q(times, 0.9), "p90-us")
	b.ReportMetric(q(times, 0.99), "p99-us")
	b.ReportMetric(times[len(times)-1], "max-us")
	b.ReportMetric(q(counts, 0.5), "p50-moves")
	b.ReportMetric(counts[len(counts)-1], "max-moves")
}

func BenchmarkMovesFollow(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	type pos struct {
		hand ddz.Cards
		prev ddz.Label
	}
	ps := make([]pos, 512)
	for i := range ps {
		moves := ddz.Moves(randomHand(rng, 17), ddz.Label{})
		ps[i] = pos{randomHand(rng, 17), moves[rng.IntN(len(moves))].Label}
	}
	buf := make([]ddz.Play, 0, 1<<12)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := ps[i%len(ps)]
		buf = ddz.AppendMoves(buf[:0], p.hand, p.prev)
		i++
	}
}
