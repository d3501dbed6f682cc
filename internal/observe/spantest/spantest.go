// Package spantest reads traces out of the OpenTelemetry SDK's in-memory
// exporter for tests: wait for a trace by its root span, find a span by
// name under its parent, follow a span's ancestry, print the trace.
package spantest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Trace is one trace of an in-memory exporter: its spans and its root.
type Trace struct {
	T     testing.TB
	Spans tracetest.SpanStubs
	Root  tracetest.SpanStub
}

// Wait waits up to 3 s for a root span (one without a parent) for which
// isRoot holds (a route's or a request's span ends just after its answer
// went out) and returns its trace.
func Wait(t testing.TB, exp *tracetest.InMemoryExporter, what string, isRoot func(tracetest.SpanStub) bool) *Trace {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		for _, s := range exp.GetSpans() {
			if s.Parent.IsValid() || !isRoot(s) {
				continue
			}
			tr := &Trace{T: t, Root: s}
			for _, o := range exp.GetSpans() {
				if o.SpanContext.TraceID() == s.SpanContext.TraceID() {
					tr.Spans = append(tr.Spans, o)
				}
			}
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no root span %s: %s", what, (&Trace{Spans: exp.GetSpans()}).Tree())
		}
	}
}

// WaitRoot is Wait for the root span named name.
func WaitRoot(t testing.TB, exp *tracetest.InMemoryExporter, name string) *Trace {
	t.Helper()
	return Wait(t, exp, fmt.Sprintf("%q", name), func(s tracetest.SpanStub) bool { return s.Name == name })
}

// Child is the span named name whose parent is parent; the test fails
// without one.
func (tr *Trace) Child(parent tracetest.SpanStub, name string) tracetest.SpanStub {
	tr.T.Helper()
	for _, s := range tr.Spans {
		if s.Name == name && s.Parent.SpanID() == parent.SpanContext.SpanID() {
			return s
		}
	}
	tr.T.Fatalf("no span %q under %q: %s", name, parent.Name, tr.Tree())
	return tracetest.SpanStub{}
}

// Under reports whether s descends from parent.
func (tr *Trace) Under(s, parent tracetest.SpanStub) bool {
	for range len(tr.Spans) {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() {
			return true
		}
		found := false
		for _, p := range tr.Spans {
			if p.SpanContext.SpanID() == s.Parent.SpanID() {
				s, found = p, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return false
}

// Tree lists the trace's spans with their parents, for failure messages.
func (tr *Trace) Tree() string {
	var b strings.Builder
	for _, s := range tr.Spans {
		fmt.Fprintf(&b, "\n  %s %s (parent %s, trace %s)", s.SpanContext.SpanID(), s.Name, s.Parent.SpanID(), s.SpanContext.TraceID())
	}
	return b.String()
}

// Attr is the attribute key of kvs.
func Attr(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, a := range kvs {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}
