package observe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestAccessLog(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/created", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	})
	mux.HandleFunc("/implicit", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "abc") })
	mux.HandleFunc("/empty", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/boom", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusBadGateway) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	tests := []struct {
		path     string
		level    slog.Level // logger level
		status   float64
		bytes    float64
		logLevel string // "" when nothing is logged
	}{
		{"/created?token=secret", slog.LevelInfo, 201, 5, "INFO"},
		{"/implicit", slog.LevelInfo, 200, 3, "INFO"},
		{"/empty", slog.LevelInfo, 200, 0, "INFO"},
		{"/missing", slog.LevelInfo, 404, 19, "INFO"},
		{"/boom", slog.LevelWarn, 502, 3, "WARN"},
		{"/healthz", slog.LevelInfo, 200, 2, ""},
		{"/healthz", slog.LevelDebug, 200, 2, "DEBUG"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
		h := AccessLog(log, func(*http.Request) string { return "203.0.113.9" }, map[string]bool{"/healthz": true}, mux)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", tt.path, nil))
		lines := decodeLines(t, buf.Bytes())
		if tt.logLevel == "" {
			if len(lines) != 0 {
				t.Errorf("%s: logged %v, want nothing at level %v", tt.path, lines, tt.level)
			}
			continue
		}
		if len(lines) != 1 {
			t.Fatalf("%s: %d lines: %s", tt.path, len(lines), buf.String())
		}
		l := lines[0]
		path, _, _ := strings.Cut(tt.path, "?")
		if l["msg"] != "http request" || l["level"] != tt.logLevel || l["method"] != "POST" || l["path"] != path ||
			l["status"] != tt.status || l["bytes"] != tt.bytes || l["client"] != "203.0.113.9" {
			t.Errorf("%s: line %v", tt.path, l)
		}
		if d, ok := l["duration"].(float64); !ok || d <= 0 {
			t.Errorf("%s: duration %v", tt.path, l["duration"])
		}
		if strings.Contains(buf.String(), "secret") {
			t.Errorf("the query reached the log: %s", buf.String())
		}
		if rec.Code != int(tt.status) {
			t.Errorf("%s: response %d", tt.path, rec.Code)
		}
	}
}

// TestAccessLogHijack: a hijacked connection logs the status the new
// owner writes on it, 101 for an upgrade and the refusal otherwise.
func TestAccessLogHijack(t *testing.T) {
	for _, tt := range []struct {
		reply  string
		status float64
	}{
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 101},
		{"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 400},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&buf, nil))
		done := make(chan struct{})
		h := AccessLog(log, func(r *http.Request) string { return r.RemoteAddr }, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			// Written in two pieces, to split the status line.
			_, _ = rw.WriteString(tt.reply[:5])
			_ = rw.Flush()
			_, _ = rw.WriteString(tt.reply[5:])
			_ = rw.Flush()
		}))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			close(done)
		}))
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if float64(resp.StatusCode) != tt.status {
			t.Errorf("client saw %d", resp.StatusCode)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("handler did not return")
		}
		conn.Close()
		srv.Close()
		lines := decodeLines(t, buf.Bytes())
		if len(lines) != 1 || lines[0]["status"] != tt.status || lines[0]["bytes"] != float64(len(tt.reply)) {
			t.Errorf("log %s, want status %v and %d bytes", buf.String(), tt.status, len(tt.reply))
		}
	}
}
