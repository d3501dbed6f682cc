package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SchemaVersion is the version of what nodes exchange over NATS: subjects,
// headers, bucket layouts. Nodes of different schema versions refuse to
// form one cluster.
const SchemaVersion = 2

// MaxNodeID is the largest snowflake node id (internal/id uses 10 bits).
const MaxNodeID = 1023

// Roles a node can take.
const (
	RoleGateway = "gateway"
	RoleGame    = "game"
	RoleMatch   = "match"
)

// NodeInfo is what a node announces about itself in every heartbeat.
type NodeInfo struct {
	// ID names the node in subjects and logs ("n7-3fa1c2"): its node id
	// and a random suffix, so that a restarted node is a new member.
	ID string `json:"id"`
	// NodeID is the snowflake node id the node generates ids with.
	NodeID   int      `json:"node_id"`
	Roles    []string `json:"roles"`
	Version  string   `json:"version"`
	Protocol int      `json:"protocol"`
	Schema   int      `json:"schema"`
	// Addresses clients and operators use: HTTP, WebSocket URL path
	// included ("ws://host:8080/ws"), TCP.
	HTTP string `json:"http,omitempty"`
	WS   string `json:"ws,omitempty"`
	TCP  string `json:"tcp,omitempty"`
	// Load, refreshed at every heartbeat.
	Sessions int     `json:"sessions"`
	Tables   int     `json:"tables"`
	CPU      float64 `json:"cpu"`
	// Weight is the node's share under the weighted strategy (default 1).
	Weight   int  `json:"weight"`
	Draining bool `json:"draining"`
	// Standby lists the services this node is ready to take over but does
	// not serve now (a matchmaker that is not the leader).
	Standby []string `json:"standby,omitempty"`
	// Features are what the node understands beyond its schema version
	// (e.g. "chat.node": it takes chat pushes on its own subject), so that
	// nodes of one schema but different releases work together during a
	// rolling update.
	Features []string  `json:"features,omitempty"`
	Started  time.Time `json:"started"`
	// LastSeen is when this node last heard the heartbeat (its own clock).
	LastSeen time.Time `json:"last_seen"`
}

// Has reports whether the node has role.
func (n NodeInfo) Has(role string) bool { return slices.Contains(n.Roles, role) }

// MembersConfig times the heartbeats.
type MembersConfig struct {
	// Heartbeat is how often a node announces itself.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// DropAfter is how long a silent node stays a member.
	DropAfter time.Duration `yaml:"drop_after"`
	// LeaseTTL is how long a node id stays leased after its holder's last
	// heartbeat; only then can another node take it.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
}

// DefaultMembersConfig beats every second and drops a node after 3 s.
func DefaultMembersConfig() MembersConfig {
	return MembersConfig{Heartbeat: time.Second, DropAfter: 3 * time.Second, LeaseTTL: 10 * time.Second}
}

// Validate rejects timings that cannot work.
func (c MembersConfig) Validate() error {
	if c.Heartbeat <= 0 || c.DropAfter < 2*c.Heartbeat || c.LeaseTTL < c.DropAfter {
		return errors.New("cluster: need heartbeat > 0, drop_after >= 2 heartbeats and lease_ttl >= drop_after")
	}
	return nil
}

// Members is this node's membership in the cluster: it leases the node id,
// announces the node every heartbeat in the "nodes" bucket, and keeps the
// view of the live nodes from watching that bucket.
//
// Concurrency: Run owns the heartbeat and the watch; mu guards the view,
// self and the change hooks, and is never held while calling out.
type Members struct {
	cfg  MembersConfig
	bus  *NATS
	log  *slog.Logger
	load func(*NodeInfo)

	nodes KV
	ids   KV
	idRev uint64

	mu sync.RWMutex
	// healthySince is when the heartbeats last started succeeding (zero
	// while they fail): the view is trusted only once others had a whole
	// DropAfter to be heard again.
	healthySince time.Time
	// lastLoop is when the heartbeat loop last ran (unix ns): a loop that
	// has not run lately means this process was paused (SIGSTOP, a frozen
	// VM), and the view of the others is stale until the watch catches up.
	lastLoop atomic.Int64
	self     NodeInfo
	view     map[string]NodeInfo
	hooks    []func()
	synced   chan struct{} // closed once the first watch snapshot is in
	// rewatch asks the watch to start over (the connection came back).
	rewatch chan struct{}
}

// ErrVersionMismatch means another live node speaks another protocol or
// schema version; this node must not join.
var ErrVersionMismatch = errors.New("cluster: version mismatch")

