package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/world/aoi"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// mmo: -players clients enter the MMO world, over the native protocol (a
// ws:// target, guests as in ddz) or with -proto zinx the Zinx demo's (a
// tcp:// target: the server's -mmo-zinx listener). Optionally (-spread)
// they first walk to uniform random start positions; then each moves
// every -interval by a random step of up to ±-step on each axis, on a
// fixed schedule (open loop: a send that is late stays late).
//
// Every move carries its mover's sequence number in V, which both
// protocols carry through unchanged. A receiver that sees a move (its
// first sighting of that mover's sequence number) records the latency
// from the move's scheduled send time. The delivered ratio is computed
// after the run, on a sample of receivers, against lordbench's own AOI
// reference over the positions it sent: a move counts as expected at a
// receiver when every position that receiver may have had when the
// server applied the move (its last one sent before the move, and any
// sent within a tick after it) lies in the view of the move's cell;
// moves at an ambiguous border are counted apart. The ratio is over the
// moves the server applied, which it echoes to their mover: a move never
// echoed (replaced by the mover's next one in the same tick, the server
// applying only the latest, or refused) is counted apart as not applied,
// and the moves sent and applied per second show how many there were.

const (
	mmoSamples    = 64                    // receivers whose every sighting is kept for the delivered ratio
	mmoWarmup     = 20                    // intervals after the spread before measuring
	mmoDrain      = time.Second           // how long receivers keep reading after the last move
	mmoSlack      = 50 * time.Millisecond // timing slack of the AOI reference
	mmoReadIdle   = 30 * time.Second      // read deadline of a demo connection
	mmoHelloLimit = 10 * time.Second
)

type mmoReport struct {
	Scenario     string  `json:"scenario"`
	Proto        string  `json:"proto"`
	Target       string  `json:"target"`
	Players      int     `json:"players"`
	PlayersReady int     `json:"players_ready"`
	IntervalMs   float64 `json:"interval_ms"`
	Step         float64 `json:"step"`
	Spread       bool    `json:"spread"`
	Map          string  `json:"map"`
	TickMs       float64 `json:"tick_ms"`
	DurationS    float64 `json:"duration_s"`
	// InView is the average number of other players in a player's view,
	// from lordbench's reference grid, sampled once a second.
	InView float64 `json:"in_view"`
	// MovesSent were sent in the measured window; MovesHandled are those
	// the server applied (echoed to their mover).
	MovesSent    uint64  `json:"moves_sent"`
	MovesPerS    float64 `json:"moves_per_s"`
	MovesHandled uint64  `json:"moves_handled"`
	HandledPerS  float64 `json:"handled_per_s"`
	LateSends    uint64  `json:"late_sends"`
	// SendLateP99ms is how late lordbench itself wrote its moves (the
	// write's end against the scheduled time), p99: latency that is the
	// load generator's, inside p99_ms.
	SendLateP99ms float64 `json:"send_late_p99_ms"`
	Sightings     uint64  `json:"sightings"`
	// ViewSightings are first sightings of a mover after a gap, made
	// after the receiver itself changed cell: not timed (see seen).
	ViewSightings  uint64  `json:"view_sightings"`
	SightingsPerS  float64 `json:"sightings_per_s"`
	P50ms          float64 `json:"p50_ms"`
	P90ms          float64 `json:"p90_ms"`
	P99ms          float64 `json:"p99_ms"`
	MaxMs          float64 `json:"max_ms"`
	Expected       uint64  `json:"expected"`
	Delivered      uint64  `json:"delivered"`
	NotApplied     uint64  `json:"not_applied"`
	Ambiguous      uint64  `json:"ambiguous"`
	DeliveredRatio float64 `json:"delivered_ratio"`
	Sampled        int     `json:"sampled_receivers"`
	// Server-side counters over the run (from /metrics; 0 with -pid).
	// ServerRefused sums every reason (off the map, too fast, not in the
	// world): the breakdown is in the server's /metrics.
	ServerRefused   float64 `json:"server_refused"`
	ServerCoalesced float64 `json:"server_coalesced"`
	// Corrections are refused moves' corrections the players received
	// (and walked on from).
	Corrections    uint64            `json:"corrections"`
	ServerOverruns float64           `json:"server_tick_overruns"`
	Errors         uint64            `json:"errors"`
	ErrorsByCode   map[string]uint64 `json:"errors_by_code"`
	FirstError     string            `json:"first_error,omitempty"`
	ServerCPUs     float64           `json:"server_cpu_s,omitempty"`
	ServerCores    float64           `json:"server_cpu_cores,omitempty"`
	ServerRSSMB    float64           `json:"server_rss_mb,omitempty"`
	CPUError       string            `json:"cpu_error,omitempty"`
	ClientCPUs     float64           `json:"client_cpu_s"`
	ClientCores    float64           `json:"client_cpu_cores"`
}

