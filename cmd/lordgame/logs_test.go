package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLogFileAndAccessLog: with -log-file the server logs JSON lines to
// the file, one access line per HTTP request with the client address.
func TestLogFileAndAccessLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lordgame.log")
	s, _, _ := startServer(t, "-log-file", path, "-log-level", "info", "-log-max-size", "5")
	req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/gateways?x=secret", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var line map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for line == nil && time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		for _, l := range bytes.Split(b, []byte("\n")) {
			var m map[string]any
			if json.Unmarshal(l, &m) == nil && m["msg"] == "http request" && m["path"] == "/v1/gateways" {
				line = m
			}
		}
		if line == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if line == nil {
		b, _ := os.ReadFile(path)
		t.Fatalf("no access line for /v1/gateways in %s:\n%s", path, b)
	}
	if line["method"] != "GET" || line["status"] != float64(resp.StatusCode) || line["client"] != "127.0.0.1" || line["node"] == nil {
		t.Errorf("access line %v", line)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte(`"msg":"lordgame started"`)) {
		t.Errorf("the start line is not in the log file")
	}
	if bytes.Contains(b, []byte("secret")) {
		t.Errorf("the query string reached the log")
	}
}
