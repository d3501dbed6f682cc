package ddz_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// meshPusher pushes through a mesh set once it is built.
type meshPusher struct {
	mu sync.Mutex
	m  *gateway.Mesh
}

func (p *meshPusher) mesh() *gateway.Mesh {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m
}

func (p *meshPusher) PushUser(uid int64, route string, msg proto.Message) error {
	return p.PushUserContext(context.Background(), uid, route, msg)
}

func (p *meshPusher) PushUsers(uids []int64, route string, msg proto.Message) error {
	return p.PushUsersContext(context.Background(), uids, route, msg)
}

func (p *meshPusher) PushUserContext(ctx context.Context, uid int64, route string, msg proto.Message) error {
	if m := p.mesh(); m != nil {
		return m.PushUserContext(ctx, uid, route, msg)
	}
	return nil
}

func (p *meshPusher) PushUsersContext(ctx context.Context, uids []int64, route string, msg proto.Message) error {
	if m := p.mesh(); m != nil {
		return m.PushUsersContext(ctx, uids, route, msg)
	}
	return nil
}

// traceNode is one mesh node on bus: its gateway, and the ddz routes of
// svc (served here when serves names "ddz", forwarded to a game node
// otherwise).
func traceNode(t *testing.T, bus *cluster.NATS, role string, serves []string, svc *ddz.Service) (*gateway.Mesh, *gateway.Gateway) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	members, err := cluster.Join(t.Context(), bus, cluster.DefaultMembersConfig(),
		cluster.NodeInfo{NodeID: -1, Roles: []string{role}, Protocol: gateway.ProtocolVersion}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	presence, err := cluster.NewPresence(t.Context(), bus, members)
	if err != nil {
		t.Fatal(err)
	}
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	ddz.Register(r, svc)
	place := map[string]gateway.Placement{"ddz": {Role: cluster.RoleGame, Strategy: cluster.RoundRobin, Here: svc.Seated}}
	m := gateway.NewMesh(r, bus, members, presence, serves, place, log)
	gw, err := gateway.New(gateway.DefaultConfig(), r, tokenAuth{}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Attach(gw)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = members.Run(ctx) })
	wg.Go(func() { _ = m.Run(ctx) })
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = gw.Shutdown(sctx)
		cancel()
		wg.Wait()
	})
	return m, gw
}

