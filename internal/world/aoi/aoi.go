// Package aoi is an area-of-interest grid: a rectangular map cut into
// cells, the entities in each cell, and the cells around a position (the
// nine cells of a radius of one, or any radius k). It is a pure data
// structure: no I/O, no goroutines, no locks; the caller (one zone
// goroutine) owns it.
//
// Every position inside the map, its edges included, maps to a real cell:
// the cell size is the exact float quotient of the map's extent and the
// cell count, and a coordinate on the maximum edge belongs to the last
// cell. Positions outside the map, NaN or infinite are refused.
//
// A move inside a cell is O(1) (a position update); a move across a
// border is O(1) in the cells' membership (swap-remove, append) and
// reports both cells, so the caller can ask for the cells that entered
// and left the view (Diff). After warm-up (cell slices grown to their
// working size) nothing allocates.
package aoi

import (
	"errors"
	"math"
)

// Handle names an entity of a Grid. Handles are small dense integers,
// reused after Remove, so a caller can keep its own per-entity data in a
// slice indexed by Handle.
type Handle int32

// None is the handle of no entity and the cell of nothing.
const None = -1

// Errors.
var (
	ErrOutOfBounds = errors.New("aoi: position outside the map")
	ErrBadHandle   = errors.New("aoi: no such entity")
	ErrBadConfig   = errors.New("aoi: bad grid config")
)

// Config is a map's rectangle and how many cells it is cut into on each
// axis. X and Y are the two axes of the plane (a 3D game passes its
// ground axes, for example X and Z).
type Config struct {
	MinX, MaxX float64
	MinY, MaxY float64
	CellsX     int
	CellsY     int
}

// Validate checks that the rectangle is non-empty and finite and that
// both cell counts are positive (and the grid not absurdly large).
func (c Config) Validate() error {
	for _, v := range []float64{c.MinX, c.MaxX, c.MinY, c.MaxY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrBadConfig
		}
	}
	if !(c.MaxX > c.MinX) || !(c.MaxY > c.MinY) || c.CellsX <= 0 || c.CellsY <= 0 || c.CellsX*c.CellsY > 1<<24 || c.CellsX > 1<<16 || c.CellsY > 1<<16 {
		return ErrBadConfig
	}
	return nil
}

type entity struct {
	x, y float64
	cell int32 // None when the handle is free
	slot int32 // index in cells[cell]
}

// Grid is the grid. The zero value is not usable; call New.
type Grid struct {
	cfg    Config
	cw, ch float64 // cell width and height
	cells  [][]Handle
	ents   []entity
	free   []Handle
	n      int
}

// New returns an empty grid.
func New(cfg Config) (*Grid, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Grid{
		cfg:   cfg,
		cw:    (cfg.MaxX - cfg.MinX) / float64(cfg.CellsX),
		ch:    (cfg.MaxY - cfg.MinY) / float64(cfg.CellsY),
		cells: make([][]Handle, cfg.CellsX*cfg.CellsY),
	}, nil
}

// Config is the grid's configuration.
func (g *Grid) Config() Config { return g.cfg }

// Len is the number of entities on the grid.
func (g *Grid) Len() int { return g.n }

// Cells is the number of cells.
func (g *Grid) Cells() int { return len(g.cells) }

// Contains reports whether (x, y) is on the map, edges included.
func (g *Grid) Contains(x, y float64) bool {
	return x >= g.cfg.MinX && x <= g.cfg.MaxX && y >= g.cfg.MinY && y <= g.cfg.MaxY
}

// CellAt returns the cell of (x, y), or None off the map.
func (g *Grid) CellAt(x, y float64) int {
	if !g.Contains(x, y) {
		return None
	}
	ix := int((x - g.cfg.MinX) / g.cw)
	if ix >= g.cfg.CellsX {
		ix = g.cfg.CellsX - 1
	}
	iy := int((y - g.cfg.MinY) / g.ch)
	if iy >= g.cfg.CellsY {
		iy = g.cfg.CellsY - 1
	}
	return iy*g.cfg.CellsX + ix
}

// CellXY splits a cell index into its column and row.
func (g *Grid) CellXY(cell int) (ix, iy int) { return cell % g.cfg.CellsX, cell / g.cfg.CellsX }

// Insert puts a new entity at (x, y) and returns its handle and cell.
func (g *Grid) Insert(x, y float64) (Handle, int, error) {
	c := g.CellAt(x, y)
	if c == None {
		return None, None, ErrOutOfBounds
	}
	var h Handle
	if n := len(g.free); n > 0 {
		h = g.free[n-1]
		g.free = g.free[:n-1]
	} else {
		h = Handle(len(g.ents))
		g.ents = append(g.ents, entity{})
	}
	g.ents[h] = entity{x: x, y: y, cell: int32(c), slot: int32(len(g.cells[c]))}
	g.cells[c] = append(g.cells[c], h)
	g.n++
	return h, c, nil
}

func (g *Grid) get(h Handle) *entity {
	if h < 0 || int(h) >= len(g.ents) || g.ents[h].cell == None {
		return nil
	}
	return &g.ents[h]
}

