package auth

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/admin"
	"github.com/lordgame/lordgame/internal/clientaddr"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
)

// Handler serves the /v1 account API (docs/api.md). It expects full
// paths: mount it as mux.Handle("/v1/", s.Handler(nil)), without StripPrefix.
//
// clientAddr names the client of a request, the address new accounts and
// failed logins are counted against; the server passes the gateway's
// ClientAddr, which believes trusted proxies. nil takes the socket peer.
func (s *Service) Handler(clientAddr func(*http.Request) string) http.Handler {
	mux := http.NewServeMux()
	routes := s.routes(clientAddr)
	methods := map[string]string{}
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
		m, path, _ := strings.Cut(pattern, " ")
		methods[path] = m
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := methods[r.URL.Path]; ok {
			// 405 with the API's error body; the code stays bad_request.
			w.Header().Set("Allow", m)
			s.writeJSON(w, http.StatusMethodNotAllowed, errorJSON{Code: status.BadRequest,
				Message: "method " + r.Method + " not allowed on " + r.URL.Path + ": use " + m})
			return
		}
		s.writeErr(w, r, status.Errorf(status.NotFound, "no endpoint %s", r.URL.Path))
	})
	return mux
}

// routes are the account API's endpoints. The admin ones are checked with
// the admin console's role model (internal/admin): each needs the action
// its console equivalent needs.
func (s *Service) routes(clientAddr func(*http.Request) string) map[string]http.HandlerFunc {
	if clientAddr == nil {
		clientAddr = clientaddr.Proxies{}.Client
	}
	from := func(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { h(w, r, clientAddr(r)) }
	}
	return map[string]http.HandlerFunc{
		"POST /v1/auth/register":        from(s.handleRegister),
		"POST /v1/auth/login":           from(s.handleLogin),
		"POST /v1/auth/guest":           from(s.handleGuest),
		"POST /v1/auth/refresh":         s.handleRefresh,
		"POST /v1/auth/logout":          s.handleLogout,
		"GET /v1/account":               s.authed(s.handleAccount),
		"POST /v1/account/password":     s.authed(s.handlePassword),
		"POST /v1/account/display-name": s.authed(s.handleDisplayName),
		"POST /v1/account/upgrade":      s.authed(s.handleUpgrade),
		"POST /v1/admin/ban":            s.action(admin.Ban, "player.ban", s.handleBan),
		"POST /v1/admin/unban":          s.action(admin.Ban, "player.unban", s.handleUnban),
		"POST /v1/admin/keys/rotate":    s.action(admin.RotateKeys, "keys.rotate", s.handleRotateKey),
	}
}

// Routes lists the patterns Handler serves ("POST /v1/admin/ban", …),
// sorted: tests check that every admin route among them is in their role
// table.
func (s *Service) Routes() []string {
	out := slices.Collect(maps.Keys(s.routes(nil)))
	slices.Sort(out)
	return out
}

// tokenJSON is the answer of every call that issues tokens. user_id is a
// decimal string: ids use 63 bits, JavaScript numbers only 53.
type tokenJSON struct {
	UserID       string `json:"user_id"`
	SessionID    string `json:"session_id"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

func toTokenJSON(t Tokens) tokenJSON {
	return tokenJSON{UserID: strconv.FormatInt(t.UserID, 10), SessionID: t.SessionID, AccessToken: t.AccessToken,
		RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second)}
}

type statsJSON struct {
	Games          int64 `json:"games"`
	Wins           int64 `json:"wins"`
	LandlordGames  int64 `json:"landlord_games"`
	LandlordWins   int64 `json:"landlord_wins"`
	FarmerGames    int64 `json:"farmer_games"`
	FarmerWins     int64 `json:"farmer_wins"`
	Springs        int64 `json:"springs"`
	BestMultiplier int64 `json:"best_multiplier"`
}

type profileJSON struct {
	UserID      string    `json:"user_id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Guest       bool      `json:"guest"`
	Roles       []string  `json:"roles"`
	Balance     int64     `json:"balance"`
	Rating      int64     `json:"rating"`
	Stats       statsJSON `json:"stats"`
	CreatedAt   time.Time `json:"created_at"`
}

func toProfileJSON(p Profile) profileJSON {
	roles := p.Roles
	if roles == nil {
		roles = []string{}
	}
	st := p.Stats
	return profileJSON{UserID: strconv.FormatInt(p.UserID, 10), Username: p.Username, DisplayName: p.DisplayName, Guest: p.Guest,
		Roles: roles, Balance: p.Balance, Rating: st.Rating, CreatedAt: p.CreatedAt,
		Stats: statsJSON{Games: st.Games, Wins: st.Wins, LandlordGames: st.LandlordGames, LandlordWins: st.LandlordWins,
			FarmerGames: st.FarmerGames, FarmerWins: st.FarmerWins, Springs: st.Springs, BestMultiplier: st.BestMultiplier}}
}

