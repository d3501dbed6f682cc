package main

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestSIGTERM runs the real binary and stops it with SIGTERM: connected
// clients get kick server_shutdown and the process exits 0.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "lordgame")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	httpAddr, tcpAddr := freePort(t), freePort(t)
	cmd := exec.Command(bin, "-http", httpAddr, "-tcp", tcpAddr, "-data", t.TempDir(), "-log-format", "json")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	logs := make(chan string, 10000)
	go func() { // ends when the process closes stderr
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs <- sc.Text()
		}
		close(logs)
	}()
	var c *client.Client
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		c, err = client.Dial(t.Context(), "tcp://"+tcpAddr, client.Options{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.Close()
	if err := c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
	var sawStop bool
	for line := range logs {
		if strings.Contains(line, `"msg":"stopped"`) {
			sawStop = true
		}
	}
	if !sawStop {
		t.Error("no 'stopped' log line")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.Request(ctx, "sys.ping", &pb.PingReq{}, &pb.PingResp{})
	if k, ok := err.(*client.Kicked); ok && k.Reason != "server_shutdown" {
		t.Errorf("kick reason %q", k.Reason)
	} else if err == nil {
		t.Error("request after shutdown succeeded")
	}
}
