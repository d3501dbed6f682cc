package aoi

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// FuzzGrid drives a grid with arbitrary operations (any float, NaN and
// infinities included, any handle) and checks it against the reference
// after each one: no panic, and every entity is in exactly the cell of its
// position.
func FuzzGrid(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, _ := New(Config{MinX: -10, MaxX: 10, MinY: 0, MaxY: 5, CellsX: 3, CellsY: 4})
		pos := map[Handle][2]float64{}
		for len(data) >= 9 {
			op, a, b := data[0], math.Float32frombits(binary.LittleEndian.Uint32(data[1:])), math.Float32frombits(binary.LittleEndian.Uint32(data[5:]))
			data = data[9:]
			x, y := float64(a), float64(b)
			if op%4 == 3 { // mostly in-map coordinates
				x, y = math.Mod(x, 10), math.Mod(y, 5)
				if y < 0 {
					y = -y
				}
			}
			switch op % 3 {
			case 0:
				h, c, err := g.Insert(x, y)
				if (err == nil) != g.Contains(x, y) {
					t.Fatalf("insert (%v,%v): %v", x, y, err)
				}
				if err == nil {
					if c != g.CellAt(x, y) {
						t.Fatal("cell")
					}
					pos[h] = [2]float64{x, y}
				}
			case 1:
				h := Handle(int(op) % (len(pos) + 2))
				_, ok := pos[h]
				_, to, err := g.Move(h, x, y)
				if ok && err == nil {
					pos[h] = [2]float64{x, y}
					if to != g.CellAt(x, y) {
						t.Fatal("move cell")
					}
				} else if ok && g.Contains(x, y) || !ok && err != ErrBadHandle {
					t.Fatalf("move %d (%v,%v): %v", h, x, y, err)
				}
			case 2:
				h := Handle(int(op) % (len(pos) + 2))
				_, ok := pos[h]
				if _, err := g.Remove(h); (err == nil) != ok {
					t.Fatalf("remove %d: %v", h, err)
				}
				delete(pos, h)
			}
		}
		n := 0
		for c := 0; c < g.Cells(); c++ {
			for _, h := range g.Members(c) {
				p, ok := pos[h]
				if !ok || g.CellAt(p[0], p[1]) != c {
					t.Fatalf("entity %d misplaced in %d", h, c)
				}
				n++
			}
		}
		if n != len(pos) || g.Len() != n {
			t.Fatalf("count %d %d %d", n, len(pos), g.Len())
		}
		all := g.AppendView(nil, 5, 10)
		if len(all) != n || slices.Contains(all, None) {
			t.Fatal("view")
		}
	})
}
