package store_test

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/store"
)

// TestStoreSpans: with tracing on, each statement and transaction is a
// child span of the caller's, named by verb and table, with the engine
// and the statement text (placeholders, never values).
func TestStoreSpans(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		exp := tracetest.NewInMemoryExporter()
		stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
		defer func() { _ = stop(context.Background()) }()

		ctx, parent := observe.Tracer("test").Start(t.Context(), "service call")
		a, err := db.CreateAccount(ctx, store.NewAccount{ID: newID(), Username: "tracy", DisplayName: "tracy", PasswordHash: "secret-hash", InitialCoins: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Account(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		parent.End()

		var sawSelect, sawTx bool
		var tx trace.SpanID
		for _, s := range exp.GetSpans() {
			if s.Name == "transaction" {
				tx = s.SpanContext.SpanID()
			}
		}
		inTx := 0
		for _, s := range exp.GetSpans() {
			if s.Parent.SpanID() == tx {
				inTx++
			}
			if s.Name == "service call" {
				continue
			}
			if s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
				t.Errorf("span %q is not in the caller's trace", s.Name)
			}
			sys := ""
			for _, a := range s.Attributes {
				switch a.Key {
				case "db.system.name":
					sys = a.Value.AsString()
				case "db.query.text":
					if v := a.Value.AsString(); strings.Contains(v, "secret-hash") || strings.Contains(v, "tracy") {
						t.Errorf("span %q carries a value: %s", s.Name, v)
					}
				}
			}
			want := map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[db.Dialect()]
			if sys != want {
				t.Errorf("span %q db.system.name %q, want %q", s.Name, sys, want)
			}
			sawTx = sawTx || s.Name == "transaction"
			sawSelect = sawSelect || s.Name == "SELECT accounts"
		}
		if inTx == 0 {
			t.Errorf("no statement span under the transaction's: %v", spanNames(exp.GetSpans()))
		}
		if !sawSelect || !sawTx {
			t.Errorf("spans %v: want a transaction and SELECT accounts", spanNames(exp.GetSpans()))
		}
	})
}

func spanNames(ss tracetest.SpanStubs) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}