// ErrLeaseLost means the node's id lease was taken by another node.
var ErrLeaseLost = errors.New("cluster: node id lease lost")

// Join leases a node id (self.NodeID, or any free one when it is < 0),
// checks that the live nodes speak self's protocol and schema, and
// announces self. load, called before each heartbeat, fills in the load
// fields. Run must run for the membership to stay alive.
func Join(ctx context.Context, bus *NATS, cfg MembersConfig, self NodeInfo, load func(*NodeInfo), log *slog.Logger) (*Members, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Members{cfg: cfg, bus: bus, log: log, load: load, view: map[string]NodeInfo{}, synced: make(chan struct{}),
		rewatch: make(chan struct{}, 1)}
	bus.OnReconnect(func() {
		select {
		case m.rewatch <- struct{}{}:
		default: // one is pending
		}
	})
	var err error
	if m.nodes, err = bus.KV(ctx, Bucket{Name: "nodes", TTL: cfg.DropAfter}); err != nil {
		return nil, err
	}
	if m.ids, err = bus.KV(ctx, Bucket{Name: "nodeids", TTL: cfg.LeaseTTL}); err != nil {
		return nil, err
	}
	self.Schema = SchemaVersion
	live, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range live {
		if n.Protocol != self.Protocol || n.Schema != self.Schema {
			return nil, fmt.Errorf("%w: node %s speaks protocol %d schema %d, this node protocol %d schema %d",
				ErrVersionMismatch, n.ID, n.Protocol, n.Schema, self.Protocol, self.Schema)
		}
	}
	if self.NodeID, err = m.leaseID(ctx, self.NodeID); err != nil {
		return nil, err
	}
	if self.ID == "" {
		self.ID = fmt.Sprintf("n%d-%06x", self.NodeID, rand.Uint32()&0xffffff)
	}
	if self.Weight <= 0 {
		self.Weight = 1
	}
	self.Started = time.Now()
	m.self = self
	if err := m.beat(ctx); err != nil {
		_ = m.ids.Delete(context.WithoutCancel(ctx), strconv.Itoa(self.NodeID), jetstream.LastRevision(m.idRev))
		return nil, err
	}
	return m, nil
}

// list reads the nodes bucket once.
func (m *Members) list(ctx context.Context) ([]NodeInfo, error) {
	lister, err := m.nodes.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: list nodes: %w", err)
	}
	var out []NodeInfo
	for k := range lister.Keys() {
		e, err := m.nodes.Get(ctx, k)
		if err != nil {
			continue // expired in between
		}
		var n NodeInfo
		if json.Unmarshal(e.Value(), &n) == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// leaseID takes node id want, or the first free one from a random start
// when want < 0.
func (m *Members) leaseID(ctx context.Context, want int) (int, error) {
	if want > MaxNodeID {
		return 0, fmt.Errorf("cluster: node id %d is above %d", want, MaxNodeID)
	}
	if want >= 0 {
		rev, err := m.ids.Create(ctx, strconv.Itoa(want), []byte(strconv.FormatInt(time.Now().UnixMilli(), 10)))
		if IsConflict(err) {
			return 0, fmt.Errorf("cluster: node id %d is leased by a live node (set another -node-id, or leave it unset to lease a free one)", want)
		}
		if err != nil {
			return 0, fmt.Errorf("cluster: lease node id: %w", err)
		}
		m.idRev = rev
		return want, nil
	}
	start := rand.IntN(MaxNodeID + 1)
	for i := range MaxNodeID + 1 {
		id := (start + i) % (MaxNodeID + 1)
		rev, err := m.ids.Create(ctx, strconv.Itoa(id), []byte(strconv.FormatInt(time.Now().UnixMilli(), 10)))
		if IsConflict(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("cluster: lease node id: %w", err)
		}
		m.idRev = rev
		return id, nil
	}
	return 0, errors.New("cluster: every node id is leased")
}

func (m *Members) setHealthy(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !ok:
		m.healthySince = time.Time{}
	case m.healthySince.IsZero():
		m.healthySince = time.Now()
	}
}

