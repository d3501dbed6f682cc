package gateway

import (
	"context"
	"time"

	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Route ids of the diagnostic routes. Ids 1–99 are reserved for sys.*.
const (
	RouteSysPing = 1
	RouteSysEcho = 2
)

// RegisterSys registers sys.ping (server time) and sys.echo (the payload
// back), both public.
func RegisterSys(r *Router) {
	Handle(r, "sys.ping", RouteSysPing, func(_ context.Context, _ *session.Session, _ *pb.PingReq) (*pb.PingResp, error) {
		return &pb.PingResp{ServerTimeMs: time.Now().UnixMilli()}, nil
	}, Public(), Idempotent())
	Handle(r, "sys.echo", RouteSysEcho, func(_ context.Context, _ *session.Session, req *pb.Echo) (*pb.Echo, error) {
		return req, nil
	}, Public(), Idempotent())
}
