package world

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/status"
)

// testCodec encodes a move as id, x, z (little-endian, 12 bytes).
type testCodec struct{ calls atomic.Int64 }

func (c *testCodec) AppendMoves(dst []byte, ms []Entity) []byte {
	c.calls.Add(1)
	for _, m := range ms {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(m.ID))
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(m.X))
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(m.Z))
	}
	return dst
}

type pos struct{ x, z float32 }

// testSink applies updates the way a client would.
type testSink struct {
	codec  *testCodec
	mu     sync.Mutex
	known  map[int32]pos
	behind bool
	n      int
	resets int
	left   []int32
	chats  []ChatMessage
}

func newSink(c *testCodec) *testSink { return &testSink{codec: c, known: map[int32]pos{}} }

func (s *testSink) Codec() Codec { return s.codec }
func (s *testSink) Send(u *Update) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind {
		return false
	}
	s.n++
	if u.Reset {
		s.resets++
		s.known = map[int32]pos{}
	}
	for _, id := range u.Left {
		delete(s.known, id)
		s.left = append(s.left, id)
	}
	for _, e := range u.Entered {
		s.known[e.ID] = pos{e.X, e.Z}
	}
	for _, b := range u.Moved {
		for ; len(b) >= 12; b = b[12:] {
			id := int32(binary.LittleEndian.Uint32(b))
			if _, ok := s.known[id]; ok {
				s.known[id] = pos{math.Float32frombits(binary.LittleEndian.Uint32(b[4:])), math.Float32frombits(binary.LittleEndian.Uint32(b[8:]))}
			}
		}
	}
	return true
}
func (s *testSink) Chat(m ChatMessage) { s.mu.Lock(); s.chats = append(s.chats, m); s.mu.Unlock() }

func testConfig() Config {
	c := DemoConfig()
	c.Grace = time.Hour
	return c
}

// nearConfig spawns everyone in one small area, all in view of each other.
func nearConfig() Config {
	c := testConfig()
	c.SpawnMinX, c.SpawnMaxX, c.SpawnMinZ, c.SpawnMaxZ = 180, 182, 150, 152
	return c
}

func rule(err error) string {
	if err == nil {
		return ""
	}
	return status.From(err).Rule
}

// own finds player id where its zone holds it (zone goroutine state).
func own(w *World, id int32) *ent {
	for _, z := range w.zones {
		if e := z.byID[id]; e != nil && e.p != nil {
			return e
		}
	}
	return nil
}

// truth is what player e should know: every other player in view, with
// its position, wherever its zone is (zone goroutine state).
func truth(w *World, e *ent) map[int32]pos {
	out := map[int32]pos{}
	for _, z := range w.zones {
		for id, q := range z.byID {
			if q.p != nil && q != e && w.grid.InView(e.cell, q.cell, w.cfg.ViewRadius) {
				out[id] = pos{q.pos.X, q.pos.Z}
			}
		}
	}
	return out
}

func checkViews(t *testing.T, w *World, sinks map[int32]*testSink) {
	t.Helper()
	for id, s := range sinks {
		p := own(w, id)
		if p == nil || p.sink != s {
			continue
		}
		want := truth(w, p)
		if len(want) != len(s.known) {
			extra := map[int32]string{}
			for k := range s.known {
				if _, ok := want[k]; !ok {
					q := own(w, k)
					if q == nil {
						extra[k] = "gone"
					} else {
						extra[k] = fmt.Sprintf("cell %d vs %d", q.cell, p.cell)
					}
				}
			}
			missing := []int32{}
			for k := range want {
				if _, ok := s.known[k]; !ok {
					missing = append(missing, k)
				}
			}
			t.Fatalf("tick %d player %d (cell %d) knows %d players, should know %d; extra %v, missing %v", w.zones[0].tickN, id, p.cell, len(s.known), len(want), extra, missing)
		}
		for k, v := range want {
			if s.known[k] != v {
				t.Fatalf("tick %d player %d sees %d at %v, it is at %v", w.zones[0].tickN, id, k, s.known[k], v)
			}
		}
	}
}

