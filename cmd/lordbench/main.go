// Command lordbench drives a LordGame server (or a bare echo baseline from
// bench/) with headless clients and reports what players would feel:
// throughput, latency percentiles, errors, and memory per connection.
//
//	lordbench -scenario rpc -target ws://127.0.0.1:8080/ws -conns 1000 -size 64 -duration 30s
//	lordbench -idle 19000 -duration 60s
//
// Each scenario lives in its own file and is listed once in scenarios below.
// Targets must be loopback addresses: lordbench is a load generator for the
// machine it runs on, never a tool to point at someone else's server.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/url"
	"os"
	"os/signal"
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
}

// report is a scenario's result: JSON-encoded as is for -json, printed by
// writeText otherwise.
type report interface {
	writeText(w io.Writer)
}

// options are the command-line settings every scenario receives.
type options struct {
	Scenario string
	Target   *url.URL
	Conns    int
	Size     int
	Rate     float64 // rpc: open-loop requests per second over all connections (0: closed loop)
	Duration time.Duration
	Dialers  int
	Metrics  string // URL of the server's /metrics
	// MetricsGuessed is true when Metrics was derived from the target.
	MetricsGuessed bool
	PID            int           // server process whose RSS is read from /proc (0: use Metrics)
	Players        int           // ddz: bot players
	Think          time.Duration // ddz: mean think time before each action
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
		idle     int
		asJSON   bool
		progress bool
	)
	names := slices.Sorted(maps.Keys(scenarios))
	fs.StringVar(&o.Scenario, "scenario", "rpc", "scenario to run: "+strings.Join(names, ", "))
	fs.StringVar(&target, "target", "ws://127.0.0.1:8080/ws", "server URL; the scheme picks the transport: ws://host:port/ws or tcp://host:port (loopback only)")
	fs.IntVar(&o.Conns, "conns", 100, "client connections")
	fs.IntVar(&o.Players, "players", 300, "bot players logged in as guests (ddz)")
	fs.DurationVar(&o.Think, "think", time.Second, "mean think time before each action, drawn from half to 1.5 times it (ddz)")
	fs.IntVar(&o.Size, "size", 64, "request payload in bytes (rpc)")
	fs.Float64Var(&o.Rate, "rate", 0, "open loop: requests per second over all connections, latency counted from when each was due (rpc; 0: closed loop)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to measure (rpc) or hold the connections (idle)")
	fs.IntVar(&o.Dialers, "dialers", 64, "connections dialed in parallel while ramping up")
	fs.IntVar(&idle, "idle", 0, "shorthand for -scenario idle -conns N")
	fs.StringVar(&o.Metrics, "metrics", "", "server /metrics URL (default: derived from a ws target, http://host:8080/metrics for tcp)")
	fs.IntVar(&o.PID, "pid", 0, "read the server's RSS and CPU time from /proc/PID instead of /metrics (for the bare echo servers)")
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
	sc, ok := scenarios[o.Scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q: want one of %s", o.Scenario, strings.Join(names, ", "))
	}
	if o.Conns < 1 || o.Size < 0 || o.Duration <= 0 || o.Dialers < 1 {
		return errors.New("-conns and -dialers must be at least 1, -size at least 0, -duration positive")
	}
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) || o.Rate > 0 && o.Rate < float64(o.Conns)/3600 {
		return errors.New("-rate must be 0 (closed loop) or a number of requests per second giving each connection at least one an hour")
	}
	u, err := parseTarget(target)
	if err != nil {
		return err
	}
	o.Target = u
	if o.Metrics == "" {
		o.Metrics, o.MetricsGuessed = metricsURL(u), true
	}
	if err := checkLoopbackURL(o.Metrics); err != nil {
		return fmt.Errorf("-metrics: %w", err)
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

// parseTarget accepts ws:// and tcp:// URLs on loopback hosts.
func parseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("-target: %w", err)
	}
	switch u.Scheme {
	case "ws", "tcp":
	default:
		return nil, fmt.Errorf("-target %q: the scheme must be ws or tcp", s)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("-target %q: needs a port", s)
	}
	if err := checkLoopback(u.Hostname()); err != nil {
		return nil, fmt.Errorf("-target: %w", err)
	}
	return u, nil
}

func checkLoopbackURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	return checkLoopback(u.Hostname())
}

// checkLoopback refuses any host that is not this machine's loopback.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address: lordbench only loads this machine", host)
	}
	return nil
}

// metricsURL guesses the /metrics URL: the WebSocket listener is the HTTP
// server; a TCP target's HTTP server is assumed on the default port 8080.
func metricsURL(t *url.URL) string {
	host := t.Host
	if t.Scheme == "tcp" {
		host = net.JoinHostPort(t.Hostname(), "8080")
	}
	return "http://" + host + "/metrics"
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

// dialAll opens o.Conns clients, at most o.Dialers at a time, and returns
// the ones that connected. It stops early when ctx ends.
func dialAll(ctx context.Context, o options, opts client.Options, live *liveLine) ([]*client.Client, dialFailures) {
	var (
		mu     sync.Mutex
		conns  = make([]*client.Client, 0, o.Conns)
		failed dialFailures
		wg     sync.WaitGroup
		next   atomic.Int64
	)
	rampCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	tick := ticker(rampCtx, func(el time.Duration) {
		mu.Lock()
		n, f := len(conns), failed.n
		mu.Unlock()
		live.printf("ramp %4.0fs  %d/%d connected  %d failed", el.Seconds(), n, o.Conns, f)
	})
	for range min(o.Dialers, o.Conns) {
		wg.Go(func() {
			for next.Add(1) <= int64(o.Conns) && ctx.Err() == nil {
				c, err := client.Dial(ctx, o.Target.String(), opts)
				mu.Lock()
				if err != nil {
					if failed.n == 0 {
						failed.first = err.Error()
					}
					failed.n++
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cancel()
	<-tick
	live.end()
	return conns, failed
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
