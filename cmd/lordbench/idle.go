package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/client"
)

// idle: open -conns connections that only heartbeat (the client sends one
// every interval the server announced), hold them for -duration, and report
// how many stayed connected and what they cost the server: its RSS and Go
// heap from /metrics (or RSS from /proc with -pid) before the ramp and at
// the end of the hold, divided by the sessions that stayed. With several
// targets each server is sampled on its own and divided by the sessions of
// its own targets, and the total sums the servers.

type memSample struct {
	RSSBytes       float64 `json:"rss_bytes"`
	HeapInuseBytes float64 `json:"heap_inuse_bytes"`
	StackBytes     float64 `json:"stack_inuse_bytes"`
	Goroutines     float64 `json:"goroutines"`
	Connections    float64 `json:"server_connections"`
}

// plus adds two servers' samples.
func (m memSample) plus(o memSample) memSample {
	return memSample{
		RSSBytes:       m.RSSBytes + o.RSSBytes,
		HeapInuseBytes: m.HeapInuseBytes + o.HeapInuseBytes,
		StackBytes:     m.StackBytes + o.StackBytes,
		Goroutines:     m.Goroutines + o.Goroutines,
		Connections:    m.Connections + o.Connections,
	}
}

type idleReport struct {
	Scenario    string   `json:"scenario"`
	Targets     []string `json:"targets"`
	Conns       int      `json:"conns"`
	ConnsFailed int      `json:"conns_failed"`
	Connected   int      `json:"connected"`
	Dropped     int64    `json:"dropped"`
	Stayed      int      `json:"stayed"`
	HoldS       float64  `json:"hold_s"`
	RampS       float64  `json:"ramp_s"`
	// Source lists where memory was read, one element per server.
	Source string `json:"memory_source"`
	// Before, Ramped and After are summed over every server, and the
	// per-session costs divide the sum by every session that stayed.
	Before memSample `json:"before"`
	Ramped memSample `json:"ramped"`
	After  memSample `json:"after"`
	sessionCost
	PerTarget      []idleTarget      `json:"per_target"`
	Servers        []idleServer      `json:"servers"`
	Errors         uint64            `json:"errors"`
	ErrorsByCode   map[string]uint64 `json:"errors_by_code"`
	FirstDialError string            `json:"first_dial_error,omitempty"`
}

// sessionCost is what one idle session costs its server.
type sessionCost struct {
	RSSPerSession     float64 `json:"rss_per_session_bytes"`
	HeapPerSession    float64 `json:"heap_inuse_per_session_bytes"`
	StackPerSession   float64 `json:"stack_inuse_per_session_bytes"`
	GoroutinesPerSess float64 `json:"goroutines_per_session"`
}

// costOf divides what a server grew from before to after by the sessions
// that stayed on it.
func costOf(before, after memSample, stayed int) sessionCost {
	if stayed <= 0 {
		return sessionCost{}
	}
	n := float64(stayed)
	return sessionCost{
		RSSPerSession:     (after.RSSBytes - before.RSSBytes) / n,
		HeapPerSession:    (after.HeapInuseBytes - before.HeapInuseBytes) / n,
		StackPerSession:   (after.StackBytes - before.StackBytes) / n,
		GoroutinesPerSess: (after.Goroutines - before.Goroutines) / n,
	}
}

type idleTarget struct {
	Target    string `json:"target"`
	Connected int    `json:"connected"`
	Dropped   int64  `json:"dropped"`
}

// idleServer is one server's memory and the sessions of its targets.
type idleServer struct {
	Source  string    `json:"memory_source"`
	Targets []string  `json:"targets"`
	Stayed  int       `json:"stayed"`
	Before  memSample `json:"before"`
	Ramped  memSample `json:"ramped"`
	After   memSample `json:"after"`
	sessionCost
}

func runIdle(ctx context.Context, o options, live *liveLine) (report, error) {
	rep := &idleReport{Scenario: "idle", Targets: o.targetNames(), Conns: o.Conns, ErrorsByCode: map[string]uint64{}}
	srvs := o.servers()
	sources := make([]string, len(srvs))
	rep.Servers = make([]idleServer, len(srvs))
	for i, s := range srvs {
		sources[i] = s.mem().String()
		rep.Servers[i] = idleServer{Source: sources[i], Targets: s.targetNames(o)}
	}
	rep.Source = strings.Join(sources, ", ")
	sample := func(when string, pick func(*idleServer) *memSample) (memSample, error) {
		var sum memSample
		for i, s := range srvs {
			m, err := s.mem().sample(ctx)
			if err != nil {
				return sum, fmt.Errorf("read server memory %s: %w", when, err)
			}
			*pick(&rep.Servers[i]) = m
			sum = sum.plus(m)
		}
		return sum, nil
	}
	var err error
	if rep.Before, err = sample("before the ramp", func(s *idleServer) *memSample { return &s.Before }); err != nil {
		return nil, err
	}

	var dropped atomic.Int64
	droppedOf := make([]atomic.Int64, len(o.Targets))
	opts := func(t int) client.Options {
		return o.withSecurity(t, client.Options{Name: "lordbench-idle", OnState: func(s client.State) {
			if s == client.StateDisconnected {
				dropped.Add(1)
				droppedOf[t].Add(1)
			}
		}})
	}
	rampStart := time.Now()
	conns, targetOf, failed := dialAll(ctx, o, opts, live)
	defer closeAll(conns, o.Dialers)
	rep.RampS = time.Since(rampStart).Seconds()
	rep.Connected, rep.ConnsFailed, rep.FirstDialError = len(conns), failed.n, failed.first
	if failed.n > 0 {
		rep.ErrorsByCode["dial"] = uint64(failed.n)
	}
	if rep.Ramped, err = sample("after the ramp", func(s *idleServer) *memSample { return &s.Ramped }); err != nil {
		return nil, err
	}

	holdCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	holdStart := time.Now()
	tick := ticker(holdCtx, func(el time.Duration) {
		live.printf("idle %4.0fs/%.0fs  %d connected  %d dropped", el.Seconds(), o.Duration.Seconds(),
			len(conns)-int(dropped.Load()), dropped.Load())
	})
	<-holdCtx.Done()
	<-tick
	live.end()
	rep.HoldS = time.Since(holdStart).Seconds()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Measure before closing anything: the sessions are all still there.
	if rep.After, err = sample("after the hold", func(s *idleServer) *memSample { return &s.After }); err != nil {
		return nil, err
	}
	rep.Dropped = dropped.Load()
	rep.Stayed = rep.Connected - int(rep.Dropped)
	if rep.Dropped > 0 {
		rep.ErrorsByCode["dropped"] = uint64(rep.Dropped)
	}
	for _, n := range rep.ErrorsByCode {
		rep.Errors += n
	}
	rep.sessionCost = costOf(rep.Before, rep.After, rep.Stayed)

	rep.PerTarget = make([]idleTarget, len(o.Targets))
	for i, t := range rep.Targets {
		rep.PerTarget[i] = idleTarget{Target: t, Dropped: droppedOf[i].Load()}
	}
	for _, t := range targetOf {
		rep.PerTarget[t].Connected++
	}
	for i, s := range srvs {
		rs := &rep.Servers[i]
		for _, t := range s.targets {
			rs.Stayed += rep.PerTarget[t].Connected - int(rep.PerTarget[t].Dropped)
		}
		rs.sessionCost = costOf(rs.Before, rs.After, rs.Stayed)
	}
	return rep, nil
}

