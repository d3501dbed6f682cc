package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/transport"
)

// Headers of the messages nodes exchange (cluster.SchemaVersion covers
// them). A forwarded request carries the caller and what is left of its
// deadline; its answer carries the error, if any, and the node that served
// it.
const (
	hdrCall      = "Lg-Call" // a forwarded request's caller: callMeta
	hdrSession   = "Lg-Session"
	hdrCode      = "Lg-Code"
	hdrMessage   = "Lg-Message"
	hdrRule      = "Lg-Rule"
	hdrNode      = "Lg-Node"
	hdrOp        = "Lg-Op"
	hdrUsers     = "Lg-Users"
	hdrRoute     = "Lg-Route"
	hdrType      = "Lg-Type"
	hdrReason    = "Lg-Reason"
	hdrAuth      = "Lg-Auth-Session"
	opPush       = "push"
	opPushes     = "pushes" // one body per user: EachPush
	opKick       = "kick"
	propPresence = "cluster.presence_rev"
	propOwner    = "cluster.owner."
)

// Placement says where the calls of one service run.
type Placement struct {
	// Role is the node role that serves the service.
	Role string
	// Strategy picks among the live nodes with Role.
	Strategy cluster.Strategy
	// Locate, when set, finds the node that owns the caller's state (the
	// table of a player): calls go there, and a node that receives one
	// for state it does not own forwards it once. "" means nobody owns
	// any: the strategy picks.
	Locate func(ctx context.Context, userID int64) (node string, err error)
	// Here, when set, reports at no cost that this node owns the caller's
	// state, so that a call that reached its owner is served without
	// asking Locate.
	Here func(userID int64) bool
}

// Mesh joins a gateway to the cluster: it forwards the calls of services
// that run on other nodes, serves this node's services to the others,
// keeps its users' presence in the cluster KV, and delivers pushes and
// kicks to users wherever they are connected.
//
// Concurrency: Run owns the subscriptions and the presence refresher.
// Forwarded calls run on a bounded pool (4 × Config.Workers); a full pool
// answers unavailable. mu guards the balancers, whereMu the remembered
// gateways of callers; neither is held while calling out.
type Mesh struct {
	gw       *Gateway
	bus      *cluster.NATS
	subj     cluster.Subjects
	members  *cluster.Members
	presence *cluster.Presence
	log      *slog.Logger
	self     string
	serves   map[string]bool // services this node runs
	place    map[string]Placement

	pool    chan struct{}
	running sync.WaitGroup
	// stopMu guards stopped: a NATS callback still in flight after Run
	// unsubscribed must not start a worker (running.Add) while Run waits.
	stopMu  sync.RWMutex
	stopped bool

	mu        sync.Mutex
	balancers map[string]*cluster.Balancer

	// where remembers, for each user who called this node lately, the
	// gateway the call came from: pushes to them go there without a
	// presence read. A user who moves to another gateway calls from there
	// (a seated player's table hears of the new connection at once), so a
	// stale entry costs at most pushes the player would not have received
	// anyway; entries are trusted for seenFor.
	whereMu sync.Mutex
	where   map[int64]seenAt

	pushDrops atomic.Int64
	serving   chan struct{} // closed once Run has subscribed every subject
}

// NewMesh builds the cluster side of a node. serves names the services
// whose routes this node runs; every other service in place is forwarded.
// Call it before gateway.New freezes router (it registers forwarders),
// then Attach the gateway.
func NewMesh(router *Router, bus *cluster.NATS, members *cluster.Members, presence *cluster.Presence,
	serves []string, place map[string]Placement, log *slog.Logger) *Mesh {
	m := &Mesh{bus: bus, subj: cluster.NewSubjects(bus.Prefix()), members: members, presence: presence,
		log: log, self: members.Self().ID, serves: map[string]bool{}, place: place,
		balancers: map[string]*cluster.Balancer{}, serving: make(chan struct{})}
	// A forwarded call is tagged with its node: when the node leaves the
	// cluster its calls end at once (errNodeLeft) instead of waiting for
	// their deadline.
	members.OnChange(m.endCallsOfGone)
	for _, s := range serves {
		m.serves[s] = true
	}
	for svc := range place {
		if !m.serves[svc] {
			router.Remote(svc, forwarder{m: m, service: svc})
		}
	}
	return m
}

// Attach connects the mesh to the node's gateway: its sessions, its
// presence hooks, its worker bound.
func (m *Mesh) Attach(gw *Gateway) {
	m.gw = gw
	// Calls forwarded from other nodes wait on this node's store and rooms
	// like their own gateways' sessions do; goroutines are cheap next to
	// that, so the bound is four times the local worker pool.
	m.pool = make(chan struct{}, 4*gw.cfg.Workers)
	gw.mesh = m
	gw.OnConnect(m.connected)
	gw.OnDisconnect(m.disconnected)
}

// Node is this node's id in the cluster.
func (m *Mesh) Node() string { return m.self }

// Members is the cluster membership the mesh routes by.
func (m *Mesh) Members() *cluster.Members { return m.members }

