package aoi

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

// demo is the Zinx MMO demo's map: X 85–410 in 10 cells, Z 75–400 in 20.
var demo = Config{MinX: 85, MaxX: 410, MinY: 75, MaxY: 400, CellsX: 10, CellsY: 20}

// refCell is the brute-force cell of a coordinate: a linear scan of the
// cell borders, the last cell closed on the right.
func refCell(min, max float64, n int, v float64) int {
	w := (max - min) / float64(n)
	for i := 0; i < n; i++ {
		lo, hi := min+float64(i)*w, min+float64(i+1)*w
		if v >= lo && (v < hi || i == n-1 && v <= max) {
			return i
		}
	}
	return -1
}

type refEnt struct {
	x, y float64
	live bool
}

// refView is every live entity whose cell is within k of (cx, cy).
func refView(c Config, ents []refEnt, cx, cy, k int) []Handle {
	var out []Handle
	for h, e := range ents {
		if !e.live {
			continue
		}
		ex, ey := refCell(c.MinX, c.MaxX, c.CellsX, e.x), refCell(c.MinY, c.MaxY, c.CellsY, e.y)
		if abs(ex-cx) <= k && abs(ey-cy) <= k {
			out = append(out, Handle(h))
		}
	}
	return out
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sorted[T int | Handle](s []T) []T { s = slices.Clone(s); slices.Sort(s); return s }

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		ok   bool
	}{
		{"demo", demo, true},
		{"one cell", Config{0, 1, 0, 1, 1, 1}, true},
		{"empty x", Config{1, 1, 0, 1, 1, 1}, false},
		{"inverted y", Config{0, 1, 2, 1, 1, 1}, false},
		{"zero cells", Config{0, 1, 0, 1, 0, 1}, false},
		{"negative cells", Config{0, 1, 0, 1, 2, -1}, false},
		{"nan", Config{math.NaN(), 1, 0, 1, 1, 1}, false},
		{"inf", Config{0, math.Inf(1), 0, 1, 1, 1}, false},
		{"huge", Config{0, 1, 0, 1, 1 << 16, 1 << 16}, false},
	} {
		if err := tc.c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
	}
}

// The demo's integer cell size (325/10 = 32 in ints) leaves strips on the
// far edges that map to no cell; here every point of the map, edges
// included, has a cell and nothing outside has one.
func TestEdgesMapToRealCells(t *testing.T) {
	g, _ := New(demo)
	for _, tc := range []struct {
		x, y float64
		cx   int
		cy   int
	}{
		{85, 75, 0, 0},
		{410, 400, 9, 19},
		{409.999, 399.999, 9, 19},
		{405, 398, 9, 19}, // in the demo's unmapped strip
		{117.5, 91.25, 1, 1},
		{117.49999, 91.24999, 0, 0},
		{410, 75, 9, 0},
		{85, 400, 0, 19},
	} {
		c := g.CellAt(tc.x, tc.y)
		if c == None {
			t.Fatalf("(%v,%v) has no cell", tc.x, tc.y)
		}
		if cx, cy := g.CellXY(c); cx != tc.cx || cy != tc.cy {
			t.Errorf("(%v,%v) in cell (%d,%d), want (%d,%d)", tc.x, tc.y, cx, cy, tc.cx, tc.cy)
		}
	}
	for _, p := range [][2]float64{{84.999, 100}, {410.001, 100}, {100, 74.9}, {100, 400.0001}, {math.NaN(), 100}, {100, math.Inf(-1)}} {
		if c := g.CellAt(p[0], p[1]); c != None {
			t.Errorf("(%v,%v) off the map has cell %d", p[0], p[1], c)
		}
		if _, _, err := g.Insert(p[0], p[1]); err != ErrOutOfBounds {
			t.Errorf("Insert(%v,%v) = %v", p[0], p[1], err)
		}
	}
}

func TestNineCellsOnEdges(t *testing.T) {
	g, _ := New(demo)
	for _, tc := range []struct {
		cell, k, n int
	}{
		{0, 1, 4},                 // corner
		{5, 1, 6},                 // bottom edge
		{10*5 + 5, 1, 9},          // inside
		{10*19 + 9, 1, 4},         // far corner
		{10*5 + 5, 2, 25},         // radius 2 inside
		{0, 0, 1},                 // own cell
		{10*10 + 5, 100, 10 * 20}, // whole map
	} {
		if got := len(g.AppendCells(nil, tc.cell, tc.k)); got != tc.n {
			t.Errorf("cells within %d of %d: %d, want %d", tc.k, tc.cell, got, tc.n)
		}
	}
}

