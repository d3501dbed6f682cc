package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDrainCommand: `lordgame drain` marks the node draining in the
// cluster and fails /readyz on both listeners, for good; the public
// listener does not take the request, nor does the metrics listener from
// another address than loopback.
func TestDrainCommand(t *testing.T) {
	s, _, _ := startServer(t)
	readyz := func(addr string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, _ := readyz(s.MetricsAddr()); code != http.StatusOK {
		t.Fatalf("before drain: /readyz %d", code)
	}
	// The public listener has no drain.
	resp, err := http.Post("http://"+s.HTTPAddr()+"/drain", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the public listener drained the node")
	}
	if s.members.Self().Draining {
		t.Fatal("draining before the drain command")
	}

	// Bad flags are refused before anything is asked.
	for _, args := range [][]string{{"-wait", "-1s"}, {"-timeout", "0s"}, {"extra"}} {
		if err := run(t.Context(), append([]string{"drain"}, args...), env(nil), io.Discard, io.Discard, nil); err == nil {
			t.Errorf("drain %v: no error", args)
		}
	}
	if err := run(t.Context(), []string{"drain", "-wait", "0s"}, env(map[string]string{"LORDGAME_METRICS_ADDR": "off"}), io.Discard, io.Discard, nil); err == nil ||
		!strings.Contains(err.Error(), "metrics listener is off") {
		t.Errorf("drain with the metrics listener off: %v", err)
	}

	var out bytes.Buffer
	if err := run(t.Context(), []string{"drain", "-wait", "0s"}, env(map[string]string{"LORDGAME_METRICS_ADDR": s.MetricsAddr()}), &out, io.Discard, nil); err != nil {
		t.Fatalf("drain: %v", err)
	}
	if strings.TrimSpace(out.String()) != "draining" {
		t.Errorf("drain printed %q", out.String())
	}
	for _, addr := range []string{s.MetricsAddr(), s.HTTPAddr()} {
		if code, body := readyz(addr); code != http.StatusServiceUnavailable || body != "not ready: draining" {
			t.Errorf("after drain: %s/readyz = %d %q, want 503 \"not ready: draining\"", addr, code, body)
		}
	}
	if !s.members.Self().Draining {
		t.Error("the node's cluster record is not draining")
	}
	// A second drain is harmless.
	if err := run(t.Context(), []string{"drain", "-wait", "0s", "-url", "http://" + s.MetricsAddr() + "/drain"}, env(nil), io.Discard, io.Discard, nil); err != nil {
		t.Errorf("second drain: %v", err)
	}
}