type errorJSON struct {
	Code    status.Code `json:"code"`
	Message string      `json:"message"`
}

func (s *Service) writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers {"code","message"} with the code's HTTP status. Errors
// without a client-visible code are logged here and answered "internal".
func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	admin.Failed(r.Context(), err) // an admin action's span (action), if any
	e := status.From(err)
	if e.Code == status.Internal {
		s.log.Error("account api failure", "path", r.URL.Path, "err", err)
	}
	if e.Code == status.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lordgame"`)
	}
	s.writeJSON(w, e.Code.HTTPStatus(), errorJSON{Code: e.Code, Message: e.Message})
}

// decode reads a JSON body of at most MaxBodyBytes into v, refusing
// unknown fields.
func (s *Service) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var (
		maxErr  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
		syntax  *json.SyntaxError
		field   *status.Error
	)
	switch {
	case err == nil:
		if dec.More() {
			return status.New(status.BadRequest, "body: one JSON object expected")
		}
		return nil
	case errors.As(err, &field): // from a field's UnmarshalJSON
		return field
	case errors.As(err, &maxErr):
		return status.Errorf(status.BadRequest, "body: larger than %d bytes", s.cfg.MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return status.New(status.BadRequest, "body: empty, expected a JSON object")
	case errors.As(err, &typeErr):
		return status.Errorf(status.BadRequest, "%s: must be %s", typeErr.Field, typeName(typeErr.Type.Kind().String()))
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return status.New(status.BadRequest, "body: invalid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return status.Errorf(status.BadRequest, "body: unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return status.New(status.BadRequest, "body: invalid JSON")
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	}
	return "a " + kind
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

type authedHandler func(w http.ResponseWriter, r *http.Request, id Identity)

// authed requires a valid bearer access token.
func (s *Service) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			s.writeErr(w, r, status.New(status.Unauthenticated, "authorization: bearer access token required"))
			return
		}
		id, err := s.Authenticate(r.Context(), tok)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		h(w, r, id)
	}
}

// allow requires a valid bearer access token of an account whose console
// roles allow act (admin.Allowed; the roles are the account's in the
// database, read by Authenticate on every request), as the admin console's
// API does: otherwise 403 forbidden "<least role> role required".
func (s *Service) allow(act admin.Action, h authedHandler) http.HandlerFunc {
	return s.authed(s.allowed(act, h))
}

// action is allow for an admin action (not a read): while traces are
// recorded it is a span named as its audit entry (admin.StartSpan), from
// the role check on; the audit entry names its target.
func (s *Service) action(act admin.Action, name string, h authedHandler) http.HandlerFunc {
	check := s.allowed(act, h)
	return s.authed(func(w http.ResponseWriter, r *http.Request, id Identity) {
		if observe.Tracing() {
			ctx, span := admin.StartSpan(r.Context(), name, act, id.UserID, admin.Role(id.Roles), "")
			defer span.End()
			r = r.WithContext(ctx)
		}
		check(w, r, id)
	})
}

// allowed runs h for an identity whose roles allow act.
func (s *Service) allowed(act admin.Action, h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, id Identity) {
		if !admin.Allowed(id.Roles, act) {
			s.writeErr(w, r, status.Errorf(status.Forbidden, "%s role required", admin.Least(act)))
			return
		}
		h(w, r, id)
	}
}

type credentialsReq struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Service) handleRegister(w http.ResponseWriter, r *http.Request, clientIP string) {
	var req credentialsReq
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	t, err := s.Register(r.Context(), req.Username, req.Password, clientIP)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusCreated, toTokenJSON(t))
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request, clientIP string) {
	var req credentialsReq
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	t, err := s.Login(r.Context(), req.Username, req.Password, clientIP)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toTokenJSON(t))
}