func TestEnterMoveLeave(t *testing.T) {
	w, err := New(nearConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCodec{}
	a, b := newSink(c), newSink(c)
	ea, err := w.Enter(1, "a", a)
	if err != nil {
		t.Fatal(err)
	}
	eb, _ := w.Enter(2, "b", b)
	if ea.ID == eb.ID || ea.ID <= 0 {
		t.Fatalf("ids %d %d", ea.ID, eb.ID)
	}
	now := time.Now()
	w.tick(now)
	if a.resets != 1 || b.resets != 1 {
		t.Fatalf("first update must be a reset: %d %d", a.resets, b.resets)
	}
	if _, ok := a.known[eb.ID]; !ok {
		t.Fatal("a does not see b after joining")
	}
	// Two moves in one tick: the latest wins.
	if err := w.Move(eb.ID, ea.X, 0, ea.Z, 0); err != nil && !errors.Is(err, ErrTooFast) {
		t.Fatal(err)
	}
	x := eb.X + 1
	if err := w.Move(eb.ID, x, 0, eb.Z, 0); err != nil {
		t.Fatal(err)
	}
	w.tick(now.Add(100 * time.Millisecond))
	if got := a.known[eb.ID]; got.x != x {
		t.Fatalf("a sees b at %v, want x=%v", got, x)
	}
	if w.Stats().MovesApplied != 1 {
		t.Fatalf("moves applied %d, want 1 (coalesced)", w.Stats().MovesApplied)
	}
	if err := w.Leave(eb.ID); err != nil {
		t.Fatal(err)
	}
	w.tick(now.Add(200 * time.Millisecond))
	if _, ok := a.known[eb.ID]; ok {
		t.Fatal("a still sees b after it left")
	}
	if err := w.Move(eb.ID, x, 0, eb.Z, 0); !errors.Is(err, ErrNotInWorld) {
		t.Fatalf("move after leave: %v", err)
	}
}

func TestMoveValidation(t *testing.T) {
	w, _ := New(testConfig(), nil)
	s := newSink(&testCodec{})
	e, _ := w.Enter(1, "a", s)
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name   string
		x, z   float32
		y      float32
		rule   string
		wantOK bool
	}{
		{"step", e.X + 1, e.Z + 1, 0, "", true},
		{"off map low", 84, e.Z, 0, "off_map", false},
		{"off map high", e.X, 401, 0, "off_map", false},
		{"nan", nan, e.Z, 0, "off_map", false},
		{"nan y", e.X, e.Z, nan, "off_map", false},
		{"inf", float32(math.Inf(1)), e.Z, 0, "off_map", false},
		{"jump", e.X + 100, e.Z, 0, "too_fast", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := w.Move(e.ID, tc.x, tc.y, tc.z, 0)
			if tc.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if rule(err) != tc.rule {
				t.Fatalf("err %v, want rule %s", err, tc.rule)
			}
		})
	}
	st := w.Stats()
	if st.RefusedFast != 1 || st.RefusedOffMap != 5 {
		t.Fatalf("stats %+v", st)
	}
	if err := w.Move(999, 100, 0, 100, 0); !errors.Is(err, ErrNotInWorld) {
		t.Fatalf("unknown player: %v", err)
	}
	// The map's edges are on the map.
	w2, _ := New(testConfig(), nil)
	for _, xz := range [][2]float32{{85, 75}, {410, 400}} {
		if !w2.grid.Contains(float64(xz[0]), float64(xz[1])) || w2.grid.CellAt(float64(xz[0]), float64(xz[1])) < 0 {
			t.Fatalf("edge %v not on the map", xz)
		}
	}
}

