package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/store"
)

// roles is the set of roles one node runs.
type roles map[string]bool

var allRoles = []string{cluster.RoleGateway, cluster.RoleGame, cluster.RoleMatch}

// parseRoles reads -role: "all", or a comma list of known roles.
func parseRoles(s string) (roles, error) {
	out := roles{}
	if strings.TrimSpace(s) == "all" || s == "" {
		for _, r := range allRoles {
			out[r] = true
		}
		out["all"] = true
		return out, nil
	}
	for r := range strings.SplitSeq(s, ",") {
		r = strings.TrimSpace(r)
		switch r {
		case cluster.RoleGateway, cluster.RoleGame, cluster.RoleMatch:
			out[r] = true
		default:
			return nil, fmt.Errorf("config: role %q: want all, or a comma list of gateway, game, match", r)
		}
	}
	return out, nil
}

func (r roles) all() bool { return r["all"] }

// list is the roles in a fixed order.
func (r roles) list() []string {
	var out []string
	for _, name := range allRoles {
		if r[name] {
			out = append(out, name)
		}
	}
	return out
}

// RoutingConfig names the strategy of each service that runs on nodes of
// its own role.
type RoutingConfig struct {
	// Game picks the game node of a new table (requests for a running
	// table always go to the node that owns it).
	Game string `yaml:"game"`
	// Match picks the match node of a queue request.
	Match string `yaml:"match"`
}

// Validate checks the strategy names.
func (c RoutingConfig) Validate() error {
	if _, err := cluster.ParseStrategy(c.Game); err != nil {
		return fmt.Errorf("config: routing.game: %w", err)
	}
	if _, err := cluster.ParseStrategy(c.Match); err != nil {
		return fmt.Errorf("config: routing.match: %w", err)
	}
	return nil
}

// seats is the cluster-wide Dou Dizhu seat directory (ddz.Directory) in
// the "seats" bucket: user id → "<table id> <node>". The store says
// whether a table still runs: a seat at a finished or cancelled table is
// stale (its node died before freeing it) and does not count.
//
// Table owners are in the "tables" bucket: table id → node. An owner
// record is valid while its node is a live member.
type seats struct {
	kv       cluster.KV
	tables   cluster.KV
	members  *cluster.Members
	presence *cluster.Presence
	node     string
	db       *store.DB
}

var _ ddz.Directory = (*seats)(nil)

func newSeats(ctx context.Context, bus *cluster.NATS, members *cluster.Members, presence *cluster.Presence, db *store.DB) (*seats, error) {
	kv, err := bus.KV(ctx, cluster.Bucket{Name: "seats"})
	if err != nil {
		return nil, err
	}
	tables, err := bus.KV(ctx, cluster.Bucket{Name: "tables"})
	if err != nil {
		return nil, err
	}
	return &seats{kv: kv, tables: tables, members: members, presence: presence, node: members.Self().ID, db: db}, nil
}

// Own implements ddz.Directory: the owner record of a new table.
func (d *seats) Own(ctx context.Context, table int64) error {
	if _, err := d.tables.Create(ctx, strconv.FormatInt(table, 10), []byte(d.node)); err != nil {
		return fmt.Errorf("own table %d: %w", table, err)
	}
	return nil
}

// Adopt implements ddz.Directory: this node takes an unfinished table
// whose owner record is missing, its own, or names a node that is gone.
// The record is written compare-and-set, so of two nodes adopting the same
// orphan only one wins.
func (d *seats) Adopt(ctx context.Context, table int64) (bool, error) {
	key := strconv.FormatInt(table, 10)
	select { // the view must be complete before "gone" means gone
	case <-d.members.Synced():
	case <-ctx.Done():
		return false, ctx.Err()
	}
	e, err := d.tables.Get(ctx, key)
	switch {
	case errors.Is(err, cluster.ErrKeyNotFound):
		_, err = d.tables.Create(ctx, key, []byte(d.node))
	case err != nil:
		return false, err
	case string(e.Value()) != d.node && d.members.Alive(string(e.Value())):
		return false, nil
	default: // ours from an earlier start, or its node is gone
		_, err = d.tables.Update(ctx, key, []byte(d.node), e.Revision())
	}
	if cluster.IsConflict(err) {
		return false, nil
	}
	return err == nil, err
}

