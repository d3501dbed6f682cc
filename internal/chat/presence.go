package chat

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// The statuses of presence.proto.
const (
	StatusOffline = "offline"
	StatusOnline  = "online"
	StatusInGame  = "in_game"
)

// RoutePresence is the push of a friend's status change.
const RoutePresence = "presence.event"

// presenceQueueLen bounds the status changes waiting to be announced;
// when it is full a change is not announced (counted in Stats): friends
// see it in their next presence.get or friend.list.
const presenceQueueLen = 4096

// Nodes is the cluster membership presence trusts: a record is valid
// while the node it names is live. *cluster.Members satisfies it.
type Nodes interface {
	Live() []cluster.NodeInfo
}

// Presence is every user's status, cluster-wide, as this node sees it. It
// keeps no record of its own: it follows the cluster's presence bucket
// (which gateway holds each user's session, cluster.Presence) and the
// Dou Dizhu seat directory (which users sit at a table, and on which
// node), and it derives a status from them and the live members: offline,
// online or in_game. Every node holds the whole map, so a status read
// costs no round trip, and every node sees every change.
//
// Each change is announced once in the cluster, by the gateway named in
// the user's record (the one that wrote it); when that gateway is gone,
// by the first live node in id order. Going offline is announced only
// after Config.PresenceGrace, and not at all when the user is back by
// then (a reconnect, a resume, a login elsewhere). The announcement is a
// presence.event push to the user's accepted friends, minus the users
// the user blocks. Group members are not told (a user may be in 50 groups
// of 500): they ask with presence.group.
//
// Concurrency: the feeds (ConnFollower, the seat methods, NodesChanged)
// and the readers share mu; Run owns the announcing goroutine and the
// expiry sweep. mu is never held while calling out.
type Presence struct {
	svc   *Service
	nodes Nodes
	self  string
	ttl   time.Duration
	now   func() time.Time

	mu         sync.Mutex
	conns      map[int64]conn
	perNode    map[string]int  // sessions in conns by node (locate.go)
	direct     map[string]bool // live nodes that take chat pushes on their own subject
	seats      map[int64]seatAt
	shown      map[int64]shown
	pending    map[int64]pendingOff // gone offline, within the grace
	alive      map[string]bool
	first      string // the live node with the smallest id
	connEpoch  int
	seatEpoch  int
	connSynced bool
	seatSynced bool

	events  chan presenceEvent
	sent    atomic.Int64
	pushed  atomic.Int64
	dropped atomic.Int64
}

type conn struct {
	node, session string
	at            time.Time
	epoch         int
}

type seatAt struct {
	node  string
	epoch int
}

// shown is the status last derived for a user, since when, and the
// gateway its record named (who announces the next change).
type shown struct {
	status string
	since  time.Time
	node   string
}

// pendingOff is a user gone offline at at, announced after the grace
// unless they come back; prev is the status friends last heard.
type pendingOff struct {
	prev string
	at   time.Time
	node string
}

type presenceEvent struct {
	user         int64
	status, prev string
	since        time.Time
}

// NewPresence builds the presence of node self; ttl is the presence
// records' lifetime without a refresh (cluster.PresenceTTL). It tells
// svc, whose friend.list and group.members answers then carry statuses.
func NewPresence(svc *Service, nodes Nodes, self string, ttl time.Duration) *Presence {
	p := &Presence{svc: svc, nodes: nodes, self: self, ttl: ttl, now: time.Now,
		conns: map[int64]conn{}, perNode: map[string]int{}, seats: map[int64]seatAt{}, shown: map[int64]shown{}, pending: map[int64]pendingOff{},
		alive: map[string]bool{self: true}, first: self, events: make(chan presenceEvent, presenceQueueLen)}
	svc.presence = p
	return p
}

// PresenceStats are counts since the start: changes announced, pushes
// handed to the fan-out for them, and changes not announced (queue full).
type PresenceStats struct {
	Events, Pushes, Dropped int64
}

// Stats returns the announcement counts.
func (p *Presence) Stats() PresenceStats {
	return PresenceStats{Events: p.sent.Load(), Pushes: p.pushed.Load(), Dropped: p.dropped.Load()}
}

// ---- feeds ----

// ConnFollower follows the cluster's presence bucket
// (cluster.Presence.Watch) into p.
func (p *Presence) ConnFollower() cluster.PresenceFollower { return connFollower{p} }

type connFollower struct{ p *Presence }

func (f connFollower) Reset() {
	f.p.mu.Lock()
	f.p.connEpoch++
	f.p.mu.Unlock()
}

func (f connFollower) Change(c cluster.PresenceChange) {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.Here {
		p.setConnLocked(c.UserID, conn{node: c.Loc.Node, session: c.Loc.Session, at: c.At, epoch: p.connEpoch})
	} else {
		p.dropConnLocked(c.UserID)
	}
	p.updateLocked(c.UserID)
}

