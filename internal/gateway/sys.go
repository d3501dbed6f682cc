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
	// RouteGameEcho is game.echo: the payload back from a game node.
	RouteGameEcho = 600
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

// RegisterGameEcho registers game.echo: sys.echo's twin, placed on the game
// role, so that it runs where it arrives on a node with that role and is
// forwarded from one without it. The same request served in-process and
// by another node: what a remote hop costs.
func RegisterGameEcho(r *Router) {
	Handle(r, "game.echo", RouteGameEcho, func(_ context.Context, _ *session.Session, req *pb.Echo) (*pb.Echo, error) {
		return req, nil
	}, Public(), Idempotent())
}
