package aoi

import (
	"math"
	"math/rand"
	"testing"
)

// benchTick moves n entities once each by up to ±step per axis on a map
// of side cells×cellSize, and for every crossing computes the entered and
// left cells: one tick of a world where every entity moves.
func benchTick(b *testing.B, n, cells int, cellSize, step float64, view bool) {
	side := float64(cells) * cellSize
	g, err := New(Config{MinX: 0, MaxX: side, MinY: 0, MaxY: side, CellsX: cells, CellsY: cells})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	hs := make([]Handle, n)
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range hs {
		xs[i], ys[i] = rng.Float64()*side, rng.Float64()*side
		hs[i], _, _ = g.Insert(xs[i], ys[i])
	}
	// Precomputed steps, so the benchmark measures the grid, not rand.
	steps := make([]float64, 1<<16)
	for i := range steps {
		steps[i] = (rng.Float64()*2 - 1) * step
	}
	en, lf := make([]int, 0, 64), make([]int, 0, 64)
	vw := make([]Handle, 0, 1024)
	j := 0
	tick := func() {
		for i, h := range hs {
			x := math.Min(side, math.Max(0, xs[i]+steps[j&0xffff]))
			y := math.Min(side, math.Max(0, ys[i]+steps[(j+1)&0xffff]))
			j += 2
			xs[i], ys[i] = x, y
			from, to, _ := g.Move(h, x, y)
			if from != to {
				en, lf = g.Diff(from, to, 1, en[:0], lf[:0])
			}
			if view {
				vw = g.AppendView(vw[:0], to, 1)
			}
		}
	}
	for i := 0; i < 20; i++ {
		tick()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tick()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/move")
}

// 100,000 entities, 316×316 cells of 32.5 (the demo's cell), ±2 per axis:
// one 10 Hz tick must take ≤ 20 ms on one core.
func BenchmarkTick100k(b *testing.B) { benchTick(b, 100_000, 316, 32.5, 2, false) }

// The same with each mover's nine-cell view gathered (what a zone does
// for a crossing entity or a snapshot).
func BenchmarkTick100kView(b *testing.B) { benchTick(b, 100_000, 316, 32.5, 2, true) }

// 1,800 players on 10×10 cells of 32.5 (about the demo's density).
func BenchmarkTickDense1800(b *testing.B) { benchTick(b, 1800, 10, 32.5, 2, true) }

func BenchmarkMoveInCell(b *testing.B) {
	g, _ := New(demo)
	h, _, _ := g.Insert(100, 100)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, _, _ = g.Move(h, 100+float64(i&1), 100)
	}
}