// TestTraceGatewayToStore follows one trace from a gateway-only node over
// NATS to the game node and down into the store: a player's ddz.autoplay
// on the gateway is its route span there, the forward's client span, the
// game node's route span (a remote child, through the message headers),
// the table service's span, the log append and its commit on the log
// writer, and the store's transaction and statements under it; the
// event the table pushes to the player goes back to the gateway node in
// the same trace.
func TestTraceGatewayToStore(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })

	bus, err := cluster.Embedded(t.Context(), cluster.DefaultConfig(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tc, mc := fastConfig()
	// Nothing moves by itself while the test looks: no bot, no timer.
	tc.BidTimeout, tc.FollowTimeout, tc.LeadTimeout, tc.BotDelay, tc.AutoPlayDelay = time.Minute, time.Minute, time.Minute, time.Minute, time.Minute
	ids := &seqIDs{}
	ids.n.Store(time.Now().UnixNano() / 1000)
	log := slog.New(slog.DiscardHandler)

	pusher := &meshPusher{}
	svc, err := ddz.New(tc, mc.Modes, db, pusher, ids, log)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = db.Close() })
	gameMesh, _ := traceNode(t, bus, cluster.RoleGame, []string{"ddz"}, svc)
	pusher.mu.Lock()
	pusher.m = gameMesh
	pusher.mu.Unlock()

	// The gateway node runs no table: its service only names the routes.
	edgeSvc, err := ddz.New(tc, mc.Modes, db, pusher, ids, log)
	if err != nil {
		t.Fatal(err)
	}
	edge, edgeGW := traceNode(t, bus, cluster.RoleGateway, nil, edgeSvc)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", edgeGW)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	deadline := time.Now().Add(5 * time.Second)
	for len(edge.Members().WithRole(cluster.RoleGame)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-gameMesh.Serving():
	case <-time.After(5 * time.Second):
		t.Fatal("game node not serving")
	}

	uid, _ := ids.Next()
	if _, err := db.CreateAccount(t.Context(), store.NewAccount{ID: uid, DisplayName: "tracer", Guest: true, DeviceID: fmt.Sprint("dev-", uid), InitialCoins: 1000}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(t.Context(), "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", client.Options{Token: fmt.Sprint("user:", uid)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if !svc.Formed(t.Context(), match.Match{Mode: mc.Modes[0], Tickets: []match.Ticket{{ID: "1", UserID: uid, Mode: mc.Modes[0].Name, Joined: time.Now()}}}) {
		t.Fatal("table not seated")
	}
	rctx, rcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer rcancel()
	if err := c.Request(rctx, "ddz.state", &pb.DdzStateReq{}, &pb.DdzSnapshot{}); err != nil { // the table has dealt
		t.Fatal(err)
	}
	exp.Reset()
	var resp pb.DdzActionResp
	if err := c.Request(rctx, "ddz.autoplay", &pb.DdzAutoplayReq{On: true}, &resp); err != nil {
		t.Fatal(err)
	}

	// The spans of the request, by name and parent; the edge's route span
	// is the root, and may end just after the answer went out.
	var (
		spans  tracetest.SpanStubs
		byID   map[trace.SpanID]tracetest.SpanStub
		byName map[string][]tracetest.SpanStub
		root   tracetest.SpanStub
	)
	deadline = time.Now().Add(3 * time.Second)
	for {
		spans = exp.GetSpans()
		byID, byName = map[trace.SpanID]tracetest.SpanStub{}, map[string][]tracetest.SpanStub{}
		for _, s := range spans {
			byID[s.SpanContext.SpanID()] = s
			byName[s.Name] = append(byName[s.Name], s)
		}
		found := false
		for _, s := range byName["route ddz.autoplay"] {
			if !s.Parent.IsValid() {
				root, found = s, true
			}
		}
		if found && len(byName["ddz log commit"]) > 0 && len(byName["deliver ddz.event"]) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !root.SpanContext.IsValid() {
		t.Fatalf("no root route span on the gateway in %v", spanNames(spans))
	}
	// child finds the span called name whose parent is parent.
	child := func(parent tracetest.SpanStub, name string) tracetest.SpanStub {
		t.Helper()
		for _, s := range byName[name] {
			if s.Parent.SpanID() == parent.SpanContext.SpanID() && s.SpanContext.TraceID() == root.SpanContext.TraceID() {
				return s
			}
		}
		t.Fatalf("no span %q under %q in trace %s; spans: %v", name, parent.Name, root.SpanContext.TraceID(), spanTree(spans))
		return tracetest.SpanStub{}
	}
	fwd := child(root, "forward ddz.autoplay")
	served := child(fwd, "route ddz.autoplay")
	if !served.Parent.IsRemote() {
		t.Errorf("the game node's route span's parent is not remote: the context did not come over NATS")
	}
	if node := attr(fwd.Attributes, "lordgame.node"); node != gameMesh.Node() {
		t.Errorf("forwarded to %q, want the game node %q", node, gameMesh.Node())
	}
	action := child(served, "ddz autoplay")
	appendSpan := child(action, "ddz log append")
	commit := child(appendSpan, "ddz log commit")
	var dbSpans []string
	var walk func(s tracetest.SpanStub)
	walk = func(s tracetest.SpanStub) {
		for _, c := range spans {
			if c.Parent.SpanID() == s.SpanContext.SpanID() {
				if attr(c.Attributes, "db.system.name") != "" {
					dbSpans = append(dbSpans, c.Name)
				}
				walk(c)
			}
		}
	}
	walk(commit)
	if len(dbSpans) == 0 {
		t.Fatalf("no store span under the log commit: %v", spanTree(spans))
	}
	// The table's event push to the player, who is on the gateway node, is
	// in the trace too: produced under the action, delivered there.
	push := child(action, "push ddz.event")
	deliver := child(push, "deliver ddz.event")
	if push.SpanKind != trace.SpanKindProducer || deliver.SpanKind != trace.SpanKindConsumer || !deliver.Parent.IsRemote() {
		t.Errorf("push: kinds %v and %v, deliver's parent remote %v", push.SpanKind, deliver.SpanKind, deliver.Parent.IsRemote())
	}
	for _, s := range []tracetest.SpanStub{root, served} {
		if s.SpanKind != trace.SpanKindServer {
			t.Errorf("%q kind %v, want server", s.Name, s.SpanKind)
		}
	}
	if got := attrInt(action.Attributes, "lordgame.user_id"); got != uid {
		t.Errorf("service span user %d, want %d", got, uid)
	}
	t.Logf("one trace: %s → %s → %s → %s → %s → %s → %v; %s → %s", root.Name, fwd.Name, served.Name, action.Name, appendSpan.Name, commit.Name, dbSpans, push.Name, deliver.Name)
}

func attr(kvs []attribute.KeyValue, key string) string {
	for _, a := range kvs {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

func attrInt(kvs []attribute.KeyValue, key string) int64 {
	for _, a := range kvs {
		if string(a.Key) == key {
			return a.Value.AsInt64()
		}
	}
	return 0
}

func spanNames(ss tracetest.SpanStubs) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// spanTree lists each span with its parent, for a failure message.
func spanTree(ss tracetest.SpanStubs) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "\n  %s %s (parent %s, trace %s)", s.SpanContext.SpanID(), s.Name, s.Parent.SpanID(), s.SpanContext.TraceID())
	}
	return b.String()
}

type nopPusher struct{}

func (nopPusher) PushUser(int64, string, proto.Message) error { return nil }

// TestTraceMatchAndSettle: a join is "ddz join" over "match join" in the
// caller's trace; the table the matcher forms is a trace of its own
// ("match formed", linked to the join) with the game record written under
// it; the hand played out by auto-play and bots settles in "ddz settle"
// under the timer's span, with the store's transaction under that.
func TestTraceMatchAndSettle(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	stop := observe.InstallTracer(sdktrace.NewSimpleSpanProcessor(exp), 1, "test", "dev")
	t.Cleanup(func() { _ = stop(context.Background()) })
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tc, mc := fastConfig()
	mc.Modes[0].BotWait = time.Millisecond // bots take the empty seats
	ids := &seqIDs{}
	ids.n.Store(time.Now().UnixNano() / 1000)
	svc, err := ddz.New(tc, mc.Modes, db, nopPusher{}, ids, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m, err := match.New(mc, func(ctx context.Context, mt match.Match) { svc.Formed(ctx, mt) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetQueue(m)
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = db.Close() })

	uid, _ := ids.Next()
	if _, err := db.CreateAccount(t.Context(), store.NewAccount{ID: uid, DisplayName: "tracer", Guest: true, DeviceID: fmt.Sprint("dev-", uid), InitialCoins: 1000}); err != nil {
		t.Fatal(err)
	}
	jctx, caller := observe.Tracer("test").Start(t.Context(), "route match.join")
	if _, err := svc.Join(jctx, uid, mc.Modes[0].Name); err != nil {
		t.Fatal(err)
	}
	caller.End()
	for deadline := time.Now().Add(5 * time.Second); !svc.Seated(uid) && time.Now().Before(deadline); {
		m.Step(t.Context())
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := svc.Do(t.Context(), uid, &pb.DdzAutoplayReq{On: true}); err != nil {
		t.Fatal(err)
	}

	find := func(name string, ok func(tracetest.SpanStub) bool) (tracetest.SpanStub, tracetest.SpanStubs) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			spans := exp.GetSpans()
			for _, s := range spans {
				if s.Name == name && ok(s) {
					return s, spans
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no span %q as expected in %v", name, spanTree(spans))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	everySpan := func(tracetest.SpanStub) bool { return true }
	under := func(p tracetest.SpanStub) func(tracetest.SpanStub) bool {
		return func(s tracetest.SpanStub) bool { return s.Parent.SpanID() == p.SpanContext.SpanID() }
	}
	join, _ := find("ddz join", under(tracetest.SpanStubFromReadOnlySpan(caller.(sdktrace.ReadOnlySpan))))
	mjoin, _ := find("match join", under(join))
	formed, _ := find("match formed", everySpan)
	if formed.Parent.IsValid() || len(formed.Links) != 1 || formed.Links[0].SpanContext.SpanID() != mjoin.SpanContext.SpanID() {
		t.Errorf("match formed: parent %v, links %v; want a root linked to the join %s", formed.Parent.SpanID(), formed.Links, mjoin.SpanContext.SpanID())
	}
	create, _ := find("ddz create game", under(formed))
	find("INSERT games", func(s tracetest.SpanStub) bool { return s.SpanContext.TraceID() == create.SpanContext.TraceID() })

	settle, spans := find("ddz settle", everySpan)
	if p, ok := func() (tracetest.SpanStub, bool) {
		for _, s := range spans {
			if s.SpanContext.SpanID() == settle.Parent.SpanID() {
				return s, true
			}
		}
		return tracetest.SpanStub{}, false
	}(); !ok || p.Name != "ddz timeout" {
		t.Errorf("ddz settle's parent %q, want the timer's ddz timeout", p.Name)
	}
	find("transaction", under(settle))
}
