package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
)

// TestActionSpans: an action's span carries its actor and target
// (PathTarget from the path, SetTarget later), Failed marks it with the
// error's code, and neither touches a span that is not an action's. An
// admin call to another node is a client span whose context its headers
// carry, and the serving node's span is its remote child; headers without
// a context open none.
func TestActionSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })

	root, http0 := observe.Tracer("test").Start(context.Background(), "HTTP POST")
	r := httptest.NewRequest(http.MethodPost, "/v1/admin/tables/7/cancel", nil)
	r.SetPathValue("id", "7")
	if got := PathTarget("table.cancel", r); got != "table:7" {
		t.Errorf("PathTarget = %q, want table:7", got)
	}
	if got := PathTarget("announce", r); got != "" {
		t.Errorf("PathTarget of an action without a kind = %q, want none", got)
	}
	Failed(root, errors.New("not an action")) // the HTTP span is left alone
	ctx, span := StartSpan(root, "table.cancel", CancelTable, 42, RoleOperator, PathTarget("table.cancel", r))
	SetTarget(ctx, "table:8")
	Failed(ctx, status.New(status.NotFound, "no such table"))

	h := http.Header{}
	_, call, ok := StartCall(ctx, "cancel", "game-1", h)
	if !ok || h.Get("Traceparent") == "" {
		t.Fatalf("StartCall ok %v, headers %v: want a traceparent", ok, h)
	}
	_, serve, ok := StartServe(context.Background(), "cancel", "game-1", h)
	if !ok {
		t.Fatal("StartServe found no context in the headers")
	}
	serve.End()
	call.End()
	if _, _, ok := StartServe(context.Background(), "tables", "game-1", http.Header{}); ok {
		t.Error("StartServe opened a span without a trace context")
	}
	if _, _, ok := StartCall(context.Background(), "tables", "game-1", http.Header{}); ok {
		t.Error("StartCall opened a span outside any trace")
	}
	span.End()
	http0.End()

	spans := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		spans[s.Name] = s
	}
	act, httpSpan := spans["admin table.cancel"], spans["HTTP POST"]
	if act.Parent.SpanID() != httpSpan.SpanContext.SpanID() {
		t.Errorf("action's parent %s, want the HTTP span %s", act.Parent.SpanID(), httpSpan.SpanContext.SpanID())
	}
	want := map[string]string{"lordgame.user_id": "42", "lordgame.admin.role": "operator", "lordgame.admin.permission": "table.cancel",
		"lordgame.admin.target": "table:8", "lordgame.code": "not_found"}
	for k, v := range want {
		found := false
		for _, a := range act.Attributes {
			if string(a.Key) == k {
				found = true
				if a.Value.Emit() != v { // the last value set wins
					t.Errorf("%s = %q, want %q", k, a.Value.Emit(), v)
				}
			}
		}
		if !found {
			t.Errorf("action span has no %s: %v", k, act.Attributes)
		}
	}
	if act.Status.Code != codes.Error || httpSpan.Status.Code == codes.Error {
		t.Errorf("statuses: action %v (want error), HTTP %v (want unset)", act.Status, httpSpan.Status)
	}
	c, s := spans["admin call cancel"], spans["admin node cancel"]
	if c.Parent.SpanID() != act.SpanContext.SpanID() || c.SpanKind != trace.SpanKindClient {
		t.Errorf("call span parent %s kind %v, want a client span under the action", c.Parent.SpanID(), c.SpanKind)
	}
	if s.Parent.SpanID() != c.SpanContext.SpanID() || !s.Parent.IsRemote() || s.SpanKind != trace.SpanKindServer {
		t.Errorf("serving span parent %s (remote %v) kind %v, want a server span under the call", s.Parent.SpanID(), s.Parent.IsRemote(), s.SpanKind)
	}
	if len(exp.GetSpans()) != 4 {
		t.Errorf("%d spans, want 4 (HTTP, action, call, node)", len(exp.GetSpans()))
	}
}
