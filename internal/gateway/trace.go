package gateway

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
)

// Spans of the realtime path (observe.Tracing): one per request on the
// node that runs its handler chain ("route NAME"), a client span per
// forwarded try ("forward NAME"), whose context the serving node takes
// from the message headers so that its own route span is a child of it.
// A push made with a traced context (PushUsersContext …) that goes to
// other gateways is a producer span ("push ROUTE") whose context travels
// in the push's headers too; the gateway that delivers it opens a
// consumer span under it ("deliver ROUTE"). Pushes without a trace
// context carry none and open no span.

func gwTracer() trace.Tracer { return observe.Tracer("gateway") }

// traced wraps a route's handler chain with its span.
func traced(rt *Route, next HandlerFunc) HandlerFunc {
	name := "route " + rt.Name
	return func(ctx context.Context, c *Call) (proto.Message, error) {
		if !observe.Tracing() {
			return next(ctx, c)
		}
		ctx, span := gwTracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("rpc.system", "lordgame"),
				attribute.String("rpc.method", rt.Name),
				attribute.Int64("lordgame.user_id", c.Session.UserID()),
				attribute.String("lordgame.session_id", c.Session.ID()),
			))
		defer span.End()
		resp, err := next(ctx, c)
		if err != nil {
			span.SetAttributes(attribute.String("lordgame.code", string(status.CodeOf(err))))
			observe.SpanError(span, err)
		}
		return resp, err
	}
}

// forwardSpan starts the client span of one forwarded try to node and
// writes its context into h.
func forwardSpan(ctx context.Context, rt *Route, node string, h cluster.Header) (context.Context, trace.Span) {
	ctx, span := gwTracer().Start(ctx, "forward "+rt.Name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("rpc.method", rt.Name), attribute.String("lordgame.node", node)))
	observe.Propagator.Inject(ctx, propagation.HeaderCarrier(http.Header(h)))
	return ctx, span
}

// remoteParent is ctx with the trace context a forwarded call carried.
func remoteParent(ctx context.Context, h cluster.Header) context.Context {
	return observe.Propagator.Extract(ctx, propagation.HeaderCarrier(http.Header(h)))
}

// hasSpan reports whether ctx carries a span to continue.
func hasSpan(ctx context.Context) bool { return trace.SpanContextFromContext(ctx).IsValid() }

// pushSpan starts the producer span of a push that goes to other
// gateways ("push ROUTE"): nodes is how many NATS messages carry it
// (0: the broadcast subject), users how many users it is for.
func pushSpan(ctx context.Context, route string, nodes, users int) (context.Context, trace.Span) {
	return gwTracer().Start(ctx, "push "+route, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("rpc.method", route), attribute.Int("lordgame.gateways", nodes), attribute.Int("lordgame.users", users)))
}

// injectTrace writes ctx's trace context into the headers of a push.
func injectTrace(ctx context.Context, h cluster.Header) {
	observe.Propagator.Inject(ctx, propagation.HeaderCarrier(http.Header(h)))
}

// deliverSpan starts the consumer span of a push that arrived from another
// node with a trace context ("deliver ROUTE", a remote child of its push
// span); pushes without one open none.
func deliverSpan(ctx context.Context, msg *cluster.Msg) (trace.Span, bool) {
	if msg.Header.Get(hdrOp) == opKick {
		return nil, false
	}
	ctx = remoteParent(ctx, msg.Header)
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil, false
	}
	route := msg.Header.Get(hdrRoute)
	_, span := gwTracer().Start(ctx, "deliver "+route, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("rpc.method", route)))
	return span, true
}
