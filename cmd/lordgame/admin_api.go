package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
	"github.com/lordgame/lordgame/web"
)

// localStats is this node's queues (when it leads matchmaking) and errors.
func (a *adminNode) localStats() *nodeStats {
	st := &nodeStats{Errors: map[string]float64{}}
	if m := a.s.ddz.matcher.Load(); m != nil {
		st.Queues = map[string]int{}
		for _, mode := range a.s.cfg.Match.Modes {
			st.Queues[mode.Name] = m.Waiting(mode.Name)
		}
	}
	var total float64
	if fams, err := a.s.reg.Gather(); err == nil {
		for _, f := range fams {
			switch f.GetName() {
			case "lordgame_errors_total", "lordgame_send_queue_drops_total", "lordgame_settlements_total":
			default:
				continue
			}
			for _, m := range f.GetMetric() {
				name := strings.TrimPrefix(strings.TrimSuffix(f.GetName(), "_total"), "lordgame_")
				failed := f.GetName() != "lordgame_settlements_total"
				for _, l := range m.GetLabel() {
					if f.GetName() == "lordgame_settlements_total" && l.GetName() == "result" {
						failed = l.GetValue() == "failed"
					}
					if l.GetName() == "code" {
						name += ":" + l.GetValue()
					}
				}
				if !failed {
					continue
				}
				if f.GetName() == "lordgame_settlements_total" {
					name = "settlements_failed"
				}
				v := m.GetCounter().GetValue()
				st.Errors[name] += v
				total += v
			}
		}
	}
	st.ErrorsPerMin = a.errRate(time.Now(), total)
	return st
}

// errRate records total and returns the errors per minute since the
// oldest sample within the last ~minute (0 with no earlier sample).
func (a *adminNode) errRate(now time.Time, total float64) float64 {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.errSamples = append(a.errSamples, errSample{at: now, total: total})
	for len(a.errSamples) > 1 && now.Sub(a.errSamples[1].at) >= time.Minute {
		a.errSamples = a.errSamples[1:]
	}
	if len(a.errSamples) > 64 { // bounded: drop the middle samples
		a.errSamples = append(a.errSamples[:1], a.errSamples[len(a.errSamples)-32:]...)
	}
	first := a.errSamples[0]
	el := now.Sub(first.at)
	if el < time.Second {
		return 0
	}
	return (total - first.total) / el.Minutes()
}

// handleDashboard serves GET /v1/admin/dashboard.
func (a *adminNode) handleDashboard(w http.ResponseWriter, r *http.Request, _ actor) error {
	type nodeRow struct {
		ID           string             `json:"id"`
		Roles        []string           `json:"roles"`
		Sessions     int                `json:"sessions"`
		Tables       int                `json:"tables"`
		CPU          float64            `json:"cpu"`
		Draining     bool               `json:"draining"`
		Errors       map[string]float64 `json:"errors"`
		ErrorsPerMin float64            `json:"errors_per_min"`
		Reachable    bool               `json:"reachable"`
	}
	nodes := a.s.members.Live()
	rows := make([]nodeRow, len(nodes))
	queues := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, n := range nodes {
		rows[i] = nodeRow{ID: n.ID, Roles: n.Roles, Sessions: n.Sessions, Tables: n.Tables, CPU: n.CPU, Draining: n.Draining}
		wg.Go(func() {
			resp, err := a.callNode(r.Context(), n.ID, nodeReq{Op: "stats"})
			if err != nil || resp.Stats == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			rows[i].Reachable, rows[i].Errors, rows[i].ErrorsPerMin = true, resp.Stats.Errors, resp.Stats.ErrorsPerMin
			for k, v := range resp.Stats.Queues {
				queues[k] += v
			}
		})
	}
	wg.Wait()
	var online, tables int
	for _, n := range rows {
		online += n.Sessions
		tables += n.Tables
	}
	out := map[string]any{"nodes": rows, "online": online, "tables": tables, "queues": queues, "house_balance": nil,
		"at": time.Now().UTC()}
	if b, err := a.db.HouseBalance(r.Context()); err == nil {
		out["house_balance"] = b // the coins bot seats won for the house (docs/api.md, GET /v1/admin/house)
	}
	writeAdminJSON(w, http.StatusOK, out)
	return nil
}

