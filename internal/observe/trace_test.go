package observe

import (
	"bytes"
	"context"
	"encoding/json"
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
