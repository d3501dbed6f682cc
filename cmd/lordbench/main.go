// Command lordbench drives a LordGame server (or a bare echo baseline from
// bench/) with headless clients and reports what players would feel:
// throughput, latency percentiles, errors, and memory per connection.
//
//	lordbench -scenario rpc -target ws://127.0.0.1:8080/ws -conns 1000 -size 64 -duration 30s
//	lordbench -idle 19000 -duration 60s
//	lordbench -target ws://127.0.0.1:8080/ws,ws://127.0.0.1:8081/ws -conns 1000
//	lordbench -scenario mmo -proto zinx -target tcp://127.0.0.1:8090 -players 900 -world-tick 25ms
//
// Each scenario lives in its own file and is listed once in scenarios below.
// Targets must be loopback addresses: lordbench is a load generator for the
// machine it runs on, never a tool to point at someone else's server. A list
// of targets (a cluster's nodes) shares the connections round-robin; see
// targets.go.
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lordgame/lordgame/client"
)

// scenario runs one kind of load and returns its report. It may print a
// status line on live about once a second (a nil live prints nothing).
type scenario func(ctx context.Context, o options, live *liveLine) (report, error)

// scenarios maps -scenario names to their runners: one line per scenario.
var scenarios = map[string]scenario{
	"rpc":  runRPC,
	"idle": runIdle,
	"ddz":  runDDZ,
	"chat": runChat,
	"mmo":  runMMO,
}

// report is a scenario's result: JSON-encoded as is for -json, printed by
// writeText otherwise.
type report interface {
	writeText(w io.Writer)
}

// options are the command-line settings every scenario receives.
type options struct {
	Scenario string
	Targets  []*url.URL // connection i goes to Targets[i%len(Targets)]
	Conns    int
	Size     int
	Route    string  // rpc: the echo route (sys.echo, or game.echo for a remote hop)
	Rate     float64 // rpc: open-loop requests per second over all connections (0: closed loop)
	Duration time.Duration
	Dialers  int
	Metrics  []string // Metrics[i]: URL of the /metrics of Targets[i]'s server
	// MetricsGuessed is true when Metrics were derived from the targets.
	MetricsGuessed bool
	PIDs           []int         // PIDs[i]: Targets[i]'s server process, read from /proc (nil: use Metrics)
	Players        int           // ddz: bot players
	Think          time.Duration // ddz: mean think time before each action
	Receivers      int           // chat: receivers in the world conversation
	Senders        int           // chat: senders, each at Rate messages per second
	Anonymous      bool          // chat: connect without logging in (the bare broadcast baseline)
	Missed         int           // chat: messages each receiver misses while offline (0: the broadcast run)
	MissedIn       string        // chat -missed: group, private or world
	MissedFresh    bool          // chat -missed: reconnect with a new session instead of the resume token
	Proto          string        // mmo: native (ws target) or zinx (tcp target of -mmo-zinx)
	Interval       time.Duration // mmo: time between a player's moves
	Step           float64       // mmo: largest step per axis of a move
	Spread         bool          // mmo: walk to uniform random start positions first
	WorldMap       string        // mmo, zinx: the server's map (native: announced by the server)
	WorldTick      time.Duration // mmo, zinx: the server's tick (native: announced)
	// Encrypt makes tcp:// connections encrypted (key exchange, sealed
	// frames); Pin, when set, is the server identity key they require.
	Encrypt bool
	Pin     ed25519.PublicKey
}