func (m *Mesh) balancer(svc string) *cluster.Balancer {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.balancers[svc]
	if b == nil {
		b = cluster.NewBalancer(m.place[svc].Strategy)
		m.balancers[svc] = b
	}
	return b
}

// Run serves this node's services and its push subject until ctx ends,
// then waits for the calls in progress.
func (m *Mesh) Run(ctx context.Context) error {
	var subs []cluster.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
		m.stopMu.Lock()
		m.stopped = true
		m.stopMu.Unlock()
		m.running.Wait()
	}()
	sub := func(subject, queue string, h cluster.Handler) error {
		s, err := m.bus.Subscribe(subject, queue, h)
		if err != nil {
			return err
		}
		subs = append(subs, s)
		return nil
	}
	// The node's own subjects are endpoints of its registration with the
	// NATS service API: discovery, ping and request counts come with it.
	self := m.members.Self()
	svc, err := m.bus.AddService(self.Version, map[string]string{"node": self.ID, "roles": strings.Join(self.Roles, ",")})
	if err != nil {
		return err
	}
	defer func() { _ = svc.Stop() }()
	for _, rt := range m.gw.router.Routes() {
		if !m.serves[rt.Service()] {
			continue
		}
		if _, placed := m.place[rt.Service()]; !placed {
			continue // served locally on every node, never forwarded
		}
		h := m.serveHandler(ctx, rt)
		if err := svc.Endpoint(rt.Name, m.subj.NodeRPC(m.self, rt.Name), h); err != nil {
			return err
		}
		if err := sub(m.subj.RPC(rt.Name), cluster.RPCQueue, h); err != nil {
			return err
		}
	}
	if err := sub(m.subj.Push(m.self), "", m.deliver); err != nil {
		return err
	}
	if err := sub(m.subj.Broadcast("all"), "", m.deliver); err != nil {
		return err
	}
	if err := m.bus.Flush(ctx); err != nil {
		// Not fatal: nats.go sends the subscriptions again once it is
		// connected; until then the node is routed around like any other
		// that cannot be reached.
		m.log.Warn("mesh: subscriptions not confirmed by NATS", "err", err)
	}
	close(m.serving)
	m.refresh(ctx)
	return nil
}

// Serving is closed once the node's subjects and its service registration
// are in place on the NATS server: a node is not ready before.
func (m *Mesh) Serving() <-chan struct{} { return m.serving }

// refresh keeps the presence records of this gateway's users from
// expiring until ctx ends. After the connection to NATS came back it also
// claims the users who logged in while it was down.
func (m *Mesh) refresh(ctx context.Context) {
	tick := time.NewTicker(m.presence.TTL() / 2)
	defer tick.Stop()
	resync := make(chan struct{}, 1)
	m.bus.OnReconnect(func() {
		select {
		case resync <- struct{}{}:
		default: // one is pending
		}
	})
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.forgetOld()
		case <-resync:
		}
		m.gw.reg.each(func(s *session.Session) {
			uid := s.UserID()
			v, ok := s.Get(propPresence)
			if uid == 0 {
				return
			}
			if !ok {
				m.connected(s)
				return
			}
			rev, err := m.presence.Refresh(ctx, uid, cluster.Location{Node: m.self, Session: s.ID()}, v.(uint64))
			switch {
			case err == nil:
				s.Set(propPresence, rev)
			case cluster.IsConflict(err):
				// Another login replaced it, or it expired (NATS was away
				// longer than its lifetime): only the first ends this one.
				loc, found, lerr := m.presence.Lookup(ctx, uid)
				switch {
				case lerr != nil:
				case found && (loc.Node != m.self || loc.Session != s.ID()):
					s.Close(session.ReasonLoggedElsewhere, "logged in elsewhere")
				default:
					m.connected(s)
				}
			}
		})
	}
}

// connected records a new session's user in the cluster and closes the
// session it replaces on another gateway.
func (m *Mesh) connected(s *session.Session) {
	uid := s.UserID()
	if uid == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(m.gw.baseCtx, m.gw.cfg.RequestTimeout)
	defer cancel()
	prev, had, rev, err := m.presence.Claim(ctx, uid, cluster.Location{Node: m.self, Session: s.ID()})
	if err != nil {
		m.log.Warn("presence claim", "player_id", uid, "session_id", s.ID(), "err", err)
		return
	}
	s.Set(propPresence, rev)
	if !had || prev.Node == m.self {
		return // none, or a session here that the registry already closed
	}
	reason, msg := session.ReasonLoggedElsewhere, "logged in elsewhere"
	if prev.Session == s.ID() {
		msg = "session resumed on another connection"
	}
	h := cluster.Header{}
	h.Set(hdrOp, opKick)
	h.Set(hdrUsers, strconv.FormatInt(uid, 10))
	h.Set(hdrSession, prev.Session)
	h.Set(hdrReason, reason)
	h.Set(hdrMessage, msg)
	if err := m.bus.PublishMsg(ctx, m.subj.Push(prev.Node), h, nil); err != nil {
		m.log.Warn("kick elsewhere", "player_id", uid, "node", prev.Node, "err", err)
	}
}

