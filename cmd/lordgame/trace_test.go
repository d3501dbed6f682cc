package main

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP trace receiver that keeps what it is sent.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs map[string]string // resource attributes seen
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			c.attrs[a.Key] = a.GetValue().GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// TestTracesExported: with -otlp-endpoint, an HTTP request that arrives
// with a W3C traceparent continues that trace through the handler into
// the store, and the spans reach the collector over OTLP/HTTP by the time
// the server has stopped; with the access log off as well as on (the
// request span is not the access log's).
func TestTracesExported(t *testing.T) {
	for _, access := range []string{"true", "false"} {
		t.Run("log-access="+access, func(t *testing.T) { testTracesExported(t, "-log-access="+access) })
	}
}

func testTracesExported(t *testing.T, extra ...string) {
	col := &collector{attrs: map[string]string{}}
	hs := httptest.NewServer(col)
	defer hs.Close()
	s, cancel, done := startServer(t, append([]string{"-otlp-endpoint", strings.TrimPrefix(hs.URL, "http://")}, extra...)...)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr()+"/v1/auth/guest", bytes.NewBufferString(`{"device_id":"trace-device-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("guest login: %d", resp.StatusCode)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	var httpSpan, storeSpans int
	var names []string
	for _, sp := range col.spans {
		names = append(names, sp.Name)
		if hex.EncodeToString(sp.TraceId) != traceID {
			continue
		}
		switch {
		case strings.HasPrefix(sp.Name, "HTTP "):
			httpSpan++
			if hex.EncodeToString(sp.ParentSpanId) != "00f067aa0ba902b7" {
				t.Errorf("HTTP span's parent %x, want the caller's", sp.ParentSpanId)
			}
		case strings.HasPrefix(sp.Name, "INSERT ") || strings.HasPrefix(sp.Name, "SELECT ") || sp.Name == "transaction":
			storeSpans++
		}
	}
	if httpSpan != 1 || storeSpans == 0 {
		t.Errorf("in trace %s: %d HTTP spans, %d store spans; all spans: %v", traceID, httpSpan, storeSpans, names)
	}
	if col.attrs["service.name"] != "lordgame" || col.attrs["service.instance.id"] == "" {
		t.Errorf("resource attributes %v", col.attrs)
	}
}