// Orphans implements ddz.Directory.
func (d *seats) Orphans(ctx context.Context) ([]int64, error) {
	select {
	case <-d.members.Synced():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if !d.members.Stable() {
		return nil, nil // just back from an outage: everyone looks gone
	}
	// One pass over the bucket's current values (a watch's initial
	// snapshot), not a read per key; bounded, as the bus may drop meanwhile.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	w, err := d.tables.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.Stop() }()
	var out []int64
	for {
		var e cluster.KVEntry
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e = <-w.Updates():
		}
		if e == nil {
			break // the snapshot is complete
		}
		id, err := strconv.ParseInt(e.Key(), 10, 64)
		if owner := string(e.Value()); err == nil && owner != d.node && !d.members.Alive(owner) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Online implements ddz.Directory.
func (d *seats) Online(ctx context.Context, uid int64) bool {
	ok, err := d.presence.Online(ctx, uid)
	return err == nil && ok
}

func seatKey(uid int64) string { return strconv.FormatInt(uid, 10) }

type seat struct {
	table int64
	node  string
	rev   uint64
}

func (d *seats) get(ctx context.Context, uid int64) (seat, bool, error) {
	e, err := d.kv.Get(ctx, seatKey(uid))
	if errors.Is(err, cluster.ErrKeyNotFound) {
		return seat{}, false, nil
	}
	if err != nil {
		return seat{}, false, err
	}
	tbl, node, _ := strings.Cut(string(e.Value()), " ")
	id, err := strconv.ParseInt(tbl, 10, 64)
	if err != nil {
		return seat{}, false, nil
	}
	return seat{table: id, node: node, rev: e.Revision()}, true, nil
}

// live reports whether st's table is still running in the store.
func (d *seats) live(ctx context.Context, st seat) (bool, error) {
	g, err := d.db.Game(ctx, st.table)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return g.State == store.GameRunning, nil
}

// Claim implements ddz.Directory.
func (d *seats) Claim(ctx context.Context, table int64, users []int64) error {
	val := []byte(strconv.FormatInt(table, 10) + " " + d.node)
	var claimed []int64
	undo := func() { d.Release(ctx, table, claimed) }
	for _, u := range users {
		if u <= 0 {
			continue
		}
		for {
			st, ok, err := d.get(ctx, u)
			if err != nil {
				undo()
				return err
			}
			if ok && st.table != table {
				live, err := d.live(ctx, st)
				if err != nil {
					undo()
					return err
				}
				if live {
					undo()
					return ddz.ErrAlreadySeated
				}
			}
			if ok {
				_, err = d.kv.Update(ctx, seatKey(u), val, st.rev)
			} else {
				_, err = d.kv.Create(ctx, seatKey(u), val)
			}
			if cluster.IsConflict(err) {
				continue // someone wrote in between: look again
			}
			if err != nil {
				undo()
				return err
			}
			claimed = append(claimed, u)
			break
		}
	}
	return nil
}

// Release implements ddz.Directory: it frees the seats and the owner
// record that still point at table on this node.
func (d *seats) Release(ctx context.Context, table int64, users []int64) {
	key := strconv.FormatInt(table, 10)
	if e, err := d.tables.Get(ctx, key); err == nil && string(e.Value()) == d.node {
		_ = d.tables.Delete(ctx, key, cluster.LastRevision(e.Revision()))
	}
	for _, u := range users {
		if u <= 0 {
			continue
		}
		st, ok, err := d.get(ctx, u)
		if err == nil && ok && st.table == table && st.node == d.node {
			_ = d.kv.Delete(ctx, seatKey(u), cluster.LastRevision(st.rev))
		}
	}
}

// Leave frees the seat of one player who left table while it runs on
// (ddz.leave); the table's owner record stays.
func (d *seats) Leave(ctx context.Context, table, uid int64) {
	st, ok, err := d.get(ctx, uid)
	if err == nil && ok && st.table == table && st.node == d.node {
		_ = d.kv.Delete(ctx, seatKey(uid), cluster.LastRevision(st.rev))
	}
}

// Seated implements ddz.Directory.
func (d *seats) Seated(ctx context.Context, uid int64) (bool, error) {
	st, ok, err := d.get(ctx, uid)
	if err != nil || !ok {
		return false, err
	}
	return d.live(ctx, st)
}

// Locate is the node running uid's table, "" when the user sits at none.
func (d *seats) Locate(ctx context.Context, uid int64) (string, error) {
	if uid <= 0 {
		return "", nil
	}
	st, ok, err := d.get(ctx, uid)
	if err != nil || !ok {
		return "", err
	}
	return st.node, nil
}

// version is this build's version, announced to the cluster (set with
// -ldflags "-X main.version=...").
var version = "dev"

// cpuMeter measures the process's CPU use between two heartbeats, in
// percent of one core.
type cpuMeter struct {
	mu   sync.Mutex
	last time.Time
	used time.Duration
}

func (c *cpuMeter) percent() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var pct float64
	if !c.last.IsZero() && now.After(c.last) {
		pct = 100 * float64(used-c.used) / float64(now.Sub(c.last))
	}
	c.last, c.used = now, used
	return math.Round(pct*10) / 10
}

// nodeJSON is one node in GET /v1/cluster/nodes and lordgame cluster nodes.
type nodeJSON struct {
	cluster.NodeInfo
	LastSeenMs int64 `json:"last_seen_ms"`
}

func nodesJSON(nodes []cluster.NodeInfo) []nodeJSON {
	out := make([]nodeJSON, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, nodeJSON{NodeInfo: n, LastSeenMs: n.LastSeen.UnixMilli()})
	}
	return out
}

