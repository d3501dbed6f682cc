package chat

// The presence map as the fan-out's directory: which live gateway holds
// each user's session, read from the map every node keeps (the presence
// bucket, watched), so that a push costs no round trip to find its
// receivers.

// FeatureNodeSubject is the cluster feature (cluster.NodeInfo.Features) of
// a node that takes chat pushes on its own subject (NodeSubject). A node
// of an earlier release, without it, takes them only on the shared
// subject.
const FeatureNodeSubject = "chat.node"

// Locator tells the fan-out where users are connected. *Presence
// satisfies it.
type Locator interface {
	// Locate calls at for each of users connected to a live node other
	// than self, with that node and whether it takes pushes on its own
	// subject (FeatureNodeSubject). ok is false while the map is not yet
	// complete (the first replay of the bucket): the caller cannot tell
	// offline users from unknown ones then.
	Locate(users []int64, self string, at func(uid int64, node string, direct bool)) (ok bool)
	// Gateways appends to dst the live nodes other than self that hold at
	// least one session and take pushes on their own subject; older
	// reports whether some other live node with sessions does not. ok as
	// for Locate.
	Gateways(self string, dst []string) (_ []string, older, ok bool)
}

// Locate implements Locator.
func (p *Presence) Locate(users []int64, self string, at func(uid int64, node string, direct bool)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.connSynced {
		return false
	}
	for _, uid := range users {
		if c, ok := p.conns[uid]; ok && c.node != self && p.alive[c.node] {
			at(uid, c.node, p.direct[c.node])
		}
	}
	return true
}

// Gateways implements Locator.
func (p *Presence) Gateways(self string, dst []string) ([]string, bool, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.connSynced {
		return dst, false, false
	}
	older := false
	for node, n := range p.perNode {
		switch {
		case n <= 0 || node == self || !p.alive[node]:
		case p.direct[node]:
			dst = append(dst, node)
		default:
			older = true
		}
	}
	return dst, older, true
}

// setConnLocked records uid's session, keeping perNode in step.
func (p *Presence) setConnLocked(uid int64, c conn) {
	if old, ok := p.conns[uid]; ok {
		p.uncountLocked(old.node)
	}
	p.conns[uid] = c
	p.perNode[c.node]++
}

// dropConnLocked forgets uid's session, keeping perNode in step.
func (p *Presence) dropConnLocked(uid int64) {
	if old, ok := p.conns[uid]; ok {
		delete(p.conns, uid)
		p.uncountLocked(old.node)
	}
}

func (p *Presence) uncountLocked(node string) {
	if p.perNode[node]--; p.perNode[node] <= 0 {
		delete(p.perNode, node)
	}
}