// mmoSend is one move as sent: its position, its cell on the reference
// grid and when the write returned (index seq-1 of mmoBot.sends).
type mmoSend struct {
	x, z   float32
	cx, cz int16
	at     int64
}

type mmoBot struct {
	i   int
	pid int32
	// sender side
	x, z   float32
	spawnX float32
	spawnZ float32
	t0     int64 // unix ns of sequence 0 on the schedule; set before the move table is published
	sends  []mmoSend
	late   uint64
	rng    *rand.Rand
	tx, tz float32 // -spread: where to walk first
	walk   int     // -spread: steps of walking left
	pos    atomic.Uint64
	cell   int          // the cell of the last position sent
	cellAt atomic.Int64 // unix ns of the send that last changed cell (read by receivers)
	// receiver side (the reader goroutine)
	last        map[int32]int32            // mover pid → highest sequence seen
	ownGot      []int32                    // own sequences echoed, ascending
	snap        atomic.Pointer[[2]float32] // the server's correction of our position, for the sender
	corrections uint64
	sighted     uint64
	viewSighted uint64 // first sightings after a gap that our own cell change may explain: not timed
	sample      bool
	got         map[int][]int32 // sampled: mover index → sequences first seen, ascending
	readErr     error
	lastRead    time.Time
	// connection
	c    *client.Client // native
	nc   net.Conn       // zinx
	wbuf []byte
	move pb.WorldMoveReq
}

type mmoRun struct {
	o        options
	grid     *aoi.Grid
	gcfg     aoi.Config
	radius   int
	tick     time.Duration
	maxSpeed float64
	bots     []*mmoBot
	byPID    atomic.Pointer[[]int32] // pid → bot index + 1
	from, to int64                   // the measured window of scheduled send times
	closing  atomic.Bool
	readers  sync.WaitGroup // the demo connections' readers, stopped by closing their sockets
	hist     histogram
	sendLate histogram // the write's end against the schedule
	errs     errorCounts
	mu       sync.Mutex
	first    string
	hc       *http.Client
}

// parseWorldMap reads minX,maxX,cellsX,minZ,maxZ,cellsZ (the server's
// -world-map format).
func parseWorldMap(s string) (aoi.Config, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 6 {
		return aoi.Config{}, fmt.Errorf("-world-map: want minX,maxX,cellsX,minZ,maxZ,cellsZ, got %q", s)
	}
	var f [6]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return aoi.Config{}, fmt.Errorf("-world-map: %q is not a number", p)
		}
		f[i] = v
	}
	if f[2] != math.Trunc(f[2]) || f[5] != math.Trunc(f[5]) {
		return aoi.Config{}, errors.New("-world-map: cell counts must be whole numbers")
	}
	c := aoi.Config{MinX: f[0], MaxX: f[1], CellsX: int(f[2]), MinY: f[3], MaxY: f[4], CellsY: int(f[5])}
	return c, c.Validate()
}

