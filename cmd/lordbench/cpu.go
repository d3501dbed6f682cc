package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// serverCPU reads the CPU time a server process has used, in seconds: from
// /proc/PID/stat with -pid, else process_cpu_seconds_total from /metrics.
// CPU per request is what a server's efficiency is judged by on a machine
// whose cores the load generator and other work share: unlike requests per
// second it barely moves when a neighbour takes a core.
type serverCPU struct {
	metrics string
	pid     int
}

func (c serverCPU) seconds(ctx context.Context) (float64, error) {
	if c.pid > 0 {
		return procCPU(c.pid)
	}
	vals, err := scrape(ctx, c.metrics)
	if err != nil {
		return 0, err
	}
	v, ok := vals["process_cpu_seconds_total"]
	if !ok {
		return 0, fmt.Errorf("%s has no process_cpu_seconds_total", c.metrics)
	}
	return v, nil
}

// procCPU is utime+stime of a local process (fields 14 and 15 of
// /proc/PID/stat, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return (ut + st) / 100, nil
}

// cpuUse is the CPU time one server used during a run, or why it is not
// known.
type cpuUse struct {
	srv     *server
	seconds float64
	err     error
}

// cpuMeter reads each server's CPU time at the start of a run and again
// at its end.
type cpuMeter struct {
	srvs  []*server
	start []float64
	errs  []error
}

// startCPU takes the first reading of every server. With skipGuessed a
// server whose /metrics URL was only guessed from tcp targets is not read:
// port 8080 may be another server.
func startCPU(ctx context.Context, srvs []*server, skipGuessed bool) *cpuMeter {
	m := &cpuMeter{srvs: srvs, start: make([]float64, len(srvs)), errs: make([]error, len(srvs))}
	for i, s := range srvs {
		if skipGuessed && s.guessed {
			m.errs[i] = errors.New("no -metrics or -pid for a tcp target")
			continue
		}
		m.start[i], m.errs[i] = s.cpu().seconds(ctx)
	}
	return m
}

// stop takes the second reading and returns each server's use, in the
// order of srvs.
func (m *cpuMeter) stop(ctx context.Context) []cpuUse {
	out := make([]cpuUse, len(m.srvs))
	for i, s := range m.srvs {
		out[i] = cpuUse{srv: s, err: m.errs[i]}
		if out[i].err != nil {
			continue
		}
		end, err := s.cpu().seconds(ctx)
		out[i].seconds, out[i].err = end-m.start[i], err
	}
	return out
}

// totalCPU sums the use of every server, ok only when each one was read:
// a partial sum would pass for the whole cluster.
func totalCPU(uses []cpuUse) (seconds float64, ok bool) {
	for _, u := range uses {
		if u.err != nil {
			return 0, false
		}
		seconds += u.seconds
	}
	return seconds, len(uses) > 0
}
