package chat

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/transport"
)

// Fanout delivers pushes to users wherever they are connected.
type Fanout interface {
	// Push sends msg on route to users, or to every connected user when
	// all is set; the users in except never get it.
	Push(ctx context.Context, route string, msg proto.Message, users []int64, all bool, except []int64) error
	// Online reports, for each user, whether it is connected anywhere.
	Online(ctx context.Context, users []int64) []bool
}

// Headers of a fan-out message on the bus.
const (
	hdrRoute  = "Lg-Chat-Route"
	hdrType   = "Lg-Chat-Type"
	hdrUsers  = "Lg-Chat-Users"
	hdrAll    = "Lg-Chat-All"
	hdrExcept = "Lg-Chat-Except"
	hdrOrigin = "Lg-Chat-Origin"
	// hdrOlder marks a push on the shared subject meant only for the nodes
	// without FeatureNodeSubject: the others got theirs on their own.
	hdrOlder = "Lg-Chat-Older"
)

// ClusterFanout is the Fanout of a node: the users connected to this
// node's gateway get the push directly; the others are found in the
// presence map (a Locator: which live gateway holds each session) and the
// push is published once per gateway that holds some of them, on that
// node's own chat subject, with their user ids; a push to everyone goes
// once to each gateway that holds any session. Each node hands what it
// receives to its own sessions. The body is encoded once per message
// (protobuf) and sent as the same bytes to every gateway; its JSON form
// is made once per node on first use by a text WebSocket session. Each
// send goes to the session's bounded send queue: a slow receiver is dealt
// with by the session's full-queue policy and never delays the others.
//
// Until the presence map is complete (its first replay after start), or
// without a Locator, a push for other nodes goes once on the shared chat
// subject, which every node also subscribes to, and each node picks its
// own receivers from it.
//
// Run owns the subscriptions; Attach and UseLocator must be called
// before Run.
type ClusterFanout struct {
	bus      *cluster.NATS
	presence *cluster.Presence
	self     string
	subject  string // shared by every node
	loc      Locator
	gw       atomic.Pointer[gateway.Gateway]
	log      *slog.Logger

	published atomic.Int64
	delivered atomic.Int64
	ready     chan struct{}
}

// NewClusterFanout returns the fan-out of node self over bus.
func NewClusterFanout(bus *cluster.NATS, presence *cluster.Presence, self string, log *slog.Logger) *ClusterFanout {
	return &ClusterFanout{bus: bus, presence: presence, self: self, log: log,
		subject: cluster.NewSubjects(bus.Prefix()).Broadcast("chat"), ready: make(chan struct{})}
}

// UseLocator makes the fan-out find remote receivers in l.
func (f *ClusterFanout) UseLocator(l Locator) { f.loc = l }

// NodeSubject is the chat subject of one node ("lordgame.node.<id>.chat").
func NodeSubject(prefix, node string) string { return cluster.NewSubjects(prefix).Node(node, "chat") }

// Attach connects the fan-out to this node's gateway.
func (f *ClusterFanout) Attach(gw *gateway.Gateway) { f.gw.Store(gw) }

// Ready is closed once the chat subject is subscribed.
func (f *ClusterFanout) Ready() <-chan struct{} { return f.ready }

// Stats are the messages published on the bus and the pushes handed to
// sessions here.
func (f *ClusterFanout) Stats() (published, delivered int64) {
	return f.published.Load(), f.delivered.Load()
}

