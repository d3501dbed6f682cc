package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lordgame/lordgame/internal/observe"
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
	ban := tr.child(tr.root, "admin player.ban")
	tr.wantAttrs(ban, map[string]string{"lordgame.user_id": fmt.Sprint(ids["operator"]), "lordgame.admin.role": "operator",
		"lordgame.admin.permission": "player.ban", "lordgame.admin.target": "player:" + target})
	if ban.Status.Code == codes.Error {
		t.Errorf("a ban that went through is marked failed: %v", ban.Status)
	}
	writes := tr.storeUnder(ban)
	for _, want := range []string{"UPDATE accounts", "INSERT admin_audit"} {
		if !strings.Contains(strings.Join(writes, ","), want) {
			t.Errorf("store spans under admin player.ban: %v, want %s among them: %s", writes, want, tr.tree())
		}
	}
	for _, sp := range tr.spans {
		if _, ok := attrOf(sp.Attributes, "db.system.name"); ok && strings.HasPrefix(sp.Name, "UPDATE") && !tr.under(sp, ban) {
			t.Errorf("store write %q is not under the action's span", sp.Name)
		}
	}

	// Refused: an operator may not adjust coins; nobody may ban oneself.
	tr = do("POST", "/v1/admin/players/"+target+"/coins", "operator", map[string]any{"delta": 5, "reason": "gift"}, http.StatusForbidden)
	coins := tr.child(tr.root, "admin player.coins")
	tr.wantAttrs(coins, map[string]string{"lordgame.code": "forbidden", "lordgame.admin.target": "player:" + target})
	if coins.Status.Code != codes.Error {
		t.Errorf("a refused action's span status %v, want error", coins.Status)
	}
	self := strconv.FormatInt(ids["operator"], 10)
	tr = do("POST", "/v1/admin/players/"+self+"/ban", "operator", map[string]string{"reason": "oops"}, http.StatusConflict)
	tr.wantAttrs(tr.child(tr.root, "admin player.ban"), map[string]string{"lordgame.code": "conflict"})

	// The account API's unban: the target comes from the body, through
	// the audit entry.
	tr = do("POST", "/v1/admin/unban", "operator", map[string]string{"user_id": target}, http.StatusNoContent)
	unban := tr.child(tr.root, "admin player.unban")
	tr.wantAttrs(unban, map[string]string{"lordgame.user_id": fmt.Sprint(ids["operator"]), "lordgame.admin.target": "player:" + target})
	if len(tr.storeUnder(unban)) == 0 {
		t.Errorf("no store span under the account API's unban: %s", tr.tree())
	}

	tr = do("POST", "/v1/admin/announce", "operator", map[string]string{"text": "hello"}, http.StatusOK)
	announce := tr.child(tr.root, "admin announce")
	tr.wantAttrs(announce, map[string]string{"lordgame.admin.target": "everyone"})
	tr.child(announce, "push admin.notice")

	tr = do("GET", "/v1/admin/players/"+target, "viewer", nil, http.StatusOK)
	for _, sp := range tr.spans {
		if strings.HasPrefix(sp.Name, "admin ") {
			t.Errorf("a read has an action span %q", sp.Name)
		}
	}
}

// adminTrace is the trace of one HTTP request.
type adminTrace struct {
	t     *testing.T
	spans tracetest.SpanStubs
	root  tracetest.SpanStub
}

// waitHTTPTrace waits for the HTTP span of method path (it ends after the
// answer went out) and returns its trace.
func waitHTTPTrace(t *testing.T, exp *tracetest.InMemoryExporter, method, path string) *adminTrace {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; {
		for _, s := range exp.GetSpans() {
			if !strings.HasPrefix(s.Name, "HTTP "+method+" ") || s.Parent.IsValid() {
				continue
			}
			if v, _ := attrOf(s.Attributes, "url.path"); v.AsString() != path {
				continue
			}
			tr := &adminTrace{t: t, root: s}
			for _, o := range exp.GetSpans() {
				if o.SpanContext.TraceID() == s.SpanContext.TraceID() {
					tr.spans = append(tr.spans, o)
				}
			}
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTP span for %s %s: %s", method, path, (&adminTrace{spans: exp.GetSpans()}).tree())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// child is the span named name whose parent is parent.
func (tr *adminTrace) child(parent tracetest.SpanStub, name string) tracetest.SpanStub {
	tr.t.Helper()
	for _, s := range tr.spans {
		if s.Name == name && s.Parent.SpanID() == parent.SpanContext.SpanID() {
			return s
		}
	}
	tr.t.Fatalf("no span %q under %q: %s", name, parent.Name, tr.tree())
	return tracetest.SpanStub{}
}

// under reports whether s descends from parent.
func (tr *adminTrace) under(s, parent tracetest.SpanStub) bool {
	for range len(tr.spans) {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() {
			return true
		}
		found := false
		for _, p := range tr.spans {
			if p.SpanContext.SpanID() == s.Parent.SpanID() {
				s, found = p, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return false
}

// storeUnder names the store spans that descend from parent.
func (tr *adminTrace) storeUnder(parent tracetest.SpanStub) []string {
	var out []string
	for _, s := range tr.spans {
		if _, ok := attrOf(s.Attributes, "db.system.name"); ok && tr.under(s, parent) {
			out = append(out, s.Name)
		}
	}
	return out
}

func (tr *adminTrace) wantAttrs(s tracetest.SpanStub, want map[string]string) {
	tr.t.Helper()
	for k, v := range want {
		if got, ok := attrOf(s.Attributes, k); !ok || got.Emit() != v {
			tr.t.Errorf("%q %s = %q (set %v), want %q", s.Name, k, got.Emit(), ok, v)
		}
	}
}

func (tr *adminTrace) tree() string {
	var b strings.Builder
	for _, s := range tr.spans {
		fmt.Fprintf(&b, "\n  %s %s (parent %s, trace %s)", s.SpanContext.SpanID(), s.Name, s.Parent.SpanID(), s.SpanContext.TraceID())
	}
	return b.String()
}

func attrOf(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, a := range kvs {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}