// disconnected removes the user's presence record, if it is still this
// session's.
func (m *Mesh) disconnected(s *session.Session, _ string) {
	uid := s.UserID()
	v, ok := s.Get(propPresence)
	if uid == 0 || !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(m.gw.baseCtx), m.gw.cfg.RequestTimeout)
	defer cancel()
	if err := m.presence.Release(ctx, uid, v.(uint64)); err != nil {
		m.log.Warn("presence release", "player_id", uid, "err", err)
	}
}

// seenFor is how long a caller's gateway is trusted without a presence
// read: long enough for a player who acts every few seconds, short enough
// that a user who moved to another gateway and has not called since (a
// queued player) is found again soon.
const seenFor = 30 * time.Second

// lookedFor is how long a gateway read from the presence bucket is
// trusted for pushes: the pushes of one moment (a new table's snapshot
// and deal to players who have not called its node yet) share one read.
// A user who moves meanwhile calls from the new gateway (the table hears
// of the connection), which replaces the entry.
const lookedFor = 3 * time.Second

type seenAt struct {
	node  string
	until time.Time
}

// saw records that userID's call came from gateway node.
func (m *Mesh) saw(userID int64, node string) { m.remember(userID, node, seenFor) }

// remember trusts node as userID's gateway for d.
func (m *Mesh) remember(userID int64, node string, d time.Duration) {
	m.whereMu.Lock()
	if m.where == nil {
		m.where = map[int64]seenAt{}
	}
	m.where[userID] = seenAt{node: node, until: time.Now().Add(d)}
	m.whereMu.Unlock()
}

// seen is the gateway userID last called from, while that gateway lives.
func (m *Mesh) seen(userID int64) (string, bool) {
	m.whereMu.Lock()
	e, ok := m.where[userID]
	m.whereMu.Unlock()
	if !ok || time.Now().After(e.until) || !m.members.Alive(e.node) {
		return "", false
	}
	return e.node, true
}

// forgetOld drops the remembered gateways older than the presence TTL.
func (m *Mesh) forgetOld() {
	m.whereMu.Lock()
	defer m.whereMu.Unlock()
	for uid, e := range m.where {
		if time.Now().After(e.until) {
			delete(m.where, uid)
		}
	}
}

// PresenceRev is the presence revision of s's login (0 when it has none):
// it numbers a user's connections in login order.
func PresenceRev(s *session.Session) uint64 {
	v, _ := s.Get(propPresence)
	rev, _ := v.(uint64)
	return rev
}

// Elsewhere reports whether userID's presence record names another
// session than s: the user reconnected (on another gateway) before s
// finished closing.
func (m *Mesh) Elsewhere(ctx context.Context, userID int64, s *session.Session) bool {
	loc, ok, err := m.presence.Lookup(ctx, userID)
	return err == nil && ok && (loc.Node != m.self || loc.Session != s.ID())
}

// PushUser sends a push to userID on whichever gateway holds the user. A
// user who is not connected anywhere is status not_found.
func (m *Mesh) PushUser(userID int64, route string, msg proto.Message) error {
	return m.PushUserContext(context.Background(), userID, route, msg)
}

// PushUserContext is PushUser as part of ctx's trace: a push that goes to
// another gateway carries the trace context in its message headers
// (pushSpan).
func (m *Mesh) PushUserContext(ctx context.Context, userID int64, route string, msg proto.Message) error {
	if m.gw.reg.user(userID) != nil {
		return m.gw.PushUser(userID, route, msg)
	}
	return m.PushUsersContext(ctx, []int64{userID}, route, msg)
}

// PushRawBatch sends pushes on route with a body of their own for each
// user (bodies[i] to userIDs[i], typ naming their type): the users of this
// gateway at once, the others in one NATS message per gateway that holds
// some of them. A service that pushes to many users at the end of a step
// (the world's tick) sends one message per gateway instead of one per
// user. Users connected nowhere are skipped.
func (m *Mesh) PushRawBatch(route string, typ proto.Message, userIDs []int64, bodies [][]byte) error {
	return m.PushRawBatchContext(context.Background(), route, typ, userIDs, bodies)
}

// PushRawBatchContext is PushRawBatch as part of parent's trace (a context without a span: none).
func (m *Mesh) PushRawBatchContext(parent context.Context, route string, typ proto.Message, userIDs []int64, bodies [][]byte) error {
	ctx, cancel := context.WithTimeout(m.gw.baseCtx, m.gw.cfg.RequestTimeout)
	defer cancel()
	byNode := map[string][]byte{}
	lookupErr := m.eachGateway(ctx, userIDs, func(i int, s *session.Session) {
		_ = m.gw.PushRaw(s, route, typ, bodies[i])
	}, func(i int, node string) {
		byNode[node] = AppendPush(byNode[node], userIDs[i], bodies[i])
	})
	var span trace.Span
	if len(byNode) > 0 && observe.Tracing() && hasSpan(parent) {
		parent, span = pushSpan(parent, route, len(byNode), len(userIDs))
		defer span.End()
	}
	for node, b := range byNode {
		h := pushHeader(route, typ)
		h.Set(hdrOp, opPushes)
		if span != nil {
			injectTrace(parent, h)
		}
		if err := m.bus.PublishMsg(ctx, m.subj.Push(node), h, b); err != nil {
			return status.Errorf(status.Unavailable, "push: %v", err)
		}
	}
	return lookupErr
}

