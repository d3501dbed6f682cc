package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/clientaddr"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// ProtocolVersion is the wire protocol version this server speaks.
const ProtocolVersion = 1

// Identity is who an access token belongs to.
type Identity struct {
	UserID    int64
	SessionID string
	Roles     []string
}

// Authenticator checks the access token of a handshake. It returns a
// status error (unauthenticated) for a token that is invalid, expired or
// revoked.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Identity, error)
}

// Gateway accepts connections, runs the handshake and dispatches frames to
// the router.
type Gateway struct {
	cfg    Config
	log    *slog.Logger
	router *Router
	m      *metrics
	reg    *registry
	auth   Authenticator
	// proxies are Config.TrustedProxies, parsed.
	proxies    clientaddr.Proxies
	origins    originPolicy
	proxyProto proxyPolicy

	conns     atomic.Int64
	pool      chan struct{}
	nextID    atomic.Uint64
	idPrefix  string
	resumeKey []byte
	draining  atomic.Bool
	readers   sync.WaitGroup
	// trackMu orders readers.Add before Shutdown's Wait; untracked is set
	// when the Wait starts (track).
	trackMu   sync.Mutex
	untracked bool
	requests  atomic.Int64 // requests being handled; Shutdown waits for zero
	baseCtx   context.Context
	cancel    context.CancelFunc
	calls     callSlab
	mesh      *Mesh // set by NewMesh
	// identity is the Ed25519 key that signs the TCP key exchange
	// (SetIdentity); nil: TCP encryption is not offered.
	identity ed25519.PrivateKey

	hookMu       sync.RWMutex
	onConnect    []func(*session.Session)
	onDisconnect []func(*session.Session, string)
}

// New builds a gateway. auth may be nil, in which case handshakes with a
// token are refused. reg receives the gateway's metrics (nil: none).
func New(cfg Config, r *Router, auth Authenticator, log *slog.Logger, reg prometheus.Registerer) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	origins, err := parseOrigins(cfg.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	proxies, err := clientaddr.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("gateway: trusted_proxies: %w", err)
	}
	proxyProto, err := parseProxyPolicy(cfg.TCPProxyProtocol)
	if err != nil {
		return nil, err
	}
	var seed [20]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("gateway: seed: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gateway{
		cfg: cfg, log: log, router: r, m: newMetrics(reg), reg: newRegistry(), auth: auth,
		proxies: proxies, proxyProto: proxyProto, origins: origins,
		pool:      make(chan struct{}, cfg.Workers),
		idPrefix:  hex.EncodeToString(seed[:4]),
		resumeKey: seed[4:],
		baseCtx:   ctx, cancel: cancel,
	}
	for name, l := range cfg.RouteLimits {
		rt := r.LookupName(name)
		if rt == nil || rt.PushOnly || rt.internal {
			return nil, fmt.Errorf("gateway: route_limits: %q is not a route clients call", name)
		}
		rt.limit = l
	}
	r.mw = append([]Middleware{Recover(log), Logging(log), g.Metrics(), Auth()}, r.mw...)
	r.freeze(g.m, cfg.RequestTimeout, cfg.RouteMaxInFlight)
	return g, nil
}

// SetResumeKey sets the key resume tokens are signed with. Gateways of one
// cluster share it, so that a session resumes on any of them. Call it
// before serving; by default each gateway has a random key of its own.
func (g *Gateway) SetResumeKey(key []byte) { g.resumeKey = append([]byte(nil), key...) }

// SetIdentity sets the long-term Ed25519 key that signs the server half of
// the encrypted TCP key exchange (package securetcp): TCP clients may then
// negotiate encryption, and clients pin IdentityPublic. Call it before
// serving.
func (g *Gateway) SetIdentity(key ed25519.PrivateKey) { g.identity = key }

// IdentityPublic is the public half of the TCP identity key (nil: none).
func (g *Gateway) IdentityPublic() ed25519.PublicKey {
	if g.identity == nil {
		return nil
	}
	return g.identity.Public().(ed25519.PublicKey)
}

// Router is the gateway's route table.
func (g *Gateway) Router() *Router { return g.router }

