package cluster

import "strings"

// DefaultPrefix starts every subject unless Config.Prefix says otherwise.
const DefaultPrefix = "lordgame"

// RPCQueue is the queue group that every node serving a route joins on
// Subjects.RPC, so that each request reaches exactly one of them.
const RPCQueue = "rpc"

// Subjects names every subject LordGame uses. Each one is
// "<prefix>.<name>", so two deployments, or two test runs, that share one
// NATS never hear each other. The zero value uses DefaultPrefix.
type Subjects struct {
	prefix string
}

// NewSubjects returns the subjects under prefix (see Config.Prefix, which
// Validate checks).
func NewSubjects(prefix string) Subjects {
	return Subjects{prefix: prefix}
}

// Prefix returns the prefix every subject starts with.
func (s Subjects) Prefix() string {
	if s.prefix == "" {
		return DefaultPrefix
	}
	return s.prefix
}

// RPC is where requests for one route go ("lordgame.rpc.ddz.play"); the
// nodes serving the route subscribe in queue group RPCQueue.
func (s Subjects) RPC(route string) string { return s.Prefix() + ".rpc." + route }

// Push carries messages for the players connected to one gateway node
// ("lordgame.push.gw-1"); only that node subscribes.
func (s Subjects) Push(node string) string { return s.Prefix() + ".push." + node }

// NodeRPC is where requests for one route go when they are meant for one
// node ("lordgame.node.n7-3fa1c2.rpc.ddz.play"): sticky routes and the
// balancing strategies that pick the node themselves.
func (s Subjects) NodeRPC(node, route string) string {
	return s.Prefix() + ".node." + node + ".rpc." + route
}

// Node is a node's own subject for internal calls by name
// ("lordgame.node.n7-3fa1c2.ddz.create").
func (s Subjects) Node(node, name string) string { return s.Prefix() + ".node." + node + "." + name }

// Broadcast fans one message out to every gateway for a channel
// ("lordgame.bcast.world"); every gateway subscribes without a queue.
func (s Subjects) Broadcast(channel string) string { return s.Prefix() + ".bcast." + channel }

// Heartbeat is where nodes announce themselves; a node that stops
// announcing drops out of the cluster.
func (s Subjects) Heartbeat() string { return s.Prefix() + ".node.heartbeat" }

// validSubject reports whether subj is a NATS subject: dot-separated
// non-empty tokens without white space; with wildcards only when allowed.
func validSubject(subj string, wildcards bool) bool {
	if subj == "" {
		return false
	}
	afterFull := false // ">" must be the last token
	for tok := range strings.SplitSeq(subj, ".") {
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") || afterFull {
			return false
		}
		afterFull = tok == ">"
		if strings.ContainsAny(tok, "*>") && (!wildcards || len(tok) > 1) {
			return false
		}
	}
	return true
}
