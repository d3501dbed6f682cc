package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lordgame/lordgame/internal/admin"
	"github.com/lordgame/lordgame/internal/auth"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Admin console routes on the realtime protocol (proto/lordgame/v1/admin.proto).
const (
	routeAdminNotice = "admin.notice"
	idAdminNotice    = 750
)

// Limits of admin API input.
const (
	maxAdminBody     = 16 << 10
	maxAnnounceChars = 500
	maxReasonChars   = 200
	maxCoinAdjust    = 1_000_000_000
)

// adminNode serves the admin API (docs/api.md, "Admin console") and the
// node-to-node calls it fans out: every node answers "lordgame.node.<id>.admin"
// for its own tables, queues, errors and draining.
type adminNode struct {
	s    *server
	db   *store.DB
	auth *auth.Service
	log  *slog.Logger
	kv   cluster.KV // bucket "admin": the maintenance banner
	subj cluster.Subjects

	errMu      sync.Mutex
	errSamples []errSample // this node's error total, newest last
}

type errSample struct {
	at    time.Time
	total float64
}

func newAdminNode(ctx context.Context, s *server, router *gateway.Router) (*adminNode, error) {
	kv, err := s.bus.KV(ctx, cluster.Bucket{Name: "admin"})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	router.PushRoute(routeAdminNotice, idAdminNotice)
	a := &adminNode{s: s, db: s.ddz.db, auth: s.ddz.auth, log: s.log.With("service", "admin"), kv: kv,
		subj: cluster.NewSubjects(s.bus.Prefix())}
	// POST /v1/admin/ban, /unban and /keys/rotate (the account API) write
	// the same audit log.
	a.auth.SetAudit(func(ctx context.Context, id auth.Identity, action, target, reason string, before, after any) error {
		who := actor{Identity: id, Role: admin.Role(id.Roles)}
		if acc, err := a.db.Account(ctx, id.UserID); err == nil {
			who.Name = acc.Username
		}
		return a.audit(ctx, who, action, target, reason, before, after)
	})
	return a, nil
}

// run answers the node calls until ctx ends.
func (a *adminNode) run(ctx context.Context) error {
	sub, err := a.s.bus.Subscribe(a.subj.Node(a.s.members.Self().ID, "admin"), "", a.serveNode)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	<-ctx.Done()
	return sub.Unsubscribe()
}

// httpMux is what route-mounting code needs of a mux: *http.ServeMux, or
// the server's routeMux that remembers its patterns.
type httpMux interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request))
}

// routeMux is an http.ServeMux that remembers the patterns it was given.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// routes mounts the admin API and the console on mux. Each route is
// checked with admin.Allowed for its action (api); a route added here
// without a line in TestAdminRoles fails that test. The reads are h, the
// actions do: each of those is a span named as its audit entry
// (admin.StartSpan) while traces are recorded.
func (a *adminNode) routes(mux httpMux) {
	h := func(pattern string, act admin.Action, f adminHandler) { mux.Handle(pattern, a.api(act, "", f)) }
	do := func(pattern string, act admin.Action, name string, f adminHandler) {
		mux.Handle(pattern, a.api(act, name, f))
	}
	h("GET /v1/admin/me", admin.View, a.handleMe)
	h("GET /v1/admin/dashboard", admin.View, a.handleDashboard)
	h("GET /v1/admin/players", admin.View, a.handleSearch)
	h("GET /v1/admin/players/{id}", admin.View, a.handlePlayer)
	do("POST /v1/admin/players/{id}/kick", admin.Kick, "player.kick", a.handleKick)
	do("POST /v1/admin/players/{id}/ban", admin.Ban, "player.ban", a.handleBan)
	do("POST /v1/admin/players/{id}/unban", admin.Ban, "player.unban", a.handleUnban)
	do("POST /v1/admin/players/{id}/coins", admin.AdjustCoins, "player.coins", a.handleCoins)
	h("GET /v1/admin/tables", admin.View, a.handleTables)
	do("POST /v1/admin/tables/{id}/cancel", admin.CancelTable, "table.cancel", a.handleCancelTable)
	do("POST /v1/admin/announce", admin.Announce, "announce", a.handleAnnounce)
	h("GET /v1/admin/maintenance", admin.View, a.handleGetMaintenance)
	do("PUT /v1/admin/maintenance", admin.Maintenance, "maintenance.set", a.handleSetMaintenance)
	do("DELETE /v1/admin/maintenance", admin.Maintenance, "maintenance.clear", a.handleClearMaintenance)
	h("GET /v1/admin/nodes", admin.View, a.handleNodes)
	do("POST /v1/admin/nodes/{id}/drain", admin.Drain, "node.drain", a.handleDrain)
	h("GET /v1/admin/audit", admin.View, a.handleAudit)
	mux.HandleFunc("GET /v1/maintenance", a.handlePublicMaintenance)
	mux.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
	mux.Handle("GET /admin/", adminStaticHandler())
}

