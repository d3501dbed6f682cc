package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestDDZSmoke builds the server, starts it on a free port with a fresh
// data folder, and plays full games with the ddz scenario: every game must
// finish with no error and no invariant violation. It is the CI smoke run
// of lordbench. It then does the same against two servers at once, which
// must each get their share of the players.
func TestDDZSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real server")
	}
	bin := filepath.Join(t.TempDir(), "lordgame")
	if out, err := exec.Command("go", "build", "-o", bin, "../lordgame").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("one server", func(t *testing.T) {
		addr, metrics, logs := startLordgame(t, bin)
		rep := playDDZ(t, "ws://"+addr+"/ws", metrics, 31, "15s")
		if rep.Games == 0 || rep.Errors != 0 || rep.Violations != 0 || rep.PlayersReady != 31 {
			t.Fatalf("games %d, errors %v, violations %v %q, players %d\nserver log:\n%s",
				rep.Games, rep.ErrorsByCode, rep.Violations, rep.ViolationEx, rep.PlayersReady, logs.String())
		}
		t.Logf("%d games (%.1f/s), p99 %.2f ms", rep.Games, rep.GamesPerS, rep.P99ms)
	})
	t.Run("two servers", func(t *testing.T) {
		a, metricsA, logsA := startLordgame(t, bin)
		b, metricsB, logsB := startLordgame(t, bin)
		rep := playDDZ(t, "ws://"+a+"/ws,ws://"+b+"/ws", metricsA+","+metricsB, 31, "10s")
		if rep.Games == 0 || rep.Errors != 0 || rep.Violations != 0 || rep.PlayersReady != 31 {
			t.Fatalf("games %d, errors %v, violations %v %q, players %d\nserver logs:\n%s\n%s",
				rep.Games, rep.ErrorsByCode, rep.Violations, rep.ViolationEx, rep.PlayersReady, logsA.String(), logsB.String())
		}
		for i, addr := range []string{metricsA, metricsB} {
			want := []int{16, 15}[i] // players 1, 3, 5, ... go to the first target
			if got := rep.PerTarget[i].PlayersReady; got != want {
				t.Errorf("target %s: %d players in the report, want %d", rep.PerTarget[i].Target, got, want)
			}
			text := scrapeText(t, addr)
			if got := metricValue(text, `lordgame_handshakes_total{result="ok"}`); got != float64(want) {
				t.Errorf("server %s: %v handshakes, want %d", addr, got, want)
			}
			if s := rep.Servers[i]; s.ServerCPUs <= 0 || s.ServerRSSMB <= 0 {
				t.Errorf("server %s: %+v", addr, s)
			}
		}
		// Two processes: the total is their sum.
		if sum := rep.Servers[0].ServerCPUs + rep.Servers[1].ServerCPUs; rep.ServerCPUs != sum {
			t.Errorf("total cpu %v, servers' sum %v", rep.ServerCPUs, sum)
		}
		t.Logf("%d games (%.1f/s), p99 %.2f ms", rep.Games, rep.GamesPerS, rep.P99ms)
	})
}

// startLordgame runs the built server on a free port with a fresh data
// folder until the test ends, and returns its address and its /metrics URL
// (on -metrics-addr, off the public port) once it is ready. extra are more
// flags for the server.
func startLordgame(t *testing.T, bin string, extra ...string) (string, string, *logBuffer) {
	t.Helper()
	var (
		addrs []string
		lns   []net.Listener
	)
	for range 2 { // two distinct free ports: both listeners are open at once
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		ln.Close()
	}
	addr, metrics := addrs[0], addrs[1]
	logs := new(logBuffer)
	srv := exec.Command(bin, "-http", addr, "-metrics-addr", metrics, "-tcp", "off", "-data", t.TempDir(), "-log-level", "warn", "-auth-signups-per-ip", "1000")
	srv.Args = append(srv.Args, extra...)
	srv.Env = append(srv.Environ(), "LORDGAME_DDZ_BOT_WAIT=2s")
	srv.Stdout, srv.Stderr = logs, logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return addr, "http://" + metrics + "/metrics", logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// playDDZ runs the ddz scenario and decodes its report.
func playDDZ(t *testing.T, target, metrics string, players int, duration string) ddzReport {
	t.Helper()
	var out, errOut bytes.Buffer
	args := []string{"-scenario", "ddz", "-target", target, "-metrics", metrics, "-players", fmt.Sprint(players), "-think", "20ms", "-duration", duration, "-json"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("lordbench: %v\n%s", err, errOut.String())
	}
	var rep ddzReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return rep
}

// logBuffer holds a server's output: the process writes it on exec's
// copying goroutine while a failing test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