func (r *idleReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario   idle  %s\n", targetsLine(r.Targets))
	fmt.Fprintf(w, "conns      %d asked, %d connected in %.1fs, %d failed, %d dropped, %d stayed for %.0fs\n",
		r.Conns, r.Connected, r.RampS, r.ConnsFailed, r.Dropped, r.Stayed, r.HoldS)
	if r.FirstDialError != "" {
		fmt.Fprintf(w, "           first dial error: %s\n", r.FirstDialError)
	}
	if len(r.PerTarget) > 1 {
		for _, t := range r.PerTarget {
			fmt.Fprintf(w, "  %-30s  %d connected, %d dropped\n", t.Target, t.Connected, t.Dropped)
		}
	}
	if len(r.Servers) > 1 {
		for _, s := range r.Servers {
			fmt.Fprintf(w, "memory     from %s (%s), %d sessions stayed\n", s.Source, strings.Join(s.Targets, ", "), s.Stayed)
			writeMemory(w, s.Before, s.Ramped, s.After, s.sessionCost)
		}
		fmt.Fprintf(w, "memory     total of %d servers\n", len(r.Servers))
	} else {
		fmt.Fprintf(w, "memory     from %s\n", r.Source)
	}
	writeMemory(w, r.Before, r.Ramped, r.After, r.sessionCost)
	writeErrors(w, r.Errors, r.ErrorsByCode)
}

// writeMemory prints the three samples of a server (or their sum) and the
// cost of one session.
func writeMemory(w io.Writer, before, ramped, after memSample, c sessionCost) {
	mib := func(b float64) float64 { return b / (1 << 20) }
	for _, s := range []struct {
		name string
		m    memSample
	}{{"before", before}, {"ramped", ramped}, {"after", after}} {
		fmt.Fprintf(w, "  %-7s  rss %7.1f MiB  heap in use %7.1f MiB  stacks %7.1f MiB  goroutines %6.0f  server connections %6.0f\n",
			s.name, mib(s.m.RSSBytes), mib(s.m.HeapInuseBytes), mib(s.m.StackBytes), s.m.Goroutines, s.m.Connections)
	}
	fmt.Fprintf(w, "per session  rss %.2f KiB  heap in use %.2f KiB  stacks %.2f KiB  goroutines %.2f\n",
		c.RSSPerSession/1024, c.HeapPerSession/1024, c.StackPerSession/1024, c.GoroutinesPerSess)
}

// memSource reads a server's memory: RSS from /proc/PID/status when pid is
// set, else RSS, heap and goroutines from the Prometheus text at metrics.
type memSource struct {
	metrics string
	pid     int
}

func (m memSource) String() string {
	if m.pid > 0 {
		return "/proc/" + strconv.Itoa(m.pid) + "/status"
	}
	return m.metrics
}

func (m memSource) sample(ctx context.Context) (memSample, error) {
	if m.pid > 0 {
		rss, err := procRSS(m.pid)
		return memSample{RSSBytes: rss}, err
	}
	vals, err := scrape(ctx, m.metrics)
	if err != nil {
		return memSample{}, err
	}
	s := memSample{
		RSSBytes:       vals["process_resident_memory_bytes"],
		HeapInuseBytes: vals["go_memstats_heap_inuse_bytes"],
		StackBytes:     vals["go_memstats_stack_inuse_bytes"],
		Goroutines:     vals["go_goroutines"],
		Connections:    vals["lordgame_connections"],
	}
	if s.RSSBytes == 0 {
		return s, fmt.Errorf("%s has no process_resident_memory_bytes", m.metrics)
	}
	return s, nil
}

// scrape fetches a Prometheus text page and sums each metric's series.
func scrape(ctx context.Context, url string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			name, rest, ok = line[:i], strings.TrimSpace(line[j+1:]), true
		}
		if !ok {
			continue
		}
		val, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	return out, sc.Err()
}

// procRSS reads VmRSS of a local process.
func procRSS(pid int) (float64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}