// playerJSON is an account as the console shows it.
type playerJSON struct {
	UserID      string    `json:"user_id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Guest       bool      `json:"guest"`
	Roles       []string  `json:"roles"`
	Banned      bool      `json:"banned"`
	BanReason   string    `json:"ban_reason,omitempty"`
	BannedUntil string    `json:"banned_until,omitempty"` // RFC 3339, "forever" for a permanent ban
	CreatedAt   time.Time `json:"created_at"`
}

func toPlayerJSON(acc store.Account) playerJSON {
	p := playerJSON{UserID: strconv.FormatInt(acc.ID, 10), Username: acc.Username, DisplayName: acc.DisplayName, Guest: acc.Guest,
		Roles: acc.Roles, CreatedAt: acc.CreatedAt.UTC()}
	if p.Roles == nil {
		p.Roles = []string{}
	}
	if acc.Banned(time.Now()) {
		p.Banned, p.BanReason = true, acc.BanReason
		if acc.BannedUntil.Year() >= 9999 {
			p.BannedUntil = "forever"
		} else {
			p.BannedUntil = acc.BannedUntil.UTC().Format(time.RFC3339)
		}
	}
	return p
}

// handleSearch serves GET /v1/admin/players?q=.
func (a *adminNode) handleSearch(w http.ResponseWriter, r *http.Request, _ actor) error {
	q := r.URL.Query().Get("q")
	if utf8.RuneCountInString(q) > 64 {
		return status.New(status.BadRequest, "q: at most 64 characters")
	}
	accs, err := a.db.SearchAccounts(r.Context(), q, 50)
	if err != nil {
		return err
	}
	out := make([]playerJSON, 0, len(accs))
	for _, acc := range accs {
		out = append(out, toPlayerJSON(acc))
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"players": out})
	return nil
}

func (a *adminNode) account(ctx context.Context, id int64) (store.Account, error) {
	acc, err := a.db.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return acc, status.New(status.NotFound, "user_id: no such account")
	}
	return acc, err
}

// handlePlayer serves GET /v1/admin/players/{id}: profile, wallet, ledger,
// stats and games.
func (a *adminNode) handlePlayer(w http.ResponseWriter, r *http.Request, _ actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	acc, err := a.account(ctx, id)
	if err != nil {
		return err
	}
	balance, err := a.db.Balance(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ledger, err := a.db.Ledger(ctx, id, 50)
	if err != nil {
		return err
	}
	stats, err := a.db.Stats(ctx, id)
	if err != nil {
		return err
	}
	games, err := a.db.PlayerGames(ctx, id, 20)
	if err != nil {
		return err
	}
	type ledgerJSON struct {
		ID           string    `json:"id"`
		Delta        int64     `json:"delta"`
		BalanceAfter int64     `json:"balance_after"`
		Reason       string    `json:"reason"`
		Key          string    `json:"key"`
		At           time.Time `json:"at"`
	}
	type gameJSON struct {
		ID      string    `json:"id"`
		Mode    string    `json:"mode"`
		State   string    `json:"state"`
		Seat    int       `json:"seat"`
		Created time.Time `json:"created_at"`
	}
	lj := make([]ledgerJSON, 0, len(ledger))
	for _, e := range ledger {
		lj = append(lj, ledgerJSON{ID: strconv.FormatInt(e.ID, 10), Delta: e.Delta, BalanceAfter: e.BalanceAfter, Reason: e.Reason, Key: e.Key, At: e.CreatedAt.UTC()})
	}
	gj := make([]gameJSON, 0, len(games))
	for _, g := range games {
		gj = append(gj, gameJSON{ID: strconv.FormatInt(g.ID, 10), Mode: g.Mode, State: g.State, Seat: g.Seat, Created: g.CreatedAt.UTC()})
	}
	online, _ := a.s.ddz.seats.presence.Online(ctx, id)
	writeAdminJSON(w, http.StatusOK, map[string]any{"player": toPlayerJSON(acc), "balance": balance, "online": online,
		"ledger": lj, "games": gj, "stats": map[string]int64{"rating": stats.Rating, "games": stats.Games, "wins": stats.Wins}})
	return nil
}

type reasonReq struct {
	Reason string `json:"reason"`
}

// handleKick serves POST /v1/admin/players/{id}/kick.
func (a *adminNode) handleKick(w http.ResponseWriter, r *http.Request, who actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req reasonReq
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	if err := checkReason(req.Reason, true); err != nil {
		return err
	}
	if _, err := a.account(r.Context(), id); err != nil {
		return err
	}
	online, _ := a.s.ddz.seats.presence.Online(r.Context(), id)
	kicked := a.s.mesh.KickUser(id, "", "kicked", "you were disconnected by an operator: "+req.Reason)
	if err := a.audit(r.Context(), who, "player.kick", playerTarget(id), req.Reason,
		map[string]bool{"online": online}, map[string]bool{"kicked": kicked}); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]bool{"kicked": kicked})
	return nil
}

func playerTarget(id int64) string { return "player:" + strconv.FormatInt(id, 10) }

func banState(acc store.Account) map[string]any {
	p := toPlayerJSON(acc)
	return map[string]any{"banned": p.Banned, "ban_reason": p.BanReason, "banned_until": p.BannedUntil}
}

// handleBan serves POST /v1/admin/players/{id}/ban: {"reason", "duration"}
// (a Go duration such as "24h"; empty or omitted for a permanent ban).
func (a *adminNode) handleBan(w http.ResponseWriter, r *http.Request, who actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req struct {
		Reason   string `json:"reason"`
		Duration string `json:"duration"`
	}
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	if err := checkReason(req.Reason, true); err != nil {
		return err
	}
	var until time.Time
	if req.Duration != "" {
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d < time.Minute || d > 10*365*24*time.Hour {
			return status.New(status.BadRequest, "duration: must be a duration from 1m to 87600h such as 24h, or empty for a permanent ban")
		}
		until = time.Now().Add(d)
	}
	before, err := a.account(r.Context(), id)
	if err != nil {
		return err
	}
	if id == who.UserID {
		return status.New(status.Conflict, "user_id: you cannot ban yourself")
	}
	if err := a.auth.Ban(r.Context(), id, strings.TrimSpace(req.Reason), until); err != nil {
		return err
	}
	after, err := a.db.Account(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.audit(r.Context(), who, "player.ban", playerTarget(id), req.Reason, banState(before), banState(after)); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"player": toPlayerJSON(after)})
	return nil
}

// handleUnban serves POST /v1/admin/players/{id}/unban: {"reason"}.
func (a *adminNode) handleUnban(w http.ResponseWriter, r *http.Request, who actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req reasonReq
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	if err := checkReason(req.Reason, true); err != nil {
		return err
	}
	before, err := a.account(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.auth.Unban(r.Context(), id); err != nil {
		return err
	}
	after, err := a.db.Account(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.audit(r.Context(), who, "player.unban", playerTarget(id), req.Reason, banState(before), banState(after)); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"player": toPlayerJSON(after)})
	return nil
}

// handleCoins serves POST /v1/admin/players/{id}/coins: {"delta", "reason",
// "key"}. The change is one ledger entry (key "admin:<key>", a fresh one
// when omitted), so the balance stays the sum of the ledger; a debit
// below zero is refused.
func (a *adminNode) handleCoins(w http.ResponseWriter, r *http.Request, who actor) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req struct {
		Delta  int64  `json:"delta"`
		Reason string `json:"reason"`
		Key    string `json:"key"`
	}
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	if req.Delta == 0 || req.Delta > maxCoinAdjust || req.Delta < -maxCoinAdjust {
		return status.Errorf(status.BadRequest, "delta: must be a non-zero whole number of coins from -%d to %d", maxCoinAdjust, maxCoinAdjust)
	}
	if err := checkReason(req.Reason, true); err != nil {
		return err
	}
	if len(req.Key) > 64 {
		return status.New(status.BadRequest, "key: at most 64 characters")
	}
	if req.Key == "" {
		req.Key = randomKey()
	}
	if _, err := a.account(r.Context(), id); err != nil {
		return err
	}
	before, err := a.db.Balance(r.Context(), id)
	if err != nil {
		return err
	}
	e, err := a.db.Apply(r.Context(), store.Entry{UserID: id, Delta: req.Delta, Key: "admin:" + req.Key,
		Reason: "admin: " + strings.TrimSpace(req.Reason)})
	if errors.Is(err, store.ErrInsufficientFunds) {
		return status.Errorf(status.Conflict, "delta: the balance is %d: a debit cannot take it below zero", before)
	}
	if err != nil {
		return err
	}
	if !e.Replayed {
		if err := a.audit(r.Context(), who, "player.coins", playerTarget(id), req.Reason,
			map[string]int64{"balance": e.BalanceAfter - e.Delta}, map[string]any{"balance": e.BalanceAfter, "delta": e.Delta, "ledger_id": strconv.FormatInt(e.ID, 10)}); err != nil {
			return err
		}
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"balance": e.BalanceAfter, "ledger_id": strconv.FormatInt(e.ID, 10), "replayed": e.Replayed})
	return nil
}

// tableRow is a running table with the node that runs it.
type tableRow struct {
	ddz.TableInfo
	Node string `json:"node"`
}

// handleTables serves GET /v1/admin/tables: the running tables of every
// game node.
func (a *adminNode) handleTables(w http.ResponseWriter, r *http.Request, _ actor) error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := []tableRow{}
	var missing []string
	for _, n := range a.s.members.Live() {
		if !n.Has(cluster.RoleGame) {
			continue
		}
		wg.Go(func() {
			resp, err := a.callNode(r.Context(), n.ID, nodeReq{Op: "tables"})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				missing = append(missing, n.ID)
				return
			}
			for _, t := range resp.Tables {
				out = append(out, tableRow{TableInfo: t, Node: n.ID})
			}
		})
	}
	wg.Wait()
	writeAdminJSON(w, http.StatusOK, map[string]any{"tables": out, "unreachable": missing})
	return nil
}

// handleCancelTable serves POST /v1/admin/tables/{id}/cancel: {"reason"}.
func (a *adminNode) handleCancelTable(w http.ResponseWriter, r *http.Request, who actor) error {
	id, err := pathID(r, "table id")
	if err != nil {
		return err
	}
	var req reasonReq
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	if err := checkReason(req.Reason, true); err != nil {
		return err
	}
	owner, err := a.s.ddz.seats.tables.Get(r.Context(), strconv.FormatInt(id, 10))
	if errors.Is(err, cluster.ErrKeyNotFound) {
		return status.New(status.NotFound, "table: no such running table")
	}
	if err != nil {
		return status.Errorf(status.Unavailable, "table owner: %v", err)
	}
	node := string(owner.Value())
	var players []int64
	var info *ddz.TableInfo
	if resp, err := a.callNode(r.Context(), node, nodeReq{Op: "tables"}); err == nil {
		for _, t := range resp.Tables {
			if t.ID == id {
				info = &t
				for _, u := range t.Users {
					if u > 0 {
						players = append(players, u)
					}
				}
			}
		}
	}
	balances := func() map[string]int64 {
		out := map[string]int64{}
		for _, u := range players {
			if b, err := a.db.Balance(r.Context(), u); err == nil {
				out[strconv.FormatInt(u, 10)] = b
			}
		}
		return out
	}
	before := map[string]any{"table": info, "node": node, "balances": balances()}
	if _, err := a.callNode(r.Context(), node, nodeReq{Op: "cancel", Table: id}); err != nil {
		return err
	}
	after := map[string]any{"state": store.GameCancelled, "balances": balances()}
	if err := a.audit(r.Context(), who, "table.cancel", "table:"+strconv.FormatInt(id, 10), req.Reason, before, after); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"cancelled": true, "node": node, "balances": after["balances"]})
	return nil
}

// handleAnnounce serves POST /v1/admin/announce: {"text"}.
func (a *adminNode) handleAnnounce(w http.ResponseWriter, r *http.Request, who actor) error {
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	text := strings.TrimSpace(req.Text)
	if n := utf8.RuneCountInString(text); n == 0 || n > maxAnnounceChars {
		return status.Errorf(status.BadRequest, "text: must be 1 to %d characters", maxAnnounceChars)
	}
	n := &pb.AdminNotice{Kind: "announcement", Text: text, SentMs: time.Now().UnixMilli()}
	if err := a.broadcastNotice(r.Context(), n); err != nil {
		return err
	}
	if err := a.audit(r.Context(), who, "announce", "everyone", "", nil, map[string]string{"text": text}); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"sent": true})
	return nil
}

// maintenance is the banner in force, in the "admin" bucket.
type maintenance struct {
	Text     string    `json:"text"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	SetBy    string    `json:"set_by,omitempty"`
}