func runMMO(ctx context.Context, o options, live *liveLine) (report, error) {
	if len(o.Targets) != 1 && o.Proto == "zinx" {
		return nil, errors.New("mmo: -proto zinx: one target (the demo listener of the node that runs the world)")
	}
	if o.Players < 1 || o.Interval <= 0 || !(o.Step > 0) {
		return nil, errors.New("mmo: -players must be at least 1, -interval and -step positive")
	}
	want := map[string]string{"native": "ws", "zinx": "tcp"}[o.Proto]
	if want == "" {
		return nil, fmt.Errorf("mmo: -proto %q: want native or zinx", o.Proto)
	}
	for _, t := range o.Targets {
		if t.Scheme != want {
			return nil, fmt.Errorf("mmo: -proto %s needs %s:// targets", o.Proto, want)
		}
	}
	gcfg, err := parseWorldMap(o.WorldMap)
	if err != nil {
		return nil, err
	}
	run := &mmoRun{o: o, gcfg: gcfg, radius: 1, tick: o.WorldTick, maxSpeed: 40,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	rep := &mmoReport{Scenario: "mmo", Proto: o.Proto, Target: joinTargets(o.Targets), Players: o.Players,
		IntervalMs: ms(o.Interval), Step: o.Step, Spread: o.Spread}
	run.connect(ctx, live)
	defer run.close()
	if len(run.bots) == 0 {
		return nil, fmt.Errorf("mmo: no player could enter the world at %s: %s", rep.Target, run.first)
	}
	if run.grid, err = aoi.New(run.gcfg); err != nil {
		return nil, err
	}
	g := run.gcfg
	rep.Map = fmt.Sprintf("%g,%g,%d,%g,%g,%d", g.MinX, g.MaxX, g.CellsX, g.MinY, g.MaxY, g.CellsY)
	rep.TickMs = ms(run.tick)
	rep.PlayersReady = len(run.bots)

	// The schedule: every bot's sequence s is due at t0 + s*interval, t0
	// spread over one interval; measuring starts after the walk to the
	// spread positions and a warm-up.
	iv := int64(o.Interval)
	walkSteps := 0
	stepLen := float32(run.maxSpeed * 0.6 * o.Interval.Seconds()) // two bunched steps fit in the server's move budget
	seed := uint64(time.Now().UnixNano())
	for _, b := range run.bots {
		b.rng = rand.New(rand.NewPCG(seed, uint64(b.i)))
		b.x, b.z = b.spawnX, b.spawnZ
		b.cell = run.grid.CellAt(float64(b.x), float64(b.z))
		if o.Spread {
			b.tx = float32(g.MinX + b.rng.Float64()*(g.MaxX-g.MinX))
			b.tz = float32(g.MinY + b.rng.Float64()*(g.MaxY-g.MinY))
			d := math.Hypot(float64(b.tx-b.x), float64(b.tz-b.z))
			b.walk = int(math.Ceil(d / float64(stepLen)))
			walkSteps = max(walkSteps, b.walk)
		}
		b.pos.Store(packPos(b.x, b.z))
	}
	start := time.Now().Add(100 * time.Millisecond).UnixNano()
	run.from = start + int64(walkSteps+mmoWarmup)*iv
	run.to = run.from + int64(o.Duration)
	tab := run.pidTable()
	for _, b := range run.bots {
		b.t0 = start + b.rng.Int64N(iv)
	}
	run.byPID.Store(&tab)

	srvs := o.servers()
	var (
		cpu     *cpuMeter
		cpuC0   float64
		before  map[string]float64
		rss     float64
		inView  float64
		samples int
	)
	var wg sync.WaitGroup
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, b := range run.bots {
		wg.Go(func() { run.sendLoop(runCtx, b, stepLen) })
	}
	// Wait for the measured window, then meter it.
	sleepCtx(ctx, time.Until(time.Unix(0, run.from)))
	cpu = startCPU(ctx, srvs, true)
	cpuC0, _ = procCPU(os.Getpid())
	if !srvs[0].guessed && srvs[0].pid == 0 {
		before, _ = scrape(ctx, srvs[0].metrics)
	}
	measureCtx, stopMeasure := context.WithDeadline(runCtx, time.Unix(0, run.to))
	tick := ticker(measureCtx, func(el time.Duration) {
		if !srvs[0].guessed {
			if m, err := srvs[0].mem().sample(measureCtx); err == nil {
				rss = max(rss, m.RSSBytes)
			}
		}
		inView += run.inView()
		samples++
		live.printf("mmo %4.0fs  %d players  p99 %6.2f ms  errors %d", el.Seconds(), len(run.bots), ms(run.hist.Quantile(0.99)), run.errs.total())
	})
	<-measureCtx.Done()
	stopMeasure()
	<-tick
	live.end()
	elapsed := time.Duration(run.to - run.from)
	if u := cpu.stop(ctx); u[0].err == nil {
		rep.ServerCPUs, rep.ServerCores = u[0].seconds, u[0].seconds/elapsed.Seconds()
	} else {
		rep.CPUError = u[0].err.Error()
	}
	if c, err := procCPU(os.Getpid()); err == nil {
		rep.ClientCPUs, rep.ClientCores = c-cpuC0, (c-cpuC0)/elapsed.Seconds()
	}
	if before != nil {
		if after, err := scrape(ctx, srvs[0].metrics); err == nil {
			rep.ServerRefused = after["lordgame_world_moves_refused_total"] - before["lordgame_world_moves_refused_total"]
			rep.ServerCoalesced = after["lordgame_world_coalesced_total"] - before["lordgame_world_coalesced_total"]
			rep.ServerOverruns = after["lordgame_world_tick_overruns_total"] - before["lordgame_world_tick_overruns_total"]
		}
	}
	rep.ServerRSSMB = rss / (1 << 20)
	if samples > 0 {
		rep.InView = inView / float64(samples)
	}
	wg.Wait() // senders stop at the end of the window
	sleepCtx(ctx, mmoDrain)
	run.closing.Store(true)
	run.close()

	rep.DurationS = elapsed.Seconds()
	for _, b := range run.bots {
		n, h := run.window(b)
		rep.MovesSent += uint64(n)
		rep.MovesHandled += uint64(h)
		rep.LateSends += b.late
		rep.Sightings += b.sighted
		rep.ViewSightings += b.viewSighted
		rep.Corrections += b.corrections
		if b.readErr != nil && !errors.Is(b.readErr, net.ErrClosed) {
			run.fail("read", b.readErr)
		}
	}
	rep.MovesPerS = float64(rep.MovesSent) / elapsed.Seconds()
	rep.HandledPerS = float64(rep.MovesHandled) / elapsed.Seconds()
	rep.SightingsPerS = float64(rep.Sightings) / elapsed.Seconds()
	rep.P50ms, rep.P90ms, rep.P99ms, rep.MaxMs = ms(run.hist.Quantile(0.5)), ms(run.hist.Quantile(0.9)), ms(run.hist.Quantile(0.99)), ms(run.hist.Max())
	rep.SendLateP99ms = ms(run.sendLate.Quantile(0.99))
	rep.Expected, rep.Delivered, rep.NotApplied, rep.Ambiguous, rep.Sampled = run.deliveredRatio()
	if rep.Expected > 0 {
		rep.DeliveredRatio = float64(rep.Delivered) / float64(rep.Expected)
	}
	rep.ErrorsByCode = run.errs.snapshot()
	for _, n := range rep.ErrorsByCode {
		rep.Errors += n
	}
	run.mu.Lock()
	rep.FirstError = run.first
	run.mu.Unlock()
	return rep, nil
}

func packPos(x, z float32) uint64 {
	return uint64(math.Float32bits(x)) | uint64(math.Float32bits(z))<<32
}

func unpackPos(v uint64) (x, z float32) {
	return math.Float32frombits(uint32(v)), math.Float32frombits(uint32(v >> 32))
}

// pidTable maps the world's player ids to bot index + 1.
func (run *mmoRun) pidTable() []int32 {
	var hi int32
	for _, b := range run.bots {
		hi = max(hi, b.pid)
	}
	tab := make([]int32, hi+1)
	for _, b := range run.bots {
		tab[b.pid] = int32(b.i) + 1
	}
	return tab
}

// connect brings o.Players bots into the world, o.Dialers at a time.
func (run *mmoRun) connect(ctx context.Context, live *liveLine) {
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	tag := time.Now().UnixNano()
	rampCtx, cancel := context.WithCancel(ctx)
	tick := ticker(rampCtx, func(el time.Duration) {
		mu.Lock()
		n := len(run.bots)
		mu.Unlock()
		live.printf("enter %4.0fs  %d/%d players", el.Seconds(), n, run.o.Players)
	})
	var mapOnce sync.Once
	for range min(run.o.Dialers, run.o.Players) {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(run.o.Players) && ctx.Err() == nil; i = next.Add(1) {
				b := &mmoBot{last: map[int32]int32{}}
				var err error
				if run.o.Proto == "zinx" {
					err = run.enterZinx(ctx, b)
				} else {
					var resp *pb.WorldEnterResp
					resp, err = run.enterNative(ctx, b, int(i), fmt.Sprintf("lordbench-mmo-%d-%d", tag, i))
					if err == nil {
						mapOnce.Do(func() { run.serverMap(resp) })
					}
				}
				if err != nil {
					run.fail("enter", err)
					continue
				}
				mu.Lock()
				b.i = len(run.bots)
				b.sample = b.i%max(1, run.o.Players/mmoSamples) == 0 && b.i/max(1, run.o.Players/mmoSamples) < mmoSamples
				if b.sample {
					b.got = map[int][]int32{}
				}
				run.bots = append(run.bots, b)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cancel()
	<-tick
	live.end()
}

// serverMap takes the map, tick and speed limit the native server
// announced (the demo protocol announces none: -world-map, -world-tick).
func (run *mmoRun) serverMap(r *pb.WorldEnterResp) {
	m := r.GetMap()
	if m == nil {
		return
	}
	run.gcfg = aoi.Config{MinX: float64(m.MinX), MaxX: float64(m.MaxX), CellsX: int(m.CellsX),
		MinY: float64(m.MinZ), MaxY: float64(m.MaxZ), CellsY: int(m.CellsZ)}
	run.radius = max(1, int(m.ViewRadius))
	if r.TickMs > 0 {
		run.tick = time.Duration(r.TickMs) * time.Millisecond
	}
	if r.MaxSpeed > 0 {
		run.maxSpeed = float64(r.MaxSpeed)
	}
}

// enterNative connects player n (from 1) to its target (a cluster's
// gateways take the players round-robin) and enters the world.
func (run *mmoRun) enterNative(ctx context.Context, b *mmoBot, n int, device string) (*pb.WorldEnterResp, error) {
	target := run.o.Targets[n%len(run.o.Targets)]
	tok, err := guestToken(ctx, run.hc, "http://"+target.Host, device)
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(ctx, target.String(), run.o.withSecurity(0, client.Options{Token: tok, Name: "lordbench-mmo"}))
	if err != nil {
		return nil, err
	}
	c.On("world.tick", func(p client.Push) {
		now := time.Now().UnixNano()
		if err := parseWorldTick(p.Body, func(pid int32, x, z, v float32) { run.seen(b, pid, x, z, v, now) }); err != nil {
			run.fail("decode", err)
		}
	})
	resp := &pb.WorldEnterResp{}
	if err := c.Request(ctx, "world.enter", &pb.WorldEnterReq{}, resp); err != nil {
		_ = c.Close()
		return nil, err
	}
	b.c, b.pid = c, resp.GetSelf().GetId()
	b.spawnX, b.spawnZ = resp.GetSelf().GetX(), resp.GetSelf().GetZ()
	return resp, nil
}

// parseWorldTick calls fn with the id, X, Z and V of every moved and
// entered player of a world.tick body.
func parseWorldTick(b []byte, fn func(pid int32, x, z, v float32)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if (num == 2 || num == 3) && typ == protowire.BytesType {
			e, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			id, x, z, v, err := parseEntity(e, 1, 2, 4, 5)
			if err != nil {
				return err
			}
			fn(id, x, z, v)
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}

// parseEntity reads the id (field idNum, a varint), X, Z and V (fields
// xNum, zNum, vNum, fixed32 floats) of a WorldEntity or a Zinx Position;
// a field number 0 is not read.
func parseEntity(b []byte, idNum, xNum, zNum, vNum protowire.Number) (id int32, x, z, v float32, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, 0, 0, 0, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == idNum && typ == protowire.VarintType:
			u, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, 0, 0, 0, protowire.ParseError(n)
			}
			id, b = int32(u), b[n:]
		case (num == xNum || num == zNum || num == vNum) && typ == protowire.Fixed32Type:
			u, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return 0, 0, 0, 0, protowire.ParseError(n)
			}
			f := math.Float32frombits(u)
			switch num {
			case xNum:
				x = f
			case zNum:
				z = f
			default:
				v = f
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, 0, 0, 0, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return id, x, z, v, nil
}

// Demo protocol frames (docs/protocol-world.md, "The Zinx MMO demo's protocol").
const (
	zxSyncPID   = 1
	zxMove      = 3
	zxBroadCast = 200
	zxPlayers   = 202
	zxMaxBody   = 1 << 20
)

func readZxFrame(r *bufio.Reader, buf []byte) (uint32, []byte, []byte, error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, buf, err
	}
	n := binary.LittleEndian.Uint32(h[:4])
	id := binary.LittleEndian.Uint32(h[4:])
	if n > zxMaxBody {
		return id, nil, buf, fmt.Errorf("zinx frame of %d bytes", n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	body := buf[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		return id, nil, buf, err
	}
	return id, body, buf, nil
}

// parseZxBroadCast reads PID, Tp and, for a position, P's X, Z and V of
// a 200 body.
func parseZxBroadCast(b []byte) (pid, tp int32, x, z, v float32, hasPos bool, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, 0, 0, 0, 0, false, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case (num == 1 || num == 2) && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, 0, 0, 0, 0, false, protowire.ParseError(n)
			}
			if num == 1 {
				pid = int32(x)
			} else {
				tp = int32(x)
			}
			b = b[n:]
		case num == 4 && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, 0, 0, 0, 0, false, protowire.ParseError(n)
			}
			b = b[n:]
			if _, x, z, v, err = parseEntity(p, 0, 1, 3, 4); err != nil {
				return 0, 0, 0, 0, 0, false, err
			}
			hasPos = true
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, 0, 0, 0, 0, false, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return pid, tp, x, z, v, hasPos, nil
}

// zxPos reads X and Z of a Position.
func zxPos(b []byte) (x, z float32) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		if typ == protowire.Fixed32Type {
			f, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return
			}
			switch num {
			case 1:
				x = math.Float32frombits(f)
			case 3:
				z = math.Float32frombits(f)
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return
		}
		b = b[n:]
	}
	return
}

