package chat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/observe/spantest"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// tokenAuth takes "user:ID" tokens.
type tokenAuth struct{}

func (tokenAuth) Authenticate(_ context.Context, tok string) (gateway.Identity, error) {
	v, ok := strings.CutPrefix(tok, "user:")
	id, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		return gateway.Identity{}, errors.New("bad token")
	}
	return gateway.Identity{UserID: id}, nil
}

// TestTraceChatSend: a chat.send through the gateway is one trace: the
// route's span, the service's "chat send" under it with the sender, the
// peer, the conversation and the message's sequence number, and the
// store's statements of the send under "chat send". A refused send marks
// its span failed.
func TestTraceChatSend(t *testing.T) {
	s, _, _ := newTestService(t, nil)
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })

	r := gateway.NewRouter()
	Register(r, s)
	gw, err := gateway.New(gateway.DefaultConfig(), r, tokenAuth{}, discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", gw)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
	})
	c, err := client.Dial(t.Context(), "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", client.Options{Token: "user:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	exp.Reset()
	var resp pb.ChatSendResp
	if err := c.Request(ctx, "chat.send", &pb.ChatSendReq{ToUserId: 2, ClientId: "trace-1", Text: "hello"}, &resp); err != nil {
		t.Fatal(err)
	}
	tr := spantest.WaitRoot(t, exp, "route chat.send")
	send := tr.Child(tr.Root, "chat send")
	if send.SpanKind != trace.SpanKindInternal {
		t.Errorf("chat send kind %v, want internal", send.SpanKind)
	}
	m := resp.GetMessage()
	for key, want := range map[string]int64{"lordgame.user_id": 1, "lordgame.target_user_id": 2,
		"lordgame.conversation_id": m.GetConversationId(), "lordgame.message_seq": m.GetSeq()} {
		if got, ok := spantest.Attr(send.Attributes, key); !ok || got.AsInt64() != want {
			t.Errorf("chat send %s = %v (set %v), want %d", key, got.Emit(), ok, want)
		}
	}
	if got, _ := spantest.Attr(send.Attributes, "lordgame.conversation_kind"); got.AsString() != "private" {
		t.Errorf("chat send conversation kind %q, want private", got.AsString())
	}
	if m.GetSeq() == 0 || m.GetConversationId() == 0 {
		t.Fatalf("the send stored nothing: %v", m)
	}
	// The store's spans of the send (the peer's account, the block check,
	// the private conversation made, the sender's name) are under "chat
	// send", none directly under the route's span. The message's own
	// insert is the write batcher's transaction, one for several senders:
	// its "chat batch commit" span is under the first traced sender's.
	for _, name := range []string{"SELECT accounts", "SELECT chat_blocks", "transaction", "chat batch commit"} {
		tr.Child(send, name)
	}
	batch := tr.Child(send, "chat batch commit")
	inBatch := 0
	for _, sp := range tr.Spans {
		if sp.Parent.SpanID() == batch.SpanContext.SpanID() {
			inBatch++
		}
	}
	if inBatch == 0 {
		t.Errorf("no store span under chat batch commit: %s", tr.Tree())
	}
	direct := 0
	for _, sp := range tr.Spans {
		if _, ok := spantest.Attr(sp.Attributes, "db.system.name"); !ok {
			continue
		}
		if sp.Parent.SpanID() == tr.Root.SpanContext.SpanID() {
			t.Errorf("store span %q is a child of the route's span, not of chat send", sp.Name)
		}
		if sp.Parent.SpanID() == send.SpanContext.SpanID() {
			direct++
		}
	}
	if direct < 3 {
		t.Errorf("%d store spans under chat send, want at least 3 (account, block, conversation): %s", direct, tr.Tree())
	}

	// A refused send: the service's span records the error.
	exp.Reset()
	if err := c.Request(ctx, "chat.send", &pb.ChatSendReq{ToUserId: 1, ClientId: "trace-2", Text: "me"}, &pb.ChatSendResp{}); err == nil {
		t.Fatal("a send to oneself was accepted")
	}
	tr = spantest.WaitRoot(t, exp, "route chat.send")
	failed := tr.Child(tr.Root, "chat send")
	if failed.Status.Code != codes.Error {
		t.Errorf("refused send: span status %v, want error", failed.Status)
	}
}

// TestTraceGroupAndFriend: the group and friend requests are spans named
// after their routes, with the group and the other user, each a child of
// the caller's span with its store statements under it.
func TestTraceGroupAndFriend(t *testing.T) {
	s, _, _ := newTestService(t, nil)
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })
	ctx, parent := observe.Tracer("test").Start(t.Context(), "route")
	g, err := s.CreateGroup(ctx, 1, "traced", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Group(ctx, 2, GroupJoin, g.Id, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Group(ctx, 2, GroupKick, g.Id, 1); err == nil {
		t.Fatal("a member kicked the owner")
	}
	if _, err := s.Friend(ctx, 1, FriendRequest, 3); err != nil {
		t.Fatal(err)
	}
	parent.End()
	tr := spantest.WaitRoot(t, exp, "route")
	for _, c := range []struct {
		name        string
		user, group int64
		target      int64
		failed      bool
	}{
		{"group create", 1, g.Id, 0, false},
		{"group join", 2, g.Id, 0, false},
		{"group kick", 2, g.Id, 1, true},
		{"friend request", 1, 0, 3, false},
	} {
		sp := tr.Child(tr.Root, c.name)
		for key, want := range map[string]int64{"lordgame.user_id": c.user, "lordgame.group_id": c.group, "lordgame.target_user_id": c.target} {
			got, ok := spantest.Attr(sp.Attributes, key)
			if want == 0 && ok || want != 0 && got.AsInt64() != want {
				t.Errorf("%s: %s = %v (set %v), want %d", c.name, key, got.Emit(), ok, want)
			}
		}
		if (sp.Status.Code == codes.Error) != c.failed {
			t.Errorf("%s: status %v, want failed %v", c.name, sp.Status, c.failed)
		}
		stored := false
		for _, o := range tr.Spans {
			if _, db := spantest.Attr(o.Attributes, "db.system.name"); db && o.Parent.SpanID() == sp.SpanContext.SpanID() {
				stored = true
			}
		}
		if !stored {
			t.Errorf("%s: no store span under it: %s", c.name, tr.Tree())
		}
	}
}
