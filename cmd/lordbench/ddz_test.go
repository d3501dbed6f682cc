package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDDZSmoke builds the server, starts it on a free port with a fresh
// data folder, and plays full games with the ddz scenario: every game must
// finish with no error and no invariant violation. It is the CI smoke run
// of lordbench.
func TestDDZSmoke(t *testing.T) {
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
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	srv := exec.Command(bin, "-http", addr, "-tcp", "off", "-data", t.TempDir(), "-log-level", "warn", "-auth-signups-per-ip", "1000")
	srv.Env = append(srv.Environ(), "LORDGAME_DDZ_BOT_WAIT=2s")
	srv.Stdout, srv.Stderr = &logs, &logs
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
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out, errOut bytes.Buffer
	args := []string{"-scenario", "ddz", "-target", "ws://" + addr + "/ws", "-players", "31", "-think", "20ms", "-duration", "15s", "-json"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("lordbench: %v\n%s", err, errOut.String())
	}
	var rep ddzReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	if rep.Games == 0 || rep.Errors != 0 || rep.Violations != 0 || rep.PlayersReady != 31 {
		t.Fatalf("games %d, errors %v, violations %v %q, players %d\nserver log:\n%s",
			rep.Games, rep.ErrorsByCode, rep.Violations, rep.ViolationEx, rep.PlayersReady, logs.String())
	}
	t.Logf("%d games (%.1f/s), p99 %.2f ms", rep.Games, rep.GamesPerS, rep.P99ms)
}