// Pos returns an entity's position and cell; ok is false for a bad handle.
func (g *Grid) Pos(h Handle) (x, y float64, cell int, ok bool) {
	e := g.get(h)
	if e == nil {
		return 0, 0, None, false
	}
	return e.x, e.y, int(e.cell), true
}

// Move puts entity h at (x, y) and returns the cells it left and entered
// (equal when it stayed in its cell). A position off the map is refused
// and changes nothing.
func (g *Grid) Move(h Handle, x, y float64) (from, to int, err error) {
	e := g.get(h)
	if e == nil {
		return None, None, ErrBadHandle
	}
	c := g.CellAt(x, y)
	if c == None {
		return int(e.cell), int(e.cell), ErrOutOfBounds
	}
	from = int(e.cell)
	e.x, e.y = x, y
	if c == from {
		return from, c, nil
	}
	g.unlink(h, e)
	e.cell, e.slot = int32(c), int32(len(g.cells[c]))
	g.cells[c] = append(g.cells[c], h)
	return from, c, nil
}

func (g *Grid) unlink(h Handle, e *entity) {
	m := g.cells[e.cell]
	last := len(m) - 1
	if int(e.slot) != last {
		moved := m[last]
		m[e.slot] = moved
		g.ents[moved].slot = e.slot
	}
	g.cells[e.cell] = m[:last]
}

// Remove takes entity h off the grid and returns the cell it was in.
func (g *Grid) Remove(h Handle) (int, error) {
	e := g.get(h)
	if e == nil {
		return None, ErrBadHandle
	}
	c := int(e.cell)
	g.unlink(h, e)
	e.cell = None
	g.free = append(g.free, h)
	g.n--
	return c, nil
}

// Members returns the entities in cell, in no particular order. The
// slice belongs to the grid: read it before the next Insert, Move or
// Remove and do not keep it.
func (g *Grid) Members(cell int) []Handle {
	if cell < 0 || cell >= len(g.cells) {
		return nil
	}
	return g.cells[cell]
}

// window is the rectangle of cells within k of cell, clipped to the grid.
func (g *Grid) window(cell, k int) (x0, y0, x1, y1 int) {
	cx, cy := g.CellXY(cell)
	x0, y0, x1, y1 = cx-k, cy-k, cx+k, cy+k
	if x0 < 0 {
		x0 = 0
	}
	if y0 < 0 {
		y0 = 0
	}
	if x1 >= g.cfg.CellsX {
		x1 = g.cfg.CellsX - 1
	}
	if y1 >= g.cfg.CellsY {
		y1 = g.cfg.CellsY - 1
	}
	return
}

// InView reports whether cell b is within k cells of cell a (on both
// axes). The relation is symmetric.
func (g *Grid) InView(a, b, k int) bool {
	if a < 0 || b < 0 || a >= len(g.cells) || b >= len(g.cells) {
		return false
	}
	ax, ay := g.CellXY(a)
	bx, by := g.CellXY(b)
	dx, dy := ax-bx, ay-by
	return dx <= k && dx >= -k && dy <= k && dy >= -k
}

// AppendCells appends the cells within k of cell (k = 1: the nine cells,
// fewer on the map's edges) to dst, row by row.
func (g *Grid) AppendCells(dst []int, cell, k int) []int {
	if cell < 0 || cell >= len(g.cells) || k < 0 {
		return dst
	}
	x0, y0, x1, y1 := g.window(cell, k)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			dst = append(dst, y*g.cfg.CellsX+x)
		}
	}
	return dst
}

// AppendView appends every entity in the cells within k of cell to dst.
func (g *Grid) AppendView(dst []Handle, cell, k int) []Handle {
	if cell < 0 || cell >= len(g.cells) || k < 0 {
		return dst
	}
	x0, y0, x1, y1 := g.window(cell, k)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			dst = append(dst, g.cells[y*g.cfg.CellsX+x]...)
		}
	}
	return dst
}

// AppendViewAt appends the entities within k cells of position (x, y).
func (g *Grid) AppendViewAt(dst []Handle, x, y float64, k int) []Handle {
	return g.AppendView(dst, g.CellAt(x, y), k)
}

// Diff appends to entered the cells within k of to but not of from, and
// to left the cells within k of from but not of to: what an entity that
// crossed from → to starts and stops seeing. from or to may be None (a
// join or a leave: everything around the other is entered or left).
func (g *Grid) Diff(from, to, k int, entered, left []int) ([]int, []int) {
	if from == to {
		return entered, left
	}
	entered = g.minus(entered, to, from, k)
	left = g.minus(left, from, to, k)
	return entered, left
}

// minus appends the cells of window(a) not in window(b).
func (g *Grid) minus(dst []int, a, b, k int) []int {
	if a < 0 || a >= len(g.cells) || k < 0 {
		return dst
	}
	x0, y0, x1, y1 := g.window(a, k)
	bx0, by0, bx1, by1 := -1, -1, -2, -2
	if b >= 0 && b < len(g.cells) {
		bx0, by0, bx1, by1 = g.window(b, k)
	}
	for y := y0; y <= y1; y++ {
		inY := y >= by0 && y <= by1
		for x := x0; x <= x1; x++ {
			if inY && x >= bx0 && x <= bx1 {
				continue
			}
			dst = append(dst, y*g.cfg.CellsX+x)
		}
	}
	return dst
}
