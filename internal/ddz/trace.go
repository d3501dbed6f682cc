package ddz

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Spans of the table service (observe.Tracing; docs/ops.md, "Traces"):
//
//   - "ddz ACTION" (bid, play, autoplay, state …): a player's request
//     handed to their table, a child of the route's span;
//   - "ddz join": the checks of match.join before the queue;
//   - "ddz timeout": a timer's move on the room goroutine (a bot, auto-play,
//     a decision timer that ran out), the root of its own trace;
//   - "ddz log append": the records of one action written to the game log,
//     with "ddz log commit" under it on the log writer (the group commit:
//     the first table of a shared commit is its parent, the others are
//     links);
//   - "ddz create game", "ddz settle": the game record and the settlement.
//
// The table's pushes made meanwhile carry the same context (Room.SetContext,
// room.ContextPusher), so that the gateway's push spans join the trace.
//
// The store's spans of each write are children of these. With traces off
// every one of them costs one atomic load (or a nil check of
// table.tctx, which is only set while tracing).

func ddzTracer() trace.Tracer { return observe.Tracer("ddz") }

// tracedMsg carries a request's context onto the room goroutine (the room
// hands the game a message, not a context): table.Handle unwraps it.
type tracedMsg struct {
	ctx context.Context
	msg any
}

// actionName is the span name of a table request.
func actionName(msg any) string {
	switch msg.(type) {
	case *pb.DdzBidReq:
		return "ddz bid"
	case *pb.DdzPlayReq:
		return "ddz play"
	case *pb.DdzPassReq:
		return "ddz pass"
	case *pb.DdzDoubleReq:
		return "ddz double"
	case *pb.DdzShowReq:
		return "ddz show"
	case *pb.DdzAutoplayReq:
		return "ddz autoplay"
	case *pb.DdzHintReq:
		return "ddz hint"
	case *pb.DdzStateReq:
		return "ddz state"
	case *pb.DdzChatReq:
		return "ddz chat"
	case *pb.DdzLeaveReq:
		return "ddz leave"
	}
	return "ddz request"
}

// under is ctx (a context of the table's own, with its deadline) whose
// span is the one of parent: the spans started from it are parent's
// children. A nil parent leaves ctx as it is.
func under(ctx, parent context.Context) context.Context {
	if parent == nil {
		return ctx
	}
	return trace.ContextWithSpan(ctx, trace.SpanFromContext(parent))
}

// enter makes ctx the context of what the table does now: the parent of
// its spans and the context of its pushes (so that a player's push is in
// the trace of the request that caused it). exit clears it. Both run on
// the room goroutine, and only while tracing.
func (t *table) enter(r *room.Room, ctx context.Context) {
	t.tctx = ctx
	r.SetContext(ctx)
}

func (t *table) exit(r *room.Room) {
	t.tctx = nil
	r.SetContext(nil)
}

// pushUser pushes through the service's pusher with ctx when it takes
// one (room.ContextPusher) and traces are recorded.
func (s *Service) pushUser(ctx context.Context, uid int64, route string, msg proto.Message) error {
	if observe.Tracing() {
		if cp, ok := s.push.(room.ContextPusher); ok {
			return cp.PushUserContext(ctx, uid, route, msg)
		}
	}
	return s.push.PushUser(uid, route, msg)
}

// traceCtx is the context of what the table is doing now (tctx, set while
// tracing only), or a context without a span.
func (t *table) traceCtx() context.Context {
	if t.tctx != nil {
		return t.tctx
	}
	return context.Background()
}

// storeCtx is the service's store context, under the span of what the
// table is doing now (tctx, set while tracing only).
func (t *table) storeCtx() (context.Context, context.CancelFunc) {
	ctx, cancel := t.svc.storeCtx()
	return under(ctx, t.tctx), cancel
}

// span starts a child span of what the table is doing now, with the
// table's id; call it only while observe.Tracing().
func (t *table) span(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return ddzTracer().Start(ctx, name, trace.WithAttributes(append(attrs, attribute.Int64("lordgame.room_id", t.id))...))
}

// commitLinks is the parent of a log batch's commit span (the first
// traced request) and links to the other traced requests.
func commitLinks(batch []appendReq) (parent trace.SpanContext, links []trace.Link, traced bool) {
	for _, r := range batch {
		if !r.sc.IsValid() {
			continue
		}
		if !traced {
			parent, traced = r.sc, true
			continue
		}
		links = append(links, trace.Link{SpanContext: r.sc})
	}
	return parent, links, traced
}

// withSpanContext is ctx under the span sc (a job's or a batch's caller);
// an invalid sc leaves ctx as it is.
func withSpanContext(ctx context.Context, sc trace.SpanContext) context.Context {
	if !sc.IsValid() {
		return ctx
	}
	return trace.ContextWithSpanContext(ctx, sc)
}