// Stable reports whether this node's view of the others can be trusted to
// say who is gone: its heartbeats have succeeded for at least DropAfter,
// and its heartbeat loop ran lately. Right after an outage, or after the
// process was paused, every other node looks silent; a node must not take
// over their work on that.
func (m *Members) Stable() bool {
	if time.Since(time.Unix(0, m.lastLoop.Load())) > 2*m.cfg.Heartbeat {
		return false // paused, or the loop has not started
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return !m.healthySince.IsZero() && time.Since(m.healthySince) >= m.cfg.DropAfter
}

// DropAfter is how long a silent node stays a member.
func (m *Members) DropAfter() time.Duration { return m.cfg.DropAfter }

// Self is this node's last announcement.
func (m *Members) Self() NodeInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.self
}

// SetDraining marks this node as draining from the next heartbeat on
// (sent at once): routers stop sending it new work.
func (m *Members) SetDraining(ctx context.Context) {
	m.mu.Lock()
	m.self.Draining = true
	m.mu.Unlock()
	if err := m.beat(ctx); err != nil {
		m.log.Warn("cluster heartbeat", "err", err)
	}
}

// SetStandby marks service as held in standby (true) or served (false),
// announced at once.
func (m *Members) SetStandby(ctx context.Context, service string, standby bool) {
	m.mu.Lock()
	m.self.Standby = slices.DeleteFunc(m.self.Standby, func(s string) bool { return s == service })
	if standby {
		m.self.Standby = append(m.self.Standby, service)
	}
	m.mu.Unlock()
	if err := m.beat(ctx); err != nil {
		m.log.Warn("cluster heartbeat", "err", err)
	}
}

// OnChange registers f, called (on the watch goroutine) after a node
// joins, changes or leaves the view.
func (m *Members) OnChange(f func()) {
	m.mu.Lock()
	m.hooks = append(m.hooks, f)
	m.mu.Unlock()
}

// Live lists the nodes heard from within DropAfter, this one included,
// sorted by id.
func (m *Members) Live() []NodeInfo {
	cut := time.Now().Add(-m.cfg.DropAfter)
	m.mu.RLock()
	out := make([]NodeInfo, 0, len(m.view)+1)
	for _, n := range m.view {
		if n.LastSeen.After(cut) {
			out = append(out, n)
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b NodeInfo) int { return cmpString(a.ID, b.ID) })
	return out
}

// WithRole lists the live nodes that have role and are not draining.
func (m *Members) WithRole(role string) []NodeInfo {
	out := m.Live()
	return slices.DeleteFunc(out, func(n NodeInfo) bool { return !n.Has(role) || n.Draining })
}

// Alive reports whether node id is a live member.
func (m *Members) Alive(id string) bool {
	cut := time.Now().Add(-m.cfg.DropAfter)
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.view[id]
	return ok && n.LastSeen.After(cut)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Run heartbeats and watches until ctx ends, then withdraws the node (its
// entry and its id lease) so that the others drop it at once. It fails
// with ErrLeaseLost when another node took this node's id: the node must
// stop, since its ids are no longer unique.
func (m *Members) Run(ctx context.Context) error {
	watchErr := make(chan error, 1)
	go func() { watchErr <- m.watch(ctx) }() // stops with ctx; waited for below
	defer func() { <-watchErr }()
	tick := time.NewTicker(m.cfg.Heartbeat)
	defer tick.Stop()
	failing := false
	m.lastLoop.Store(time.Now().UnixNano())
	m.setHealthy(true)
	if err := m.beat(ctx); err != nil { // at once: addresses are known now
		failing = true
		m.setHealthy(false)
		m.log.Warn("cluster heartbeat failing", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			m.withdraw()
			return nil
		case <-tick.C:
		}
		if gap := time.Since(time.Unix(0, m.lastLoop.Load())); gap > 2*m.cfg.Heartbeat {
			// This process did not run (paused, or starved of CPU): the
			// others' last heartbeats here are that old, so they may all
			// look gone. The view is not trusted again until they had a
			// whole DropAfter to be heard (as after an outage).
			if !failing {
				m.log.Warn("cluster heartbeat loop was paused: the view of the others is not trusted for a while", "gap", gap.Round(time.Millisecond))
			}
			failing = true
			m.setHealthy(false)
		}
		m.lastLoop.Store(time.Now().UnixNano())
		err := m.renew(ctx)
		if errors.Is(err, ErrLeaseLost) {
			m.log.Error("cluster node id lease lost: stopping", "node", m.self.ID, "node_id", m.self.NodeID)
			return err
		}
		if err == nil {
			err = m.beat(ctx)
		}
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			failing = true
			m.setHealthy(false)
			m.log.Warn("cluster heartbeat failing", "err", err)
		case err == nil && failing:
			failing = false
			m.setHealthy(true)
			m.log.Info("cluster heartbeat recovered")
		}
	}
}

func (m *Members) withdraw() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	self := m.Self()
	_ = m.nodes.Delete(ctx, self.ID)
	_ = m.ids.Delete(ctx, strconv.Itoa(self.NodeID), jetstream.LastRevision(m.idRev))
}