// OnConnect registers a hook run after each completed handshake.
func (g *Gateway) OnConnect(f func(*session.Session)) {
	g.hookMu.Lock()
	g.onConnect = append(g.onConnect, f)
	g.hookMu.Unlock()
}

// OnDisconnect registers a hook run after each handshaken session closes.
func (g *Gateway) OnDisconnect(f func(*session.Session, string)) {
	g.hookMu.Lock()
	g.onDisconnect = append(g.onDisconnect, f)
	g.hookMu.Unlock()
}

// Online is the number of handshaken sessions.
func (g *Gateway) Online() int { return g.reg.count() }

// Conns is the number of open connections, handshaken or not.
func (g *Gateway) Conns() int { return int(g.conns.Load()) }

// Session finds a connected session by id.
func (g *Gateway) Session(id string) *session.Session { return g.reg.get(id) }

// UserSession finds the connected session of a user.
func (g *Gateway) UserSession(userID int64) *session.Session { return g.reg.user(userID) }

// Push sends a push message on route to session s.
func (g *Gateway) Push(s *session.Session, route string, msg proto.Message) error {
	rt := g.router.LookupName(route)
	if rt == nil {
		return fmt.Errorf("gateway: push on unknown route %q", route)
	}
	return s.Send(transport.KindPush, rt.ID, rt.Name, 0, msg)
}

// PushSession sends a push to a session by id.
func (g *Gateway) PushSession(id, route string, msg proto.Message) error {
	s := g.reg.get(id)
	if s == nil {
		return status.New(status.NotFound, "session not connected")
	}
	return g.Push(s, route, msg)
}

// PushUser sends a push to the connected session of a user.
func (g *Gateway) PushUser(userID int64, route string, msg proto.Message) error {
	s := g.reg.user(userID)
	if s == nil {
		return status.New(status.NotFound, "user not connected")
	}
	return g.Push(s, route, msg)
}

// Kick closes a session with a reason the client sees.
func (g *Gateway) Kick(id, reason, message string) error {
	s := g.reg.get(id)
	if s == nil {
		return status.New(status.NotFound, "session not connected")
	}
	s.Close(reason, message)
	return nil
}

// KickUser closes the session of a user, if connected.
func (g *Gateway) KickUser(userID int64, reason, message string) bool {
	s := g.reg.user(userID)
	if s == nil {
		return false
	}
	s.Close(reason, message)
	return true
}

// Broadcast pushes msg to every connected session.
func (g *Gateway) Broadcast(route string, msg proto.Message) {
	g.reg.each(func(s *session.Session) { _ = g.Push(s, route, msg) })
}

// accept wraps a new connection in a session and serves it on a goroutine
// that the gateway owns (Shutdown waits for it).
func (g *Gateway) accept(conn net.Conn, br interface{ Buffered() int }, mode session.Mode, s *session.Session) {
	if !g.track() {
		_ = conn.Close() // Shutdown is already waiting for the last sessions
		return
	}
	n := g.conns.Add(1)
	g.m.conns.WithLabelValues(mode.Transport()).Inc()
	ip := clientaddr.Host(s.RemoteAddr())
	switch {
	case g.draining.Load():
		s.SetRefusal("server_shutdown")
	case n > int64(g.cfg.MaxConns):
		s.SetRefusal("server_full")
	case !g.reg.ipAcquire(ip, g.cfg.MaxConnsPerIP):
		s.SetRefusal("too_many_connections_from_address")
		ip = ""
	}
	s.SetCounters(session.Counters{
		FramesOut: g.m.framesOut.WithLabelValues(mode.Transport()),
		BytesOut:  g.m.bytesOut.WithLabelValues(mode.Transport()),
	})
	if ip != "" {
		s.Set(propIP, ip)
	}
	go func() { // owned by the gateway (track): Shutdown closes the conn and waits
		defer g.readers.Done()
		s.Serve(g)
	}()
}