// Run subscribes to this node's chat subject and the shared one until ctx
// ends.
func (f *ClusterFanout) Run(ctx context.Context) error {
	for _, subject := range []string{NodeSubject(f.bus.Prefix(), f.self), f.subject} {
		sub, err := f.bus.Subscribe(subject, "", f.receive)
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := f.bus.Flush(ctx); err != nil {
		f.log.Warn("chat: subscription not confirmed by NATS", "err", err)
	}
	close(f.ready)
	<-ctx.Done()
	return nil
}

// Push implements Fanout.
func (f *ClusterFanout) Push(ctx context.Context, route string, msg proto.Message, users []int64, all bool, except []int64) error {
	gw := f.gw.Load()
	if gw == nil {
		return fmt.Errorf("chat: fan-out not attached")
	}
	body, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("chat: encode %s: %w", route, err)
	}
	p, err := newPush(gw, route, msg.ProtoReflect().Type(), body)
	if err != nil {
		return err
	}
	skip := setOf(except)
	var remote []int64
	if all {
		gw.EachSession(func(s *session.Session) {
			if uid := s.UserID(); uid != 0 && !skip[uid] {
				p.send(s)
			}
		})
	} else {
		for _, uid := range users {
			if skip[uid] {
				continue
			}
			if s := gw.UserSession(uid); s != nil {
				p.send(s)
			} else {
				remote = append(remote, uid)
			}
		}
		if len(remote) == 0 {
			f.delivered.Add(p.n)
			return nil
		}
	}
	f.delivered.Add(p.n)
	typ := string(msg.ProtoReflect().Descriptor().FullName())
	var span trace.Span
	if observe.Tracing() && trace.SpanContextFromContext(ctx).IsValid() {
		ctx, span = chatTracer().Start(ctx, "push "+route, trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(attribute.String("rpc.method", route), attribute.Int("lordgame.users", len(remote)), attribute.Bool("lordgame.all", all)))
		defer span.End()
	}
	header := func(users []int64) cluster.Header {
		h := cluster.Header{}
		if span != nil {
			observe.Propagator.Inject(ctx, propagation.HeaderCarrier(http.Header(h)))
		}
		h.Set(hdrRoute, route)
		h.Set(hdrType, typ)
		h.Set(hdrOrigin, f.self)
		if all {
			h.Set(hdrAll, "1")
			if len(except) > 0 {
				h.Set(hdrExcept, cluster.JoinIDs(except))
			}
		} else {
			h.Set(hdrUsers, cluster.JoinIDs(users))
		}
		return h
	}
	if f.loc != nil {
		if all {
			if nodes, older, ok := f.loc.Gateways(f.self, nil); ok {
				err := f.publishEach(ctx, nodes, func(string) cluster.Header { return header(nil) }, body)
				if older { // nodes of an earlier release: the shared subject, for them only
					err = cmp.Or(err, f.publishOlder(ctx, header(nil), body))
				}
				return err
			}
		} else {
			byNode := map[string][]int64{}
			var older []int64
			if f.loc.Locate(remote, f.self, func(uid int64, node string, direct bool) {
				if direct {
					byNode[node] = append(byNode[node], uid)
				} else {
					older = append(older, uid)
				}
			}) {
				nodes := make([]string, 0, len(byNode))
				for n := range byNode {
					nodes = append(nodes, n)
				}
				err := f.publishEach(ctx, nodes, func(n string) cluster.Header { return header(byNode[n]) }, body)
				if len(older) > 0 {
					err = cmp.Or(err, f.publishOlder(ctx, header(older), body))
				}
				return err
			}
		}
	}
	f.published.Add(1)
	return f.bus.PublishMsg(ctx, f.subject, header(remote), body)
}

// publishOlder publishes on the shared subject for the nodes of an earlier
// release, which take chat pushes only there; the nodes that take them on
// their own subject ignore it (hdrOlder).
func (f *ClusterFanout) publishOlder(ctx context.Context, h cluster.Header, body []byte) error {
	h.Set(hdrOlder, "1")
	f.published.Add(1)
	return f.bus.PublishMsg(ctx, f.subject, h, body)
}