// renew extends the node id lease. After an outage longer than the lease
// the key may have expired: the node takes it again if nobody else did.
func (m *Members) renew(ctx context.Context) error {
	key := strconv.Itoa(m.self.NodeID)
	val := []byte(strconv.FormatInt(time.Now().UnixMilli(), 10))
	rev, err := m.ids.Update(ctx, key, val, m.idRev)
	if err == nil {
		m.idRev = rev
		return nil
	}
	if !IsConflict(err) {
		return err
	}
	rev, err = m.ids.Create(ctx, key, val)
	if IsConflict(err) {
		return ErrLeaseLost
	}
	if err != nil {
		return err
	}
	m.idRev = rev
	return nil
}

// beat announces self with fresh load numbers.
func (m *Members) beat(ctx context.Context) error {
	m.mu.Lock()
	if m.load != nil {
		m.load(&m.self)
	}
	self := m.self
	m.mu.Unlock()
	self.LastSeen = time.Now()
	b, err := json.Marshal(self)
	if err != nil {
		return err
	}
	if _, err := m.nodes.Put(ctx, self.ID, b); err != nil {
		return fmt.Errorf("cluster: heartbeat: %w", err)
	}
	return nil
}

// watch follows the nodes bucket into the view until ctx ends. The
// watcher of nats.go resumes by itself after a reconnect.
func (m *Members) watch(ctx context.Context) error {
	for ctx.Err() == nil {
		w, err := m.nodes.WatchAll(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(m.cfg.Heartbeat):
			}
			continue
		}
		m.follow(ctx, w)
		_ = w.Stop()
	}
	return nil
}

func (m *Members) follow(ctx context.Context, w jetstream.KeyWatcher) {
	prune := time.NewTicker(m.cfg.Heartbeat / 2)
	defer prune.Stop()
	alive := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.rewatch:
			// Back from an outage: a new watch hears the others at once
			// rather than after the old one notices it missed messages.
			return
		case <-prune.C:
			// A node that went silent is dropped here, DropAfter after its
			// last heartbeat, even though no update says so.
			now := m.Live()
			changed := len(now) != len(alive)
			for _, n := range now {
				changed = changed || !alive[n.ID]
			}
			if changed {
				clear(alive)
				for _, n := range now {
					alive[n.ID] = true
				}
				m.changed()
			}
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil { // the initial values are in
				m.markSynced()
				continue
			}
			m.apply(e)
		}
	}
}

func (m *Members) markSynced() {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.synced:
	default:
		close(m.synced)
	}
}

// Synced is closed once the view holds the bucket's initial contents.
func (m *Members) Synced() <-chan struct{} { return m.synced }

func (m *Members) apply(e KVEntry) {
	key := e.Key()
	if e.Operation() != jetstream.KeyValuePut {
		m.mu.Lock()
		_, had := m.view[key]
		delete(m.view, key)
		m.mu.Unlock()
		if had {
			m.changed()
		}
		return
	}
	var n NodeInfo
	if err := json.Unmarshal(e.Value(), &n); err != nil {
		return
	}
	if n.Schema != SchemaVersion {
		return // refused at its Join; never routed to
	}
	n.LastSeen = time.Now()
	if time.Since(e.Created()) > m.cfg.DropAfter {
		n.LastSeen = e.Created() // an old value replayed by a new watch
	}
	m.mu.Lock()
	old, had := m.view[key]
	m.view[key] = n
	m.mu.Unlock()
	if !had || old.Draining != n.Draining || !slices.Equal(old.Standby, n.Standby) {
		m.changed()
	}
}

func (m *Members) changed() {
	m.mu.RLock()
	hooks := m.hooks
	m.mu.RUnlock()
	for _, h := range hooks {
		h()
	}
}

// Nodes reads the live nodes straight from the bucket, for a process that
// is not a member (lordgame cluster nodes).
func Nodes(ctx context.Context, bus *NATS) ([]NodeInfo, error) {
	kv, err := bus.OpenKV(ctx, "nodes")
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil // no node has ever joined
	}
	if err != nil {
		return nil, err
	}
	m := &Members{nodes: kv}
	out, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b NodeInfo) int { return cmpString(a.ID, b.ID) })
	return out, nil
}
