package main

import (
	"context"
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
