package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// rpc: every connection sends sys.echo requests in a closed loop (the next
// request leaves when the previous answer arrives) for -duration. The clock
// starts once every connection is up, so the ramp is not measured.
//
// With -rate R the load is open-loop instead: the connections together send
// R requests per second on a fixed schedule (connection i every conns/R
// seconds, the connections' schedules staggered evenly), and each latency is
// measured from the time its request was scheduled, not from when it left:
// a server that falls behind is charged for the wait it causes
// (coordinated omission), and the achieved rate shows whether it kept up.

type rpcReport struct {
	Scenario    string   `json:"scenario"`
	Targets     []string `json:"targets"`
	Conns       int      `json:"conns"`
	ConnsFailed int      `json:"conns_failed"`
	ConnsLost   int64    `json:"conns_lost"`
	Size        int      `json:"size"`
	Route       string   `json:"route"`
	// Rate is the open-loop target in requests per second (0: closed loop).
	Rate           float64           `json:"rate"`
	DurationS      float64           `json:"duration_s"`
	Requests       uint64            `json:"requests"`
	RPS            float64           `json:"rps"`
	P50ms          float64           `json:"p50_ms"`
	P90ms          float64           `json:"p90_ms"`
	P99ms          float64           `json:"p99_ms"`
	P999ms         float64           `json:"p99_9_ms"`
	MaxMs          float64           `json:"max_ms"`
	Errors         uint64            `json:"errors"`
	ErrorsByCode   map[string]uint64 `json:"errors_by_code"`
	FirstDialError string            `json:"first_dial_error,omitempty"`
	// PerTarget holds each target's connections and answered requests,
	// in -target order.
	PerTarget []rpcTarget `json:"per_target"`
	// ServerCPUus is the servers' CPU time per request in microseconds,
	// summed over every server, when each one's CPU can be read (a ws
	// target's /metrics, -metrics or -pid).
	ServerCPUus float64 `json:"server_cpu_us_per_req,omitempty"`
	ServerCPUs  float64 `json:"server_cpu_s,omitempty"`
	// Servers is each server's share, or why its CPU is not known.
	Servers []rpcServer `json:"servers"`
}

type rpcTarget struct {
	Target   string `json:"target"`
	Conns    int    `json:"conns"`
	Requests uint64 `json:"requests"`
}

// rpcServer is one server's CPU use for the requests of its targets.
type rpcServer struct {
	Source      string   `json:"source"`
	Targets     []string `json:"targets"`
	Requests    uint64   `json:"requests"`
	ServerCPUs  float64  `json:"server_cpu_s"`
	ServerCPUus float64  `json:"server_cpu_us_per_req"`
	CPUError    string   `json:"cpu_error,omitempty"`
}

