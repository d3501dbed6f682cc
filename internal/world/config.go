package world

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/lordgame/lordgame/internal/world/aoi"
)

// Config is a world's map and rules.
type Config struct {
	// The map: the X, Z plane and how many cells it is cut into.
	MinX, MaxX, MinZ, MaxZ float64
	CellsX, CellsZ         int
	// ZonesX × ZonesZ zones split the cells into rectangles (as even as
	// the cell counts allow); each zone ticks on its own goroutine. 0
	// means 1.
	ZonesX, ZonesZ int
	// ViewRadius is how many cells around its own a player sees (1: the
	// nine cells).
	ViewRadius int
	// Spawn is the rectangle new players start in.
	SpawnMinX, SpawnMaxX, SpawnMinZ, SpawnMaxZ float64
	// Tick is the zone's fixed tick interval.
	Tick time.Duration
	// MaxSpeed is the fastest a player may move, in units per second on
	// the X, Z plane. A faster move is a jump: refused and counted.
	MaxSpeed float64
	// Grace is how long a disconnected player stays in the world, so
	// that a reconnect takes it back.
	Grace time.Duration
	// MaxPlayers bounds the players in the world.
	MaxPlayers int
	// Behind is the number of frames waiting in a player's send queue at
	// which the world stops sending it ticks and coalesces its state
	// (the next push it gets is a reset with the latest view).
	Behind int
	// ChatRate messages per ChatWindow per player.
	ChatRate   int
	ChatWindow time.Duration
}

// DemoConfig is the Zinx MMO demo's map: X 85–410 in 10 cells, Z 75–400
// in 20 cells, spawn X 160–209, Z 134–183, at 10 Hz.
func DemoConfig() Config {
	return Config{
		MinX: 85, MaxX: 410, MinZ: 75, MaxZ: 400, CellsX: 10, CellsZ: 20, ViewRadius: 1,
		SpawnMinX: 160, SpawnMaxX: 209, SpawnMinZ: 134, SpawnMaxZ: 183,
		Tick: 100 * time.Millisecond, MaxSpeed: 40, Grace: 10 * time.Second,
		MaxPlayers: 20000, Behind: 8, ChatRate: 5, ChatWindow: 5 * time.Second,
	}
}

// MaxZones bounds ZonesX × ZonesZ.
const MaxZones = 64

func (c Config) zones() (int, int) { return max(c.ZonesX, 1), max(c.ZonesZ, 1) }

// Zones is the number of zones.
func (c Config) Zones() int { x, z := c.zones(); return x * z }

// MaxChat is the longest chat message, in characters.
const MaxChat = 200

func (c Config) grid() aoi.Config {
	return aoi.Config{MinX: c.MinX, MaxX: c.MaxX, MinY: c.MinZ, MaxY: c.MaxZ, CellsX: c.CellsX, CellsY: c.CellsZ}
}

// FieldError is a Validate error about one part of the config: Field is
// "map", "zones", "spawn" or "tick", so that a caller can name the
// setting at fault.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks the config.
func (c Config) Validate() error {
	if err := c.grid().Validate(); err != nil {
		return &FieldError{"map", fmt.Errorf("world: map: %w", err)}
	}
	if zx, zz := c.zones(); c.ZonesX < 0 || c.ZonesZ < 0 || zx > c.CellsX || zz > c.CellsZ || zx*zz > MaxZones {
		return &FieldError{"zones", fmt.Errorf("world: %d×%d zones: at most one per cell column and row, and %d in all", zx, zz, MaxZones)}
	}
	if c.ViewRadius < 1 || c.ViewRadius > 8 {
		return fmt.Errorf("world: view radius %d not in 1..8", c.ViewRadius)
	}
	if !(c.SpawnMaxX >= c.SpawnMinX) || !(c.SpawnMaxZ >= c.SpawnMinZ) ||
		c.SpawnMinX < c.MinX || c.SpawnMaxX > c.MaxX || c.SpawnMinZ < c.MinZ || c.SpawnMaxZ > c.MaxZ {
		return &FieldError{"spawn", errors.New("world: spawn area not inside the map")}
	}
	if c.Tick < time.Millisecond || c.Tick > 10*time.Second {
		return &FieldError{"tick", fmt.Errorf("world: tick %v not in 1ms..10s", c.Tick)}
	}
	if !(c.MaxSpeed > 0) || math.IsInf(c.MaxSpeed, 0) {
		return fmt.Errorf("world: max speed must be positive")
	}
	if c.Grace < 0 || c.MaxPlayers < 1 || c.Behind < 1 || c.ChatRate < 1 || c.ChatWindow <= 0 {
		return fmt.Errorf("world: grace, max players, behind and chat rate must be positive")
	}
	return nil
}
