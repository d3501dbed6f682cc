package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestTraceAcrossNATS: a call forwarded to another node is one trace: the
// caller's span, the forwarding client span, and the serving node's route
// span, linked through the NATS message headers.
func TestTraceAcrossNATS(t *testing.T) {
	exp := memTracer(t)
	_, edge := meshPair(t)

	ctx, parent := observe.Tracer("test").Start(context.Background(), "client action")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var resp pb.Echo
	if err := edge.Call(ctx, "sys.echo", 42, &pb.Echo{Data: []byte("hi")}, &resp); err != nil {
		t.Fatal(err)
	}
	parent.End()

	spans := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		spans[s.Name] = s
	}
	fwd, ok := spans["forward sys.echo"]
	if !ok {
		t.Fatalf("no forward span in %v", names(exp.GetSpans()))
	}
	route, ok := spans["route sys.echo"]
	if !ok {
		t.Fatalf("no route span on the serving node in %v", names(exp.GetSpans()))
	}
	pc := parent.SpanContext()
	if fwd.SpanContext.TraceID() != pc.TraceID() || route.SpanContext.TraceID() != pc.TraceID() {
		t.Errorf("spans in different traces: parent %s forward %s route %s", pc.TraceID(), fwd.SpanContext.TraceID(), route.SpanContext.TraceID())
	}
	if fwd.Parent.SpanID() != pc.SpanID() {
		t.Errorf("forward span's parent %s, want the caller's %s", fwd.Parent.SpanID(), pc.SpanID())
	}
	if route.Parent.SpanID() != fwd.SpanContext.SpanID() || !route.Parent.IsRemote() {
		t.Errorf("route span's parent %s (remote %v), want the forward span %s across NATS", route.Parent.SpanID(), route.Parent.IsRemote(), fwd.SpanContext.SpanID())
	}
	if fwd.SpanKind != trace.SpanKindClient || route.SpanKind != trace.SpanKindServer {
		t.Errorf("kinds: forward %v route %v", fwd.SpanKind, route.SpanKind)
	}
	var uid int64
	for _, a := range route.Attributes {
		if a.Key == "lordgame.user_id" {
			uid = a.Value.AsInt64()
		}
	}
	if uid != 42 {
		t.Errorf("route span user id %d, want 42 (from the forwarded headers)", uid)
	}
}

// TestRealtimeLogLinesCarryTraceIDs: the error lines of a realtime request
// (an internal error, a panic) carry the trace and span ids of its route
// span, so that a log line leads to its trace.
func TestRealtimeLogLinesCarryTraceIDs(t *testing.T) {
	exp := memTracer(t)
	var buf lockedBuffer
	log := observe.NewLogger(&buf, observe.LogConfig{Format: "json", Level: "info"})
	ts := startLogged(t, nil, func(r *gateway.Router) {
		gateway.Handle(r, "test.fail", 56, func(context.Context, *session.Session, *pb.PingReq) (*pb.PingResp, error) {
			return nil, errors.New("the disk is on fire")
		}, gateway.Public())
	}, log)
	c := dial(t, ts.tcp, client.Options{})
	for _, route := range []string{"test.fail", "test.panic"} {
		if err := c.Request(t.Context(), route, &pb.PingReq{}, &pb.PingResp{}); err == nil {
			t.Fatalf("%s answered without an error", route)
		}
	}
	spans := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		spans[s.Name] = s
	}
	want := map[string]string{"request failed": "route test.fail", "handler panic": "route test.panic"}
	dec := json.NewDecoder(strings.NewReader(buf.String()))
	seen := 0
	for dec.More() {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		span, ok := want[fmt.Sprint(line["msg"])]
		if !ok {
			continue
		}
		seen++
		sc := spans[span].SpanContext
		if !sc.IsValid() {
			t.Fatalf("no span %q in %v", span, names(exp.GetSpans()))
		}
		if line["trace_id"] != sc.TraceID().String() || line["span_id"] != sc.SpanID().String() {
			t.Errorf("%q line %v: want trace_id %s span_id %s of %q", line["msg"], line, sc.TraceID(), sc.SpanID(), span)
		}
	}
	if seen != 2 {
		t.Fatalf("%d of the 2 error lines logged:\n%s", seen, buf.String())
	}
}

// lockedBuffer is a bytes.Buffer that the server's goroutines write and
// the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// memTracer records the spans of the test in memory.
func memTracer(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })
	return exp
}

func names(ss tracetest.SpanStubs) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// TestBroadcastTrace: a broadcast made with a traced context is a producer
// span whose context travels in the message headers: every gateway that
// delivers it opens a consumer span under it. One made without opens
// none.
func TestBroadcastTrace(t *testing.T) {
	exp := memTracer(t)
	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	news := func(r *gateway.Router) { r.PushRoute("test.news", 9950) }
	game, _, _ := meshNodeWith(t, bus, cluster.RoleGame, []string{"sys"}, news)
	edge, _, _ := meshNodeWith(t, bus, cluster.RoleGateway, nil, news)
	for _, m := range []*gateway.Mesh{game, edge} {
		select {
		case <-m.Serving():
		case <-time.After(5 * time.Second):
			t.Fatal("mesh not serving")
		}
	}

	if err := game.Broadcast("test.news", &pb.Echo{Data: []byte("untraced")}); err != nil {
		t.Fatal(err)
	}
	ctx, parent := observe.Tracer("test").Start(context.Background(), "announce")
	if err := game.BroadcastContext(ctx, "test.news", &pb.Echo{Data: []byte("traced")}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	var push tracetest.SpanStub
	var delivers []tracetest.SpanStub
	deadline := time.Now().Add(3 * time.Second)
	for len(delivers) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		delivers = delivers[:0]
		for _, s := range exp.GetSpans() {
			switch s.Name {
			case "push test.news":
				push = s
			case "deliver test.news":
				delivers = append(delivers, s)
			}
		}
	}
	time.Sleep(50 * time.Millisecond) // an untraced delivery would show by now
	if push.Parent.SpanID() != parent.SpanContext().SpanID() || push.SpanKind != trace.SpanKindProducer {
		t.Fatalf("push span %q parent %s kind %v; spans %v", push.Name, push.Parent.SpanID(), push.SpanKind, names(exp.GetSpans()))
	}
	n := 0
	for _, s := range exp.GetSpans() {
		if s.Name != "deliver test.news" {
			continue
		}
		n++
		if s.Parent.SpanID() != push.SpanContext.SpanID() || !s.Parent.IsRemote() || s.SpanKind != trace.SpanKindConsumer {
			t.Errorf("deliver span parent %s (remote %v) kind %v, want a consumer under the push %s", s.Parent.SpanID(), s.Parent.IsRemote(), s.SpanKind, push.SpanContext.SpanID())
		}
	}
	if n != 2 {
		t.Errorf("%d deliver spans, want 2 (one per node, none for the untraced broadcast): %v", n, names(exp.GetSpans()))
	}
}