func (s *Service) handleGuest(w http.ResponseWriter, r *http.Request, clientIP string) {
	var req struct {
		DeviceID string `json:"device_id"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	t, err := s.Guest(r.Context(), req.DeviceID, clientIP)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toTokenJSON(t))
}

type refreshReq struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Service) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var req refreshReq
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	t, err := s.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toTokenJSON(t))
}

// handleLogout revokes the session of the bearer access token, or of the
// refresh token in the body when there is no bearer token.
func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	var err error
	if tok, ok := bearer(r); ok {
		var id Identity
		if id, err = s.Authenticate(r.Context(), tok); err == nil {
			err = s.Logout(r.Context(), id.UserID, id.SessionID)
		}
	} else {
		var req refreshReq
		if err = s.decode(w, r, &req); err == nil {
			err = s.LogoutRefresh(r.Context(), req.RefreshToken)
		}
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleAccount(w http.ResponseWriter, r *http.Request, id Identity) {
	p, err := s.Profile(r.Context(), id.UserID)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toProfileJSON(p))
}

func (s *Service) handlePassword(w http.ResponseWriter, r *http.Request, id Identity) {
	var req struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	t, err := s.ChangePassword(r.Context(), id.UserID, req.OldPassword, req.NewPassword)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toTokenJSON(t))
}

func (s *Service) handleDisplayName(w http.ResponseWriter, r *http.Request, id Identity) {
	var req struct {
		DisplayName string `json:"display_name"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	p, err := s.SetDisplayName(r.Context(), id.UserID, req.DisplayName)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toProfileJSON(p))
}

func (s *Service) handleUpgrade(w http.ResponseWriter, r *http.Request, id Identity) {
	var req credentialsReq
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	p, err := s.UpgradeGuest(r.Context(), id.UserID, req.Username, req.Password)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, toProfileJSON(p))
}

// userID is a user id in a request body: a decimal string (or a number).
type userID int64

func (u *userID) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(str, 10, 64)
	if err != nil || v <= 0 {
		return status.New(status.BadRequest, "user_id: must be a positive decimal id")
	}
	*u = userID(v)
	return nil
}

func (s *Service) handleBan(w http.ResponseWriter, r *http.Request, by Identity) {
	var req struct {
		UserID userID `json:"user_id"`
		Reason string `json:"reason"`
		// Until is an RFC 3339 time; empty means forever.
		Until string `json:"until"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if req.UserID == 0 {
		s.writeErr(w, r, fieldErr("user_id", "required"))
		return
	}
	var until time.Time
	if req.Until != "" {
		var err error
		if until, err = time.Parse(time.RFC3339, req.Until); err != nil {
			s.writeErr(w, r, fieldErr("until", "must be an RFC 3339 time such as 2026-12-01T00:00:00Z"))
			return
		}
	}
	before := s.banState(r.Context(), int64(req.UserID))
	if err := s.Ban(r.Context(), int64(req.UserID), req.Reason, until); err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.log.Info("admin action", "action", "ban", "admin_id", by.UserID, "player_id", int64(req.UserID))
	target := "player:" + strconv.FormatInt(int64(req.UserID), 10)
	if err := s.record(r.Context(), by, "player.ban", target, req.Reason, before, s.banState(r.Context(), int64(req.UserID))); err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleUnban(w http.ResponseWriter, r *http.Request, by Identity) {
	var req struct {
		UserID userID `json:"user_id"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if req.UserID == 0 {
		s.writeErr(w, r, fieldErr("user_id", "required"))
		return
	}
	before := s.banState(r.Context(), int64(req.UserID))
	if err := s.Unban(r.Context(), int64(req.UserID)); err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.log.Info("admin action", "action", "unban", "admin_id", by.UserID, "player_id", int64(req.UserID))
	target := "player:" + strconv.FormatInt(int64(req.UserID), 10)
	if err := s.record(r.Context(), by, "player.unban", target, "", before, s.banState(r.Context(), int64(req.UserID))); err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleRotateKey makes a new signing key active; tokens of the old one
// stay valid until they expire. The body is empty (or {}).
func (s *Service) handleRotateKey(w http.ResponseWriter, r *http.Request, by Identity) {
	if r.ContentLength != 0 {
		var req struct{}
		if err := s.decode(w, r, &req); err != nil {
			s.writeErr(w, r, err)
			return
		}
	}
	kid, err := s.RotateKey(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.log.Info("admin action", "action", "rotate_signing_key", "admin_id", by.UserID, "kid", kid)
	if err := s.record(r.Context(), by, "keys.rotate", "signing_key", "", nil, map[string]string{"kid": kid}); err != nil {
		s.writeErr(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]string{"kid": kid})
}

// Allow wraps an HTTP handler of another package so that only a bearer
// token whose account's console roles allow act (internal/admin) reaches
// it; others get the API's JSON error (401, or 403 "<role> role required").
func (s *Service) Allow(act admin.Action, h http.HandlerFunc) http.Handler {
	return s.allow(act, func(w http.ResponseWriter, r *http.Request, _ Identity) { h(w, r) })
}
