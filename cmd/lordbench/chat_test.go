package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChatScenario drives the chat scenario against the real server and
// against the bare broadcast server of bench/wsecho: every accepted world
// message must reach every receiver exactly once, and the report must
// carry the keys the docs promise.
func TestChatScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real server")
	}
	dir := t.TempDir()
	for _, pkg := range []string{"../lordgame", "../../bench/wsecho"} {
		if out, err := exec.Command("go", "build", "-o", dir+"/", pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	t.Run("lordgame", func(t *testing.T) {
		addr, metrics, logs := startLordgame(t, filepath.Join(dir, "lordgame"), "-chat-rate-world", "100/1s")
		rep := chatBench(t, "-target", "ws://"+addr+"/ws", "-metrics", metrics, "-receivers", "30", "-senders", "3", "-rate", "5", "-duration", "2s")
		checkChat(t, rep, 30, 3, logs.String)
		if rep.CPUPerDelivered <= 0 {
			t.Errorf("no server CPU per delivered message: %+v", rep)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		// The default world limit (one message per 2 s) refuses most of
		// 5/s: refused sends are errors, not expected messages.
		addr, metrics, _ := startLordgame(t, filepath.Join(dir, "lordgame"))
		rep := chatBench(t, "-target", "ws://"+addr+"/ws", "-metrics", metrics, "-receivers", "5", "-senders", "1", "-rate", "5", "-duration", "2s")
		if rep.ErrorsByCode["send:rate_limited"] == 0 || rep.Accepted == 0 || rep.Accepted+rep.Errors != rep.Sent {
			t.Fatalf("want some sends refused as rate_limited and the rest accepted: %+v", rep)
		}
		if rep.Lost != 0 || rep.Delivered != rep.Accepted*5 {
			t.Fatalf("accepted messages must all arrive: %+v", rep)
		}
	})
	t.Run("bare broadcast", func(t *testing.T) {
		srv := exec.Command(filepath.Join(dir, "wsecho"), "-addr", "127.0.0.1:0", "-broadcast")
		stderr, err := srv.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
		line, err := bufio.NewReader(stderr).ReadString('\n') // "wsecho listening on ADDR"
		if err != nil {
			t.Fatal(err)
		}
		addr := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
		rep := chatBench(t, "-anonymous", "-target", "ws://"+addr+"/ws", "-pid", strconv.Itoa(srv.Process.Pid), "-receivers", "30", "-senders", "3", "-rate", "5", "-duration", "2s")
		checkChat(t, rep, 30, 3, func() string { return "" })
	})
}

// checkChat checks a report in which every send was accepted; logs is
// read only on failure (the server may still be writing to it).
func checkChat(t *testing.T, rep chatReport, receivers, senders int, logs func() string) {
	t.Helper()
	if rep.ReceiversUp != receivers || rep.SendersUp != senders || rep.Accepted == 0 || rep.Accepted != rep.Sent ||
		rep.Expected != rep.Accepted*uint64(receivers) || rep.Delivered != rep.Expected ||
		rep.Lost != 0 || rep.Duplicates != 0 || rep.Errors != 0 || rep.P99ms <= 0 {
		t.Fatalf("report %+v\nserver log:\n%s", rep, logs())
	}
	t.Logf("%d messages to %d receivers: p50 %.2f ms, p99 %.2f ms, %.1f µs CPU per delivered message", rep.Accepted, receivers, rep.P50ms, rep.P99ms, rep.CPUPerDelivered)
}

// chatBench runs the chat scenario and decodes its report, checking the
// keys every chat report must have.
func chatBench(t *testing.T, args ...string) chatReport {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, append([]string{"-scenario", "chat", "-json"}, args...), &out, &errOut); err != nil {
		t.Fatalf("lordbench: %v\n%s", err, errOut.String())
	}
	var rep chatReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	var keys map[string]any
	_ = json.Unmarshal(out.Bytes(), &keys)
	for _, k := range []string{"receivers", "expected", "delivered", "lost", "duplicates", "errors", "p50_ms", "p99_ms", "max_ms"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("report lacks %q: %s", k, out.String())
		}
	}
	return rep
}
