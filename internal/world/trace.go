package world

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/session"
)

// Spans of the world service (observe.Tracing; docs/ops.md, "Traces"):
// "world enter", "world leave" and "world chat", one per request of the
// native routes, a child of the route's span (on the node that runs the
// world), with the user (lordgame.user_id), the player
// (lordgame.world.player_id) and, for an enter, the zone that holds it
// (lordgame.world.zone). The store's spans of an enter (the player's
// display name, SetNames) are its children.
//
// world.move has no span of its own: at 10 moves a second per player its
// route's span ("route world.move") already covers the request, and the
// move is only checked and queued for the zone's tick. The tick itself
// (World.Run, the zones' step and settle, the updates sent to each player)
// is not traced: it is one loop for every player at once, measured by the
// world's metrics (Stats) instead. The Zinx demo listener's requests are
// not traced either (they come in no gateway route and carry no trace
// context).
//
// With traces off each route costs one atomic load.

func worldTracer() trace.Tracer { return observe.Tracer("world") }

// traced wraps the handler of a world route with its span.
func traced[Req, Resp any](name string, h func(context.Context, *session.Session, Req) (Resp, error)) func(context.Context, *session.Session, Req) (Resp, error) {
	return func(ctx context.Context, s *session.Session, req Req) (Resp, error) {
		if !observe.Tracing() {
			return h(ctx, s, req)
		}
		ctx, span := worldTracer().Start(ctx, name, trace.WithAttributes(attribute.Int64("lordgame.user_id", s.UserID())))
		defer span.End()
		resp, err := h(ctx, s, req)
		observe.SpanError(span, err)
		return resp, err
	}
}

// spanPlayer names player id of w on the span of the request of ctx (and
// the zone that holds it, when zone is set), while traces are recorded.
func spanPlayer(ctx context.Context, w *World, id int32, zone bool) {
	if !observe.Tracing() {
		return
	}
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.Int64("lordgame.world.player_id", int64(id)))
	if !zone {
		return
	}
	if i := w.zoneIndex(id); i >= 0 {
		span.SetAttributes(attribute.Int("lordgame.world.zone", i))
	}
}

// zoneIndex is the zone that holds player id (-1: none).
func (w *World) zoneIndex(id int32) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.players[id]; p != nil && p.zone != nil {
		return p.zone.idx
	}
	return -1
}
