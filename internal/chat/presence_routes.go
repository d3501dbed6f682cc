package chat

import (
	"context"

	"github.com/lordgame/lordgame/internal/gateway"
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
// run concurrently with the session's other requests.
func RegisterPresence(r *gateway.Router, p *Presence) {
	gateway.Handle(r, "presence.get", IDPresenceGet, func(ctx context.Context, ss *session.Session, q *pb.PresenceGetReq) (*pb.PresenceGetResp, error) {
		return p.Get(ctx, ss.UserID(), q.UserIds)
	}, gateway.Concurrent())
	gateway.Handle(r, "presence.group", IDPresenceGroup, func(ctx context.Context, ss *session.Session, q *pb.PresenceGroupReq) (*pb.PresenceGroupResp, error) {
		return p.Group(ctx, ss.UserID(), q.ConversationId, q.OnlineOnly)
	}, gateway.Concurrent())
	gateway.Handle(r, "presence.count", IDPresenceCount, func(_ context.Context, _ *session.Session, _ *pb.PresenceCountReq) (*pb.PresenceCountResp, error) {
		return p.Counts(), nil
	}, gateway.Concurrent())
	r.PushRoute(RoutePresence, IDPresenceEvent)
}