// publishEach publishes body once to each node's chat subject; the first
// error is returned after trying every node.
func (f *ClusterFanout) publishEach(ctx context.Context, nodes []string, header func(node string) cluster.Header, body []byte) error {
	var first error
	for _, n := range nodes {
		f.published.Add(1)
		if err := f.bus.PublishMsg(ctx, NodeSubject(f.bus.Prefix(), n), header(n), body); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// receive delivers a fan-out message published by another node.
func (f *ClusterFanout) receive(ctx context.Context, m *cluster.Msg) {
	gw := f.gw.Load()
	if gw == nil || m.Header.Get(hdrOrigin) == f.self || m.Header.Get(hdrOlder) != "" {
		return
	}
	if observe.Tracing() { // a consumer span under the push's, when it has one
		if pctx := observe.Propagator.Extract(ctx, propagation.HeaderCarrier(http.Header(m.Header))); trace.SpanContextFromContext(pctx).IsValid() {
			route := m.Header.Get(hdrRoute)
			_, span := chatTracer().Start(pctx, "deliver "+route, trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithAttributes(attribute.String("rpc.method", route)))
			defer span.End()
		}
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(m.Header.Get(hdrType)))
	if err != nil {
		f.log.Warn("chat: push of unknown type dropped", "type", m.Header.Get(hdrType))
		return
	}
	p, err := newPush(gw, m.Header.Get(hdrRoute), mt, m.Data)
	if err != nil {
		f.log.Warn("chat: push dropped", "err", err)
		return
	}
	if m.Header.Get(hdrAll) == "1" {
		skip := setOf(cluster.ParseIDs(m.Header.Get(hdrExcept)))
		gw.EachSession(func(s *session.Session) {
			if uid := s.UserID(); uid != 0 && !skip[uid] {
				p.send(s)
			}
		})
	} else {
		for _, uid := range cluster.ParseIDs(m.Header.Get(hdrUsers)) {
			if s := gw.UserSession(uid); s != nil {
				p.send(s)
			}
		}
	}
	f.delivered.Add(p.n)
}

// Online implements Fanout: this gateway's sessions, then the cluster's
// presence records.
func (f *ClusterFanout) Online(ctx context.Context, users []int64) []bool {
	out := make([]bool, len(users))
	gw := f.gw.Load()
	for i, uid := range users {
		if gw != nil && gw.UserSession(uid) != nil {
			out[i] = true
			continue
		}
		if f.presence != nil {
			ok, err := f.presence.Online(ctx, uid)
			out[i] = err == nil && ok
		}
	}
	return out
}

// push is one push encoded once: the protobuf body, its JSON form made on
// first use, and the whole frame of each connection mode, built on first
// use and written as the same bytes to every session of that mode
// (session.SendShared). It is used by one goroutine at a time.
type push struct {
	route  uint16
	name   string
	typ    protoreflect.MessageType
	body   []byte
	json   []byte
	jsonOK bool
	// wire is the frame by session.Mode (index); nil until first used.
	wire [4][]byte
	n    int64
}

func newPush(gw *gateway.Gateway, route string, typ protoreflect.MessageType, body []byte) (*push, error) {
	rt := gw.Router().LookupName(route)
	if rt == nil {
		return nil, fmt.Errorf("chat: push on unknown route %q", route)
	}
	return &push{route: rt.ID, name: rt.Name, typ: typ, body: body}, nil
}

// frame is the push's whole frame for mode, nil when it cannot be
// rendered for it.
func (p *push) frame(mode session.Mode) []byte {
	if int(mode) >= len(p.wire) {
		return nil
	}
	if w := p.wire[mode]; w != nil {
		return w
	}
	f := &transport.Frame{Kind: transport.KindPush, Route: p.route, RouteName: p.name, Body: p.body}
	if mode == session.ModeWSText {
		if !p.jsonOK {
			p.jsonOK = true
			msg := p.typ.New().Interface()
			if proto.Unmarshal(p.body, msg) == nil {
				p.json, _ = protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg) // the names of every other JSON frame (docs/protocol-chat.md)
			}
		}
		if p.json == nil {
			return nil
		}
		f.Body = p.json
	}
	p.wire[mode] = session.AppendFrame(nil, mode, f)
	return p.wire[mode]
}

func (p *push) send(s *session.Session) {
	w := p.frame(s.Mode())
	if w == nil {
		return
	}
	if s.SendShared(w) == nil {
		p.n++
	}
}

func setOf(ids []int64) map[int64]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