func runRPC(ctx context.Context, o options, live *liveLine) (report, error) {
	opts := client.Options{Name: "lordbench-rpc"}
	conns, targetOf, failed := dialAll(ctx, o, func(t int) client.Options { return o.withSecurity(t, opts) }, live)
	defer closeAll(conns, o.Dialers)
	rep := &rpcReport{Scenario: "rpc", Targets: o.targetNames(), Conns: o.Conns, Size: o.Size, Route: o.Route, Rate: o.Rate,
		ConnsFailed: failed.n, FirstDialError: failed.first, ErrorsByCode: map[string]uint64{}}
	if len(conns) == 0 {
		return nil, fmt.Errorf("no connection to %s succeeded: %s", strings.Join(rep.Targets, ", "), failed.first)
	}
	payload := make([]byte, o.Size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}

	var (
		h    histogram
		errs errorCounts
		lost atomic.Int64
		wg   sync.WaitGroup
		// answered[t] counts the answers to target t's connections.
		answered = make([]atomic.Uint64, len(o.Targets))
	)
	cpu := startCPU(ctx, o.servers(), true)
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var every time.Duration // each connection's interval in open loop
	if o.Rate > 0 {
		every = time.Duration(float64(len(conns)) / o.Rate * float64(time.Second))
	}
	for i, c := range conns {
		p := pace{every: every}
		if every > 0 {
			p.next = start.Add(every * time.Duration(i) / time.Duration(len(conns)))
		}
		n := &answered[targetOf[i]]
		wg.Go(func() { lost.Add(echoLoop(runCtx, c, o.Route, payload, p, &h, n, &errs)) })
	}
	var last uint64
	tick := ticker(runCtx, func(el time.Duration) {
		n := h.Count()
		live.printf("rpc %4.0fs  %9d req  %8d req/s  p99 %7.2f ms  errors %d  conns %d/%d",
			el.Seconds(), n, n-last, ms(h.Quantile(0.99)), errs.total(), len(conns)-int(lost.Load()), o.Conns)
		last = n
	})
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	<-tick
	live.end()

	rep.PerTarget = make([]rpcTarget, len(o.Targets))
	for i, t := range rep.Targets {
		rep.PerTarget[i] = rpcTarget{Target: t, Requests: answered[i].Load()}
	}
	for _, t := range targetOf {
		rep.PerTarget[t].Conns++
	}
	uses := cpu.stop(ctx)
	rep.Servers = rpcServers(o, uses, rep.PerTarget)
	if s, ok := totalCPU(uses); ok && h.Count() > 0 {
		rep.ServerCPUs = s
		rep.ServerCPUus = s / float64(h.Count()) * 1e6
	}

	rep.ConnsLost = lost.Load()
	rep.DurationS = elapsed.Seconds()
	rep.Requests = h.Count()
	rep.RPS = float64(rep.Requests) / elapsed.Seconds()
	rep.P50ms, rep.P90ms, rep.P99ms = ms(h.Quantile(0.50)), ms(h.Quantile(0.90)), ms(h.Quantile(0.99))
	rep.P999ms, rep.MaxMs = ms(h.Quantile(0.999)), ms(h.Max())
	rep.ErrorsByCode = errs.snapshot()
	for _, n := range rep.ErrorsByCode {
		rep.Errors += n
	}
	return rep, nil
}

// rpcServers gives each server's CPU use per request of its targets.
func rpcServers(o options, uses []cpuUse, perTarget []rpcTarget) []rpcServer {
	out := make([]rpcServer, len(uses))
	for i, u := range uses {
		s := rpcServer{Source: u.srv.source(), Targets: u.srv.targetNames(o)}
		for _, t := range u.srv.targets {
			s.Requests += perTarget[t].Requests
		}
		if u.err != nil {
			s.CPUError = u.err.Error()
		} else {
			s.ServerCPUs = u.seconds
			if s.Requests > 0 {
				s.ServerCPUus = u.seconds / float64(s.Requests) * 1e6
			}
		}
		out[i] = s
	}
	return out
}

// pace is one connection's open-loop schedule: a request is due at next,
// then every interval. The zero pace is a closed loop.
type pace struct {
	every time.Duration
	next  time.Time
}

// echoLoop sends route (an echo) on c until ctx ends or the connection is lost;
// it returns 1 when the connection was lost, else 0.
// Each answer is also counted in answered.
func echoLoop(ctx context.Context, c *client.Client, route string, payload []byte, p pace, h *histogram, answered *atomic.Uint64, errs *errorCounts) int64 {
	req := &pb.Echo{Data: payload}
	var resp pb.Echo
	var wait *time.Timer
	if p.every > 0 {
		wait = time.NewTimer(time.Until(p.next))
		defer wait.Stop()
	}
	for ctx.Err() == nil {
		t0 := time.Now()
		if p.every > 0 {
			if d := time.Until(p.next); d > 0 {
				wait.Reset(d)
				select {
				case <-wait.C:
				case <-ctx.Done():
					return 0
				}
			}
			t0 = p.next // a late request is charged from when it was due
			p.next = p.next.Add(p.every)
		}
		err := c.Request(ctx, route, req, &resp)
		if err == nil {
			h.Record(time.Since(t0))
			answered.Add(1)
			continue
		}
		if ctx.Err() != nil {
			return 0 // the run ended while this request was in flight: not an error
		}
		code := errorCode(err)
		errs.add(code)
		if code == "disconnected" || code == "closed" || strings.HasPrefix(code, "kicked:") {
			return 1
		}
	}
	return 0
}