// enterZinx connects to the demo listener and reads the hello: 1 with
// the id, 200 Tp 2 with the start position, 202 with the players in view.
func (run *mmoRun) enterZinx(ctx context.Context, b *mmoBot) error {
	d := net.Dialer{Timeout: mmoHelloLimit}
	nc, err := d.DialContext(ctx, "tcp", run.o.Targets[0].Host)
	if err != nil {
		return err
	}
	_ = nc.SetReadDeadline(time.Now().Add(mmoHelloLimit))
	br := bufio.NewReaderSize(nc, 64<<10)
	var buf []byte
	var id uint32
	var body []byte
	if id, body, buf, err = readZxFrame(br, buf); err != nil || id != zxSyncPID {
		nc.Close()
		return fmt.Errorf("zinx hello: msgID %d, %v", id, err)
	}
	pid, _, _, _, err := parseEntity(body, 1, 0, 0, 0)
	if err != nil || pid == 0 {
		nc.Close()
		return fmt.Errorf("zinx SyncPID: %v", err)
	}
	if id, body, buf, err = readZxFrame(br, buf); err != nil || id != zxBroadCast {
		nc.Close()
		return fmt.Errorf("zinx hello: msgID %d, %v", id, err)
	}
	var x, z float32
	for bb := body; len(bb) > 0; { // the start position: BroadCast.P
		num, typ, n := protowire.ConsumeTag(bb)
		if n < 0 {
			break
		}
		bb = bb[n:]
		if num == 4 && typ == protowire.BytesType {
			p, n := protowire.ConsumeBytes(bb)
			if n < 0 {
				break
			}
			x, z = zxPos(p)
			bb = bb[n:]
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, bb); n < 0 {
			break
		}
		bb = bb[n:]
	}
	b.nc, b.pid, b.spawnX, b.spawnZ = nc, pid, x, z
	run.readers.Go(func() { run.readZinx(b, br, buf) }) // stopped by closing nc (run.close); ends on any read error
	return nil
}

