package store

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
)

// tracedBackend opens a span per statement and per transaction when traces
// are recorded (observe.Tracing); otherwise it is the backend itself plus
// one atomic load per call.
type tracedBackend struct{ backend }

// unwrap is the backend under any tracing wrapper.
func unwrap(b backend) backend {
	if t, ok := b.(tracedBackend); ok {
		return t.backend
	}
	return b
}

func storeTracer() trace.Tracer { return observe.Tracer("store") }

// stmtSpan starts the span of one statement: named by its verb and first
// table ("SELECT accounts"), the statement itself as db.query.text (it
// holds placeholders, never values).
func stmtSpan(ctx context.Context, dialect, q string) (context.Context, trace.Span) {
	return storeTracer().Start(ctx, stmtName(q), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", dbSystem(dialect)), attribute.String("db.query.text", q)))
}

func dbSystem(dialect string) string {
	if dialect == "postgres" {
		return "postgresql"
	}
	return dialect
}

// stmtName is the verb of q and the table it names first.
func stmtName(q string) string {
	f := strings.Fields(q)
	if len(f) == 0 {
		return "sql"
	}
	verb := strings.ToUpper(f[0])
	for i := 1; i < len(f)-1; i++ {
		switch strings.ToUpper(f[i]) {
		case "FROM", "INTO", "UPDATE", "JOIN":
			return verb + " " + strings.Trim(f[i+1], "(),;\"")
		}
	}
	if verb == "UPDATE" && len(f) > 1 {
		return verb + " " + f[1]
	}
	return verb
}

// Every error a backend returns passes classify here, the one place
// where an outage becomes ErrUnavailable.

func (t tracedBackend) exec(ctx context.Context, q string, args ...any) (int64, error) {
	if !observe.Tracing() {
		n, err := t.backend.exec(ctx, q, args...)
		return n, classify(err)
	}
	n, err := tracedExec(ctx, t.backend, t.dialect(), q, args)
	return n, classify(err)
}

func (t tracedBackend) queryRow(ctx context.Context, q string, args ...any) row {
	if !observe.Tracing() {
		return classifiedRow{t.backend.queryRow(ctx, q, args...)}
	}
	return classifiedRow{tracedQueryRow(ctx, t.backend, t.dialect(), q, args)}
}

func (t tracedBackend) query(ctx context.Context, q string, args ...any) (rows, error) {
	var (
		rs  rows
		err error
	)
	if !observe.Tracing() {
		rs, err = t.backend.query(ctx, q, args...)
	} else {
		rs, err = tracedQuery(ctx, t.backend, t.dialect(), q, args)
	}
	if err != nil {
		return nil, classify(err)
	}
	return classifiedRows{rs}, nil
}

func (t tracedBackend) tx(ctx context.Context, fn func(q querier) error) error {
	if !observe.Tracing() {
		return classify(t.backend.tx(ctx, fn))
	}
	ctx, span := storeTracer().Start(ctx, "transaction", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", dbSystem(t.dialect()))))
	defer span.End()
	err := t.backend.tx(ctx, func(q querier) error { return fn(tracedQuerier{q, t.dialect(), span}) })
	observe.SpanError(span, err)
	return classify(err)
}

// classifiedRow and classifiedRows pass their errors through classify.
type classifiedRow struct{ r row }

func (r classifiedRow) Scan(dest ...any) error { return classify(r.r.Scan(dest...)) }

type classifiedRows struct{ rows }

func (r classifiedRows) Scan(dest ...any) error { return classify(r.rows.Scan(dest...)) }
func (r classifiedRows) Err() error             { return classify(r.rows.Err()) }

// tracedQuerier traces the statements of a transaction, as children of
// its span (the statements get the caller's context, not the
// transaction's).
type tracedQuerier struct {
	q       querier
	dialect string
	tx      trace.Span
}

func (t tracedQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	return tracedExec(trace.ContextWithSpan(ctx, t.tx), t.q, t.dialect, q, args)
}

func (t tracedQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return tracedQueryRow(trace.ContextWithSpan(ctx, t.tx), t.q, t.dialect, q, args)
}

func (t tracedQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	return tracedQuery(trace.ContextWithSpan(ctx, t.tx), t.q, t.dialect, q, args)
}

func tracedExec(ctx context.Context, on querier, dialect, q string, args []any) (int64, error) {
	ctx, span := stmtSpan(ctx, dialect, q)
	defer span.End()
	n, err := on.exec(ctx, q, args...)
	observe.SpanError(span, err)
	return n, err
}

func tracedQueryRow(ctx context.Context, on querier, dialect, q string, args []any) row {
	ctx, span := stmtSpan(ctx, dialect, q)
	return tracedRow{on.queryRow(ctx, q, args...), span}
}

func tracedQuery(ctx context.Context, on querier, dialect, q string, args []any) (rows, error) {
	ctx, span := stmtSpan(ctx, dialect, q)
	rs, err := on.query(ctx, q, args...)
	if err != nil {
		observe.SpanError(span, err)
		span.End()
		return nil, err
	}
	return &tracedRows{rows: rs, span: span}, nil
}

// tracedRow ends its span at Scan, where pgx runs the query.
type tracedRow struct {
	r    row
	span trace.Span
}

func (r tracedRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if err != nil && !isNoRows(err) {
		observe.SpanError(r.span, err)
	}
	r.span.End()
	return err
}

// tracedRows ends its span at Close.
type tracedRows struct {
	rows
	span trace.Span
}

func (r *tracedRows) Close() {
	r.rows.Close()
	observe.SpanError(r.span, r.rows.Err())
	r.span.End()
}
