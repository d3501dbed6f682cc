package world

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// zonedConfig is the demo map in 2×4 zones, players spawning anywhere.
func zonedConfig() Config {
	c := testConfig()
	c.ZonesX, c.ZonesZ = 2, 4
	c.SpawnMinX, c.SpawnMaxX, c.SpawnMinZ, c.SpawnMaxZ = c.MinX, c.MaxX, c.MinZ, c.MaxZ
	return c
}

// ghosts counts the ghosts of every zone and checks each against its
// player: a ghost is where its player is, only in zones whose border band
// holds it, and every zone whose band holds a player has its ghost.
func checkGhosts(t *testing.T, w *World) (n int) {
	t.Helper()
	for _, z := range w.zones {
		for id, g := range z.byID {
			if g.p != nil {
				if int(w.zoneOf[g.cell]) != z.idx {
					t.Fatalf("zone %d holds player %d in cell %d of zone %d", z.idx, id, g.cell, w.zoneOf[g.cell])
				}
				continue
			}
			n++
			e := own(w, id)
			if e == nil {
				t.Fatalf("zone %d has a ghost of %d, who is in no zone", z.idx, id)
			}
			if g.pos != e.pos || w.near[e.cell]&z.bit == 0 {
				t.Fatalf("zone %d ghost of %d at %v (cell %d), the player is at %v (cell %d)", z.idx, id, g.pos, g.cell, e.pos, e.cell)
			}
		}
	}
	for _, z := range w.zones {
		for id, e := range z.byID {
			if e.p == nil {
				continue
			}
			for i := range eachZone(w.near[e.cell] &^ z.bit) {
				if g := w.zones[i].byID[id]; g == nil || g.p != nil {
					t.Fatalf("player %d of zone %d in cell %d has no ghost in zone %d", id, z.idx, e.cell, i)
				}
			}
		}
	}
	return n
}

// TestZonesViewsMatchTruth moves many players at random across a world of
// 2×4 zones (joins, leaves, slow receivers, fast movers crossing zones)
// and checks, once the zones have exchanged their messages, that each
// player's view built from its updates alone is the whole map's truth,
// players of other zones included, and that the ghosts are exactly the
// players in the border bands.
func TestZonesViewsMatchTruth(t *testing.T) {
	cfg := zonedConfig()
	cfg.MaxSpeed = 1000
	w, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Moves across a border are seen in the same tick; a jump of more
	// than the band out of a zone's reach is removed from it one tick
	// later (the new zone tells it): one quiet tick settles everything.
	maxGhosts := 0
	walkRandomly(t, w, 3, 30, 1, func() { maxGhosts = max(maxGhosts, checkGhosts(t, w)) })
	st := w.Stats()
	if st.Handovers < 100 || maxGhosts == 0 || st.Coalesced == 0 {
		t.Fatalf("handovers %d, ghosts at most %d, coalesced %d: the zone paths were not exercised", st.Handovers, maxGhosts, st.Coalesced)
	}
	var owned int64
	for i := range w.Zones() {
		owned += w.ZoneStats(i).Players
	}
	if owned != st.Players {
		t.Fatalf("zones hold %d players, the world has %d", owned, st.Players)
	}
}