const maintenanceKey = "maintenance"

func (a *adminNode) maintenance(ctx context.Context) (*maintenance, error) {
	e, err := a.kv.Get(ctx, maintenanceKey)
	if errors.Is(err, cluster.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, status.Errorf(status.Unavailable, "maintenance: %v", err)
	}
	var m maintenance
	if json.Unmarshal(e.Value(), &m) != nil || m.Text == "" {
		return nil, nil
	}
	if !m.EndsAt.IsZero() && time.Now().After(m.EndsAt) {
		return nil, nil // over
	}
	return &m, nil
}

func (a *adminNode) handleGetMaintenance(w http.ResponseWriter, r *http.Request, _ actor) error {
	m, err := a.maintenance(r.Context())
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"maintenance": m})
	return nil
}

// handlePublicMaintenance serves GET /v1/maintenance (no authentication):
// the banner game clients show, {"maintenance": null} when there is none.
func (a *adminNode) handlePublicMaintenance(w http.ResponseWriter, r *http.Request) {
	m, err := a.maintenance(r.Context())
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	if m != nil {
		m.SetBy = ""
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"maintenance": m})
}

// handleSetMaintenance serves PUT /v1/admin/maintenance: {"text",
// "starts_at", "ends_at"} (RFC 3339; ends_at after starts_at and in the
// future).
func (a *adminNode) handleSetMaintenance(w http.ResponseWriter, r *http.Request, who actor) error {
	var req struct {
		Text     string    `json:"text"`
		StartsAt time.Time `json:"starts_at"`
		EndsAt   time.Time `json:"ends_at"`
	}
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	text := strings.TrimSpace(req.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0 || n > maxAnnounceChars:
		return status.Errorf(status.BadRequest, "text: must be 1 to %d characters", maxAnnounceChars)
	case req.StartsAt.IsZero() || req.EndsAt.IsZero():
		return status.New(status.BadRequest, "starts_at, ends_at: required RFC 3339 times such as 2026-12-01T02:00:00Z")
	case !req.EndsAt.After(req.StartsAt):
		return status.New(status.BadRequest, "ends_at: must be after starts_at")
	case !req.EndsAt.After(time.Now()):
		return status.New(status.BadRequest, "ends_at: must be in the future")
	}
	before, err := a.maintenance(r.Context())
	if err != nil {
		return err
	}
	m := maintenance{Text: text, StartsAt: req.StartsAt.UTC(), EndsAt: req.EndsAt.UTC(), SetBy: who.Name}
	b, _ := json.Marshal(m)
	if _, err := a.kv.Put(r.Context(), maintenanceKey, b); err != nil {
		return status.Errorf(status.Unavailable, "maintenance: %v", err)
	}
	if err := a.audit(r.Context(), who, "maintenance.set", "maintenance", "", before, m); err != nil {
		return err
	}
	if err := a.broadcastNotice(r.Context(), &pb.AdminNotice{Kind: "maintenance", Text: text, SentMs: time.Now().UnixMilli(),
		StartsMs: m.StartsAt.UnixMilli(), EndsMs: m.EndsAt.UnixMilli()}); err != nil {
		a.log.Warn("maintenance notice", "err", err) // stored: clients still read it from GET /v1/maintenance
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"maintenance": m})
	return nil
}