func TestSpawnSpread(t *testing.T) {
	w, _ := New(testConfig(), nil)
	cells := map[int]int{}
	c := &testCodec{}
	for i := 0; i < 400; i++ {
		e, err := w.Enter(0, "", newSink(c))
		if err != nil {
			t.Fatal(err)
		}
		cfg := w.cfg
		if float64(e.X) < cfg.SpawnMinX || float64(e.X) > cfg.SpawnMaxX || float64(e.Z) < cfg.SpawnMinZ || float64(e.Z) > cfg.SpawnMaxZ {
			t.Fatalf("spawned outside the spawn area: %+v", e)
		}
		cells[w.grid.CellAt(float64(e.X), float64(e.Z))]++
	}
	// The spawn area covers about 2x4 cells of the demo map; an even spread
	// puts about 50 in each, never everything in one.
	maxN := 0
	for _, n := range cells {
		maxN = max(maxN, n)
	}
	if len(cells) < 4 || maxN > 400/len(cells)*2 {
		t.Fatalf("spawn not spread: %v", cells)
	}
}

// TestViewsMatchTruth moves many players at random for many ticks (with
// joins, leaves, slow receivers) and checks after every tick that each
// player's view, built only from its updates, equals the grid's truth.
func TestViewsMatchTruth(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSpeed = 1000
	w, _ := New(cfg, nil)
	// Players whose sink was behind are coalesced; give them one more tick
	// (a reset) before comparing.
	walkRandomly(t, w, 1, 20, 1, nil)
	if w.Stats().Coalesced == 0 {
		t.Fatal("no update was coalesced: the slow-receiver path was not exercised")
	}
}

// walkRandomly runs 150 ticks of w: 3 players join at each, one in five
// ticks one leaves, about one sink in 20 is behind, and two players in
// three move once or twice by up to ±reach per axis. After each tick it
// runs settle quiet ticks, then checks every view against the truth and
// calls after (when set).
func walkRandomly(t *testing.T, w *World, seed uint64, reach float64, settle int, after func()) {
	t.Helper()
	cfg := w.cfg
	codec := &testCodec{}
	r := rand.New(rand.NewPCG(seed, seed+1))
	sinks := map[int32]*testSink{}
	ids := []int32{}
	now := time.Now()
	for tick := 0; tick < 150; tick++ {
		now = now.Add(cfg.Tick)
		for i := 0; i < 3; i++ {
			s := newSink(codec)
			e, err := w.Enter(int64(tick*3+i+1), "", s)
			if err != nil {
				t.Fatal(err)
			}
			sinks[e.ID] = s
			ids = append(ids, e.ID)
		}
		if tick%5 == 0 && len(ids) > 10 {
			i := r.IntN(len(ids))
			_ = w.Leave(ids[i])
			delete(sinks, ids[i])
			ids = append(ids[:i], ids[i+1:]...)
		}
		for _, id := range ids {
			s := sinks[id]
			s.behind = r.IntN(20) == 0
			if r.IntN(3) == 0 {
				continue
			}
			w.mu.Lock()
			p := w.players[id]
			x, z := p.subX, p.subZ
			w.mu.Unlock()
			for k := 0; k < 1+r.IntN(2); k++ {
				nx := math.Min(cfg.MaxX, math.Max(cfg.MinX, x+r.Float64()*2*reach-reach))
				nz := math.Min(cfg.MaxZ, math.Max(cfg.MinZ, z+r.Float64()*2*reach-reach))
				_ = w.Move(id, float32(nx), 0, float32(nz), 0)
			}
		}
		w.tick(now)
		for _, s := range sinks {
			s.behind = false
		}
		for i := range settle {
			w.tick(now.Add(time.Duration(i+1) * time.Millisecond))
		}
		checkViews(t, w, sinks)
		if after != nil {
			after()
		}
	}
}

