package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/status"
)

// Recover turns a handler panic into an internal error for that one request
// and logs it with its stack. The session and the server carry on.
func Recover(log *slog.Logger) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, c *Call) (resp proto.Message, err error) {
			defer func() {
				if p := recover(); p != nil {
					log.ErrorContext(ctx, "handler panic", "route", c.Route.Name, "session_id", c.Session.ID(),
						"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					resp, err = nil, status.New(status.Internal, "internal error")
				}
			}()
			return next(ctx, c)
		}
	}
}

// Logging logs every call at debug level and every internal error at error
// level (the only place handler errors are logged).
func Logging(log *slog.Logger) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, c *Call) (proto.Message, error) {
			if !log.Enabled(ctx, slog.LevelDebug) {
				resp, err := next(ctx, c)
				if err != nil && status.CodeOf(err) == status.Internal {
					log.ErrorContext(ctx, "request failed", "route", c.Route.Name, "session_id", c.Session.ID(),
						"player_id", c.Session.UserID(), "err", err)
				}
				return resp, err
			}
			start := time.Now()
			resp, err := next(ctx, c)
			log.DebugContext(ctx, "request", "route", c.Route.Name, "session_id", c.Session.ID(),
				"player_id", c.Session.UserID(), "took", time.Since(start), "err", err)
			if err != nil && status.CodeOf(err) == status.Internal {
				log.ErrorContext(ctx, "request failed", "route", c.Route.Name, "session_id", c.Session.ID(),
					"player_id", c.Session.UserID(), "err", err)
			}
			return resp, err
		}
	}
}

// Metrics observes handler latency per route and counts errors per code.
func (g *Gateway) Metrics() Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, c *Call) (proto.Message, error) {
			start := time.Now()
			resp, err := next(ctx, c)
			c.Route.stats.latency.Observe(time.Since(start).Seconds())
			if err != nil {
				g.m.errors.WithLabelValues(string(status.CodeOf(err))).Inc()
			}
			return resp, err
		}
	}
}

// Auth refuses calls from anonymous sessions to routes that are not Public.
func Auth() Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, c *Call) (proto.Message, error) {
			if !c.Route.public && c.Session.UserID() == 0 {
				return nil, status.New(status.Unauthenticated, "log in first: this route needs an access token in the handshake")
			}
			return next(ctx, c)
		}
	}
}