// errorCode names an error for the errors_by_code table: the protocol's
// code for an error response, else what happened to the connection.
func errorCode(err error) string {
	var e *client.Error
	var k *client.Kicked
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &k):
		return "kicked:" + k.Reason
	case errors.Is(err, client.ErrDisconnected):
		return "disconnected"
	case errors.Is(err, client.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "transport"
	}
}

// errorCounts counts errors by code; errors are rare, so a mutex is fine.
type errorCounts struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (e *errorCounts) add(code string) {
	e.mu.Lock()
	if e.n == nil {
		e.n = map[string]uint64{}
	}
	e.n[code]++
	e.mu.Unlock()
}

func (e *errorCounts) total() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var t uint64
	for _, n := range e.n {
		t += n
	}
	return t
}

func (e *errorCounts) snapshot() map[string]uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]uint64, len(e.n))
	for k, v := range e.n {
		out[k] = v
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *rpcReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario   rpc  %s  payload %d B\n", targetsLine(r.Targets), r.Size)
	fmt.Fprintf(w, "conns      %d asked, %d failed to connect, %d lost during the run\n", r.Conns, r.ConnsFailed, r.ConnsLost)
	if r.FirstDialError != "" {
		fmt.Fprintf(w, "           first dial error: %s\n", r.FirstDialError)
	}
	if r.Rate > 0 {
		fmt.Fprintf(w, "load       open loop at %.0f req/s; latency counted from when each request was due\n", r.Rate)
	}
	fmt.Fprintf(w, "requests   %d in %.1fs = %.0f req/s\n", r.Requests, r.DurationS, r.RPS)
	fmt.Fprintf(w, "latency    p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
		r.P50ms, r.P90ms, r.P99ms, r.P999ms, r.MaxMs)
	if len(r.PerTarget) > 1 {
		for _, t := range r.PerTarget {
			fmt.Fprintf(w, "  %-30s  %d conns  %d requests\n", t.Target, t.Conns, t.Requests)
		}
	}
	if r.ServerCPUs > 0 {
		fmt.Fprintf(w, "server cpu %.1f s = %.1f µs per request%s\n", r.ServerCPUs, r.ServerCPUus, serversSuffix(len(r.Servers)))
	}
	if len(r.Servers) > 1 {
		for _, s := range r.Servers {
			if s.CPUError != "" {
				fmt.Fprintf(w, "  %-30s  cpu unknown: %s\n", s.Source, s.CPUError)
				continue
			}
			fmt.Fprintf(w, "  %-30s  %.1f s = %.1f µs per request  (%s)\n", s.Source, s.ServerCPUs, s.ServerCPUus, strings.Join(s.Targets, ", "))
		}
	}
	writeErrors(w, r.Errors, r.ErrorsByCode)
}

// writeErrors prints the report's "errors" line: the total, then each
// code's count in name order.
func writeErrors(w io.Writer, total uint64, byCode map[string]uint64) {
	fmt.Fprintf(w, "errors     %d", total)
	for _, c := range slices.Sorted(maps.Keys(byCode)) {
		fmt.Fprintf(w, "  %s=%d", c, byCode[c])
	}
	fmt.Fprintln(w)
}

// targetsLine names the run's targets in a report's first line.
func targetsLine(targets []string) string {
	if len(targets) == 1 {
		return "target " + targets[0]
	}
	return fmt.Sprintf("%d targets %s", len(targets), strings.Join(targets, ", "))
}

// serversSuffix says that a total is over several servers.
func serversSuffix(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(", total of %d servers", n)
}
