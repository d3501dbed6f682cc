// Package deploy_test checks the deployment files under deploy/ against the
// repository and against the real binary: the Dockerfile's stages and
// paths, the compose cluster's services and flags, the Prometheus rules'
// and the Grafana dashboard's metric names.
//
// TestMain builds cmd/lordgame once, with the build flags read from
// deploy/docker/Dockerfile (CGO_ENABLED=0, -trimpath, its -ldflags), unless
// LORDGAME_BIN names a binary built that way already.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testVersion is passed as VERSION to the Dockerfile's -ldflags, so a test
// can find it in the binary.
const testVersion = "deploytest-9f3c1e"

var (
	repoRoot string
	binPath  string
)

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	code, err := buildAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) (int, error) {
	if p := os.Getenv("LORDGAME_BIN"); p != "" {
		binPath = p
		return m.Run(), nil
	}
	dir, err := os.MkdirTemp("", "lordgame-deploy-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "lordgame")
	df, err := parseDockerfile(filepath.Join(repoRoot, "deploy/docker/Dockerfile"))
	if err != nil {
		return 0, err
	}
	args, env, err := df.goBuild(map[string]string{"VERSION": testVersion, "COMMIT": "c0ffee", "DATE": "2026-01-02T03:04:05Z"})
	if err != nil {
		return 0, err
	}
	args = replaceOutput(args, binPath)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m.Run(), nil
}

func replaceOutput(args []string, out string) []string {
	for i := range args {
		if args[i] == "-o" && i+1 < len(args) {
			args[i+1] = out
		}
	}
	return args
}

// flagInfo is one flag of the binary, as `lordgame -h` prints it.
type flagInfo struct{ Type, Default string }

var (
	flagsOnce sync.Once
	flagsMap  map[string]flagInfo
	flagsErr  error
)

// binaryFlags runs `lordgame -h` and parses its flag list.
func binaryFlags(t *testing.T) map[string]flagInfo {
	t.Helper()
	flagsOnce.Do(func() {
		var out bytes.Buffer
		cmd := exec.Command(binPath, "-h")
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run() // -h exits 0 or 2 depending on the flag package; the text is what matters
		flagsMap, flagsErr = parseFlagHelp(out.String())
	})
	if flagsErr != nil {
		t.Fatal(flagsErr)
	}
	return flagsMap
}

var (
	flagLine    = regexp.MustCompile(`^  -([a-z0-9][a-z0-9.-]*)(?: (\S+))?$`)
	defaultText = regexp.MustCompile(`\(default (?:"([^"]*)"|([^)]*))\)\s*$`)
)

func parseFlagHelp(text string) (map[string]flagInfo, error) {
	flags := map[string]flagInfo{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			cur = m[1]
			flags[cur] = flagInfo{Type: m[2]}
			continue
		}
		if cur != "" && strings.HasPrefix(line, "    \t") {
			if m := defaultText.FindStringSubmatch(line); m != nil {
				fi := flags[cur]
				fi.Default = m[1] + m[2]
				flags[cur] = fi
			}
		}
	}
	if len(flags) < 20 || flags["http"].Type == "" {
		return nil, fmt.Errorf("lordgame -h listed %d flags, no -http; output:\n%s", len(flags), text)
	}
	return flags, nil
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// node is the built binary running as an all-in-one server.
type node struct {
	http    string
	metrics string // where /metrics is served
	tcp     string
}

// startBinary runs the binary with extra flags on free loopback ports and
// waits for /readyz.
func startBinary(t *testing.T, extra ...string) *node {
	t.Helper()
	n := &node{http: freePort(t), tcp: freePort(t)}
	n.metrics = n.http
	args := []string{"-http", n.http, "-tcp", n.tcp, "-data", t.TempDir(), "-log-level", "warn"}
	if _, ok := binaryFlags(t)["metrics-addr"]; ok {
		n.metrics = freePort(t)
		args = append(args, "-metrics-addr", n.metrics)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binPath, append(args, extra...)...)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		if err := <-exited; err != nil && t.Failed() {
			t.Logf("lordgame: %v\n%s", err, logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + n.http + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return n
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("lordgame exited before ready: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lordgame not ready after 60s\n%s", logs.String())
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runBin(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
