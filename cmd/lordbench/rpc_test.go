package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
)

// benchServer is a gateway with the sys routes on :0 listeners: WebSocket
// and /metrics on one HTTP server, TCP on its own.
type benchServer struct {
	ws, tcp, metrics string
}

func startGateway(t *testing.T) benchServer {
	t.Helper()
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	reg := observe.NewRegistry()
	cfg := gateway.DefaultConfig()
	// A few connections in a closed loop send thousands of requests per
	// second each: far over the default per-connection rate limit.
	cfg.Session.RatePerSecond, cfg.Session.RateBurst = 1e6, 1e6
	gw, err := gateway.New(cfg, r, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", gw)
	mux.Handle("GET /metrics", observe.Handler(reg))
	hs := httptest.NewServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tcpDone := make(chan struct{})
	go func() { defer close(tcpDone); _ = gw.ServeTCP(ctx, ln) }() // ends with ctx
	t.Cleanup(func() {
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = gw.Shutdown(sctx)
		cancel()
		<-tcpDone
		hs.Close()
	})
	host := strings.TrimPrefix(hs.URL, "http://")
	return benchServer{ws: "ws://" + host + "/ws", tcp: "tcp://" + ln.Addr().String(), metrics: hs.URL + "/metrics"}
}

// lordbench runs the command with args and decodes its -json report.
func lordbench(t *testing.T, into any, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append(args, "-json"), &out, &errOut); err != nil {
		t.Fatalf("lordbench %q: %v\n%s", args, err, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), into); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	var keys map[string]any
	if err := json.Unmarshal(out.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scenario", "conns", "errors"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("report lacks %q: %s", k, out.String())
		}
	}
}

func TestRPCScenario(t *testing.T) {
	srv := startGateway(t)
	for _, target := range []string{srv.ws, srv.tcp} {
		t.Run(target[:strings.Index(target, ":")], func(t *testing.T) {
			var rep rpcReport
			lordbench(t, &rep, "-scenario", "rpc", "-target", target, "-metrics", srv.metrics,
				"-conns", "8", "-size", "100", "-duration", "1s")
			if rep.Scenario != "rpc" || rep.Conns != 8 || rep.Size != 100 || rep.Rate != 0 {
				t.Errorf("report header %+v", rep)
			}
			if rep.Requests < 100 || rep.RPS <= 0 || rep.Errors != 0 || rep.ConnsFailed != 0 || rep.ConnsLost != 0 {
				t.Errorf("requests %d, rps %.0f, errors %v, failed %d, lost %d",
					rep.Requests, rep.RPS, rep.ErrorsByCode, rep.ConnsFailed, rep.ConnsLost)
			}
			if !(rep.P50ms > 0 && rep.P50ms <= rep.P90ms && rep.P90ms <= rep.P99ms && rep.P99ms <= rep.P999ms && rep.P999ms <= rep.MaxMs*1.02) {
				t.Errorf("percentiles out of order: p50 %v p90 %v p99 %v p99.9 %v max %v",
					rep.P50ms, rep.P90ms, rep.P99ms, rep.P999ms, rep.MaxMs)
			}
			if rep.ServerCPUs <= 0 {
				t.Errorf("server CPU not read from %s", srv.metrics)
			}
		})
	}
}

// TestRPCTwoServers: with two targets (one ws, one tcp: mixed schemes) the
// connections alternate between them, each server's /metrics shows its
// half, and the report gives each target's share and each server's CPU.
func TestRPCTwoServers(t *testing.T) {
	a, b := startGateway(t), startGateway(t)
	var rep rpcReport
	lordbench(t, &rep, "-target", a.ws+","+b.tcp, "-metrics", a.metrics+","+b.metrics,
		"-conns", "9", "-duration", "1s")
	if !slices.Equal(rep.Targets, []string{a.ws, b.tcp}) || rep.Errors != 0 || rep.ConnsFailed != 0 {
		t.Fatalf("targets %q, errors %v, failed %d", rep.Targets, rep.ErrorsByCode, rep.ConnsFailed)
	}
	var sum uint64
	for i, srv := range []benchServer{a, b} {
		want := []int{5, 4}[i] // connections 0, 2, 4, 6, 8 go to the first target
		pt := rep.PerTarget[i]
		if pt.Conns != want || pt.Requests == 0 {
			t.Errorf("target %s: %d conns, %d requests; want %d conns and some requests", pt.Target, pt.Conns, pt.Requests, want)
		}
		sum += pt.Requests
		text := scrapeText(t, srv.metrics)
		if got := metricValue(text, `lordgame_handshakes_total{result="ok"}`); got != float64(want) {
			t.Errorf("%s: %v handshakes, want %d", srv.metrics, got, want)
		}
		// The server also counts the requests that were in flight when the
		// run ended: at most one per connection.
		handled := metricValue(text, `lordgame_request_duration_seconds_count{route="sys.echo"}`)
		if handled < float64(pt.Requests) || handled > float64(pt.Requests)+float64(want) {
			t.Errorf("%s handled %v sys.echo, the report says %d answered", srv.metrics, handled, pt.Requests)
		}
	}
	if sum != rep.Requests {
		t.Errorf("per-target requests sum to %d, total %d", sum, rep.Requests)
	}
	// Both gateways run in this process, so each page reports the same
	// process CPU: only that both were read and summed is checked.
	if len(rep.Servers) != 2 || rep.Servers[0].ServerCPUs <= 0 || rep.Servers[1].ServerCPUs <= 0 ||
		math.Abs(rep.ServerCPUs-rep.Servers[0].ServerCPUs-rep.Servers[1].ServerCPUs) > 1e-9 {
		t.Errorf("servers %+v, total cpu %v", rep.Servers, rep.ServerCPUs)
	}
}