func (f connFollower) Synced() {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for uid, c := range p.conns {
		if c.epoch != p.connEpoch {
			p.dropConnLocked(uid)
			p.updateLocked(uid)
		}
	}
	p.connSynced = true
}

// SeatReset starts a replay of the seat directory: seats not given to
// SetSeat again before SeatsSynced are gone.
func (p *Presence) SeatReset() {
	p.mu.Lock()
	p.seatEpoch++
	p.mu.Unlock()
}

// SetSeat records that uid sits at a table run by node (here), or no
// longer sits anywhere (!here).
func (p *Presence) SetSeat(uid int64, node string, here bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if here {
		p.seats[uid] = seatAt{node: node, epoch: p.seatEpoch}
	} else {
		delete(p.seats, uid)
	}
	p.updateLocked(uid)
}

// SeatsSynced ends a replay of the seat directory.
func (p *Presence) SeatsSynced() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for uid, s := range p.seats {
		if s.epoch != p.seatEpoch {
			delete(p.seats, uid)
			p.updateLocked(uid)
		}
	}
	p.seatSynced = true
}

// NodesChanged reads the live members again; when the set changed, every
// user's status is derived again (a gateway that dropped out takes its
// users offline, a game node its players out of their games). Call it
// from Members.OnChange, and once when the membership is synced.
func (p *Presence) NodesChanged() {
	live := p.nodes.Live()
	alive := map[string]bool{p.self: true}
	direct := map[string]bool{p.self: true}
	first := p.self
	for _, n := range live {
		alive[n.ID] = true
		direct[n.ID] = slices.Contains(n.Features, FeatureNodeSubject)
		if n.ID < first {
			first = n.ID
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.direct = direct
	same := len(alive) == len(p.alive)
	for id := range alive {
		same = same && p.alive[id]
	}
	p.first = first
	if same {
		return
	}
	p.alive = alive
	for uid := range p.shown {
		p.updateLocked(uid)
	}
	for uid := range p.conns {
		p.updateLocked(uid)
	}
}

// sweep drops the records that outlived ttl without a refresh (their
// gateway lost them, e.g. while NATS was away).
func (p *Presence) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cut := p.now().Add(-p.ttl)
	for uid, c := range p.conns {
		if c.at.Before(cut) {
			p.dropConnLocked(uid)
			p.updateLocked(uid)
		}
	}
}

// ---- status ----

func (p *Presence) statusLocked(uid int64) string {
	c, ok := p.conns[uid]
	if !ok || !p.alive[c.node] {
		return StatusOffline
	}
	if s, ok := p.seats[uid]; ok && p.alive[s.node] {
		return StatusInGame
	}
	return StatusOnline
}

// updateLocked derives uid's status again and, when it changed and this
// node is the one to announce it, queues the announcement.
func (p *Presence) updateLocked(uid int64) {
	st := p.statusLocked(uid)
	old, had := p.shown[uid]
	if !had {
		old.status = StatusOffline
	}
	node := old.node
	if c, ok := p.conns[uid]; ok {
		node = c.node
	}
	if st == old.status {
		if had && node != old.node {
			old.node = node // moved gateway: still online
			p.shown[uid] = old
		}
		return
	}
	now := p.now()
	if _, ok := p.conns[uid]; !ok && st == StatusOffline {
		delete(p.shown, uid) // nothing left to remember
	} else {
		p.shown[uid] = shown{status: st, since: now, node: node}
	}
	if !p.connSynced || !p.seatSynced {
		return // a replay at start: nothing to announce
	}
	// Every node keeps the same pending offlines (each sees every
	// change), so whichever node announces the return knows whether
	// friends heard of the leave.
	prev := old.status
	if pd, ok := p.pending[uid]; ok {
		delete(p.pending, uid)
		switch {
		case now.Sub(pd.at) >= p.grace():
			// The grace is over, though this node has not flushed it
			// yet: the announcer of the offline may have, so the
			// offline counts as told (and is told here if it is ours).
			if p.announcerLocked(pd.node) {
				p.queueLocked(presenceEvent{user: uid, status: StatusOffline, prev: pd.prev, since: pd.at})
			}
		case st == pd.prev:
			return // back within the grace: no change for friends
		default:
			prev = pd.prev
		}
	}
	if st == StatusOffline && p.grace() > 0 {
		p.pending[uid] = pendingOff{prev: prev, at: now, node: node}
		return
	}
	if p.announcerLocked(node) {
		p.queueLocked(presenceEvent{user: uid, status: st, prev: prev, since: now})
	}
}

func (p *Presence) queueLocked(e presenceEvent) {
	select {
	case p.events <- e:
	default:
		p.dropped.Add(1)
	}
}

func (p *Presence) grace() time.Duration { return p.svc.cfg.PresenceGrace }

// flushPending announces the offlines whose grace is over.
func (p *Presence) flushPending() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cut := p.now().Add(-p.grace())
	for uid, pd := range p.pending {
		if pd.at.After(cut) {
			continue
		}
		delete(p.pending, uid)
		if p.announcerLocked(pd.node) {
			p.queueLocked(presenceEvent{user: uid, status: StatusOffline, prev: pd.prev, since: pd.at})
		}
	}
}