// readZinx reads a demo connection's frames until it fails or closes.
func (run *mmoRun) readZinx(b *mmoBot, br *bufio.Reader, buf []byte) {
	var (
		id   uint32
		body []byte
		err  error
		dl   time.Time
	)
	defer func() {
		if !run.closing.Load() {
			b.readErr = err
		}
	}()
	for {
		if now := time.Now(); now.After(dl) {
			dl = now.Add(mmoReadIdle / 2)
			_ = b.nc.SetReadDeadline(now.Add(mmoReadIdle))
		}
		if id, body, buf, err = readZxFrame(br, buf); err != nil {
			return
		}
		now := time.Now().UnixNano()
		switch id {
		case zxBroadCast:
			pid, tp, x, z, v, hasPos, perr := parseZxBroadCast(body)
			if perr != nil {
				err = perr
				return
			}
			if hasPos && (tp == 2 || tp == 4) {
				run.seen(b, pid, x, z, v, now)
			}
		case zxPlayers:
			for bb := body; len(bb) > 0; {
				num, typ, n := protowire.ConsumeTag(bb)
				if n < 0 {
					err = protowire.ParseError(n)
					return
				}
				bb = bb[n:]
				if num == 1 && typ == protowire.BytesType {
					p, n := protowire.ConsumeBytes(bb)
					if n < 0 {
						err = protowire.ParseError(n)
						return
					}
					bb = bb[n:]
					pid, x, z, v, perr := parsePlayer(p)
					if perr != nil {
						err = perr
						return
					}
					run.seen(b, pid, x, z, v, now)
					continue
				}
				if n = protowire.ConsumeFieldValue(num, typ, bb); n < 0 {
					err = protowire.ParseError(n)
					return
				}
				bb = bb[n:]
			}
		}
	}
}