// TestIdleTwoServers: each server holds its share of the sessions, and the
// report's samples are the sum of both servers'.
func TestIdleTwoServers(t *testing.T) {
	a, b := startGateway(t), startGateway(t)
	var rep idleReport
	lordbench(t, &rep, "-idle", "7", "-target", a.ws+","+b.ws, "-duration", "1s")
	if rep.Stayed != 7 || len(rep.Servers) != 2 || len(rep.PerTarget) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for i, want := range []int{4, 3} {
		s := rep.Servers[i]
		if s.Source != []string{a.metrics, b.metrics}[i] || s.Stayed != want || s.After.Connections != float64(want) || s.Before.Connections != 0 {
			t.Errorf("server %d: source %s, %d stayed, connections %v before, %v after; want %d", i, s.Source, s.Stayed, s.Before.Connections, s.After.Connections, want)
		}
	}
	if rep.After.Connections != 7 || rep.After.RSSBytes != rep.Servers[0].After.RSSBytes+rep.Servers[1].After.RSSBytes {
		t.Errorf("total after %+v, servers %+v and %+v", rep.After, rep.Servers[0].After, rep.Servers[1].After)
	}
}

// scrapeText fetches a /metrics page.
func scrapeText(t *testing.T, url string) string {
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
	return string(b)
}

// metricValue finds one series (name and labels as printed) in a
// Prometheus text page; 0 when it is not there.
func metricValue(text, series string) float64 {
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// TestRPCOpenLoop: with -rate the connections together send that many
// requests per second and no more, however fast the server answers.
func TestRPCOpenLoop(t *testing.T) {
	srv := startGateway(t)
	var rep rpcReport
	lordbench(t, &rep, "-target", srv.ws, "-conns", "10", "-rate", "200", "-duration", "2s")
	if rep.Rate != 200 || rep.Errors != 0 {
		t.Fatalf("rate %v, errors %v", rep.Rate, rep.ErrorsByCode)
	}
	// 2 s at 200/s is 400 requests on schedule; the closed loop above
	// does thousands per second on the same server.
	if rep.Requests < 300 || rep.Requests > 420 {
		t.Errorf("%d requests in 2 s at -rate 200, want about 400", rep.Requests)
	}
}

func TestIdleScenario(t *testing.T) {
	srv := startGateway(t)
	var rep idleReport
	lordbench(t, &rep, "-idle", "20", "-target", srv.ws, "-metrics", srv.metrics, "-duration", "1s")
	if rep.Scenario != "idle" || rep.Conns != 20 || rep.Connected != 20 || rep.Stayed != 20 || rep.Errors != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Before.RSSBytes <= 0 || rep.After.RSSBytes <= 0 || rep.After.Connections != 20 || rep.Before.Connections != 0 {
		t.Errorf("memory samples: before %+v, after %+v", rep.Before, rep.After)
	}
	// The clients run in this process too, so the per-session figures
	// include their side: only that they were computed is checked here.
	if rep.GoroutinesPerSess < 1 || rep.RSSPerSession == 0 {
		t.Errorf("per session: %.2f goroutines, %.0f bytes RSS", rep.GoroutinesPerSess, rep.RSSPerSession)
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-target", "ws://10.1.2.3:8080/ws"},
		{"-target", "http://127.0.0.1:8080/"},
		{"-target", "ws://127.0.0.1:8080/ws,"},
		{"-target", "ws://127.0.0.1:8080/ws,ws://127.0.0.1:8081/ws", "-metrics", "http://127.0.0.1:8080/metrics,http://10.0.0.1:8081/metrics"},
		{"-scenario", "nope"},
		{"-conns", "0"},
		{"-rate", "-5"},
		{"-rate", "NaN"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("lordbench %q: no error", args)
		}
	}
}
