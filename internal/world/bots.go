package world

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// botSink is a bot's connection: it sees nothing (a bot needs no view)
// and shares the native codec, so bots cost no extra encoding.
type botSink struct{}

func (botSink) Codec() Codec       { return NativeCodec }
func (botSink) Send(*Update) bool  { return true }
func (botSink) Chat(m ChatMessage) {}

// RunBots puts n bots in the world and walks each of them every interval
// by a random step of up to step units on each axis, turning back at the
// map's edges, until ctx ends; then they leave. The bots give the map life
// for the players who look at it; they are players like any other, seen
// through the same view and tick.
func (w *World) RunBots(ctx context.Context, n int, step float64, interval time.Duration) error {
	if n <= 0 {
		return nil
	}
	type bot struct {
		id     int32
		x, z   float64
		dx, dz float64
	}
	bots := make([]bot, 0, n)
	defer func() {
		for _, b := range bots {
			_ = w.Leave(b.id)
		}
	}()
	for i := range n {
		e, err := w.Enter(0, fmt.Sprintf("bot-%d", i+1), botSink{})
		if err != nil {
			return fmt.Errorf("world: bot %d: %w", i+1, err)
		}
		bots = append(bots, bot{id: e.ID, x: float64(e.X), z: float64(e.Z)})
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	c := w.cfg
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for i := range bots {
			b := &bots[i]
			// A bot keeps a heading for a while, so that it walks rather
			// than trembles in place.
			if rand.IntN(20) == 0 || b.dx == 0 && b.dz == 0 {
				b.dx, b.dz = (rand.Float64()*2-1)*step, (rand.Float64()*2-1)*step
			}
			x, z := b.x+b.dx, b.z+b.dz
			if x < c.MinX || x > c.MaxX {
				b.dx, x = -b.dx, b.x-b.dx
			}
			if z < c.MinZ || z > c.MaxZ {
				b.dz, z = -b.dz, b.z-b.dz
			}
			x, z = min(max(x, c.MinX), c.MaxX), min(max(z, c.MinZ), c.MaxZ)
			if w.Move(b.id, float32(x), 0, float32(z), 0) == nil {
				b.x, b.z = x, z
			}
		}
	}
}