// announcerLocked reports whether this node announces the changes of a
// user whose record names gateway node.
func (p *Presence) announcerLocked(node string) bool {
	switch {
	case node == p.self:
		return true
	case node == "" || p.alive[node]:
		return false
	}
	return p.first == p.self
}

// Status is uid's status and since when (zero: not known).
func (p *Presence) Status(uid int64) (string, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.statusLocked(uid)
	if sh, ok := p.shown[uid]; ok && sh.status == st {
		return st, sh.since
	}
	return st, time.Time{}
}

// Statuses returns the status of each user, in order.
func (p *Presence) Statuses(users []int64) []*pb.PresenceStatus {
	out := make([]*pb.PresenceStatus, len(users))
	for i, uid := range users {
		st, since := p.Status(uid)
		out[i] = &pb.PresenceStatus{UserId: uid, Status: st, SinceMs: msOf(since)}
	}
	return out
}

// Counts are the users not offline in the cluster, by status and gateway.
func (p *Presence) Counts() *pb.PresenceCountResp {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := &pb.PresenceCountResp{Gateways: map[string]uint32{}}
	for uid, c := range p.conns {
		switch p.statusLocked(uid) {
		case StatusOnline:
			out.Online++
		case StatusInGame:
			out.InGame++
		default:
			continue
		}
		out.Gateways[c.node]++
	}
	out.Total = out.Online + out.InGame
	return out
}

// ---- requests ----

// Get answers presence.get: a user who blocks the caller shows offline.
func (p *Presence) Get(ctx context.Context, user int64, ids []int64) (*pb.PresenceGetResp, error) {
	if len(ids) == 0 || len(ids) > syncMax {
		return nil, ErrTooMany
	}
	by, err := p.svc.db.BlockedBy(ctx, user)
	if err != nil {
		return nil, err
	}
	hide := setOf(by)
	out := &pb.PresenceGetResp{Users: p.Statuses(ids)}
	for _, u := range out.Users {
		if hide[u.UserId] {
			u.Status, u.SinceMs = StatusOffline, 0
		}
	}
	return out, nil
}

// Group answers presence.group for a member of group convID.
func (p *Presence) Group(ctx context.Context, user, convID int64, onlineOnly bool) (*pb.PresenceGroupResp, error) {
	c, _, err := p.svc.access(ctx, user, convID)
	if err != nil {
		return nil, err
	}
	if c.Kind != store.ConvGroup {
		return nil, store.ErrConvNotFound
	}
	ms, err := p.svc.db.Members(ctx, convID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	slices.Sort(ids)
	out := &pb.PresenceGroupResp{ConversationId: convID, Total: uint32(len(ids))}
	for _, st := range p.Statuses(ids) {
		if st.Status != StatusOffline {
			out.Online++
		} else if onlineOnly {
			continue
		}
		out.Members = append(out.Members, st)
	}
	return out, nil
}

// ---- announcing ----

// Run announces the status changes (an offline one after the grace,
// Config.PresenceGrace) and sweeps expired records until ctx ends.
func (p *Presence) Run(ctx context.Context) error {
	t := time.NewTicker(min(p.ttl/4, time.Minute))
	defer t.Stop()
	every := time.Minute // no grace: nothing is ever pending
	if d := p.grace(); d > 0 {
		every = max(d/4, 50*time.Millisecond)
	}
	g := time.NewTicker(every)
	defer g.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			p.sweep()
		case <-g.C:
			p.flushPending()
		case e := <-p.events:
			p.announce(ctx, e)
		}
	}
}

// announce pushes one change to the user's accepted friends.
func (p *Presence) announce(ctx context.Context, e presenceEvent) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fs, err := p.svc.db.Friends(ctx, e.user)
	if err != nil {
		p.svc.log.Warn("presence: friends", "player_id", e.user, "err", err)
		return
	}
	var to []int64
	for _, f := range fs {
		if f.State == store.FriendAccepted {
			to = append(to, f.UserID)
		}
	}
	p.sent.Add(1)
	if len(to) == 0 {
		return
	}
	except, err := p.svc.db.Blocks(ctx, e.user)
	if err != nil {
		p.svc.log.Warn("presence: blocks", "player_id", e.user, "err", err)
		return
	}
	ev := &pb.PresenceEvent{UserId: e.user, Status: e.status, Previous: e.prev, SinceMs: e.since.UnixMilli()}
	if err := p.svc.out.Push(ctx, RoutePresence, ev, to, false, except); err != nil {
		p.svc.log.Warn("presence: push", "player_id", e.user, "err", err)
		return
	}
	skip := setOf(except)
	n := 0
	for _, u := range to {
		if !skip[u] {
			n++
		}
	}
	p.pushed.Add(int64(n))
}