// track counts one more goroutine that Shutdown waits for, or reports
// false once Shutdown has started waiting. The lock orders every Add
// before the Wait: an Add from a connection accepted during the Wait
// would be a misuse of the WaitGroup (the race detector reports it).
func (g *Gateway) track() bool {
	g.trackMu.Lock()
	defer g.trackMu.Unlock()
	if g.untracked {
		return false
	}
	g.readers.Add(1)
	return true
}

const propIP = "gateway.ip"

// PropAuthSession is the session property holding the access token's
// session id (Identity.SessionID), so a logout can close the right socket.
const PropAuthSession = "auth.session_id"

func (g *Gateway) newSessionID() string {
	return g.idPrefix + "-" + strconv.FormatUint(g.nextID.Add(1), 36)
}

// Closed implements session.Handler.
func (g *Gateway) Closed(s *session.Session) {
	g.conns.Add(-1)
	g.m.conns.WithLabelValues(s.Mode().Transport()).Dec()
	if ip, ok := s.Get(propIP); ok {
		g.reg.ipRelease(ip.(string))
	}
	reason := s.CloseReason()
	g.m.closes.WithLabelValues(reason).Inc()
	if reason == session.ReasonSlowConsumer {
		g.m.drops.Inc()
	}
	if !s.Handshaken() {
		return
	}
	g.reg.remove(s)
	g.hookMu.RLock()
	hooks := g.onDisconnect
	g.hookMu.RUnlock()
	for _, h := range hooks {
		h(s, reason)
	}
}

// HandleFrame implements session.Handler: it runs in the session's reader.
func (g *Gateway) HandleFrame(s *session.Session, f *transport.Frame) {
	in := g.m.input(s.Mode().Transport())
	in.frames.Inc()
	in.bytes.Add(float64(len(f.Body) + transport.HeaderWS))
	if !s.Handshaken() {
		g.handshake(s, f)
		return
	}
	if !s.Allow(time.Now()) {
		g.m.rateHits.Inc()
		g.m.errors.WithLabelValues(string(status.RateLimited)).Inc()
		if f.Kind == transport.KindRequest {
			g.sendErr(s, f, nil, status.New(status.RateLimited, "too many messages: slow down"))
		}
		if s.Strike(time.Now()) {
			s.Close(session.ReasonRateLimited, "too many messages")
		}
		return
	}
	switch f.Kind {
	case transport.KindHeartbeat:
		_ = s.RespondFrame(&transport.Frame{Kind: transport.KindHeartbeat})
	case transport.KindRequest:
		if f.Seq == 0 {
			// Seq 0 cannot be told apart from a frame that has none: the
			// answer could not be matched to the request.
			g.m.badFrames.WithLabelValues("zero_seq").Inc()
			g.m.errors.WithLabelValues(string(status.BadRequest)).Inc()
			g.sendErr(s, f, g.resolve(f), status.RuleError(status.BadRequest, "zero_seq", "a request needs a non-zero seq"))
			return
		}
		g.dispatch(s, f)
	case transport.KindNotify:
		g.dispatch(s, f)
	default:
		g.m.badFrames.WithLabelValues("unexpected_kind").Inc()
		s.Close(session.ReasonProtocolError, "a client may not send "+f.Kind.String()+" frames")
	}
}

func (g *Gateway) resolve(f *transport.Frame) *Route {
	if f.RouteName != "" {
		return g.router.LookupName(f.RouteName)
	}
	return g.router.Lookup(f.Route)
}

func (g *Gateway) sendErr(s *session.Session, f *transport.Frame, rt *Route, err error) {
	e := status.From(err)
	var id uint16
	name := f.RouteName
	if rt != nil {
		id, name = rt.ID, rt.Name
	} else {
		id = f.Route
	}
	_ = s.SendError(transport.KindResponse, id, name, f.Seq, &pb.Error{Code: wireCode(e.Code), Message: e.Message, Rule: e.Rule})
}