// withSecurity adds the -encrypt / -pin settings to the options of a
// connection to target t (tcp:// targets only: ws:// has TLS for that).
func (o *options) withSecurity(t int, c client.Options) client.Options {
	if o.Targets[t].Scheme == "tcp" && (o.Encrypt || o.Pin != nil) {
		c.Encrypt, c.ServerKey = true, o.Pin
	}
	return c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "lordbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lordbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o        options
		target   string
		metrics  string
		pids     string
		idle     int
		asJSON   bool
		progress bool
		pin      string
		cpuprof  string
	)
	names := slices.Sorted(maps.Keys(scenarios))
	fs.StringVar(&o.Scenario, "scenario", "rpc", "scenario to run: "+strings.Join(names, ", "))
	fs.StringVar(&target, "target", "ws://127.0.0.1:8080/ws", "server URL, or a comma-separated list whose targets get connection i mod n each; the scheme picks the transport: ws://host:port/ws or tcp://host:port, mixed as you like (loopback only)")
	fs.IntVar(&o.Conns, "conns", 100, "client connections")
	fs.IntVar(&o.Players, "players", 300, "bot players logged in as guests (ddz), or players in the world (mmo)")
	fs.DurationVar(&o.Think, "think", time.Second, "mean think time before each action, drawn from half to 1.5 times it (ddz)")
	fs.IntVar(&o.Receivers, "receivers", 1000, "receivers online in the world conversation (chat)")
	fs.IntVar(&o.Senders, "senders", 1, "senders of world messages, each at -rate (chat)")
	fs.IntVar(&o.Missed, "missed", 0, "chat: instead of the broadcast run, the receivers (default 1 then) drop their connections, the senders store N messages in a conversation of theirs, the receivers reconnect and sync: time from reconnect to holding all, lost and duplicates")
	fs.StringVar(&o.MissedIn, "missed-in", "group", "chat -missed: the conversation: group (one open group of every client), private (N private messages to each receiver, from the senders in turn) or world (kept: the newest -chat-world-keep, 1000 by default)")
	fs.BoolVar(&o.MissedFresh, "missed-fresh", false, "chat -missed: reconnect with the access token alone (a new session) instead of the old session's resume token")
	fs.BoolVar(&o.Anonymous, "anonymous", false, "connect without logging in: for the bare broadcast server, go run ./bench/wsecho -broadcast (chat)")
	fs.StringVar(&o.Proto, "proto", "native", "mmo: native (a ws:// target) or zinx (a tcp:// target: the server's -mmo-zinx listener)")
	fs.DurationVar(&o.Interval, "interval", 100*time.Millisecond, "mmo: each player moves once per interval, on a fixed schedule")
	fs.Float64Var(&o.Step, "step", 2, "mmo: a move's random step, up to ±step on each axis")
	fs.BoolVar(&o.Spread, "spread", false, "mmo: walk to uniform random positions on the map before measuring")
	fs.StringVar(&o.WorldMap, "world-map", "85,410,10,75,400,20", "mmo -proto zinx: the server's -world-map (minX,maxX,cellsX,minZ,maxZ,cellsZ); native players learn it from the server")
	fs.DurationVar(&o.WorldTick, "world-tick", 100*time.Millisecond, "mmo -proto zinx: the server's -world-tick; native players learn it from the server")
	fs.IntVar(&o.Size, "size", 64, "request payload in bytes (rpc)")
	fs.StringVar(&o.Route, "route", "sys.echo", "rpc: the echo route: sys.echo (served where it arrives) or game.echo (served by a game node: forwarded by a gateway without the game role)")
	fs.Float64Var(&o.Rate, "rate", 0, "open loop: requests per second over all connections, latency counted from when each was due (rpc; 0: closed loop); messages per second of each sender (chat; 0: 1)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to measure (rpc, ddz, chat, mmo) or hold the connections (idle)")
	fs.IntVar(&o.Dialers, "dialers", 64, "connections dialed in parallel while ramping up")
	fs.IntVar(&idle, "idle", 0, "shorthand for -scenario idle -conns N")
	fs.StringVar(&metrics, "metrics", "", "server /metrics URL: one for all targets or a comma-separated list of one per target (default: derived from each ws target; http://host:8080/metrics for a single tcp target, a tcp target in a list needs it)")
	fs.StringVar(&pids, "pid", "", "read the server's RSS and CPU time from /proc/PID instead of /metrics (for the bare echo servers): one PID for all targets or a comma-separated list of one per target")
	fs.BoolVar(&o.Encrypt, "encrypt", false, "encrypt tcp:// connections (key exchange, then sealed frames; docs/protocol.md §11)")
	fs.StringVar(&pin, "pin", "", "with tcp:// targets: the server's TCP identity key (64 hex digits, from `lordgame identity`) to require; implies -encrypt")
	fs.StringVar(&cpuprof, "cpuprofile", "", "write lordbench's own CPU profile to this file")
	fs.BoolVar(&asJSON, "json", false, "write the report as one JSON object on stdout")
	fs.BoolVar(&progress, "progress", false, "print a progress line every second even when stderr is not a terminal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if idle > 0 {
		o.Scenario, o.Conns = "idle", idle
	}
	if o.Missed < 0 {
		return errors.New("-missed must be 0 (off) or a number of messages")
	}
	if o.Missed > 0 {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "receivers" })
		if !set {
			o.Receivers = 1 // one client coming back, not the broadcast's thousand
		}
	}
	sc, ok := scenarios[o.Scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q: want one of %s", o.Scenario, strings.Join(names, ", "))
	}
	if o.Conns < 1 || o.Size < 0 || o.Duration <= 0 || o.Dialers < 1 {
		return errors.New("-conns and -dialers must be at least 1, -size at least 0, -duration positive")
	}
	if o.Route != "sys.echo" && o.Route != "game.echo" {
		return fmt.Errorf("-route %q: want sys.echo or game.echo", o.Route)
	}
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate > 0 && o.Rate < float64(o.Conns)/3600 {
		return errors.New("-rate must be 0 (closed loop) or a number of requests per second giving each connection at least one an hour")
	}
	if pin != "" {
		k, err := hex.DecodeString(pin)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("-pin must be %d hex digits (the output of lordgame identity)", 2*ed25519.PublicKeySize)
		}
		o.Pin, o.Encrypt = k, true
	}
	var err error
	if o.Targets, err = parseTargets(target); err != nil {
		return err
	}
	if o.PIDs, err = parsePIDs(pids, len(o.Targets)); err != nil {
		return err
	}
	if o.Metrics, o.MetricsGuessed, err = parseMetricsList(metrics, o.Targets, o.PIDs != nil); err != nil {
		return err
	}
	if cpuprof != "" {
		f, err := os.Create(cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var live *liveLine
	if tty := isTerminal(stderr); progress || tty {
		live = &liveLine{w: stderr, tty: tty}
	}
	rep, err := sc(ctx, o, live)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(rep)
	}
	rep.writeText(stdout)
	return nil
}

