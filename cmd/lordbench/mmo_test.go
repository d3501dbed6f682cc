package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/world/aoi"
	"github.com/lordgame/lordgame/proto/gen/pb"
	"github.com/lordgame/lordgame/proto/gen/zinxpb"
)

// TestMMOSmoke builds the server, starts it with the demo listener on,
// and runs the mmo scenario briefly over both protocols: every player
// enters, no error, and the moves the reference grid expects at the
// sampled receivers arrive. Latency is not asserted. Steps of ±1 keep
// even the bursts of a starved sender within the server's move budget.
func TestMMOSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real server")
	}
	bin := filepath.Join(t.TempDir(), "lordgame")
	if out, err := exec.Command("go", "build", "-o", bin, "../lordgame").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	zx := ln.Addr().String()
	ln.Close()
	addr, metrics, logs := startLordgame(t, bin, "-mmo-zinx", zx, "-world-spawn", "map")
	for _, tc := range []struct {
		proto, target string
		extra         []string
	}{
		{"native", "ws://" + addr + "/ws", nil},
		{"zinx", "tcp://" + zx, []string{"-world-tick", "100ms"}},
		{"zinx", "tcp://" + zx, []string{"-spread"}},
	} {
		t.Run(tc.proto+strings.Join(tc.extra, ""), func(t *testing.T) {
			args := append([]string{"-scenario", "mmo", "-proto", tc.proto, "-target", tc.target, "-metrics", metrics,
				"-players", "40", "-step", "1", "-duration", "3s", "-json"}, tc.extra...)
			var out, errOut bytes.Buffer
			if err := run(context.Background(), args, &out, &errOut); err != nil {
				t.Fatalf("lordbench: %v\n%s", err, errOut.String())
			}
			var rep mmoReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report %q: %v", out.String(), err)
			}
			if rep.PlayersReady != 40 || rep.Errors != 0 || rep.Expected == 0 || rep.DeliveredRatio < 0.99 ||
				rep.MovesSent == 0 || rep.InView <= 0 || rep.Sightings == 0 || !(rep.SendLateP99ms > 0) {
				t.Fatalf("report %s\nserver log:\n%s", out.String(), logs.String())
			}
			t.Logf("in view %.1f, %.0f moves/s, delivered %d/%d, p99 %.1f ms", rep.InView, rep.MovesPerS, rep.Delivered, rep.Expected, rep.P99ms)
		})
	}
}