// handleNodes serves GET /v1/cluster/nodes: the live nodes (viewer role,
// admin.View, as GET /v1/admin/nodes).
func (s *server) handleNodes(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"self": s.members.Self().ID, "nodes": nodesJSON(s.members.Live())})
}

// handleGateways serves GET /v1/gateways: where a client should connect,
// the least-loaded gateway first, or with ?user=ID the one its consistent
// hash picks first (the login server's choice of gate by account hash).
func (s *server) handleGateways(w http.ResponseWriter, r *http.Request) {
	nodes := s.members.WithRole(cluster.RoleGateway)
	strategy := cluster.LeastLoaded
	key := r.URL.Query().Get("user")
	if key != "" {
		strategy = cluster.ConsistentHash
	}
	b := cluster.NewBalancer(strategy)
	type gate struct {
		Node     string `json:"node"`
		WS       string `json:"ws"`
		TCP      string `json:"tcp,omitempty"`
		Sessions int    `json:"sessions"`
	}
	out := []gate{}
	for len(nodes) > 0 {
		i := b.Pick(nodes, key, nil)
		n := nodes[i]
		out = append(out, gate{Node: n.ID, WS: n.WS, TCP: n.TCP, Sessions: n.Sessions})
		nodes = append(nodes[:i:i], nodes[i+1:]...)
	}
	w.Header().Set("Content-Type", "application/json")
	// tcp_identity is the key this node signs encrypted TCP key exchanges
	// with (gateways of one cluster share it when configured to).
	_ = json.NewEncoder(w).Encode(map[string]any{"gateways": out, "tcp_identity": hex.EncodeToString(s.gw.IdentityPublic())})
}