// actor is the admin account making a request.
type actor struct {
	auth.Identity
	Name string
	Role string
}

type adminHandler func(w http.ResponseWriter, r *http.Request, who actor) error

// api authenticates the bearer token, checks that its roles allow act and
// runs f; an error f returns is written as the API's JSON error. An action
// (span: its audit name, "" for a read) is a span from the token's check
// on, refusals included, while traces are recorded.
func (a *adminNode) api(act admin.Action, span string, f adminHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lordgame"`)
			a.writeErr(w, r, status.New(status.Unauthenticated, "authorization: bearer access token required"))
			return
		}
		id, err := a.auth.Authenticate(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			a.writeErr(w, r, err)
			return
		}
		if span != "" && observe.Tracing() {
			ctx, sp := admin.StartSpan(r.Context(), span, act, id.UserID, admin.Role(id.Roles), admin.PathTarget(span, r))
			defer sp.End()
			r = r.WithContext(ctx)
		}
		if !admin.Allowed(id.Roles, act) {
			a.writeErr(w, r, status.Errorf(status.Forbidden, "%s role required", admin.Least(act)))
			return
		}
		who := actor{Identity: id, Role: admin.Role(id.Roles)}
		if acc, err := a.db.Account(r.Context(), id.UserID); err == nil {
			who.Name = acc.Username
		}
		if err := f(w, r, who); err != nil {
			a.writeErr(w, r, err)
		}
	})
}

type apiError struct {
	Code    status.Code `json:"code"`
	Message string      `json:"message"`
}

func (a *adminNode) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	admin.Failed(r.Context(), err)
	e := status.From(err)
	if e.Code == status.Internal {
		a.log.Error("admin api failure", "path", r.URL.Path, "err", err)
	}
	writeAdminJSON(w, e.Code.HTTPStatus(), apiError{Code: e.Code, Message: e.Message}) // the shape of every /v1 error
}

func writeAdminJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeAdmin reads a JSON body (at most maxAdminBody, no unknown fields).
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return status.Errorf(status.BadRequest, "body: larger than %d bytes", maxAdminBody)
		case errors.Is(err, io.EOF):
			return status.New(status.BadRequest, "body: a JSON object is required")
		}
		return status.Errorf(status.BadRequest, "body: %v", err)
	}
	return nil
}

func pathID(r *http.Request, field string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, status.Errorf(status.BadRequest, "%s: must be a positive decimal id", field)
	}
	return id, nil
}

func checkReason(reason string, required bool) error {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	if (required && n == 0) || n > maxReasonChars {
		return status.Errorf(status.BadRequest, "reason: must be 1 to %d characters", maxReasonChars)
	}
	return nil
}

// audit records one admin action. before and after are marshalled to JSON
// (nil: none). A failure to record fails the request: an action that is not
// audited must be reported.
func (a *adminNode) audit(ctx context.Context, who actor, action, target, reason string, before, after any) error {
	enc := func(v any) string {
		if v == nil {
			return ""
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("%q", err.Error())
		}
		return string(b)
	}
	admin.SetTarget(ctx, target)
	_, err := a.db.AppendAudit(context.WithoutCancel(ctx), store.AuditEntry{ActorID: who.UserID, ActorName: who.Name,
		Action: action, Target: target, Reason: reason, Before: enc(before), After: enc(after)})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	a.log.Info("admin action", "action", action, "admin_id", who.UserID, "target", target)
	return nil
}

func (a *adminNode) handleMe(w http.ResponseWriter, _ *http.Request, who actor) error {
	writeAdminJSON(w, http.StatusOK, map[string]any{"user_id": strconv.FormatInt(who.UserID, 10), "username": who.Name,
		"role": who.Role, "permissions": admin.Permissions(who.Roles)})
	return nil
}

// randomKey is a fresh idempotency key for a ledger entry.
func randomKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// handleAudit serves GET /v1/admin/audit?target=&before=&limit=.
func (a *adminNode) handleAudit(w http.ResponseWriter, r *http.Request, _ actor) error {
	q := store.AuditQuery{Target: r.URL.Query().Get("target")}
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return status.New(status.BadRequest, "before: must be a positive audit entry id")
		}
		q.BeforeID = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 500 {
			return status.New(status.BadRequest, "limit: must be 1 to 500")
		}
		q.Limit = n
	}
	entries, err := a.db.AuditLog(r.Context(), q)
	if err != nil {
		return err
	}
	type entryJSON struct {
		ID        string          `json:"id"`
		ActorID   string          `json:"actor_id"`
		ActorName string          `json:"actor"`
		Action    string          `json:"action"`
		Target    string          `json:"target"`
		Reason    string          `json:"reason"`
		Before    json.RawMessage `json:"before"`
		After     json.RawMessage `json:"after"`
		At        time.Time       `json:"at"`
	}
	raw := func(s string) json.RawMessage {
		if s == "" {
			return json.RawMessage("null")
		}
		return json.RawMessage(s)
	}
	out := make([]entryJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryJSON{ID: strconv.FormatInt(e.ID, 10), ActorID: strconv.FormatInt(e.ActorID, 10), ActorName: e.ActorName,
			Action: e.Action, Target: e.Target, Reason: e.Reason, Before: raw(e.Before), After: raw(e.After), At: e.CreatedAt.UTC()})
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"entries": out})
	return nil
}