// AppendPush appends one user's push to a batch of PushRawBatch: the user
// id and the body's length as varints, then the body.
func AppendPush(b []byte, uid int64, body []byte) []byte {
	b = protowire.AppendVarint(b, uint64(uid))
	return protowire.AppendBytes(b, body)
}

// EachPush calls f for every push of a batch AppendPush built; a batch
// that does not decode is an error after the pushes before the fault.
func EachPush(b []byte, f func(uid int64, body []byte)) error {
	for len(b) > 0 {
		uid, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return errors.New("gateway: push batch: bad user id")
		}
		body, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return errors.New("gateway: push batch: bad body")
		}
		f(int64(uid), body)
		b = b[n+m:]
	}
	return nil
}

// eachGateway sorts users by where they are connected: here calls
// here(i, session) for userIDs[i] connected to this gateway, remote(i,
// node) for one connected to another node; users connected nowhere are
// skipped. A presence read that failed is the error, after the others.
func (m *Mesh) eachGateway(ctx context.Context, userIDs []int64, here func(int, *session.Session), remote func(int, string)) error {
	var lookupErr error
	for i, uid := range userIDs {
		if s := m.gw.reg.user(uid); s != nil {
			here(i, s)
			continue
		}
		node, ok, err := m.gatewayOf(ctx, uid)
		if err != nil {
			lookupErr = err
			continue
		}
		if ok && node != m.self {
			remote(i, node)
		}
	}
	return lookupErr
}

// CallerGateway is the gateway the user's latest forwarded call came
// from, if it was lately (a service that keeps state per remote session
// learns where the session is).
func (m *Mesh) CallerGateway(userID int64) (string, bool) { return m.seen(userID) }

// gatewayOf finds the node a user is connected to: the one its last call
// came from, else its presence record.
func (m *Mesh) gatewayOf(ctx context.Context, uid int64) (string, bool, error) {
	if node, ok := m.seen(uid); ok {
		return node, true, nil
	}
	loc, found, err := m.presence.Lookup(ctx, uid)
	if err != nil {
		return "", false, status.Errorf(status.Unavailable, "presence: %v", err)
	}
	if found && loc.Node != m.self {
		m.remember(uid, loc.Node, lookedFor)
	}
	return loc.Node, found, nil
}

// PushUsers sends one push to several users: one NATS message per gateway
// that holds some of them, encoded once; the gateway fans it out.
func (m *Mesh) PushUsers(userIDs []int64, route string, msg proto.Message) error {
	return m.PushUsersContext(context.Background(), userIDs, route, msg)
}

// PushUsersContext is PushUsers as part of parent's trace (a context without a span: none).
func (m *Mesh) PushUsersContext(parent context.Context, userIDs []int64, route string, msg proto.Message) error {
	ctx, cancel := context.WithTimeout(m.gw.baseCtx, m.gw.cfg.RequestTimeout)
	defer cancel()
	byNode := map[string][]int64{}
	var local []int64
	lookupErr := m.eachGateway(ctx, userIDs, func(i int, _ *session.Session) {
		local = append(local, userIDs[i])
	}, func(i int, node string) {
		byNode[node] = append(byNode[node], userIDs[i])
	})
	for _, uid := range local {
		_ = m.gw.PushUser(uid, route, msg)
	}
	if len(byNode) == 0 {
		if lookupErr != nil {
			return lookupErr
		}
		if len(local) == 0 {
			return status.New(status.NotFound, "user not connected")
		}
		return nil
	}
	body, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("gateway: push %s: %w", route, err)
	}
	var span trace.Span
	if observe.Tracing() && hasSpan(parent) {
		parent, span = pushSpan(parent, route, len(byNode), len(userIDs))
		defer span.End()
	}
	for node, uids := range byNode {
		h := pushHeader(route, msg)
		h.Set(hdrUsers, cluster.JoinIDs(uids))
		if span != nil {
			injectTrace(parent, h)
		}
		if err := m.bus.PublishMsg(ctx, m.subj.Push(node), h, body); err != nil {
			return status.Errorf(status.Unavailable, "push: %v", err)
		}
	}
	return lookupErr
}

// Broadcast pushes msg to every connected user of the cluster: one NATS
// message, fanned out by each gateway.
func (m *Mesh) Broadcast(route string, msg proto.Message) error {
	return m.BroadcastContext(context.Background(), route, msg)
}

// BroadcastContext is Broadcast as part of parent's trace (a context without a span: none).
func (m *Mesh) BroadcastContext(parent context.Context, route string, msg proto.Message) error {
	body, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("gateway: broadcast %s: %w", route, err)
	}
	h := pushHeader(route, msg)
	if observe.Tracing() && hasSpan(parent) {
		var span trace.Span
		parent, span = pushSpan(parent, route, 0, 0)
		defer span.End()
		injectTrace(parent, h)
	}
	return m.bus.PublishMsg(m.gw.baseCtx, m.subj.Broadcast("all"), h, body)
}