// parsePlayer reads a Zinx Player{PID = 1; Position P = 2}: its PID and
// P's X, Z and V.
func parsePlayer(b []byte) (pid int32, x, z, v float32, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, 0, 0, 0, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			u, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, 0, 0, 0, protowire.ParseError(n)
			}
			pid, b = int32(u), b[n:]
		case num == 2 && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, 0, 0, 0, protowire.ParseError(n)
			}
			b = b[n:]
			if _, x, z, v, err = parseEntity(p, 0, 1, 3, 4); err != nil {
				return 0, 0, 0, 0, err
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, 0, 0, 0, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return pid, x, z, v, nil
}

// seen handles receiver r's sighting of player pid at (x, z), whose V is
// its mover's sequence number.
func (run *mmoRun) seen(r *mmoBot, pid int32, x, z, v float32, now int64) {
	s := int32(v)
	if s < 1 || float32(s) != v {
		return // a spawn position, or not one of ours
	}
	tab := run.byPID.Load()
	if tab == nil || pid < 0 || int(pid) >= len(*tab) || (*tab)[pid] == 0 {
		return
	}
	m := run.bots[(*tab)[pid]-1]
	if m == r {
		if n := len(r.ownGot); n == 0 || s > r.ownGot[n-1] {
			r.ownGot = append(r.ownGot, s)
		} else {
			// A position of ours the server had already applied, sent again:
			// the correction after a refused move. Walk on from there, as a
			// client must (the server measures the next move from it).
			r.snap.Store(&[2]float32{x, z})
			r.corrections++
		}
		return
	}
	prev := r.last[pid]
	if s <= prev {
		return
	}
	r.last[pid] = s
	if sched := m.t0 + int64(s)*int64(run.o.Interval); sched >= run.from && sched < run.to {
		// A move is timed where this receiver was watching its mover: it
		// saw the previous move, or it did not change cell itself since
		// the one before this move was due. Otherwise the sighting may be
		// the receiver's own step into view of a mover that last moved up
		// to an interval ago, which says nothing about how fast the move
		// was delivered (it still counts for the delivered ratio).
		if prev != s-1 && r.cellAt.Load() > sched-int64(run.o.Interval) {
			r.viewSighted++
		} else {
			run.hist.Record(time.Duration(now - sched))
			r.sighted++
		}
	}
	if r.sample {
		r.got[m.i] = append(r.got[m.i], s)
	}
}

