package admin

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
)

// Spans of the admin API (observe.Tracing; docs/ops.md, "Traces"): one per
// action an admin takes, "admin NAME", NAME being the action as the audit
// log names it (player.ban, player.unban, player.kick, player.coins,
// table.cancel, announce, maintenance.set, maintenance.clear, node.drain,
// keys.rotate), a child of the request's HTTP span, started once the
// token is checked. It carries the actor (lordgame.user_id,
// lordgame.admin.role), the permission the action needs
// (lordgame.admin.permission) and the target (lordgame.admin.target:
// "player:42", "table:7", "node:game-1", "everyone", "maintenance",
// "signing_key"); a refused or failed action records its error and
// lordgame.code. The store's spans of the action (the change itself and
// its audit entry) are its children. Reads (View) have none: their HTTP
// span is enough.
//
// An admin call that another node runs (a table's cancel, a drain, the
// tables and stats the console gathers) is a client span "admin call OP"
// whose context travels in the NATS request's headers, and a server span
// "admin node OP" on the node that runs it.
//
// Call the Start functions only while observe.Tracing(); the others do
// nothing (one atomic load) while traces are off.

func tracer() trace.Tracer { return observe.Tracer("admin") }

// spanKey marks the context of an action's span, for SetTarget and Failed.
type spanKey struct{}

// Attribute keys of the admin spans.
const (
	attrTarget = "lordgame.admin.target"
	attrNode   = "lordgame.node"
)

// StartSpan starts the span of action name (the audit log's name) taken by
// actor, whose console role is role; act is the permission it needs and
// target what it acts on ("" when not known yet: SetTarget).
func StartSpan(ctx context.Context, name string, act Action, actor int64, role, target string) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{attribute.Int64("lordgame.user_id", actor), attribute.String("lordgame.admin.role", role),
		attribute.String("lordgame.admin.permission", string(act))}
	if target != "" {
		attrs = append(attrs, attribute.String(attrTarget, target))
	}
	ctx, span := tracer().Start(ctx, "admin "+name, trace.WithAttributes(attrs...))
	return context.WithValue(ctx, spanKey{}, span), span
}

// PathTarget is the target an action's path names: "KIND:ID" for an
// action "KIND.VERB" on a path with an {id} ("player:42" for player.ban on
// /v1/admin/players/42/ban), "" otherwise.
func PathTarget(name string, r *http.Request) string {
	id := r.PathValue("id")
	kind, _, ok := strings.Cut(name, ".")
	if id == "" || !ok {
		return ""
	}
	return kind + ":" + id
}

// SetTarget names the target of the action whose span ctx carries (the
// audit entry's target, or one the request named in its body).
func SetTarget(ctx context.Context, target string) {
	if !observe.Tracing() {
		return
	}
	if span, ok := ctx.Value(spanKey{}).(trace.Span); ok {
		span.SetAttributes(attribute.String(attrTarget, target))
	}
}

// Failed records err on the span of the action ctx carries (nil: none).
func Failed(ctx context.Context, err error) {
	if err == nil || !observe.Tracing() {
		return
	}
	if span, ok := ctx.Value(spanKey{}).(trace.Span); ok {
		span.SetAttributes(attribute.String("lordgame.code", string(status.CodeOf(err))))
		observe.SpanError(span, err)
	}
}

// StartCall starts the client span of admin call op to node and writes its
// context into h, the request's headers; ok is false (no span, h as it
// was) when ctx is in no trace.
func StartCall(ctx context.Context, op, node string, h http.Header) (_ context.Context, _ trace.Span, ok bool) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, nil, false
	}
	ctx, span := tracer().Start(ctx, "admin call "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String(attrNode, node)))
	observe.Propagator.Inject(ctx, propagation.HeaderCarrier(h))
	return ctx, span, true
}

// StartServe starts the server span of admin call op on this node, node,
// under the trace context h carries; ok is false (no span) when it
// carries none.
func StartServe(ctx context.Context, op, node string, h http.Header) (_ context.Context, _ trace.Span, ok bool) {
	ctx = observe.Propagator.Extract(ctx, propagation.HeaderCarrier(h))
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, nil, false
	}
	ctx, span := tracer().Start(ctx, "admin node "+op, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String(attrNode, node)))
	return ctx, span, true
}