// KickUser closes userID's session wherever it is connected; false when
// the user is not connected. With authSession set, only a connection made
// with that login session is closed (a logout ends one login, not others).
func (m *Mesh) KickUser(userID int64, authSession, reason, message string) bool {
	if s := m.gw.reg.user(userID); s != nil {
		if v, _ := s.Get(PropAuthSession); authSession != "" && v != authSession {
			return false
		}
		s.Close(reason, message)
		return true
	}
	ctx, cancel := context.WithTimeout(m.gw.baseCtx, m.gw.cfg.RequestTimeout)
	defer cancel()
	loc, ok, err := m.presence.Lookup(ctx, userID)
	if err != nil || !ok || loc.Node == m.self {
		return false
	}
	h := cluster.Header{}
	h.Set(hdrOp, opKick)
	h.Set(hdrUsers, strconv.FormatInt(userID, 10))
	h.Set(hdrReason, reason)
	h.Set(hdrMessage, message)
	if authSession != "" {
		h.Set(hdrAuth, authSession)
	}
	return m.bus.PublishMsg(ctx, m.subj.Push(loc.Node), h, nil) == nil
}

func pushHeader(route string, msg proto.Message) cluster.Header {
	h := cluster.Header{}
	h.Set(hdrOp, opPush)
	h.Set(hdrRoute, route)
	h.Set(hdrType, string(msg.ProtoReflect().Descriptor().FullName()))
	return h
}

// deliver handles a push or kick for this gateway's sessions (its own
// subject) or for everyone (the broadcast subject).
func (m *Mesh) deliver(ctx context.Context, msg *cluster.Msg) {
	if observe.Tracing() {
		if span, ok := deliverSpan(ctx, msg); ok {
			defer span.End()
		}
	}
	switch msg.Header.Get(hdrOp) {
	case opKick:
		want, auth := msg.Header.Get(hdrSession), msg.Header.Get(hdrAuth)
		for _, uid := range cluster.ParseIDs(msg.Header.Get(hdrUsers)) {
			s := m.gw.reg.user(uid)
			if s == nil || (want != "" && s.ID() != want) {
				continue
			}
			if v, _ := s.Get(PropAuthSession); auth != "" && v != auth {
				continue
			}
			s.Close(msg.Header.Get(hdrReason), msg.Header.Get(hdrMessage))
		}
	case opPushes:
		p, err := m.gw.newPush(msg.Header.Get(hdrRoute), msg.Header.Get(hdrType), nil)
		if err != nil {
			m.log.Warn("push dropped", "err", err)
			return
		}
		err = EachPush(msg.Data, func(uid int64, body []byte) {
			if s := m.gw.reg.user(uid); s != nil {
				one := *p
				one.body = body
				one.send(s)
			} else {
				m.pushDrops.Add(1)
			}
		})
		if err != nil {
			m.log.Warn("push batch cut short", "err", err)
		}
	case opPush:
		p, err := m.gw.newPush(msg.Header.Get(hdrRoute), msg.Header.Get(hdrType), msg.Data)
		if err != nil {
			m.log.Warn("push dropped", "err", err)
			return
		}
		if msg.Subject == m.subj.Broadcast("all") {
			m.gw.reg.each(func(s *session.Session) { p.send(s) })
			return
		}
		for _, uid := range cluster.ParseIDs(msg.Header.Get(hdrUsers)) {
			if s := m.gw.reg.user(uid); s != nil {
				p.send(s)
			} else {
				m.pushDrops.Add(1)
			}
		}
	}
}

// encodedPush is one push encoded once for every codec: the protobuf body
// as it arrived, the JSON body made on first use.
type encodedPush struct {
	rt   *Route
	body []byte
	typ  protoreflect.MessageType
	json []byte
	done bool
}

func (g *Gateway) newPush(route, typ string, body []byte) (*encodedPush, error) {
	rt := g.router.LookupName(route)
	if rt == nil {
		return nil, fmt.Errorf("gateway: push on unknown route %q", route)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(typ))
	if err != nil {
		return nil, fmt.Errorf("gateway: push %s: type %q: %w", route, typ, err)
	}
	return &encodedPush{rt: rt, body: body, typ: mt}, nil
}

func (p *encodedPush) send(s *session.Session) {
	f := &transport.Frame{Kind: transport.KindPush, Route: p.rt.ID, RouteName: p.rt.Name, Body: p.body}
	if s.Mode() == session.ModeWSText {
		if !p.done {
			p.done = true
			msg := p.typ.New().Interface()
			if proto.Unmarshal(p.body, msg) == nil {
				p.json, _ = protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg) // the names of every other JSON frame (docs/protocol-chat.md)
			}
		}
		if p.json == nil {
			return
		}
		f.Body = p.json
	}
	_ = s.SendFrame(f)
}