// sendLoop moves b on its schedule until the measured window ends.
func (run *mmoRun) sendLoop(ctx context.Context, b *mmoBot, stepLen float32) {
	iv := int64(run.o.Interval)
	g := run.gcfg
	step := float32(run.o.Step)
	for s := int32(1); ; s++ {
		sched := b.t0 + int64(s)*iv
		if sched >= run.to {
			return
		}
		if d := time.Until(time.Unix(0, sched)); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		if p := b.snap.Swap(nil); p != nil {
			b.x, b.z = p[0], p[1]
		}
		if b.walk > 0 {
			b.walk--
			dx, dz := b.tx-b.x, b.tz-b.z
			if d := float32(math.Hypot(float64(dx), float64(dz))); d > stepLen {
				dx, dz = dx*stepLen/d, dz*stepLen/d
			}
			b.x, b.z = b.x+dx, b.z+dz
		} else {
			b.x = walkAxis(b.x+step*(2*b.rng.Float32()-1), float32(g.MinX), float32(g.MaxX))
			b.z = walkAxis(b.z+step*(2*b.rng.Float32()-1), float32(g.MinY), float32(g.MaxY))
		}
		var err error
		if b.nc != nil {
			b.wbuf = appendZxMove(b.wbuf[:0], b.x, b.z, float32(s))
			_ = b.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			_, err = b.nc.Write(b.wbuf)
		} else {
			b.move.X, b.move.Z, b.move.V = b.x, b.z, float32(s)
			err = b.c.Notify("world.move", &b.move)
		}
		at := time.Now().UnixNano()
		if err != nil {
			if !run.closing.Load() && ctx.Err() == nil {
				run.fail("move", err)
			}
			return
		}
		if at-sched > iv {
			b.late++
		}
		if sched >= run.from {
			run.sendLate.Record(time.Duration(at - sched))
		}
		c := run.grid.CellAt(float64(b.x), float64(b.z))
		if c != b.cell {
			b.cell = c
			b.cellAt.Store(at)
		}
		cx, cz := run.grid.CellXY(c)
		b.sends = append(b.sends, mmoSend{x: b.x, z: b.z, cx: int16(cx), cz: int16(cz), at: at})
		b.pos.Store(packPos(b.x, b.z))
	}
}

// walkAxis keeps a coordinate on the map, reflecting at its edges.
func walkAxis(v, lo, hi float32) float32 {
	if v < lo {
		v = 2*lo - v
	}
	if v > hi {
		v = 2*hi - v
	}
	return min(max(v, lo), hi)
}

func appendZxMove(dst []byte, x, z, v float32) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	for i, f := range [4]float32{x, 0, z, v} {
		if f != 0 {
			dst = protowire.AppendTag(dst, protowire.Number(1+i), protowire.Fixed32Type)
			dst = protowire.AppendFixed32(dst, math.Float32bits(f))
		}
	}
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-8))
	binary.LittleEndian.PutUint32(dst[at+4:], zxMove)
	return dst
}

// inView is the average number of others in a player's view on the
// reference grid, over the positions last sent.
func (run *mmoRun) inView() float64 {
	counts := make([]int32, run.grid.Cells())
	cells := make([]int, len(run.bots))
	for i, b := range run.bots {
		x, z := unpackPos(b.pos.Load())
		cells[i] = run.grid.CellAt(float64(x), float64(z))
		if cells[i] >= 0 {
			counts[cells[i]]++
		}
	}
	var sum int64
	var around []int
	for _, c := range cells {
		if c < 0 {
			continue
		}
		around = run.grid.AppendCells(around[:0], c, run.radius)
		for _, a := range around {
			sum += int64(counts[a])
		}
		sum-- // not oneself
	}
	return float64(sum) / float64(len(run.bots))
}

// window counts b's moves scheduled in the measured window and those of
// them the server handled: applied (echoed to b) or replaced by b's next
// move in the same tick.
func (run *mmoRun) window(b *mmoBot) (sent, handled int) {
	for k := range b.sends {
		seq := int32(k + 1)
		sched := b.t0 + int64(seq)*int64(run.o.Interval)
		if sched < run.from || sched >= run.to {
			continue
		}
		sent++
		if b.applied(seq) {
			handled++
		}
	}
	return sent, handled
}

// applied reports whether the server echoed b's move seq to b.
func (b *mmoBot) applied(seq int32) bool {
	i := sort.Search(len(b.ownGot), func(i int) bool { return b.ownGot[i] >= seq })
	return i < len(b.ownGot) && b.ownGot[i] == seq
}

