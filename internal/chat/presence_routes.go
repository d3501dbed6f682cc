package chat

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Presence route ids (docs/protocol-chat.md, "Presence").
const (
	IDPresenceGet   = 430
	IDPresenceGroup = 431
	IDPresenceCount = 432
	IDPresenceEvent = 453
)

// RegisterPresence adds the presence.* routes to r. Every node holds the
// whole presence map, so they are served where the request arrives and
// run concurrently with the session's other requests. Each request is a
// span while traces are recorded (trace.go).
func RegisterPresence(r *gateway.Router, p *Presence) {
	gateway.Handle(r, "presence.get", IDPresenceGet, func(ctx context.Context, ss *session.Session, q *pb.PresenceGetReq) (*pb.PresenceGetResp, error) {
		if !observe.Tracing() {
			return p.Get(ctx, ss.UserID(), q.UserIds)
		}
		ctx, span := startSpan(ctx, "presence get", ss.UserID(), attribute.Int("lordgame.users", len(q.UserIds)))
		resp, err := p.Get(ctx, ss.UserID(), q.UserIds)
		endSpan(span, err)
		return resp, err
	}, gateway.Concurrent())
	gateway.Handle(r, "presence.group", IDPresenceGroup, func(ctx context.Context, ss *session.Session, q *pb.PresenceGroupReq) (*pb.PresenceGroupResp, error) {
		if !observe.Tracing() {
			return p.Group(ctx, ss.UserID(), q.ConversationId, q.OnlineOnly)
		}
		ctx, span := startSpan(ctx, "presence group", ss.UserID(), attribute.Int64(attrGroup, q.ConversationId))
		resp, err := p.Group(ctx, ss.UserID(), q.ConversationId, q.OnlineOnly)
		endSpan(span, err)
		return resp, err
	}, gateway.Concurrent())
	gateway.Handle(r, "presence.count", IDPresenceCount, func(ctx context.Context, ss *session.Session, _ *pb.PresenceCountReq) (*pb.PresenceCountResp, error) {
		if observe.Tracing() {
			_, span := startSpan(ctx, "presence count", ss.UserID())
			defer span.End()
		}
		return p.Counts(), nil
	}, gateway.Concurrent())
	r.PushRoute(RoutePresence, IDPresenceEvent)
}