// handleClearMaintenance serves DELETE /v1/admin/maintenance.
func (a *adminNode) handleClearMaintenance(w http.ResponseWriter, r *http.Request, who actor) error {
	before, err := a.maintenance(r.Context())
	if err != nil {
		return err
	}
	if err := a.kv.Delete(r.Context(), maintenanceKey); err != nil && !errors.Is(err, cluster.ErrKeyNotFound) {
		return status.Errorf(status.Unavailable, "maintenance: %v", err)
	}
	if err := a.audit(r.Context(), who, "maintenance.clear", "maintenance", "", before, nil); err != nil {
		return err
	}
	if err := a.broadcastNotice(r.Context(), &pb.AdminNotice{Kind: "maintenance_cleared", SentMs: time.Now().UnixMilli()}); err != nil {
		a.log.Warn("maintenance notice", "err", err)
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"maintenance": nil})
	return nil
}

// handleNodes serves GET /v1/admin/nodes: the cluster's view.
func (a *adminNode) handleNodes(w http.ResponseWriter, _ *http.Request, _ actor) error {
	writeAdminJSON(w, http.StatusOK, map[string]any{"self": a.s.members.Self().ID, "nodes": nodesJSON(a.s.members.Live())})
	return nil
}

// handleDrain serves POST /v1/admin/nodes/{id}/drain: {"reason"}. The node
// stops getting new players and tables (its running tables play on); it
// leaves draining only when restarted.
func (a *adminNode) handleDrain(w http.ResponseWriter, r *http.Request, who actor) error {
	node := r.PathValue("id")
	var req reasonReq
	if err := decodeAdmin(w, r, &req); err != nil {
		return err
	}
	if err := checkReason(req.Reason, true); err != nil {
		return err
	}
	var before *cluster.NodeInfo
	for _, n := range a.s.members.Live() {
		if n.ID == node {
			before = &n
		}
	}
	if before == nil {
		return status.New(status.NotFound, "node: no such live node")
	}
	if _, err := a.callNode(r.Context(), node, nodeReq{Op: "drain"}); err != nil {
		return err
	}
	if err := a.audit(r.Context(), who, "node.drain", "node:"+node, req.Reason,
		map[string]bool{"draining": before.Draining}, map[string]bool{"draining": true}); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"node": node, "draining": true})
	return nil
}

// adminStaticHandler serves the console's files under /admin/ (index.html
// at /admin/); folders and missing files are JSON 404s.
func adminStaticHandler() http.Handler {
	files := web.AdminFS()
	fileServer := http.StripPrefix("/admin", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean(r.URL.Path)
		if r.URL.Path == "/admin/" {
			fileServer.ServeHTTP(w, r)
			return
		}
		name := strings.TrimPrefix(p, "/admin/")
		fi, err := fs.Stat(files, name)
		if err != nil || fi.IsDir() || strings.HasSuffix(r.URL.Path, "/") {
			edgeJSONError(w, http.StatusNotFound, "not_found", "no endpoint "+r.URL.Path)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}