// deliveredRatio checks the sampled receivers' sightings against the
// reference grid (see the top of this file).
func (run *mmoRun) deliveredRatio() (expected, delivered, notApplied, ambiguous uint64, sampled int) {
	iv := int64(run.o.Interval)
	slack := int64(mmoSlack)
	tick := int64(run.tick)
	k := int16(run.radius)
	in := func(a, b mmoSend) bool {
		dx, dz := a.cx-b.cx, a.cz-b.cz
		return dx >= -k && dx <= k && dz >= -k && dz <= k
	}
	for _, r := range run.bots {
		if !r.sample {
			continue
		}
		sampled++
		sc := run.grid.CellAt(float64(r.spawnX), float64(r.spawnZ))
		scx, scz := run.grid.CellXY(sc)
		spawn := mmoSend{cx: int16(scx), cz: int16(scz)}
		for _, m := range run.bots {
			if m == r {
				continue
			}
			got := r.got[m.i]
			gi := 0
			p := 0 // first of r's sends after the window's start
			for j, mv := range m.sends {
				seq := int32(j + 1)
				sched := m.t0 + int64(seq)*iv
				if sched < run.from || sched >= run.to {
					continue
				}
				lo, hi := mv.at-slack, mv.at+tick+slack
				for p < len(r.sends) && r.sends[p].at <= lo {
					p++
				}
				cells := [2]mmoSend{mv, mv}
				if j+1 < len(m.sends) && m.sends[j+1].at-mv.at < tick+slack {
					cells[1] = m.sends[j+1] // may replace this move in its tick
				}
				prev := spawn
				if p > 0 {
					prev = r.sends[p-1]
				}
				all, none := true, true
				check := func(pos mmoSend) {
					for _, c := range cells {
						if in(pos, c) {
							none = false
						} else {
							all = false
						}
					}
				}
				check(prev)
				for q := p; q < len(r.sends) && r.sends[q].at <= hi && (all || none); q++ {
					check(r.sends[q])
				}
				switch {
				case none:
					continue
				case !all:
					ambiguous++
					continue
				case !m.applied(seq):
					notApplied++
					continue
				}
				expected++
				for gi < len(got) && got[gi] < seq {
					gi++
				}
				if gi < len(got) && got[gi] == seq {
					delivered++
				}
			}
		}
	}
	return expected, delivered, notApplied, ambiguous, sampled
}

func (run *mmoRun) close() {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(run.o.Dialers, len(run.bots)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(run.bots)); i = next.Add(1) - 1 {
				b := run.bots[i]
				if b.nc != nil {
					_ = b.nc.Close()
				}
				if b.c != nil {
					_ = b.c.Close()
				}
			}
		})
	}
	wg.Wait()
	run.readers.Wait()
}

func (run *mmoRun) fail(what string, err error) {
	run.errs.add(what + ":" + errorCode(err))
	run.mu.Lock()
	if run.first == "" {
		run.first = what + ": " + err.Error()
	}
	run.mu.Unlock()
}

func (r *mmoReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario   mmo  %s  proto %s  map %s  tick %.0f ms\n", r.Target, r.Proto, r.Map, r.TickMs)
	fmt.Fprintf(w, "players    %d asked, %d in the world; every %.0f ms by up to ±%g, spread %v; %.1f others in view\n",
		r.Players, r.PlayersReady, r.IntervalMs, r.Step, r.Spread, r.InView)
	fmt.Fprintf(w, "moves      %d sent in %.1fs = %.0f/s (%d late, p99 %.2f ms after schedule), %.0f/s handled\n", r.MovesSent, r.DurationS, r.MovesPerS, r.LateSends, r.SendLateP99ms, r.HandledPerS)
	fmt.Fprintf(w, "move→others %d sightings (%.0f/s; %d more after the receiver's own step into view, not timed)  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
		r.Sightings, r.SightingsPerS, r.ViewSightings, r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	fmt.Fprintf(w, "delivered  %d/%d = %.5f of the applied moves over %d receivers (%d never applied and %d at ambiguous borders not counted)\n",
		r.Delivered, r.Expected, r.DeliveredRatio, r.Sampled, r.NotApplied, r.Ambiguous)
	fmt.Fprintf(w, "server     refused %.0f moves (%d corrections seen); coalesced %.0f updates; tick overruns %.0f\n", r.ServerRefused, r.Corrections, r.ServerCoalesced, r.ServerOverruns)
	if r.CPUError == "" {
		fmt.Fprintf(w, "server     cpu %.1f s (%.2f cores)  peak rss %.0f MiB\n", r.ServerCPUs, r.ServerCores, r.ServerRSSMB)
	} else {
		fmt.Fprintf(w, "server     cpu unknown: %s\n", r.CPUError)
	}
	fmt.Fprintf(w, "client     cpu %.1f s (%.2f cores)\n", r.ClientCPUs, r.ClientCores)
	writeErrors(w, r.Errors, r.ErrorsByCode)
	if r.FirstError != "" {
		fmt.Fprintf(w, "           first error: %s\n", strings.TrimSpace(r.FirstError))
	}
}

// joinTargets names the targets as -target takes them.
func joinTargets(ts []*url.URL) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ",")
}
