package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/observe/spantest"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestAdminActionTrace: an admin action is a span "admin <audit action>"
// under the request's HTTP span, with the actor, its role, the permission
// and the target, and the store's writes of the action (the ban, the audit
// entry) under it; a refused action records its error and code; the
// account API's ban endpoints have the same span; an announcement's push
// is in the action's trace; a read has no action span.
func TestAdminActionTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	tok, ids := consoleUsers(t, s)
	target := strconv.FormatInt(ids["target"], 10)

	// do runs one admin call and returns the trace of its HTTP span.
	do := func(method, path, who string, body any, want int) *adminTrace {
		t.Helper()
		exp.Reset()
		if code, raw := adminCall(t, method, base+path, tok[who], body); code != want {
			t.Fatalf("%s %s as %s: %d %s, want %d", method, path, who, code, raw, want)
		}
		return waitHTTPTrace(t, exp, method, path)
	}

	tr := do("POST", "/v1/admin/players/"+target+"/ban", "operator", map[string]string{"reason": "spam", "duration": "1h"}, http.StatusOK)
	ban := tr.Child(tr.Root, "admin player.ban")
	tr.wantAttrs(ban, map[string]string{"lordgame.user_id": fmt.Sprint(ids["operator"]), "lordgame.admin.role": "operator",
		"lordgame.admin.permission": "player.ban", "lordgame.admin.target": "player:" + target})
	if ban.Status.Code == codes.Error {
		t.Errorf("a ban that went through is marked failed: %v", ban.Status)
	}
	writes := tr.storeUnder(ban)
	for _, want := range []string{"UPDATE accounts", "INSERT admin_audit"} {
		if !strings.Contains(strings.Join(writes, ","), want) {
			t.Errorf("store spans under admin player.ban: %v, want %s among them: %s", writes, want, tr.Tree())
		}
	}
	for _, sp := range tr.Spans {
		if _, ok := spantest.Attr(sp.Attributes, "db.system.name"); ok && strings.HasPrefix(sp.Name, "UPDATE") && !tr.Under(sp, ban) {
			t.Errorf("store write %q is not under the action's span", sp.Name)
		}
	}

	// Refused: an operator may not adjust coins; nobody may ban oneself.
	tr = do("POST", "/v1/admin/players/"+target+"/coins", "operator", map[string]any{"delta": 5, "reason": "gift"}, http.StatusForbidden)
	coins := tr.Child(tr.Root, "admin player.coins")
	tr.wantAttrs(coins, map[string]string{"lordgame.code": "forbidden", "lordgame.admin.target": "player:" + target})
	if coins.Status.Code != codes.Error {
		t.Errorf("a refused action's span status %v, want error", coins.Status)
	}
	self := strconv.FormatInt(ids["operator"], 10)
	tr = do("POST", "/v1/admin/players/"+self+"/ban", "operator", map[string]string{"reason": "oops"}, http.StatusConflict)
	tr.wantAttrs(tr.Child(tr.Root, "admin player.ban"), map[string]string{"lordgame.code": "conflict"})

	// The account API's unban: the target comes from the body, through
	// the audit entry.
	tr = do("POST", "/v1/admin/unban", "operator", map[string]string{"user_id": target}, http.StatusNoContent)
	unban := tr.Child(tr.Root, "admin player.unban")
	tr.wantAttrs(unban, map[string]string{"lordgame.user_id": fmt.Sprint(ids["operator"]), "lordgame.admin.target": "player:" + target})
	if len(tr.storeUnder(unban)) == 0 {
		t.Errorf("no store span under the account API's unban: %s", tr.Tree())
	}

	tr = do("POST", "/v1/admin/announce", "operator", map[string]string{"text": "hello"}, http.StatusOK)
	announce := tr.Child(tr.Root, "admin announce")
	tr.wantAttrs(announce, map[string]string{"lordgame.admin.target": "everyone"})
	tr.Child(announce, "push admin.notice")

	tr = do("GET", "/v1/admin/players/"+target, "viewer", nil, http.StatusOK)
	for _, sp := range tr.Spans {
		if strings.HasPrefix(sp.Name, "admin ") {
			t.Errorf("a read has an action span %q", sp.Name)
		}
	}
}

// adminTrace is the trace of one HTTP request.
type adminTrace struct{ *spantest.Trace }

// waitHTTPTrace waits for the HTTP span of method path (it ends after the
// answer went out) and returns its trace.
func waitHTTPTrace(t *testing.T, exp *tracetest.InMemoryExporter, method, path string) *adminTrace {
	t.Helper()
	return &adminTrace{spantest.Wait(t, exp, "HTTP "+method+" "+path, func(s tracetest.SpanStub) bool {
		v, _ := spantest.Attr(s.Attributes, "url.path")
		return strings.HasPrefix(s.Name, "HTTP "+method+" ") && v.AsString() == path
	})}
}

// storeUnder names the store spans that descend from parent.
func (tr *adminTrace) storeUnder(parent tracetest.SpanStub) []string {
	var out []string
	for _, s := range tr.Spans {
		if _, ok := spantest.Attr(s.Attributes, "db.system.name"); ok && tr.Under(s, parent) {
			out = append(out, s.Name)
		}
	}
	return out
}

func (tr *adminTrace) wantAttrs(s tracetest.SpanStub, want map[string]string) {
	tr.T.Helper()
	for k, v := range want {
		if got, ok := spantest.Attr(s.Attributes, k); !ok || got.Emit() != v {
			tr.T.Errorf("%q %s = %q (set %v), want %q", s.Name, k, got.Emit(), ok, v)
		}
	}
}

// TestTraceTableChat: a table's chat line is stored after the ddz.chat
// answer, by the chat layer's table writer; its store spans are still in
// the trace of the ddz.chat request, under the route's span.
func TestTraceTableChat(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })
	s, _, _ := startServer(t)
	var us []*chatUser
	for i := range 3 {
		u := newChatUser(t, s.HTTPAddr(), fmt.Sprintf("trace-table-chat-%d", i))
		u.dial("tcp://" + s.TCPAddr())
		joinRetry(t, u.c)
		us = append(us, u)
	}
	gid := oneTable(t, us, 10*time.Second)
	var op pb.ChatOpenResp
	eventually(t, "the table conversation", func() bool {
		return us[1].call("chat.open", &pb.ChatOpenReq{Kind: "table", TableId: gid}, &op) == nil
	})
	exp.Reset()
	us[0].ok("ddz.chat", &pb.DdzChatReq{Text: "traced line"}, &pb.DdzChatResp{})
	us[1].waitPush("the table line", op.Conversation.Id, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 })
	tr := spantest.WaitRoot(t, exp, "route ddz.chat")
	var under []string
	eventually(t, "the table line's store spans in the request's trace", func() bool {
		tr = spantest.WaitRoot(t, exp, "route ddz.chat")
		under = under[:0]
		for _, sp := range tr.Spans {
			if _, db := spantest.Attr(sp.Attributes, "db.system.name"); db && tr.Under(sp, tr.Root) {
				under = append(under, sp.Name)
			}
		}
		return slices.ContainsFunc(under, func(n string) bool {
			return strings.Contains(n, "chat_messages") || n == "chat batch commit" || n == "transaction"
		})
	})
	t.Logf("store spans under route ddz.chat: %v", under)
}
