package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lordgame.yaml")
	yaml := "http: \":1111\"\ntcp: \":2222\"\ngateway:\n  max_conns: 10\n  session:\n    send_queue: 5\n    heartbeat_interval: 3s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig([]string{"-config", file, "-http", ":3333"},
		env(map[string]string{"LORDGAME_TCP": ":4444", "LORDGAME_HTTP": ":5555", "LORDGAME_SEND_QUEUE": "7"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"flag beats env and file", cfg.HTTP, ":3333"},
		{"env beats file", cfg.TCP, ":4444"},
		{"env beats file (nested)", cfg.Gateway.Session.SendQueue, 7},
		{"file beats default", cfg.Gateway.MaxConns, 10},
		{"file duration", cfg.Gateway.Session.HeartbeatInterval, 3 * time.Second},
		{"default kept", cfg.Data, "./data"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("htp: \":1\"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown file key", []string{"-config", bad}, nil, "htp"},
		{"missing file", []string{"-config", filepath.Join(dir, "nope.yaml")}, nil, "no such file"},
		{"bad env value", nil, map[string]string{"LORDGAME_MAX_CONNS": "lots"}, "LORDGAME_MAX_CONNS"},
		{"zero send queue", []string{"-send-queue", "0"}, nil, "-send-queue: must be >= 1 (got 0)"},
		{"bad db url", []string{"-db", "mysql://x"}, nil, "postgres"},
		{"bad log level", []string{"-log-level", "loud"}, nil, "-log-level: want debug"},
		{"unknown flag", []string{"-nope"}, nil, "not defined"},
		{"bad trusted proxy", []string{"-trusted-proxies", "127.0.0.1,10.0.0/8"}, nil, `-trusted-proxies: "10.0.0/8" is not a CIDR`},
		{"bad trusted proxy env", nil, map[string]string{"LORDGAME_TRUSTED_PROXIES": "10.0.0.0/33"}, `"10.0.0.0/33" is not a CIDR`},
		{"bad tcp proxy protocol", nil, map[string]string{"LORDGAME_TCP_PROXY_PROTOCOL": "yes"}, `-tcp-proxy-protocol: want off, on or a comma-separated list of CIDRs`},
		{"removed trust-forwarded-for", []string{"-trust-forwarded-for"}, nil, "not defined"},
		{"unknown role", []string{"-role", "gateway,lobby"}, nil, `role "lobby"`},
		{"cluster role on sqlite", []string{"-role", "gateway", "-nats", "nats://127.0.0.1:4222"}, nil, "set -db"},
		{"cluster role on embedded nats", []string{"-role", "game", "-db", "postgres://x/y"}, nil, "set -nats"},
		{"bad strategy", []string{"-route-game", "fastest"}, nil, `unknown strategy "fastest"`},
		{"node id too big", []string{"-node-id", "1024"}, nil, "-node-id: must be between 0 and 1023"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadConfig(tt.args, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lordgame.yaml")
	if err := os.WriteFile(file, []byte("gateway:\n  trusted_proxies: [10.0.0.0/8, \"::1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"default: none", nil, nil, nil},
		{"file", []string{"-config", file}, nil, []string{"10.0.0.0/8", "::1"}},
		{"env beats file", []string{"-config", file}, map[string]string{"LORDGAME_TRUSTED_PROXIES": "127.0.0.1, 172.16.0.0/12"}, []string{"127.0.0.1", "172.16.0.0/12"}},
		{"flag", []string{"-trusted-proxies", "192.168.0.0/16"}, nil, []string{"192.168.0.0/16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig(tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Gateway.TrustedProxies; !slices.Equal(got, tt.want) {
				t.Errorf("trusted proxies = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckAndHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"-check"}, env(nil), &out, &errOut, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "configuration ok") {
		t.Errorf("-check printed %q", out.String())
	}
	errOut.Reset()
	err := run(t.Context(), []string{"--help"}, env(nil), &out, &errOut, nil)
	if err == nil || !strings.Contains(errOut.String(), "-max-conns") || !strings.Contains(errOut.String(), "default 100000") {
		t.Errorf("--help: err %v, output %q", err, errOut.String())
	}
}

// startServer runs the all-in-one server in-process on free ports.
func startServer(t *testing.T, extra ...string) (*server, context.CancelFunc, <-chan error) {
	t.Helper()
	args := append([]string{"-http", "127.0.0.1:0", "-tcp", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-data", t.TempDir(), "-log-level", "warn"}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *server, 1)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() { done <- run(ctx, args, env(nil), io.Discard, io.Discard, ready); close(stopped) }()
	select {
	case s := <-ready:
		t.Cleanup(func() {
			cancel()
			select {
			case <-stopped:
			case <-time.After(20 * time.Second):
				t.Error("server did not stop")
			}
		})
		return s, cancel, done
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server start timed out")
	}
	return nil, nil, nil
}

func TestServerEndToEnd(t *testing.T) {
	s, cancel, done := startServer(t)
	base := "http://" + s.HTTPAddr()
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/"} {
		u := base + p
		if p == "/metrics" {
			u = "http://" + s.MetricsAddr() + p // off the public port
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d %s", p, resp.StatusCode, body)
		}
		if p == "/metrics" && !strings.Contains(string(body), "lordgame_connections") {
			t.Errorf("/metrics lacks lordgame_connections")
		}
	}
	ws := "ws://" + s.HTTPAddr() + "/ws"
	tcp := "tcp://" + s.TCPAddr()
	var clients []*client.Client
	for _, target := range []string{ws, tcp} {
		c, err := client.Dial(t.Context(), target, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		var e pb.Echo
		if err := c.Request(t.Context(), "sys.echo", &pb.Echo{Text: target}, &e); err != nil || e.Text != target {
			t.Fatalf("%s echo: %q %v", target, e.Text, err)
		}
	}
	cancel() // like SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after shutdown, want nil (exit 0)", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown timed out")
	}
	for _, c := range clients {
		err := c.Request(context.Background(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		var k *client.Kicked
		if err == nil || !(errors.As(err, &k) || errors.Is(err, client.ErrDisconnected)) {
			t.Errorf("after shutdown: %v", err)
		}
		_ = c.Close()
	}
}

func TestDDZSettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lordgame.yaml")
	yaml := "match:\n  modes:\n    - {name: practice, practice: true}\n    - {name: classic, stake: 5, min_balance: 50, bot_wait: 3s, window: 100, window_per_second: 50}\n" +
		"    - {name: house, stake: 5, doubling: true, show_hand: true, card_counter: true}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig([]string{"-config", file, "-ddz-stake", "7"},
		env(map[string]string{"LORDGAME_DDZ_BID_TIMEOUT": "9s", "LORDGAME_DDZ_BOT_WAIT": "0s"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := classic(&cfg)
	if m == nil || m.Stake != 7 || m.MinBalance != 50 || m.BotWait != 0 || cfg.DDZ.BidTimeout != 9*time.Second {
		t.Fatalf("ddz settings: classic %+v, bid timeout %v", m, cfg.DDZ.BidTimeout)
	}
	if m.Doubling || m.ShowHand || m.CardCounter {
		t.Errorf("classic has house rules by default: %+v", m)
	}
	if h, ok := cfg.Match.Mode("house"); !ok || !h.Doubling || !h.ShowHand || !h.CardCounter {
		t.Errorf("mode house from the file: %+v", h)
	}
	if _, _, err := loadConfig([]string{"-ddz-stake", "lots"}, env(nil), io.Discard); err == nil {
		t.Error("a bad stake was accepted")
	}
	cfg, _, err = loadConfig(nil, env(map[string]string{"LORDGAME_DDZ_HOUSE_RULES": "show_hand,doubling"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if m := classic(&cfg); !m.Doubling || !m.ShowHand || m.CardCounter {
		t.Errorf("-ddz-house-rules show_hand,doubling: classic %+v", m)
	}
}

// TestDebugListener: -debug serves the profiles on its own address, and
// the public HTTP port does not serve them.
func TestDebugListener(t *testing.T) {
	s, _, _ := startServer(t, "-debug", "127.0.0.1:0")
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("http://" + s.DebugAddr() + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("debug /debug/pprof/ = %d %.80q", code, body)
	}
	if code, body := get("http://" + s.DebugAddr() + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile = %d %.80q", code, body)
	}
	if code, _ := get("http://" + s.HTTPAddr() + "/debug/pprof/"); code != 404 {
		t.Errorf("public /debug/pprof/ = %d, want 404", code)
	}
	plain, _, _ := startServer(t)
	if plain.DebugAddr() != "" {
		t.Errorf("debug listener on without -debug: %s", plain.DebugAddr())
	}
}