// TestZoneHandover walks one player across the border between two zones
// past another who watches: the walker is handed over on the same
// connection (one reset, its view unchanged), the watcher sees it move
// across the border without ever losing it, and the zones' counts follow.
func TestZoneHandover(t *testing.T) {
	cfg := testConfig()
	cfg.ZonesX = 2 // the border is at X 247.5 (cell column 5)
	cfg.MaxSpeed = 1e6
	cfg.SpawnMinX, cfg.SpawnMaxX, cfg.SpawnMinZ, cfg.SpawnMaxZ = 240, 240, 200, 200
	w, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCodec{}
	walker, watcher := newSink(c), newSink(c)
	ew, _ := w.Enter(1, "walker", walker)
	cfg.SpawnMinX, cfg.SpawnMaxX = 255, 255
	w.cfg = cfg
	ev, _ := w.Enter(2, "watcher", watcher)
	now := time.Now()
	step := func() {
		now = now.Add(cfg.Tick)
		w.tick(now)
	}
	step()
	step()
	if w.ZoneStats(0).Players != 1 || w.ZoneStats(1).Players != 1 || w.ZoneStats(0).Ghosts != 1 || w.ZoneStats(1).Ghosts != 1 {
		t.Fatalf("zones before: %+v %+v", w.ZoneStats(0), w.ZoneStats(1))
	}
	if walker.known[ev.ID] != (pos{255, 200}) || watcher.known[ew.ID] != (pos{240, 200}) {
		t.Fatalf("across the border: walker knows %v, watcher %v", walker.known, watcher.known)
	}
	x := float32(240)
	for x < 270 {
		x += 3
		if err := w.Move(ew.ID, x, 0, 200, 0); err != nil {
			t.Fatal(err)
		}
		step()
		// Across the border in the same tick, both ways.
		if watcher.known[ew.ID] != (pos{x, 200}) || walker.known[ev.ID] != (pos{255, 200}) {
			t.Fatalf("walker at %v: watcher knows %v, walker %v", x, watcher.known, walker.known)
		}
	}
	step()
	if w.Stats().Handovers != 1 || w.ZoneStats(0).Players != 0 || w.ZoneStats(1).Players != 2 {
		t.Fatalf("after the crossing: handovers %d, zones %+v %+v", w.Stats().Handovers, w.ZoneStats(0), w.ZoneStats(1))
	}
	if walker.resets != 2 || len(walker.left) != 0 || walker.known[ev.ID] != (pos{255, 200}) {
		t.Fatalf("walker: %d resets (the join and the handover), left %v, knows %v", walker.resets, walker.left, walker.known)
	}
	if len(watcher.left) != 0 || watcher.known[ew.ID] != (pos{x, 200}) {
		t.Fatalf("watcher: left %v, knows %v; the walker is at %v", watcher.left, watcher.known, x)
	}
	// The walker goes back: handed over again, and the watcher's ghost in
	// zone 0 follows.
	for x > 230 {
		x -= 3
		if err := w.Move(ew.ID, x, 0, 200, 0); err != nil {
			t.Fatal(err)
		}
		step()
		if watcher.known[ew.ID] != (pos{x, 200}) || walker.known[ev.ID] != (pos{255, 200}) {
			t.Fatalf("walker back at %v: watcher knows %v, walker %v", x, watcher.known, walker.known)
		}
	}
	step()
	if w.Stats().Handovers != 2 || walker.resets != 3 || watcher.known[ew.ID] != (pos{x, 200}) || walker.known[ev.ID] != (pos{255, 200}) {
		t.Fatalf("back: handovers %d, walker resets %d knows %v, watcher knows %v", w.Stats().Handovers, walker.resets, walker.known, watcher.known)
	}
	checkGhosts(t, w)
}

// TestZoneLeaveDuringHandover: a player who leaves while its handover is
// on its way is gone from every zone, ghosts included, and so is one whose
// connection closes then.
func TestZoneLeaveDuringHandover(t *testing.T) {
	for _, leave := range []string{"leave", "disconnect"} {
		t.Run(leave, func(t *testing.T) {
			cfg := testConfig()
			cfg.ZonesX, cfg.ZonesZ = 2, 2
			cfg.Grace = 0
			cfg.SpawnMinX, cfg.SpawnMaxX, cfg.SpawnMinZ, cfg.SpawnMaxZ = 245, 245, 235, 235 // near the four-zone corner (247.5, 237.5)
			w, _ := New(cfg, nil)
			s := newSink(&testCodec{})
			e, _ := w.Enter(1, "a", s)
			obs := newSink(&testCodec{})
			w.Enter(2, "b", obs)
			now := time.Now()
			w.tick(now)
			w.tick(now.Add(time.Millisecond))
			if checkGhosts(t, w) != 6 { // each of the two in its zone and as a ghost in the three others
				t.Fatalf("ghosts %d, want 6", checkGhosts(t, w))
			}
			if err := w.Move(e.ID, 250, 0, 240, 0); err != nil { // into the diagonal zone
				t.Fatal(err)
			}
			w.zones[0].tick(now.Add(cfg.Tick)) // the handover is sent
			if leave == "leave" {
				if err := w.Leave(e.ID); err != nil {
					t.Fatal(err)
				}
			} else {
				w.Disconnect(e.ID, s)
			}
			for i := range 3 {
				w.tick(now.Add(cfg.Tick + time.Duration(i+1)*time.Millisecond))
			}
			checkGhosts(t, w)
			if st := w.Stats(); st.Players != 1 {
				t.Fatalf("players %d", st.Players)
			}
			for i := range w.Zones() {
				zs := w.ZoneStats(i)
				if zs.Players+zs.Ghosts != 1 {
					t.Fatalf("zone %d: %+v; only b is left", i, zs)
				}
			}
			if !slices.Contains(obs.left, e.ID) {
				t.Fatalf("b was not told a left: %v", obs.left)
			}
		})
	}
}

