package world

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/observe/spantest"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

type tokenAuth struct{}

func (tokenAuth) Authenticate(_ context.Context, tok string) (gateway.Identity, error) {
	v, ok := strings.CutPrefix(tok, "user:")
	id, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		return gateway.Identity{}, errors.New("bad token")
	}
	return gateway.Identity{UserID: id}, nil
}

// TestTraceWorldEnter: world.enter through the gateway is one trace: the
// route's span, "world enter" under it with the user, the player and its
// zone, and the store's read of the player's display name under that.
// world.chat and world.leave have their spans too (a refused leave
// records its error); world.move has none of its own, only its route's.
func TestTraceWorldEnter(t *testing.T) {
	db, err := store.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	const uid = 7
	if _, err := db.CreateAccount(t.Context(), store.NewAccount{ID: uid, DisplayName: "walker", Guest: true, DeviceID: "dev-7"}); err != nil {
		t.Fatal(err)
	}
	w, err := New(zonedConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := gateway.NewRouter()
	n := RegisterNative(r, w.Config(), func() *World { return w })
	n.SetNames(func(ctx context.Context, user int64) string {
		ps, err := db.Profiles(ctx, []int64{user})
		if err != nil {
			return ""
		}
		return ps[user].DisplayName
	})
	gw, err := gateway.New(gateway.DefaultConfig(), r, tokenAuth{}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	n.Attach(gw)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", gw)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
	})
	c, err := client.Dial(t.Context(), "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", client.Options{Token: fmt.Sprint("user:", uid)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })

	var resp pb.WorldEnterResp
	if err := c.Request(ctx, "world.enter", &pb.WorldEnterReq{}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.GetSelf().GetName() != "walker" {
		t.Fatalf("entered as %q, want the account's name", resp.GetSelf().GetName())
	}
	tr := spantest.WaitRoot(t, exp, "route world.enter")
	enter := tr.Child(tr.Root, "world enter")
	if got := attrInt(enter.Attributes, "lordgame.user_id"); got != uid {
		t.Errorf("world enter user %d, want %d", got, uid)
	}
	if got := attrInt(enter.Attributes, "lordgame.world.player_id"); got == 0 || got != int64(resp.GetSelf().GetId()) {
		t.Errorf("world enter player %d, want %d", got, resp.GetSelf().GetId())
	}
	if _, ok := spantest.Attr(enter.Attributes, "lordgame.world.zone"); !ok {
		t.Errorf("world enter has no zone: %v", enter.Attributes)
	}
	stored := 0
	for _, s := range tr.Spans {
		if _, ok := spantest.Attr(s.Attributes, "db.system.name"); !ok {
			continue
		}
		stored++
		if s.Parent.SpanID() != enter.SpanContext.SpanID() {
			t.Errorf("store span %q's parent %s, want world enter %s", s.Name, s.Parent.SpanID(), enter.SpanContext.SpanID())
		}
	}
	if stored == 0 {
		t.Errorf("no store span in the trace of world.enter: %s", tr.Tree())
	}

	exp.Reset()
	if err := c.Request(ctx, "world.chat", &pb.WorldChatReq{Text: "hello"}, &pb.WorldChatResp{}); err != nil {
		t.Fatal(err)
	}
	tr = spantest.WaitRoot(t, exp, "route world.chat")
	if got := attrInt(tr.Child(tr.Root, "world chat").Attributes, "lordgame.world.player_id"); got != int64(resp.GetSelf().GetId()) {
		t.Errorf("world chat player %d, want %d", got, resp.GetSelf().GetId())
	}

	exp.Reset()
	if err := c.Request(ctx, "world.move", &pb.WorldMoveReq{X: resp.Self.X, Z: resp.Self.Z}, &pb.WorldMoveResp{}); err != nil {
		t.Fatal(err)
	}
	tr = spantest.WaitRoot(t, exp, "route world.move")
	if len(tr.Spans) != 1 {
		t.Errorf("world.move: spans %s, want its route's only", tr.Tree())
	}

	for i, want := range []codes.Code{codes.Unset, codes.Error} { // the second: not in the world
		exp.Reset()
		err := c.Request(ctx, "world.leave", &pb.WorldLeaveReq{}, &pb.WorldLeaveResp{})
		if (err != nil) != (i == 1) {
			t.Fatalf("leave %d: %v", i+1, err)
		}
		tr = spantest.WaitRoot(t, exp, "route world.leave")
		if got := tr.Child(tr.Root, "world leave").Status.Code; got != want {
			t.Errorf("leave %d: span status %v, want %v", i+1, got, want)
		}
	}
}

func attrInt(kvs []attribute.KeyValue, key string) int64 {
	v, _ := spantest.Attr(kvs, key)
	return v.AsInt64()
}