func (g *Gateway) dispatch(s *session.Session, f *transport.Frame) {
	notify := f.Kind == transport.KindNotify
	fail := func(rt *Route, err error) {
		g.m.errors.WithLabelValues(string(status.CodeOf(err))).Inc()
		if !notify {
			g.sendErr(s, f, rt, err)
		}
	}
	rt := g.resolve(f)
	if rt == nil || rt.PushOnly || rt.internal {
		g.m.badFrames.WithLabelValues("unknown_route").Inc()
		fail(nil, status.Errorf(status.NotFound, "unknown route %s", routeLabel(f)))
		return
	}
	if rt.limit.PerSecond > 0 {
		if now := time.Now(); !s.AllowRoute(rt.ID, now, rt.limit.PerSecond, rt.limit.Burst) {
			g.m.rateHits.Inc()
			g.m.routeRateHits.WithLabelValues(rt.Name).Inc()
			fail(rt, status.Errorf(status.RateLimited, "too many %s requests: slow down", rt.Name))
			if s.Strike(now) {
				s.Close(session.ReasonRateLimited, "too many messages")
			}
			return
		}
	}
	if g.draining.Load() {
		fail(rt, status.New(status.Unavailable, "server shutting down"))
		return
	}
	req := rt.newReq()
	if err := decodeBody(s.Mode(), f.Body, req); err != nil {
		g.m.badFrames.WithLabelValues("bad_body").Inc()
		fail(rt, decodeError(rt, err))
		return
	}
	if !s.AcquireInFlight() {
		fail(rt, status.New(status.RateLimited, "too many requests in flight on this connection"))
		return
	}
	c := g.calls.get()
	c.Call = Call{Session: s, Route: rt, Req: req, Notify: notify}
	c.base = g.baseCtx
	if !rt.concurrent {
		g.requests.Add(1)
		g.run(c, f.Seq)
		return
	}
	if rt.inFlight.Add(1) > rt.maxFlight {
		rt.inFlight.Add(-1)
		s.ReleaseInFlight()
		fail(rt, status.New(status.Unavailable, "route busy: try again"))
		return
	}
	select {
	case g.pool <- struct{}{}:
	default:
		rt.inFlight.Add(-1)
		s.ReleaseInFlight()
		fail(rt, status.New(status.Unavailable, "server busy: try again"))
		return
	}
	g.requests.Add(1)
	seq := f.Seq
	go func() { // a pool worker: bounded by g.pool, waited for by Shutdown
		defer func() { <-g.pool; rt.inFlight.Add(-1) }()
		g.run(c, seq)
	}()
}

func routeLabel(f *transport.Frame) string {
	if f.RouteName != "" {
		return strconv.Quote(f.RouteName)
	}
	return "id " + strconv.Itoa(int(f.Route))
}

// decodeError is the answer to a request body that did not decode:
// bad_request, with the rule invalid_utf8 when a string field is not UTF-8
// (protobuf refuses it while decoding, so no service ever sees the text).
func decodeError(rt *Route, err error) error {
	if strings.Contains(err.Error(), "invalid UTF-8") {
		return status.RuleError(status.BadRequest, "invalid_utf8", fmt.Sprintf("cannot decode %s body: a text field is not valid UTF-8", rt.Name))
	}
	return status.Errorf(status.BadRequest, "cannot decode %s body: %v", rt.Name, err)
}

func decodeBody(m session.Mode, body []byte, msg proto.Message) error {
	if m == session.ModeWSText {
		if len(body) == 0 {
			return nil
		}
		// Strict like the HTTP API: a key the message does not have is an
		// error, not silently dropped.
		return protojson.Unmarshal(body, msg)
	}
	return proto.Unmarshal(body, msg)
}

func (g *Gateway) run(c *callCtx, seq uint32) {
	defer g.requests.Add(-1)
	defer func() { c.Call = Call{} }() // see callSlab
	c.deadline = time.Now().Add(c.Route.timeout)
	resp, err := c.Route.final(c, &c.Call)
	timedOut := c.end()
	c.Session.ReleaseInFlight()
	if c.Notify {
		return
	}
	if timedOut && (err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		// Past its deadline the answer is a timeout, whether the handler
		// gave up on ctx or finished late.
		err = status.New(status.Unavailable, "request timed out")
	}
	if err != nil {
		e := status.From(err)
		_ = c.Session.SendError(transport.KindResponse, c.Route.ID, c.Route.Name, seq,
			&pb.Error{Code: wireCode(e.Code), Message: e.Message, Rule: e.Rule})
		return
	}
	// On the session's reader (a sequential route) the reader writes the
	// response itself; from a pool worker Respond is Send.
	_ = c.Session.Respond(c.Route.ID, c.Route.Name, seq, resp)
}

