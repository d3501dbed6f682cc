package gateway

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/transport"
)

// PushRaw sends a push whose protobuf body is already encoded (a service
// that encodes shared parts once for many receivers) to a session of this
// gateway. typ is the body's message type, used only to render JSON for a
// text-mode WebSocket session. The body is copied; the caller may reuse it.
func (g *Gateway) PushRaw(s *session.Session, route string, typ proto.Message, body []byte) error {
	rt := g.router.LookupName(route)
	if rt == nil {
		return fmt.Errorf("gateway: push on unknown route %q", route)
	}
	f := &transport.Frame{Kind: transport.KindPush, Route: rt.ID, RouteName: rt.Name, Body: body}
	if s.Mode() == session.ModeWSText {
		msg := typ.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(body, msg); err != nil {
			return fmt.Errorf("gateway: push %s: %w", route, err)
		}
		js, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg) // snake_case, like every other JSON frame
		if err != nil {
			return err
		}
		f.Body = js
	}
	return s.SendFrame(f)
}