func TestCellEncodedOncePerTick(t *testing.T) {
	w, _ := New(testConfig(), nil)
	codec := &testCodec{}
	var es []Entity
	for i := 0; i < 50; i++ {
		e, _ := w.Enter(int64(i+1), "", newSink(codec))
		es = append(es, e)
	}
	now := time.Now()
	w.tick(now)
	codec.calls.Store(0)
	for _, e := range es { // tiny moves: nobody changes cell
		if err := w.Move(e.ID, e.X+0.01, 0, e.Z, 0); err != nil {
			t.Fatal(err)
		}
	}
	w.tick(now.Add(cfg100))
	cells := map[int]bool{}
	for _, e := range es {
		cells[w.grid.CellAt(float64(e.X+0.01), float64(e.Z))] = true
	}
	if got := codec.calls.Load(); got != int64(len(cells)) {
		t.Fatalf("codec called %d times for %d cells with moves (50 viewers)", got, len(cells))
	}
	if p := w.Stats().Pushes; p < 100 {
		t.Fatalf("pushes %d", p)
	}
}

const cfg100 = 100 * time.Millisecond

func TestGraceAndReenter(t *testing.T) {
	cfg := nearConfig()
	cfg.Grace = 500 * time.Millisecond
	w, _ := New(cfg, nil)
	c := &testCodec{}
	a, b := newSink(c), newSink(c)
	ea, _ := w.Enter(1, "a", a)
	eb, _ := w.Enter(2, "b", b)
	now := time.Now()
	w.tick(now)
	w.Disconnect(eb.ID, newSink(c)) // an old connection: ignored
	w.Disconnect(eb.ID, b)
	w.tick(now.Add(cfg100))
	if _, ok := a.known[eb.ID]; !ok {
		t.Fatal("b gone before its grace")
	}
	b2 := newSink(c)
	e2, err := w.Enter(2, "b", b2)
	if err != nil || e2.ID != eb.ID {
		t.Fatalf("re-enter: %v id %d want %d", err, e2.ID, eb.ID)
	}
	w.tick(now.Add(2 * cfg100))
	if b2.resets != 1 || len(b2.known) != 1 {
		t.Fatalf("re-entered player got %d resets, knows %v", b2.resets, b2.known)
	}
	w.Disconnect(eb.ID, b2)
	w.tick(now.Add(3 * cfg100))
	time.Sleep(600 * time.Millisecond)
	w.tick(time.Now())
	w.tick(time.Now())
	if _, ok := a.known[eb.ID]; ok {
		t.Fatal("b still seen after its grace")
	}
	if w.Stats().Expired != 1 || w.Stats().Players != 1 {
		t.Fatalf("stats %+v", w.Stats())
	}
	_ = ea
	// Anonymous players leave at once.
	s := newSink(c)
	ez, _ := w.Enter(0, "", s)
	w.Disconnect(ez.ID, s)
	if err := w.Move(ez.ID, ez.X, 0, ez.Z, 0); !errors.Is(err, ErrNotInWorld) {
		t.Fatalf("anonymous player stayed: %v", err)
	}
}