// isTerminal reports whether w is a character device (a terminal), without
// a dependency: CI pipes stderr, so there the progress line stays quiet.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ticker calls fn once a second until ctx ends; the caller waits on the
// returned channel, which closes when the loop has exited.
func ticker(ctx context.Context, fn func(elapsed time.Duration)) <-chan struct{} {
	done := make(chan struct{})
	start := time.Now()
	go func() { // stopped by ctx; the caller waits on done
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				fn(now.Sub(start))
			}
		}
	}()
	return done
}

// liveLine is the progress line: rewritten in place on a terminal, one line
// per update otherwise (-progress in CI logs). A nil *liveLine is silent.
type liveLine struct {
	w   io.Writer
	tty bool
}

func (l *liveLine) printf(format string, args ...any) {
	if l == nil {
		return
	}
	if l.tty {
		fmt.Fprintf(l.w, "\r"+format+"\033[K", args...)
		return
	}
	fmt.Fprintf(l.w, format+"\n", args...)
}

// end finishes the line so that the report starts on a fresh one.
func (l *liveLine) end() {
	if l != nil && l.tty {
		fmt.Fprintln(l.w)
	}
}

// dialFailures counts connections that could not be made.
type dialFailures struct {
	n     int
	first string
}

// dialAll opens o.Conns clients, at most o.Dialers at a time, connection i
// to target i mod len(o.Targets) with the options opts gives for that
// target. It returns the clients that connected and, for each, the index
// of its target. It stops early when ctx ends.
func dialAll(ctx context.Context, o options, opts func(target int) client.Options, live *liveLine) ([]*client.Client, []int, dialFailures) {
	var (
		mu     sync.Mutex
		slots  = make([]*client.Client, o.Conns) // slots[i]: connection i, nil if it failed
		up     int                               // connected so far
		failed dialFailures
		wg     sync.WaitGroup
		next   atomic.Int64
	)
	rampCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	tick := ticker(rampCtx, func(el time.Duration) {
		mu.Lock()
		n, f := up, failed.n
		mu.Unlock()
		live.printf("ramp %4.0fs  %d/%d connected  %d failed", el.Seconds(), n, o.Conns, f)
	})
	for range min(o.Dialers, o.Conns) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < o.Conns && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t := i % len(o.Targets)
				c, err := client.Dial(ctx, o.Targets[t].String(), opts(t))
				mu.Lock()
				if err != nil {
					if failed.n == 0 {
						failed.first = o.Targets[t].String() + ": " + err.Error()
					}
					failed.n++
				} else {
					slots[i] = c
					up++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cancel()
	<-tick
	live.end()
	conns := make([]*client.Client, 0, up)
	targets := make([]int, 0, up)
	for i, c := range slots {
		if c != nil {
			conns = append(conns, c)
			targets = append(targets, i%len(o.Targets))
		}
	}
	return conns, targets, failed
}

// closeAll closes every client, parallel at most n at a time, and returns
// when each one's goroutines have exited.
func closeAll(conns []*client.Client, n int) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(n, len(conns)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(conns)); i = next.Add(1) - 1 {
				_ = conns[i].Close()
			}
		})
	}
	wg.Wait()
}