// TestMMODeliveredRatio checks the reference on a hand-made run: a mover
// and a receiver near or far; a lost sighting, a move the server never
// applied (replaced in its tick), and a receiver crossing the view's border.
func TestMMODeliveredRatio(t *testing.T) {
	const iv = int64(100 * time.Millisecond)
	g, err := aoi.New(aoi.Config{MinX: 0, MaxX: 100, CellsX: 10, MinY: 0, MaxY: 100, CellsY: 10})
	if err != nil {
		t.Fatal(err)
	}
	at := func(x, z float32, ns int64) mmoSend {
		cx, cz := g.CellXY(g.CellAt(float64(x), float64(z)))
		return mmoSend{x: x, z: z, cx: int16(cx), cz: int16(cz), at: ns}
	}
	// steady: n moves of one player at (x, z), sent on schedule.
	steady := func(x, z float32, n int) []mmoSend {
		var s []mmoSend
		for k := 1; k <= n; k++ {
			s = append(s, at(x, z, int64(k)*iv))
		}
		return s
	}
	seqs := func(from, to int32, skip ...int32) []int32 {
		var s []int32
	next:
		for q := from; q <= to; q++ {
			for _, k := range skip {
				if q == k {
					continue next
				}
			}
			s = append(s, q)
		}
		return s
	}
	for _, tc := range []struct {
		name                 string
		mover, recv          []mmoSend
		got, own             []int32 // own nil: every move echoed to its mover
		exp, del, sup, ambig uint64  // sup: not applied
	}{
		{name: "all seen", mover: steady(5, 5, 10), recv: steady(6, 6, 10), got: seqs(1, 10), exp: 10, del: 10},
		{name: "one lost", mover: steady(5, 5, 10), recv: steady(6, 6, 10), got: seqs(1, 10, 4), exp: 10, del: 9},
		{name: "far away", mover: steady(5, 5, 10), recv: steady(95, 95, 10), got: nil, exp: 0, del: 0},
		{name: "seen from afar is not counted", mover: steady(5, 5, 10), recv: steady(95, 95, 10), got: seqs(1, 10), exp: 0, del: 0},
		{name: "replaced in its tick", mover: func() []mmoSend {
			s := steady(5, 5, 10)
			s[3].at = s[4].at - int64(time.Millisecond) // sent late, right before the next
			return s
		}(), recv: steady(6, 6, 10), got: seqs(1, 10, 4), own: seqs(1, 10, 4), exp: 9, del: 9, sup: 1},
		{name: "applied but not seen", mover: func() []mmoSend {
			s := steady(5, 5, 10)
			s[3].at = s[4].at - int64(time.Millisecond)
			return s
		}(), recv: steady(6, 6, 10), got: seqs(1, 10, 4), exp: 10, del: 9},
		{name: "a gap is not a replacement", mover: steady(5, 5, 10), recv: steady(6, 6, 10), got: seqs(1, 10, 4, 5), exp: 10, del: 8},
		{name: "receiver crossing the border", mover: steady(5, 5, 10), recv: func() []mmoSend {
			s := steady(15, 5, 10) // cell 1: in view of cell 0
			for k := 5; k < 10; k++ {
				s[k] = at(25, 5, s[k].at) // cell 2: out of view
			}
			return s
		}(), got: seqs(1, 5), exp: 4, del: 4, ambig: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			own := tc.own
			if own == nil {
				own = seqs(1, int32(len(tc.mover)))
			}
			m := &mmoBot{i: 0, sends: tc.mover, ownGot: own, spawnX: tc.mover[0].x, spawnZ: tc.mover[0].z}
			r := &mmoBot{i: 1, sends: tc.recv, sample: true, got: map[int][]int32{0: tc.got}, spawnX: tc.recv[0].x, spawnZ: tc.recv[0].z}
			run := &mmoRun{o: options{Interval: time.Duration(iv)}, grid: g, radius: 1, tick: 100 * time.Millisecond,
				bots: []*mmoBot{m, r}, from: 0, to: 11 * iv}
			exp, del, sup, ambig, n := run.deliveredRatio()
			if n != 1 || exp != tc.exp || del != tc.del || sup != tc.sup || ambig != tc.ambig {
				t.Fatalf("expected %d delivered %d not applied %d ambiguous %d over %d receivers; want %d %d %d %d over 1",
					exp, del, sup, ambig, n, tc.exp, tc.del, tc.sup, tc.ambig)
			}
		})
	}
}

// TestMMOParse decodes what the server sends: a native world.tick and
// the demo's 200 and 202 bodies.
func TestMMOParse(t *testing.T) {
	tick, _ := proto.Marshal(&pb.WorldTick{Tick: 7, Moved: []*pb.WorldEntity{{Id: 3, X: 1, Z: 2, V: 5}, {Id: 4, V: 9, Name: "x"}},
		Entered: []*pb.WorldEntity{{Id: 8, V: 1}}, Left: []int32{2}, Reset_: true})
	var got []string
	if err := parseWorldTick(tick, func(pid int32, x, z, v float32) { got = append(got, fmt.Sprint(pid, ":", x, ",", z, ":", v)) }); err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, " "); s != "3:1,2:5 4:0,0:9 8:0,0:1" {
		t.Fatalf("native: %s", s)
	}
	if err := parseWorldTick([]byte{0x12, 0x05, 0x08}, func(int32, float32, float32, float32) {}); err == nil {
		t.Fatal("native: a truncated entity decoded")
	}
	bc, _ := proto.Marshal(&zinxpb.BroadCast{PID: 12, Tp: 4, Data: &zinxpb.BroadCast_P{P: &zinxpb.Position{X: 100, Z: 200, V: 33}}})
	pid, tp, x, z, v, hasPos, err := parseZxBroadCast(bc)
	if err != nil || pid != 12 || tp != 4 || x != 100 || z != 200 || v != 33 || !hasPos {
		t.Fatalf("zinx 200: %d %d %v,%v %v %v %v", pid, tp, x, z, v, hasPos, err)
	}
	chat, _ := proto.Marshal(&zinxpb.BroadCast{PID: 12, Tp: 1, Data: &zinxpb.BroadCast_Content{Content: "hi"}})
	if _, tp, _, _, _, hasPos, err := parseZxBroadCast(chat); err != nil || tp != 1 || hasPos {
		t.Fatalf("zinx chat: %d %v %v", tp, hasPos, err)
	}
	pl, _ := proto.Marshal(&zinxpb.Player{PID: 5, P: &zinxpb.Position{X: 1, V: 2}})
	if pid, x, _, v, err := parsePlayer(pl); err != nil || pid != 5 || x != 1 || v != 2 {
		t.Fatalf("zinx player: %d %v %v %v", pid, x, v, err)
	}
}

