package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestLogLinesCarryTraceIDs: a line logged with the context of a span has
// its trace and span ids; one logged without has neither.
func TestLogLinesCarryTraceIDs(t *testing.T) {
	stop := InstallTracer(sdktrace.NewSimpleSpanProcessor(tracetest.NewInMemoryExporter()), 1, "n1", "dev")
	defer func() { _ = stop(context.Background()) }()
	var buf bytes.Buffer
	log := NewLogger(&buf, LogConfig{Format: "json", Level: "info"}).With("node", "n1")
	ctx, span := Tracer("test").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.Info("outside")

	dec := json.NewDecoder(&buf)
	var in, out map[string]any
	if err := dec.Decode(&in); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["node"] != "n1" {
		t.Errorf("line in a span: %v, want trace_id %s span_id %s", in, sc.TraceID(), sc.SpanID())
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("line outside a span has a trace id: %v", out)
	}
}

func TestTraceConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		c  TraceConfig
		ok bool
	}{
		{TraceConfig{Sample: 1}, true},
		{TraceConfig{Endpoint: "otel:4318", Sample: 0.5}, true},
		{TraceConfig{Endpoint: "https://otel.example.com/v1/traces", Sample: 1}, true},
		{TraceConfig{Endpoint: "otel", Sample: 1}, false},
		{TraceConfig{Endpoint: "ftp://otel:21", Sample: 1}, false},
		{TraceConfig{Endpoint: "otel:4318", Sample: 1.5}, false},
		{TraceConfig{Sample: -0.1}, false},
	} {
		if err := tc.c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: err %v, want ok %v", tc.c, err, tc.ok)
		}
	}
}

// TestTraceHTTP: the request span is TraceHTTP's, not the access log's:
// alone it continues the caller's trace and is named by the route's
// pattern; with the access log inside it, the log line carries its ids;
// with traces off it records nothing.
func TestTraceHTTP(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "n1", "dev")
	defer func() { _ = stop(context.Background()) }()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	do := func(h http.Handler) {
		req := httptest.NewRequest(http.MethodGet, "/v1/things/7", nil)
		req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	do(TraceHTTP(mux)) // no access log
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans without the access log, want 1", len(spans))
	}
	sp := spans[0]
	if sp.Name != "HTTP GET /v1/things/{id}" || sp.SpanContext.TraceID().String() != traceID || sp.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span %q trace %s parent %s", sp.Name, sp.SpanContext.TraceID(), sp.Parent.SpanID())
	}
	var status int64
	for _, a := range sp.Attributes {
		if a.Key == "http.response.status_code" {
			status = a.Value.AsInt64()
		}
	}
	if status != http.StatusTeapot {
		t.Errorf("status attribute %d, want 418", status)
	}

	exp.Reset()
	var buf bytes.Buffer
	log := NewLogger(&buf, LogConfig{Format: "json", Level: "info"})
	do(TraceHTTP(AccessLog(log, func(*http.Request) string { return "peer" }, nil, mux)))
	spans = exp.GetSpans()
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("access log %q: %v", buf.String(), err)
	}
	if len(spans) != 1 || line["trace_id"] != traceID || line["span_id"] != spans[0].SpanContext.SpanID().String() {
		t.Errorf("with the access log: %d spans, line %v", len(spans), line)
	}

	exp.Reset()
	_ = stop(context.Background())
	do(TraceHTTP(mux))
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("traces off: %d spans", n)
	}
}
