package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/proto/gen/pb"
)

// nodeSpan is a span a node exported, with the node's id.
type nodeSpan struct {
	*tracepb.Span
	node string
}

// nodeCollector is an OTLP/HTTP trace receiver that keeps each span with
// the service.instance.id of the node that sent it.
type nodeCollector struct {
	mu    sync.Mutex
	spans []nodeSpan
}

func (c *nodeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		node := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.instance.id" {
				node = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				c.spans = append(c.spans, nodeSpan{sp, node})
			}
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (c *nodeCollector) all() []nodeSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]nodeSpan(nil), c.spans...)
}

// TestClusterTrace: real processes (a gateway, a game node, a match node)
// export to one collector; a player's ddz.bid is one trace from the
// gateway's route span over NATS to the game node's route, the table
// service and the PostgreSQL statements of its log write, each span on
// the node that did the work; the push of the bid's event back to the
// players' gateway is in that trace too. The table's creation is a trace
// from the match node's "match formed" to the game node's ddz.create.
func TestClusterTrace(t *testing.T) {
	col := &nodeCollector{}
	hs := httptest.NewServer(col)
	defer hs.Close()
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=1m",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m",
		"LORDGAME_OTLP_ENDPOINT="+strings.TrimPrefix(hs.URL, "http://"), "OTEL_BSP_SCHEDULE_DELAY=100")
	gw := c.start("gateway")
	c.start("game")
	c.start("match")

	ps := make([]*seatedPlayer, 3)
	for i := range ps {
		tok, uid := guest(t, gw.addr, fmt.Sprintf("trace-test-%s-%d", c.prefix, i))
		ps[i] = &seatedPlayer{tok: tok, uid: uid}
		connect(t, gw.addr, ps[i])
	}
	startTable(t, ps) // the player to act bids 3

	// The bid's trace: its root is the gateway's route span.
	var spans []nodeSpan
	byID := map[string]nodeSpan{}
	var root nodeSpan
	deadline := time.Now().Add(10 * time.Second)
	for {
		spans = col.all()
		for _, s := range spans {
			byID[hex.EncodeToString(s.SpanId)] = s
			if s.Name == "route ddz.bid" && len(s.ParentSpanId) == 0 {
				root = s
			}
		}
		delivered, formed := false, false
		for _, s := range spans {
			delivered = delivered || root.Span != nil && s.Name == "deliver ddz.event" && string(s.TraceId) == string(root.TraceId)
			formed = formed || s.Name == "match formed"
		}
		done := delivered && formed
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	tree := func() string {
		var b strings.Builder
		for _, s := range spans {
			if root.Span != nil && string(s.TraceId) == string(root.TraceId) {
				fmt.Fprintf(&b, "\n  %x %s on %s (parent %x)", s.SpanId, s.Name, s.node, s.ParentSpanId)
			}
		}
		return b.String()
	}
	if root.Span == nil {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("no root route ddz.bid span among %d spans: %v", len(spans), names)
	}
	child := func(parent nodeSpan, name string) nodeSpan {
		t.Helper()
		for _, s := range spans {
			if s.Name == name && string(s.ParentSpanId) == string(parent.SpanId) && string(s.TraceId) == string(parent.TraceId) {
				return s
			}
		}
		t.Fatalf("no span %q under %q; the trace:%s", name, parent.Name, tree())
		return nodeSpan{}
	}
	fwd := child(root, "forward ddz.bid")
	served := child(fwd, "route ddz.bid")
	action := child(served, "ddz bid")
	appendSpan := child(action, "ddz log append")
	commit := child(appendSpan, "ddz log commit")
	push := child(action, "push ddz.event")
	deliver := child(push, "deliver ddz.event")
	if served.node == root.node || action.node != served.node || commit.node != served.node || deliver.node != root.node {
		t.Errorf("nodes: route %s, served %s, action %s, commit %s, deliver %s", root.node, served.node, action.node, commit.node, deliver.node)
	}
	// The table itself: the match node's "match formed" is the root of a
	// trace that goes on in the game node's ddz.create.
	var formed nodeSpan
	for _, s := range spans {
		if s.Name == "match formed" && len(s.ParentSpanId) == 0 {
			formed = s
		}
	}
	if formed.Span == nil {
		t.Fatal("no match formed span")
	}
	create := child(child(formed, "forward ddz.create"), "route ddz.create")
	child(create, "ddz create game")
	child(create, "push ddz.snapshot")
	if create.node != served.node || formed.node == served.node || formed.node == root.node {
		t.Errorf("nodes: match formed %s, ddz.create %s; want the match node, then the game node %s", formed.node, create.node, served.node)
	}

	postgres := 0
	for _, s := range spans {
		if string(s.ParentSpanId) != string(commit.SpanId) {
			continue
		}
		for _, a := range s.Attributes {
			if a.Key == "db.system.name" && a.GetValue().GetStringValue() == "postgresql" {
				postgres++
			}
		}
	}
	if postgres == 0 {
		t.Errorf("no PostgreSQL span under the log commit; the trace:%s", tree())
	}
}