// FuzzMMOParse: no input makes the decoders panic.
func FuzzMMOParse(f *testing.F) {
	tick, _ := proto.Marshal(&pb.WorldTick{Tick: 7, Moved: []*pb.WorldEntity{{Id: 3, X: 1, Z: 2, V: 5}}})
	bc, _ := proto.Marshal(&zinxpb.BroadCast{PID: 12, Tp: 4, Data: &zinxpb.BroadCast_P{P: &zinxpb.Position{X: 100, Z: 200, V: 33}}})
	f.Add(tick)
	f.Add(bc)
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = parseWorldTick(b, func(int32, float32, float32, float32) {})
		_, _, _, _, _, _, _ = parseZxBroadCast(b)
		_, _, _, _, _ = parsePlayer(b)
		_, _ = zxPos(b)
	})
}

// TestMMOSeenTimesWatchedMoves: a sighting is timed when the receiver was
// watching the mover (it saw the previous move, or did not change cell
// itself lately); the first sighting after a gap that the receiver's own
// step into view explains is counted apart, not timed.
func TestMMOSeenTimesWatchedMoves(t *testing.T) {
	const iv = int64(100 * time.Millisecond)
	tests := []struct {
		name      string
		prev      int32 // the receiver's last sighting of the mover
		cellAt    int64 // when the receiver last changed cell (0: never)
		seq       int32
		wantTimed bool
	}{
		{"watching: saw the previous move", 4, 5 * iv, 5, true},
		{"watching: saw the previous move, receiver crossed just now", 4, 5*iv + iv/2, 5, true},
		{"mover came into view, receiver stood still", 2, 0, 5, true},
		{"receiver stepped into view after the move was due", 2, 5*iv + iv/2, 5, false},
		{"receiver stepped into view just before the move was due", 2, 4*iv + iv/2, 5, false},
		{"receiver changed cell long before", 2, 2 * iv, 5, true},
		{"first sighting ever, receiver stood still", 0, 0, 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &mmoRun{o: options{Interval: time.Duration(iv)}, from: 0, to: 100 * iv}
			mover := &mmoBot{i: 0, pid: 1, last: map[int32]int32{}}
			recv := &mmoBot{i: 1, pid: 2, last: map[int32]int32{1: tt.prev}}
			recv.cellAt.Store(tt.cellAt)
			run.bots = []*mmoBot{mover, recv}
			tab := []int32{0, 1, 2}
			run.byPID.Store(&tab)
			now := int64(tt.seq)*iv + 30*int64(time.Millisecond)
			run.seen(recv, 1, 10, 10, float32(tt.seq), now)
			timed := run.hist.Count() == 1 && recv.sighted == 1 && recv.viewSighted == 0
			untimed := run.hist.Count() == 0 && recv.sighted == 0 && recv.viewSighted == 1
			if tt.wantTimed && !timed || !tt.wantTimed && !untimed {
				t.Errorf("timed %d, sighted %d, view sightings %d; want timed %v", run.hist.Count(), recv.sighted, recv.viewSighted, tt.wantTimed)
			}
			if recv.last[1] != tt.seq {
				t.Errorf("last seen %d, want %d", recv.last[1], tt.seq)
			}
		})
	}
}
