package gateway

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Call is one request or notify on its way to a handler. Middleware may
// use it only until its handler returns: the gateway clears it then.
type Call struct {
	Session *session.Session
	Route   *Route
	Req     proto.Message
	// Notify is true for a one-way notify: the result is dropped.
	Notify bool
}

// HandlerFunc is a handler after type erasure; middleware wraps it.
type HandlerFunc func(ctx context.Context, c *Call) (proto.Message, error)

// Middleware wraps a handler. The router applies them in the order given to
// Use, the first one outermost.
type Middleware func(next HandlerFunc) HandlerFunc

// Route is one entry of the route table.
type Route struct {
	Name string
	ID   uint16
	// PushOnly routes are server-to-client messages with no handler.
	PushOnly bool

	newReq     func() proto.Message
	newResp    func() proto.Message
	handler    HandlerFunc
	final      HandlerFunc
	concurrent bool
	public     bool
	idempotent bool
	internal   bool
	timeout    time.Duration
	inFlight   atomic.Int32
	maxFlight  int32
	stats      *routeStats
	// limit is the route's own per-connection rate limit
	// (Config.RouteLimits); PerSecond 0: none.
	limit RouteLimit
}

// RouteOption changes how a route is handled.
type RouteOption func(*Route)

// Concurrent lets requests of one session on this route run in parallel
// with the session's later requests, on the worker pool.
func Concurrent() RouteOption { return func(r *Route) { r.concurrent = true } }

// Public lets sessions without an authenticated user call the route.
// Routes require authentication unless they are Public.
func Public() RouteOption { return func(r *Route) { r.public = true } }

// Idempotent marks a route that may run twice with no harm (a read): in a
// cluster, a call that timed out on one node is tried on another.
func Idempotent() RouteOption { return func(r *Route) { r.idempotent = true } }

// Internal marks a route that only nodes call (Mesh.Call), never clients:
// it is left out of the route table and refused from a connection.
func Internal() RouteOption { return func(r *Route) { r.internal = true } }

// IsIdempotent reports whether the route was registered Idempotent.
func (rt *Route) IsIdempotent() bool { return rt.idempotent }

// Timeout overrides the request deadline for this route.
func Timeout(d time.Duration) RouteOption { return func(r *Route) { r.timeout = d } }

// Router is the route table and middleware chain. Register every route
// before the gateway starts serving; the table is read-only afterwards.
type Router struct {
	byID   map[uint16]*Route
	byName map[string]*Route
	mw     []Middleware
	remote map[string]Forwarder // service -> where its calls go
	frozen bool
}

// Forwarder carries a call of a service that runs on other nodes: it sends
// the encoded request and returns the encoded response, or the typed error
// the serving node answered.
type Forwarder interface {
	Forward(ctx context.Context, c *Call, body []byte) ([]byte, error)
}

// Service is the service a route belongs to: its name up to the first dot
// ("ddz" for "ddz.play").
func (rt *Route) Service() string {
	if i := strings.IndexByte(rt.Name, '.'); i >= 0 {
		return rt.Name[:i]
	}
	return rt.Name
}

// Remote sends every route of service through f instead of its handler:
// the service runs on other nodes. Call it before the gateway starts.
func (r *Router) Remote(service string, f Forwarder) {
	if r.frozen {
		panic("gateway: Remote(" + service + ") after the gateway started")
	}
	if r.remote == nil {
		r.remote = map[string]Forwarder{}
	}
	r.remote[service] = f
}