func wireCode(c status.Code) pb.Code {
	switch c {
	case status.BadRequest:
		return pb.Code_CODE_BAD_REQUEST
	case status.Unauthenticated:
		return pb.Code_CODE_UNAUTHENTICATED
	case status.Forbidden:
		return pb.Code_CODE_FORBIDDEN
	case status.NotFound:
		return pb.Code_CODE_NOT_FOUND
	case status.Conflict:
		return pb.Code_CODE_CONFLICT
	case status.RateLimited:
		return pb.Code_CODE_RATE_LIMITED
	case status.Unavailable:
		return pb.Code_CODE_UNAVAILABLE
	default:
		return pb.Code_CODE_INTERNAL
	}
}

// refuseHandshake answers a handshake with an error and closes.
func (g *Gateway) refuseHandshake(s *session.Session, code status.Code, reason, msg string) {
	g.m.handshakes.WithLabelValues(string(code)).Inc()
	_ = s.SendError(transport.KindHandshakeAck, 0, "", 0, &pb.Error{Code: wireCode(code), Message: msg, Rule: reason})
	s.Close(reason, msg)
}

func (g *Gateway) handshake(s *session.Session, f *transport.Frame) {
	if f.Kind != transport.KindHandshake {
		g.m.badFrames.WithLabelValues("no_handshake").Inc()
		g.refuseHandshake(s, status.BadRequest, session.ReasonProtocolError, "the first frame must be a handshake")
		return
	}
	var hs pb.Handshake
	if err := decodeBody(s.Mode(), f.Body, &hs); err != nil {
		g.m.badFrames.WithLabelValues("bad_handshake").Inc()
		g.refuseHandshake(s, status.BadRequest, session.ReasonProtocolError, "cannot decode handshake: "+err.Error())
		return
	}
	switch r := s.Refusal(); r {
	case "":
	case "server_full":
		g.refuseHandshake(s, status.Unavailable, r, "server full: try again later")
		return
	case "server_shutdown":
		g.refuseHandshake(s, status.Unavailable, r, "server shutting down")
		return
	default:
		g.refuseHandshake(s, status.RateLimited, r, "too many connections from your address")
		return
	}
	if g.cfg.TCPRequireEncryption && s.Mode() == session.ModeTCP && !s.Encrypted() {
		g.refuseHandshake(s, status.BadRequest, "encryption_required",
			"this server accepts only encrypted TCP connections: start with a key exchange frame")
		return
	}
	if hs.Version != ProtocolVersion {
		g.refuseHandshake(s, status.BadRequest, "unsupported_version",
			fmt.Sprintf("protocol version %d is not supported: this server speaks %d", hs.Version, ProtocolVersion))
		return
	}
	switch {
	case hs.Codec == "protobuf" && s.Mode() != session.ModeWSText || hs.Codec == "json" && s.Mode() == session.ModeWSText:
	case hs.Codec == "":
		g.refuseHandshake(s, status.BadRequest, "bad_codec",
			"the handshake must name its codec: protobuf for binary frames, json for WebSocket text frames")
		return
	default:
		g.refuseHandshake(s, status.BadRequest, "bad_codec",
			fmt.Sprintf("codec %q does not match the frames (binary frames carry protobuf, WebSocket text frames carry json)", hs.Codec))
		return
	}
	ctx, cancel := context.WithTimeout(g.baseCtx, g.cfg.RequestTimeout)
	defer cancel()
	if hs.ResumeToken != "" {
		id, uid, ok := g.checkResume(hs.ResumeToken)
		if !ok {
			g.refuseHandshake(s, status.Unauthenticated, "bad_resume_token", "resume token invalid or expired")
			return
		}
		if old := g.reg.get(id); old != nil {
			old.Close(session.ReasonLoggedElsewhere, "session resumed on another connection")
		}
		s.SetID(id)
		if uid != 0 && hs.Token == "" {
			s.Bind(uid, nil)
		}
	} else {
		s.SetID(g.newSessionID())
	}
	if hs.Token != "" {
		if g.auth == nil {
			g.refuseHandshake(s, status.Unauthenticated, "bad_token", "this server does not accept access tokens")
			return
		}
		id, err := g.auth.Authenticate(ctx, hs.Token)
		if err != nil {
			e := status.From(err)
			if e.Code == status.Internal || e.Code == status.Unavailable {
				g.log.Error("handshake authentication failed", "session_id", s.ID(), "err", err)
				g.refuseHandshake(s, status.Unavailable, "auth_unavailable", "cannot check the token now: try again")
				return
			}
			g.refuseHandshake(s, status.Unauthenticated, "bad_token", e.Message)
			return
		}
		s.Bind(id.UserID, id.Roles)
		if id.SessionID != "" {
			s.Set(PropAuthSession, id.SessionID)
		}
	}
	g.reg.add(s)
	if uid := s.UserID(); uid != 0 {
		if old := g.reg.bindUser(uid, s); old != nil {
			old.Close(session.ReasonLoggedElsewhere, "logged in elsewhere")
		}
	}
	ack := &pb.HandshakeAck{
		SessionId:        s.ID(),
		HeartbeatMs:      uint32(g.cfg.Session.HeartbeatInterval / time.Millisecond),
		MissedHeartbeats: uint32(g.cfg.Session.MissedHeartbeats),
		ServerTimeMs:     time.Now().UnixMilli(),
		Routes:           g.router.Table(),
		ResumeToken:      g.resumeToken(s.ID(), s.UserID()),
		Version:          ProtocolVersion,
		MaxFrameBytes:    uint32(g.cfg.Session.MaxFrameBytes),
	}
	if uid := s.UserID(); uid != 0 {
		ack.UserId = strconv.FormatInt(uid, 10)
	}
	s.MarkHandshaken()
	g.m.handshakes.WithLabelValues("ok").Inc()
	_ = s.Send(transport.KindHandshakeAck, 0, "", 0, ack)
	g.hookMu.RLock()
	hooks := g.onConnect
	g.hookMu.RUnlock()
	for _, h := range hooks {
		h(s)
	}
}