// TestAgainstBruteForce runs random inserts, moves (small steps and
// jumps) and removes on several grids and checks every view, radius 0–2,
// against the brute-force reference, and Diff against set differences of
// AppendCells.
func TestAgainstBruteForce(t *testing.T) {
	cfgs := []Config{demo, {0, 100, 0, 100, 7, 3}, {-50, 50, -1, 1, 1, 5}, {0, 1e6, 0, 1e6, 100, 100}}
	for ci, c := range cfgs {
		rng := rand.New(rand.NewSource(int64(ci) + 1))
		g, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		var ref []refEnt
		var live []Handle
		pos := func() (float64, float64) {
			x := c.MinX + rng.Float64()*(c.MaxX-c.MinX)
			y := c.MinY + rng.Float64()*(c.MaxY-c.MinY)
			switch rng.Intn(10) { // edges on purpose
			case 0:
				x = c.MaxX
			case 1:
				y = c.MinY
			}
			return x, y
		}
		for step := 0; step < 4000; step++ {
			switch r := rng.Intn(10); {
			case r < 3 || len(live) == 0:
				x, y := pos()
				h, cell, err := g.Insert(x, y)
				if err != nil {
					t.Fatal(err)
				}
				if cell != g.CellAt(x, y) {
					t.Fatal("insert cell")
				}
				for int(h) >= len(ref) {
					ref = append(ref, refEnt{})
				}
				if ref[h].live {
					t.Fatalf("handle %d reused while live", h)
				}
				ref[h] = refEnt{x, y, true}
				live = append(live, h)
			case r < 8:
				h := live[rng.Intn(len(live))]
				x, y := pos()
				if rng.Intn(2) == 0 { // a small step, clamped
					x = math.Min(c.MaxX, math.Max(c.MinX, ref[h].x+(rng.Float64()-0.5)*(c.MaxX-c.MinX)/float64(c.CellsX)))
					y = math.Min(c.MaxY, math.Max(c.MinY, ref[h].y+(rng.Float64()-0.5)*(c.MaxY-c.MinY)/float64(c.CellsY)))
				}
				old := g.CellAt(ref[h].x, ref[h].y)
				from, to, err := g.Move(h, x, y)
				if err != nil || from != old || to != g.CellAt(x, y) {
					t.Fatalf("move: %d→%d, %v; want %d→%d", from, to, err, old, g.CellAt(x, y))
				}
				ref[h].x, ref[h].y = x, y
				// Diff is exactly the set differences of the two views.
				for k := 0; k <= 2; k++ {
					en, lf := g.Diff(from, to, k, nil, nil)
					a, b := g.AppendCells(nil, from, k), g.AppendCells(nil, to, k)
					var wantEn, wantLf []int
					if from != to {
						for _, x := range b {
							if !slices.Contains(a, x) {
								wantEn = append(wantEn, x)
							}
						}
						for _, x := range a {
							if !slices.Contains(b, x) {
								wantLf = append(wantLf, x)
							}
						}
					}
					if !slices.Equal(sorted(en), sorted(wantEn)) || !slices.Equal(sorted(lf), sorted(wantLf)) {
						t.Fatalf("Diff(%d,%d,%d) = %v %v, want %v %v", from, to, k, en, lf, wantEn, wantLf)
					}
				}
			default:
				i := rng.Intn(len(live))
				h := live[i]
				live = slices.Delete(live, i, i+1)
				if _, err := g.Remove(h); err != nil {
					t.Fatal(err)
				}
				ref[h].live = false
				if _, err := g.Remove(h); err != ErrBadHandle {
					t.Fatal("double remove accepted")
				}
			}
			if g.Len() != len(live) {
				t.Fatalf("Len %d, want %d", g.Len(), len(live))
			}
			if step%50 == 0 {
				for q := 0; q < 20; q++ {
					x, y := pos()
					k := rng.Intn(3)
					cx, cy := refCell(c.MinX, c.MaxX, c.CellsX, x), refCell(c.MinY, c.MaxY, c.CellsY, y)
					got := sorted(g.AppendViewAt(nil, x, y, k))
					want := sorted(refView(c, ref, cx, cy, k))
					if !slices.Equal(got, want) {
						t.Fatalf("cfg %d step %d view of (%v,%v) k=%d: got %v want %v", ci, step, x, y, k, got, want)
					}
				}
			}
		}
	}
}

func TestDiffJoinLeave(t *testing.T) {
	g, _ := New(demo)
	c := g.CellAt(200, 200)
	en, lf := g.Diff(None, c, 1, nil, nil)
	if len(en) != 9 || len(lf) != 0 {
		t.Fatalf("join: %v %v", en, lf)
	}
	en, lf = g.Diff(c, None, 1, nil, nil)
	if len(en) != 0 || len(lf) != 9 {
		t.Fatalf("leave: %v %v", en, lf)
	}
}

func TestBadHandles(t *testing.T) {
	g, _ := New(demo)
	for _, h := range []Handle{-1, 0, 5} {
		if _, _, err := g.Move(h, 100, 100); err != ErrBadHandle {
			t.Errorf("Move(%d) = %v", h, err)
		}
		if _, _, _, ok := g.Pos(h); ok {
			t.Errorf("Pos(%d) ok", h)
		}
	}
	h, _, _ := g.Insert(100, 100)
	if _, _, err := g.Move(h, 1000, 100); err != ErrOutOfBounds {
		t.Fatal(err)
	}
	if x, _, _, _ := g.Pos(h); x != 100 {
		t.Fatal("refused move changed the position")
	}
	if g.Members(-1) != nil || g.Members(1<<20) != nil || g.AppendView(nil, -1, 1) != nil {
		t.Fatal("bad cell")
	}
}

// A steady state of moves and view queries allocates nothing.
func TestSteadyStateAllocs(t *testing.T) {
	g, _ := New(demo)
	rng := rand.New(rand.NewSource(1))
	var hs []Handle
	for i := 0; i < 2000; i++ {
		h, _, _ := g.Insert(85+rng.Float64()*325, 75+rng.Float64()*325)
		hs = append(hs, h)
	}
	view := make([]Handle, 0, 4096)
	en, lf := make([]int, 0, 32), make([]int, 0, 32)
	run := func() {
		for _, h := range hs {
			x, y, _, _ := g.Pos(h)
			x = math.Min(410, math.Max(85, x+rng.Float64()*4-2))
			y = math.Min(400, math.Max(75, y+rng.Float64()*4-2))
			from, to, _ := g.Move(h, x, y)
			en, lf = g.Diff(from, to, 1, en[:0], lf[:0])
			view = g.AppendView(view[:0], to, 1)
		}
	}
	for i := 0; i < 50; i++ { // grow the cells to their working size
		run()
	}
	if a := testing.AllocsPerRun(20, run); a > 0.5 {
		t.Fatalf("steady state allocates %.1f per tick", a)
	}
}
