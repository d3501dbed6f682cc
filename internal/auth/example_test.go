package auth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/id"
	"github.com/lordgame/lordgame/internal/store"
)

// gatewayAuth adapts the service to the gateway's handshake check; the two
// Identity types have the same fields, so one converts to the other.
type gatewayAuth struct{ s *auth.Service }

func (g gatewayAuth) Authenticate(ctx context.Context, token string) (gateway.Identity, error) {
	id, err := g.s.Authenticate(ctx, token)
	return gateway.Identity(id), err
}

var _ gateway.Authenticator = gatewayAuth{}

// The server opens the store, builds the service and mounts its handler
// under /v1; the gateway checks handshake tokens with Authenticate.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "lordgame-example")
	defer os.RemoveAll(dir)

	db, err := store.Open(ctx, "", dir) // SQLite under dir; "postgres://…" for PostgreSQL
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ids, _ := id.New(0)
	cfg := auth.DefaultConfig()
	cfg.Argon2 = auth.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1} // quick for the example only
	svc, err := auth.New(ctx, cfg, db, ids, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	svc.OnKick(func(userID int64, sessionID, reason string) { /* close the user's connections */ })

	mux := http.NewServeMux()
	mux.Handle("/v1/", svc.Handler(nil))

	tokens, err := svc.Register(ctx, "alice", "correct horse", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	who, err := gatewayAuth{svc}.Authenticate(ctx, tokens.AccessToken)
	fmt.Println(who.UserID == tokens.UserID, strings.HasPrefix(who.SessionID, "s_"), err)
	// Output: true true <nil>
}