// resumeToken is base64url(expiry u64 | user id u64 | session id | hmac).
func (g *Gateway) resumeToken(id string, uid int64) string {
	b := make([]byte, 16, 16+len(id)+32)
	binary.BigEndian.PutUint64(b, uint64(time.Now().Add(g.cfg.ResumeTTL).Unix()))
	binary.BigEndian.PutUint64(b[8:], uint64(uid))
	b = append(b, id...)
	mac := hmac.New(sha256.New, g.resumeKey)
	mac.Write(b)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(b))
}

func (g *Gateway) checkResume(tok string) (string, int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 16+32+1 || len(b) > 16+32+64 {
		return "", 0, false
	}
	body, sum := b[:len(b)-32], b[len(b)-32:]
	mac := hmac.New(sha256.New, g.resumeKey)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return "", 0, false
	}
	if time.Now().Unix() > int64(binary.BigEndian.Uint64(body)) {
		return "", 0, false
	}
	return string(body[16:]), int64(binary.BigEndian.Uint64(body[8:])), true
}

// Shutdown drains the gateway: new connections and requests are refused,
// in-flight requests finish (bounded by ctx), every session is told
// server_shutdown and closed, and Shutdown returns when every session
// goroutine has exited or ctx ends. The listeners are closed by their
// Serve methods when their context ends.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.draining.Store(true)
	tick := time.NewTicker(5 * time.Millisecond)
	for g.requests.Load() > 0 && ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	tick.Stop()
	g.reg.each(func(s *session.Session) { s.Close(session.ReasonServerShutdown, "server shutting down") })
	g.cancel()
	g.trackMu.Lock()
	g.untracked = true
	g.trackMu.Unlock()
	readers := make(chan struct{})
	go func() { g.readers.Wait(); close(readers) }() // ends when every session has closed
	select {
	case <-readers:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gateway: shutdown: %w", ctx.Err())
	}
}