// Call runs route for userID from server-side code (a hook, another
// service): on this node when it serves the route's service, else on the
// node the route's placement picks. resp receives the answer.
func (m *Mesh) Call(ctx context.Context, route string, userID int64, req, resp proto.Message) error {
	rt := m.gw.router.LookupName(route)
	if rt == nil || rt.PushOnly {
		return fmt.Errorf("gateway: call of unknown route %q", route)
	}
	c := Call{Session: session.Detached("", userID, nil, session.ModeWS), Route: rt, Req: req}
	pl, placed := m.place[rt.Service()]
	if !placed || (m.serves[rt.Service()] && pl.Locate == nil) {
		out, err := rt.final(ctx, &c)
		if err == nil && out != nil {
			proto.Merge(resp, out)
		}
		return err
	}
	body, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	out, err := forwarder{m: m, service: rt.Service()}.Forward(ctx, &c, body)
	if err != nil {
		return err
	}
	return proto.Unmarshal(out, resp)
}

// forwarder sends the calls of one service to the node that serves them.
type forwarder struct {
	m       *Mesh
	service string
}

// Forward implements Forwarder: it picks a node (the owner for a located
// service, else by the service's strategy), sends the call with the
// caller's identity and deadline, and returns the answer. A node that
// turns out to be gone (no responders: nothing was delivered) is skipped
// for the next; a call that timed out is tried elsewhere only for an
// idempotent route. No node at all is unavailable at once. A notify is
// published to the node picked and not awaited (its answer would be
// dropped anyway).
func (f forwarder) Forward(ctx context.Context, c *Call, body []byte) ([]byte, error) {
	m := f.m
	pl := m.place[f.service]
	uid := c.Session.UserID()
	tried := map[string]bool{}
	owner := ""
	if pl.Locate != nil {
		if v, ok := c.Session.Get(propOwner + f.service); ok && m.members.Alive(v.(string)) {
			owner = v.(string)
		} else if n, err := pl.Locate(ctx, uid); err != nil {
			return nil, status.Errorf(status.Unavailable, "cannot locate %s: try again", f.service)
		} else if n != "" && m.members.Alive(n) {
			owner = n
		}
	}
	meta := callMetaOf(ctx, c)
	if uid != 0 && m.gw != nil && m.gw.reg.user(uid) != nil {
		meta.from = m.self // the user is connected here: push here
	}
	h := meta.header()
	if c.Notify { // nobody waits for a notify's answer: sent, not awaited
		node := owner
		if node == "" {
			nodes := m.members.WithRole(pl.Role)
			i := m.balancer(f.service).Pick(nodes, strconv.FormatInt(uid, 10), func(n cluster.NodeInfo) bool {
				return slices.Contains(n.Standby, f.service)
			})
			if i < 0 {
				return nil, status.Errorf(status.Unavailable, "no node serves %s now: try again", f.service)
			}
			node = nodes[i].ID
		}
		if err := m.bus.PublishMsg(ctx, m.subj.NodeRPC(node, c.Route.Name), h, body); err != nil {
			return nil, status.Errorf(status.Unavailable, "%s is unreachable: try again", f.service)
		}
		return nil, nil
	}
	for attempt := 0; ; attempt++ {
		node := owner
		owner = "" // a retry goes through the strategy
		if node == "" || tried[node] {
			nodes := m.members.WithRole(pl.Role)
			i := m.balancer(f.service).Pick(nodes, strconv.FormatInt(uid, 10), func(n cluster.NodeInfo) bool {
				return tried[n.ID] || slices.Contains(n.Standby, f.service)
			})
			if i < 0 {
				if attempt == 0 {
					return nil, status.Errorf(status.Unavailable, "no node serves %s now: try again", f.service)
				}
				return nil, status.Errorf(status.Unavailable, "%s is unavailable: try again", f.service)
			}
			node = nodes[i].ID
		}
		tried[node] = true
		out, err := f.attempt(ctx, c.Route, node, h, body)
		switch {
		case err == nil:
			if n := out.Header.Get(hdrNode); pl.Locate != nil && n != "" {
				c.Session.Set(propOwner+f.service, n)
			}
			return out.Data, replyErr(out)
		case errors.Is(err, cluster.ErrNoResponders):
			continue // never delivered: safe to try another node
		case errors.Is(err, errNodeLeft) && c.Route.idempotent && ctx.Err() == nil:
			continue // its node is gone: another may serve it
		case errors.Is(err, errNodeLeft):
			return nil, status.Errorf(status.Unavailable, "the node serving %s left: the request may or may not have run, try again", f.service)
		case errors.Is(err, cluster.ErrTimeout) && c.Route.idempotent && ctx.Err() == nil:
			if pl.Locate != nil { // the owner froze: its table may have moved
				if n, err := pl.Locate(ctx, uid); err == nil && n != node && m.members.Alive(n) {
					owner = n
				}
			}
			continue
		case errors.Is(err, cluster.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			return nil, status.New(status.Unavailable, "request timed out")
		case errors.Is(err, cluster.ErrDisconnected):
			return nil, status.Errorf(status.Unavailable, "the cluster is unreachable: try again")
		default:
			return nil, status.Errorf(status.Unavailable, "%s is unreachable: try again", f.service)
		}
	}
}

// attempt sends one try of a call to node. An idempotent call waits at
// most as long as a node takes to drop out of the cluster, so that a call
// to a node that froze is tried again elsewhere within the deadline; any
// other call waits for its whole deadline (it cannot be repeated).
//
// A call whose node leaves the cluster while it waits ends at once with
// errNodeLeft: whether it ran is unknown, as after a timeout, but the
// caller learns it when the node is dropped (DropAfter) instead of at its
// deadline.
func (f forwarder) attempt(ctx context.Context, rt *Route, node string, h cluster.Header, body []byte) (*cluster.Msg, error) {
	var wait time.Duration
	if rt.idempotent {
		wait = f.m.members.DropAfter()
	}
	var out *cluster.Msg
	var err error
	if !observe.Tracing() {
		out, err = f.m.bus.RequestMsgTo(ctx, f.m.subj.NodeRPC(node, rt.Name), h, body, node, wait)
	} else {
		var span trace.Span
		ctx, span = forwardSpan(ctx, rt, node, h)
		out, err = f.m.bus.RequestMsgTo(ctx, f.m.subj.NodeRPC(node, rt.Name), h, body, node, wait)
		if err == nil {
			observe.SpanError(span, replyErr(out))
		} else {
			observe.SpanError(span, err)
		}
		span.End()
	}
	if errors.Is(err, errNodeLeft) {
		return nil, errNodeLeft
	}
	return out, err
}

// errNodeLeft ends a call whose node left the cluster while it waited.
var errNodeLeft = errors.New("gateway: the node left the cluster")

// endCallsOfGone ends the calls waiting on nodes no longer in the cluster
// (a membership change).
func (m *Mesh) endCallsOfGone() {
	m.bus.EndRequests(func(node string) bool { return !m.members.Alive(node) }, errNodeLeft)
}

// callMeta is what a forwarded request carries about its caller, packed
// into the one header Lg-Call as space-separated fields:
//
//	<user id> <timeout ms> <hops> <from node or -> <roles or -> <session id>
//
// One header instead of one per field: nats.go allocates a value slice
// per header key on both ends, and this is on every forwarded call. The
// session id is last, left out when empty; no field holds a space.
type callMeta struct {
	user    int64
	timeout time.Duration // what is left of the caller's deadline; 0 none
	hops    int           // times the call was passed on to the owner
	from    string        // the gateway the user is connected to, if known
	roles   string        // comma-separated
	session string
}

// callMetaOf describes the caller of c with what is left of ctx's deadline.
func callMetaOf(ctx context.Context, c *Call) callMeta {
	meta := callMeta{user: c.Session.UserID(), session: c.Session.ID()}
	if roles := c.Session.Roles(); len(roles) > 0 {
		meta.roles = strings.Join(roles, ",")
	}
	if dl, ok := ctx.Deadline(); ok {
		meta.timeout = clampTimeout(time.Until(dl))
	}
	return meta
}

// clampTimeout is what a forwarded call carries of the time left: at least
// a millisecond, and no more than a serving node accepts (a server-side
// caller's far deadline must not make its call unparsable).
func clampTimeout(d time.Duration) time.Duration {
	return min(max(d, time.Millisecond), maxCallTimeoutMs*time.Millisecond)
}

// header is a new header set holding meta.
func (meta callMeta) header() cluster.Header {
	b := make([]byte, 0, 48+len(meta.from)+len(meta.roles)+len(meta.session))
	b = strconv.AppendInt(b, meta.user, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, meta.timeout.Milliseconds(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(meta.hops), 10)
	b = append(b, ' ')
	b = append(b, cmp.Or(meta.from, "-")...)
	b = append(b, ' ')
	b = append(b, cmp.Or(meta.roles, "-")...)
	if meta.session != "" { // NATS trims a value's trailing space
		b = append(b, ' ')
		b = append(b, meta.session...)
	}
	return cluster.Header{hdrCall: {string(b)}}
}

// maxCallTimeoutMs bounds the timeout a forwarded call may carry (about
// eleven days): beyond it the value is not a deadline but garbage.
const maxCallTimeoutMs = 1e9

// parseCallMeta reads the Lg-Call header of a forwarded request. A
// missing or malformed one is an error: the request is refused, never run
// as an anonymous caller.
func parseCallMeta(h cluster.Header) (callMeta, error) {
	v := h.Get(hdrCall)
	var f [5]string
	for i := range f {
		var ok bool
		if f[i], v, ok = strings.Cut(v, " "); !ok && i < len(f)-1 {
			return callMeta{}, fmt.Errorf("malformed %s header", hdrCall)
		}
	}
	var meta callMeta
	var err error
	if meta.user, err = strconv.ParseInt(f[0], 10, 64); err != nil || meta.user < 0 {
		return callMeta{}, fmt.Errorf("malformed user id in %s", hdrCall)
	}
	ms, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || ms < 0 || ms > maxCallTimeoutMs {
		return callMeta{}, fmt.Errorf("malformed timeout in %s", hdrCall)
	}
	meta.timeout = time.Duration(ms) * time.Millisecond
	if meta.hops, err = strconv.Atoi(f[2]); err != nil || meta.hops < 0 {
		return callMeta{}, fmt.Errorf("malformed hops in %s", hdrCall)
	}
	if f[3] != "-" {
		meta.from = f[3]
	}
	if f[4] != "-" {
		meta.roles = f[4]
	}
	if !headerToken(f[3]) || !headerToken(f[4]) || !headerToken(v) {
		return callMeta{}, fmt.Errorf("malformed %s header", hdrCall)
	}
	meta.session = v
	return meta, nil
}

// headerToken reports whether s holds only printable ASCII without space:
// what node ids, roles and session ids are made of, and nothing a header
// would trim or fold.
func headerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// replyErr is the typed error a serving node answered, nil for none.
func replyErr(m *cluster.Msg) error {
	code := status.Code(m.Header.Get(hdrCode))
	if code == "" {
		return nil
	}
	if !code.Valid() {
		code = status.Internal
	}
	msg := m.Header.Get(hdrMessage)
	if rule := m.Header.Get(hdrRule); rule != "" {
		return status.RuleError(code, rule, msg)
	}
	return status.New(code, msg)
}

// serveHandler runs forwarded calls of rt on the worker pool.
func (m *Mesh) serveHandler(ctx context.Context, rt *Route) cluster.Handler {
	return func(_ context.Context, msg *cluster.Msg) {
		select {
		case m.pool <- struct{}{}:
		default:
			_ = msg.RespondMsg(errHeader(m.self, status.New(status.Unavailable, "server busy: try again")), nil)
			return
		}
		m.stopMu.RLock()
		if m.stopped {
			m.stopMu.RUnlock()
			<-m.pool
			_ = msg.RespondMsg(errHeader(m.self, status.New(status.Unavailable, "node stopping")), nil)
			return
		}
		m.running.Add(1)
		m.stopMu.RUnlock()
		go func() { // a pool worker: bounded by m.pool, waited for by Run
			defer func() { <-m.pool; m.running.Done() }()
			m.serve(ctx, rt, msg)
		}()
	}
}

func (m *Mesh) serve(ctx context.Context, rt *Route, msg *cluster.Msg) {
	meta, err := parseCallMeta(msg.Header)
	if err != nil {
		_ = msg.RespondMsg(errHeader(m.self, status.New(status.BadRequest, err.Error())), nil)
		return
	}
	timeout := rt.timeout
	if meta.timeout > 0 {
		timeout = min(timeout, meta.timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if observe.Tracing() {
		ctx = remoteParent(ctx, msg.Header)
	}
	uid := meta.user
	if meta.from != "" && uid != 0 {
		m.saw(uid, meta.from)
	}
	var roles []string
	if meta.roles != "" {
		roles = strings.Split(meta.roles, ",")
	}
	// A located service runs where the caller's state is: a call that
	// reached another node is passed on once.
	pl := m.place[rt.Service()]
	if pl.Locate != nil && meta.hops == 0 && (pl.Here == nil || !pl.Here(uid)) {
		owner, err := pl.Locate(ctx, uid)
		if err == nil && owner != "" && owner != m.self && !m.members.Alive(owner) {
			// Its node is gone and no node has adopted it yet.
			_ = msg.RespondMsg(errHeader(m.self, status.New(status.Unavailable, "the table is moving to another server: try again")), nil)
			return
		}
		if err == nil && owner != "" && owner != m.self {
			h := msg.Header
			meta.hops++
			meta.timeout = 0
			if dl, ok := ctx.Deadline(); ok {
				meta.timeout = clampTimeout(time.Until(dl))
			}
			h[hdrCall] = meta.header()[hdrCall]
			out, err := m.bus.RequestMsg(ctx, m.subj.NodeRPC(owner, rt.Name), h, msg.Data)
			if err != nil {
				_ = msg.RespondMsg(errHeader(m.self, status.Errorf(status.Unavailable, "%s is unreachable: try again", rt.Service())), nil)
				return
			}
			_ = msg.RespondMsg(out.Header, out.Data)
			return
		}
	}
	c := Call{Session: session.Detached(meta.session, uid, roles, session.ModeWS), Route: rt, Req: rt.newReq()}
	if err := proto.Unmarshal(msg.Data, c.Req); err != nil {
		_ = msg.RespondMsg(errHeader(m.self, decodeError(rt, err)), nil)
		return
	}
	resp, err := rt.final(ctx, &c)
	if err == nil && ctx.Err() != nil {
		err = status.New(status.Unavailable, "request timed out")
	}
	if err != nil {
		_ = msg.RespondMsg(errHeader(m.self, err), nil)
		return
	}
	body, err := proto.Marshal(resp)
	if err != nil {
		_ = msg.RespondMsg(errHeader(m.self, err), nil)
		return
	}
	// Only a located service's caller reads who served it (to stick to
	// the owner); any other answer goes without headers, cheaper to
	// send and to parse.
	var h cluster.Header
	if pl.Locate != nil {
		h = cluster.Header{hdrNode: {m.self}}
	}
	_ = msg.RespondMsg(h, body)
}

func errHeader(node string, err error) cluster.Header {
	e := status.From(err)
	h := cluster.Header{}
	h.Set(hdrNode, node)
	h.Set(hdrCode, string(e.Code))
	h.Set(hdrMessage, e.Message)
	if e.Rule != "" {
		h.Set(hdrRule, e.Rule)
	}
	return h
}