func TestChat(t *testing.T) {
	w, _ := New(nearConfig(), nil)
	c := &testCodec{}
	a, b := newSink(c), newSink(c)
	ea, _ := w.Enter(1, "a", a)
	w.Enter(2, "b", b)
	ctx := context.Background()
	for _, tc := range []struct {
		text string
		rule string
	}{
		{"", "chat_invalid"},
		{string(make([]rune, 201)), "chat_invalid"},
		{"\xff", "chat_invalid"},
		{"hello", ""},
	} {
		err := w.Chat(ctx, ea.ID, tc.text)
		if rule(err) != tc.rule {
			t.Fatalf("chat %q: %v", tc.text, err)
		}
	}
	if len(b.chats) != 1 || b.chats[0].Text != "hello" || b.chats[0].From != ea.ID || len(a.chats) != 1 {
		t.Fatalf("chats %v %v", a.chats, b.chats)
	}
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = w.Chat(ctx, ea.ID, "x")
	}
	if rule(err) != "chat_rate" {
		t.Fatalf("flood: %v", err)
	}
	if err := w.Chat(ctx, 999, "x"); !errors.Is(err, ErrNotInWorld) {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, f := range map[string]func(*Config){
		"empty map":   func(c *Config) { c.MaxX = c.MinX },
		"cells":       func(c *Config) { c.CellsX = 0 },
		"radius":      func(c *Config) { c.ViewRadius = 0 },
		"spawn":       func(c *Config) { c.SpawnMaxX = c.MaxX + 1 },
		"tick":        func(c *Config) { c.Tick = 0 },
		"speed":       func(c *Config) { c.MaxSpeed = 0 },
		"max players": func(c *Config) { c.MaxPlayers = 0 },
	} {
		c := DemoConfig()
		f(&c)
		if _, err := New(c, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRaceManyPlayers runs the world at its real tick with many players
// moving, leaving, disconnecting and re-entering from their own
// goroutines. Run with -race.
func TestRaceManyPlayers(t *testing.T) {
	cfg := testConfig()
	cfg.Tick = 10 * time.Millisecond
	cfg.Grace = 20 * time.Millisecond
	w, _ := New(cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	codec := &testCodec{}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			key := int64(i % 150) // some share a key: two connections for one user
			for round := 0; round < 5; round++ {
				s := newSink(codec)
				e, err := w.Enter(key, "", s)
				if err != nil {
					t.Error(err)
					return
				}
				x, z := e.X, e.Z
				for k := 0; k < 20; k++ {
					x = float32(math.Min(cfg.MaxX, math.Max(cfg.MinX, float64(x)+r.Float64()*4-2)))
					z = float32(math.Min(cfg.MaxZ, math.Max(cfg.MinZ, float64(z)+r.Float64()*4-2)))
					_ = w.Move(e.ID, x, 0, z, 0)
					if r.IntN(10) == 0 {
						_ = w.Chat(ctx, e.ID, "hi")
					}
					time.Sleep(time.Duration(r.IntN(3)) * time.Millisecond)
				}
				switch r.IntN(3) {
				case 0:
					_ = w.Leave(e.ID)
				default:
					w.Disconnect(e.ID, s)
				}
			}
		}(i)
	}
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Ticks < 5 || st.MovesApplied == 0 || st.Pushes == 0 {
		t.Fatalf("stats %+v", st)
	}
	if st.Players != 0 {
		t.Fatalf("%d players left after every one left or expired", st.Players)
	}
}

// TestMoveBudget: the speed limit is a distance budget of one tick's
// travel (at least 250 ms's) refilling at the speed limit, so moves that
// arrive together pass while they fit in it, whatever the tick.
func TestMoveBudget(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tick  time.Duration
		steps []float32 // X offsets from the previous position, sent at once
		ok    []bool
	}{
		{"bunched pair at a short tick", 25 * time.Millisecond, []float32{2.8, 2}, []bool{true, true}},
		{"bunched burst at a short tick", 25 * time.Millisecond, []float32{2.8, 2.8, 2.8, 2.8}, []bool{true, true, true, true}},
		{"budget spent", 25 * time.Millisecond, []float32{5, 5, 5}, []bool{true, true, false}},
		{"jump", 25 * time.Millisecond, []float32{13}, []bool{false}},
		{"refused move spends nothing", 100 * time.Millisecond, []float32{13, 12}, []bool{false, true}},
		{"long tick, bigger budget", time.Second, []float32{30, 19}, []bool{true, true}},
		{"long tick, over", time.Second, []float32{30, 25}, []bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			c.Tick = tc.tick
			w, err := New(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			e, _ := w.Enter(1, "a", newSink(&testCodec{}))
			x := e.X
			for i, d := range tc.steps {
				err := w.Move(e.ID, x+d, 0, e.Z, 0)
				if tc.ok[i] != (err == nil) {
					t.Fatalf("step %d (+%v): %v, want ok %v", i, d, err, tc.ok[i])
				}
				if err == nil {
					x += d
				} else if !errors.Is(err, ErrTooFast) {
					t.Fatalf("step %d: %v", i, err)
				}
			}
		})
	}
}