// Routes lists the routes with handlers (not push-only), sorted by id.
func (r *Router) Routes() []*Route {
	out := make([]*Route, 0, len(r.byID))
	for _, rt := range r.byID {
		if !rt.PushOnly {
			out = append(out, rt)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{byID: map[uint16]*Route{}, byName: map[string]*Route{}}
}

// Use appends middleware. It applies to routes registered before and after.
func (r *Router) Use(mw ...Middleware) { r.mw = append(r.mw, mw...) }

func (r *Router) add(rt *Route) {
	if r.frozen {
		panic("gateway: route " + rt.Name + " registered after the gateway started")
	}
	if rt.ID == 0 || rt.Name == "" {
		panic(fmt.Sprintf("gateway: route %q needs a name and a non-zero id", rt.Name))
	}
	if old, ok := r.byID[rt.ID]; ok {
		panic(fmt.Sprintf("gateway: route id %d used by %s and %s", rt.ID, old.Name, rt.Name))
	}
	if _, ok := r.byName[rt.Name]; ok {
		panic("gateway: route " + rt.Name + " registered twice")
	}
	r.byID[rt.ID] = rt
	r.byName[rt.Name] = rt
}

// Handle registers a typed handler for route name with numeric id.
func Handle[Req, Resp proto.Message](r *Router, name string, id uint16, h func(ctx context.Context, s *session.Session, req Req) (Resp, error), opts ...RouteOption) {
	var zero Req
	var zeroResp Resp
	typ, respTyp := zero.ProtoReflect().Type(), zeroResp.ProtoReflect().Type()
	rt := &Route{
		Name:    name,
		ID:      id,
		newReq:  func() proto.Message { return typ.New().Interface() },
		newResp: func() proto.Message { return respTyp.New().Interface() },
		handler: func(ctx context.Context, c *Call) (proto.Message, error) {
			resp, err := h(ctx, c.Session, c.Req.(Req))
			if err != nil {
				return nil, err
			}
			return resp, nil
		},
	}
	for _, o := range opts {
		o(rt)
	}
	r.add(rt)
}

// PushRoute registers the name and id of a server-to-client message so that
// it appears in the route table clients receive.
func (r *Router) PushRoute(name string, id uint16) { r.add(&Route{Name: name, ID: id, PushOnly: true}) }

// Lookup finds a route by id.
func (r *Router) Lookup(id uint16) *Route { return r.byID[id] }

// LookupName finds a route by name.
func (r *Router) LookupName(name string) *Route { return r.byName[name] }

// Table is the route table sent in the handshake answer, sorted by id.
func (r *Router) Table() []*pb.Route {
	out := make([]*pb.Route, 0, len(r.byID))
	for _, rt := range r.byID {
		if !rt.internal {
			out = append(out, &pb.Route{Name: rt.Name, Id: uint32(rt.ID)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Id < out[j].Id })
	return out
}

// freeze builds each route's middleware chain; the table is read-only after.
func (r *Router) freeze(m *metrics, defaultTimeout time.Duration, maxFlight int) {
	if r.frozen {
		return
	}
	r.frozen = true
	for _, rt := range r.byID {
		if rt.PushOnly {
			continue
		}
		if rt.timeout == 0 {
			rt.timeout = defaultTimeout
		}
		rt.maxFlight = int32(maxFlight)
		rt.stats = m.route(rt.Name)
		h := rt.handler
		if f, ok := r.remote[rt.Service()]; ok {
			h = forwarding(rt, f)
		}
		for i := len(r.mw) - 1; i >= 0; i-- {
			h = r.mw[i](h)
		}
		rt.final = traced(rt, h)
	}
}

// forwarding is the handler of a route whose service runs elsewhere.
func forwarding(rt *Route, f Forwarder) HandlerFunc {
	return func(ctx context.Context, c *Call) (proto.Message, error) {
		body, err := proto.Marshal(c.Req)
		if err != nil {
			return nil, fmt.Errorf("gateway: encode %s: %w", rt.Name, err)
		}
		out, err := f.Forward(ctx, c, body)
		if err != nil {
			return nil, err
		}
		resp := rt.newResp()
		if err := proto.Unmarshal(out, resp); err != nil {
			return nil, fmt.Errorf("gateway: decode %s answer: %w", rt.Name, err)
		}
		return resp, nil
	}
}
