package world

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchSink builds a native world.tick body the way nativeSink does and
// drops it: what the tick costs without the network.
type benchSink struct {
	buf   []byte
	bytes int
}

func (s *benchSink) Codec() Codec { return NativeCodec }
func (s *benchSink) Send(u *Update) bool {
	b := s.buf[:0]
	for _, m := range u.Moved {
		b = append(b, m...)
	}
	for i := range u.Entered {
		b = appendEntity(b, 3, &u.Entered[i])
	}
	s.buf = b
	s.bytes += len(b)
	return true
}
func (s *benchSink) Chat(ChatMessage) {}

// benchmarkTick: n players on cfg's map (uniform start), each moving by up
// to ±2 per axis at 10 Hz; one op is one tick of cfg.Tick with its share of
// the moves (and their Move calls).
func benchmarkTick(b *testing.B, cfg Config, n int) {
	cfg.SpawnMinX, cfg.SpawnMaxX, cfg.SpawnMinZ, cfg.SpawnMaxZ = cfg.MinX, cfg.MaxX, cfg.MinZ, cfg.MaxZ
	cfg.Tick = 25 * time.Millisecond
	cfg.MaxSpeed = 1e9 // the benchmark's ticks run faster than real time
	cfg.MaxPlayers = n
	w, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	type bot struct {
		e    Entity
		sink *benchSink
	}
	bots := make([]bot, n)
	for i := range bots {
		s := &benchSink{}
		e, err := w.Enter(0, "", s)
		if err != nil {
			b.Fatal(err)
		}
		bots[i] = bot{e, s}
	}
	now := time.Now()
	w.tick(now)
	rng := rand.New(rand.NewPCG(1, 2))
	perTick := n * int(cfg.Tick) / int(100*time.Millisecond)
	next := 0
	clamp := func(v, lo, hi float64) float32 { return float32(min(max(v, lo), hi)) }
	step := func() {
		for range perTick {
			p := &bots[next]
			next = (next + 1) % n
			p.e.X = clamp(float64(p.e.X)+4*rng.Float64()-2, cfg.MinX, cfg.MaxX)
			p.e.Z = clamp(float64(p.e.Z)+4*rng.Float64()-2, cfg.MinZ, cfg.MaxZ)
			if err := w.Move(p.e.ID, p.e.X, 0, p.e.Z, 1); err != nil {
				b.Fatal(err)
			}
		}
		now = now.Add(cfg.Tick)
		w.tick(now)
	}
	for range 40 { // a second of warm-up: the grid's cells reach their sizes
		step()
	}
	bytes := 0
	for _, p := range bots {
		bytes -= p.sink.bytes
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	b.StopTimer()
	for _, p := range bots {
		bytes += p.sink.bytes
	}
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/tick")
	b.ReportMetric(float64(w.Stats().Pushes)/float64(b.N+41), "pushes/tick")
}

// BenchmarkTickDemo1800: the Zinx demo's map (10×20 cells), 1,800 players.
func BenchmarkTickDemo1800(b *testing.B) { benchmarkTick(b, DemoConfig(), 1800) }

// BenchmarkTickDensity5000: 52×52 cells of 20 units, 5,000 players (about
// 16 others in view).
func BenchmarkTickDensity5000(b *testing.B) {
	c := DemoConfig()
	c.MinX, c.MaxX, c.MinZ, c.MaxZ, c.CellsX, c.CellsZ = 0, 1040, 0, 1040, 52, 52
	benchmarkTick(b, c, 5000)
}

// BenchmarkTickDensity5000Zones2x2: the same map and players in 2×2
// zones, ticked one after the other: the zones' own cost (ghosts in the
// border bands, the messages between zones, handovers) on top of the
// single zone's.
func BenchmarkTickDensity5000Zones2x2(b *testing.B) {
	c := DemoConfig()
	c.MinX, c.MaxX, c.MinZ, c.MaxZ, c.CellsX, c.CellsZ = 0, 1040, 0, 1040, 52, 52
	c.ZonesX, c.ZonesZ = 2, 2
	benchmarkTick(b, c, 5000)
}