// broadcastNotice pushes n to every connected player of the cluster.
func (a *adminNode) broadcastNotice(ctx context.Context, n *pb.AdminNotice) error {
	if err := a.s.mesh.BroadcastContext(ctx, routeAdminNotice, n); err != nil {
		return status.Errorf(status.Unavailable, "broadcast: %v", err)
	}
	return nil
}

// nodeReq and nodeResp are the node-to-node admin call.
type nodeReq struct {
	Op    string `json:"op"` // stats, tables, cancel, drain
	Table int64  `json:"table,omitempty"`
}

type nodeResp struct {
	Error  *apiError       `json:"error,omitempty"`
	Tables []ddz.TableInfo `json:"tables,omitempty"`
	Stats  *nodeStats      `json:"stats,omitempty"`
}

// nodeStats is one node's part of the dashboard.
type nodeStats struct {
	Queues map[string]int `json:"queues,omitempty"` // only the leading match node
	// Errors is this node's error count by series since it started, and
	// ErrorsPerMin the rate over about the last minute.
	Errors       map[string]float64 `json:"errors"`
	ErrorsPerMin float64            `json:"errors_per_min"`
}

func (a *adminNode) serveNode(ctx context.Context, m *cluster.Msg) {
	var req nodeReq
	var resp nodeResp
	if err := json.Unmarshal(m.Data, &req); err != nil {
		resp.Error = &apiError{Code: status.BadRequest, Message: "bad admin call"}
	} else if err := a.doNodeTraced(ctx, m.Header, req, &resp); err != nil {
		e := status.From(err)
		resp.Error = &apiError{Code: e.Code, Message: e.Message}
	}
	b, _ := json.Marshal(resp)
	if err := m.Respond(b); err != nil {
		a.log.Warn("admin call reply", "err", err)
	}
}

// doNodeTraced is doNode in the trace of the caller when its request
// carried one (admin.StartServe).
func (a *adminNode) doNodeTraced(ctx context.Context, h cluster.Header, req nodeReq, resp *nodeResp) error {
	if !observe.Tracing() {
		return a.doNode(ctx, req, resp)
	}
	ctx, span, ok := admin.StartServe(ctx, req.Op, a.s.members.Self().ID, http.Header(h))
	if !ok {
		return a.doNode(ctx, req, resp)
	}
	defer span.End()
	err := a.doNode(ctx, req, resp)
	observe.SpanError(span, err)
	return err
}

// doNode runs one admin call on this node.
func (a *adminNode) doNode(ctx context.Context, req nodeReq, resp *nodeResp) error {
	switch req.Op {
	case "stats":
		resp.Stats = a.localStats()
	case "tables":
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		resp.Tables = a.s.ddz.svc.LiveTables(ctx)
	case "cancel":
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		return a.s.ddz.svc.CancelTable(ctx, req.Table)
	case "drain": // as `lordgame drain`: /readyz fails too
		a.s.drain(ctx, "admin console")
	default:
		return status.Errorf(status.BadRequest, "unknown admin call %q", req.Op)
	}
	return nil
}

// callNode runs an admin call on node (directly when it is this one).
func (a *adminNode) callNode(ctx context.Context, node string, req nodeReq) (resp nodeResp, err error) {
	if node == a.s.members.Self().ID {
		err := a.doNode(ctx, req, &resp)
		return resp, err
	}
	b, _ := json.Marshal(req)
	timeout := 3 * time.Second
	if req.Op == "cancel" {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var hdr cluster.Header // the caller's trace context, when it has one
	if observe.Tracing() {
		h := cluster.Header{}
		if cctx, span, ok := admin.StartCall(ctx, req.Op, node, http.Header(h)); ok {
			ctx, hdr = cctx, h
			defer func() { observe.SpanError(span, err); span.End() }()
		}
	}
	m, err := a.s.bus.RequestMsg(ctx, a.subj.Node(node, "admin"), hdr, b)
	if err != nil {
		return resp, status.Errorf(status.Unavailable, "node %s: %v", node, err)
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return resp, status.Errorf(status.Unavailable, "node %s: bad answer", node)
	}
	if resp.Error != nil {
		return resp, status.New(resp.Error.Code, resp.Error.Message)
	}
	return resp, nil
}