// TestZoneRequestsDuringHandover: requests that reach the old zone after
// its tick took its requests, and before it handed the player over, follow
// the player to its new zone: a reconnect's new connection gets the
// updates, a later move is applied there, and a leave leaves nothing
// behind.
func TestZoneRequestsDuringHandover(t *testing.T) {
	cfg := testConfig()
	cfg.ZonesX = 2
	cfg.MaxSpeed = 1e6
	cfg.SpawnMinX, cfg.SpawnMaxX, cfg.SpawnMinZ, cfg.SpawnMaxZ = 245, 245, 200, 200
	start := func() (*World, Entity, *testSink, time.Time) {
		w, _ := New(cfg, nil)
		s := newSink(&testCodec{})
		e, _ := w.Enter(1, "a", s)
		w.Enter(2, "b", newSink(&testCodec{}))
		now := time.Now()
		w.tick(now)
		w.tick(now.Add(time.Millisecond))
		if err := w.Move(e.ID, 250, 0, 200, 0); err != nil { // across the border at 247.5
			t.Fatal(err)
		}
		return w, e, s, now
	}
	settle := func(w *World, now time.Time) {
		for i := range 3 {
			w.tick(now.Add(time.Duration(10+i) * time.Millisecond))
		}
	}

	t.Run("reconnect and move", func(t *testing.T) {
		w, e, old, now := start()
		fresh := newSink(&testCodec{})
		w.zones[0].afterDrain = func() {
			w.zones[0].afterDrain = nil
			if _, err := w.Enter(1, "a", fresh); err != nil {
				t.Error(err)
			}
			if err := w.Move(e.ID, 252, 0, 200, 0); err != nil {
				t.Error(err)
			}
		}
		n := old.n
		settle(w, now)
		p := own(w, e.ID)
		if p == nil || p.sink != fresh || p.pos.X != 252 || int(w.zoneOf[p.cell]) != 1 {
			t.Fatalf("after the handover: %+v, want zone 1 at X 252 on the new connection", p)
		}
		// The old connection gets the handover's reset, sent before the
		// reconnect reached the new zone, and nothing after.
		if fresh.resets == 0 || len(fresh.known) != 1 || old.n > n+1 {
			t.Fatalf("new connection: %d resets, knows %v; the old one got %d more updates", fresh.resets, fresh.known, old.n-n)
		}
		checkGhosts(t, w)
	})
	t.Run("leave", func(t *testing.T) {
		w, e, _, now := start()
		w.zones[0].afterDrain = func() {
			w.zones[0].afterDrain = nil
			if err := w.Leave(e.ID); err != nil {
				t.Error(err)
			}
		}
		settle(w, now)
		checkGhosts(t, w)
		for i := range w.Zones() {
			if zs := w.ZoneStats(i); zs.Players+zs.Ghosts != 1 {
				t.Fatalf("zone %d: %+v; only b is left", i, zs)
			}
		}
	})
}

// TestZonesRace runs a zoned world at its real tick, every zone on its
// own goroutine, with players crossing the borders from their own
// goroutines, entering, leaving and disconnecting. Run with -race.
func TestZonesRace(t *testing.T) {
	cfg := zonedConfig()
	cfg.Tick = 5 * time.Millisecond
	cfg.Grace = 10 * time.Millisecond
	cfg.MaxSpeed = 10000
	w, _ := New(cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	codec := &testCodec{}
	errs := make(chan error, 100)
	for i := range 100 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(i), 9))
			for round := 0; round < 4; round++ {
				s := newSink(codec)
				e, err := w.Enter(int64(i%80+1), "", s)
				if err != nil {
					errs <- err
					return
				}
				x, z := e.X, e.Z
				for range 30 {
					x = float32(math.Min(cfg.MaxX, math.Max(cfg.MinX, float64(x)+r.Float64()*80-40)))
					z = float32(math.Min(cfg.MaxZ, math.Max(cfg.MinZ, float64(z)+r.Float64()*80-40)))
					_ = w.Move(e.ID, x, 0, z, 0)
					time.Sleep(time.Duration(r.IntN(2)) * time.Millisecond)
				}
				if r.IntN(2) == 0 {
					_ = w.Leave(e.ID)
				} else {
					w.Disconnect(e.ID, s)
				}
			}
			errs <- nil
		}()
	}
	for range 100 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Players != 0 || st.Handovers == 0 {
		t.Fatalf("stats %+v", st)
	}
	for i := range w.Zones() {
		if zs := w.ZoneStats(i); zs.Players != 0 || zs.Ghosts != 0 {
			t.Fatalf("zone %d: %+v after everyone left", i, zs)
		}
	}
}