// TestClusterChatTrace: a private message between users on two gateway
// processes is one trace: the sender's gateway's route span, the chat
// service's span and its store spans, the fan-out's push to the other
// gateway, and that gateway's delivery.
func TestClusterChatTrace(t *testing.T) {
	col := &nodeCollector{}
	hs := httptest.NewServer(col)
	defer hs.Close()
	c := newTestCluster(t, "LORDGAME_OTLP_ENDPOINT="+strings.TrimPrefix(hs.URL, "http://"), "OTEL_BSP_SCHEDULE_DELAY=100")
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	a := newChatUser(t, gw1.addr, "trace-chat-aaaa-"+c.prefix)
	b := newChatUser(t, gw2.addr, "trace-chat-bbbb-"+c.prefix)
	a.dial("ws://" + gw1.addr + "/ws")
	b.dial("ws://" + gw2.addr + "/ws")
	waitStatus(t, "gw1 sees b", a, []int64{b.uid}, "online")
	r, err := a.send(0, b.uid, "traced across nodes")
	if err != nil {
		t.Fatal(err)
	}
	b.waitPush("the message on gw2", r.Message.ConversationId, func(ms []*pb.ChatMessage) bool { return len(ms) == 1 })

	var spans []nodeSpan
	var root nodeSpan
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		spans = col.all()
		delivered := false
		for _, s := range spans {
			if s.Name == "route chat.send" && len(s.ParentSpanId) == 0 {
				root = s
			}
		}
		for _, s := range spans {
			delivered = delivered || root.Span != nil && s.Name == "deliver chat.msg" && string(s.TraceId) == string(root.TraceId)
		}
		if delivered || time.Now().After(deadline) {
			break
		}
	}
	if root.Span == nil {
		t.Fatalf("no root route chat.send span among %d spans", len(spans))
	}
	child := func(parent nodeSpan, name string) nodeSpan {
		t.Helper()
		for _, s := range spans {
			if s.Name == name && string(s.ParentSpanId) == string(parent.SpanId) && string(s.TraceId) == string(parent.TraceId) {
				return s
			}
		}
		var b strings.Builder
		for _, s := range spans {
			if string(s.TraceId) == string(root.TraceId) {
				fmt.Fprintf(&b, "\n  %x %s on %s (parent %x)", s.SpanId, s.Name, s.node, s.ParentSpanId)
			}
		}
		t.Fatalf("no span %q under %q; the trace:%s", name, parent.Name, b.String())
		return nodeSpan{}
	}
	send := child(root, "chat send")
	child(send, "chat batch commit")
	push := child(send, "push chat.msg")
	deliver := child(push, "deliver chat.msg")
	if root.node == "" || send.node != root.node || push.node != root.node || deliver.node == root.node {
		t.Errorf("nodes: route %s, send %s, push %s, deliver %s", root.node, send.node, push.node, deliver.node)
	}
}
