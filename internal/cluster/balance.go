package cluster

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"
)

// Strategy is how a Balancer picks one node among those that can serve a
// request.
type Strategy string

// The strategies a service can be configured with.
const (
	RoundRobin     Strategy = "round-robin"
	Random         Strategy = "random"
	Weighted       Strategy = "weighted"        // random, in proportion to NodeInfo.Weight
	LeastLoaded    Strategy = "least-loaded"    // fewest sessions and tables from the heartbeats
	ConsistentHash Strategy = "consistent-hash" // the same key goes to the same node while it lives
)

// ParseStrategy checks a strategy name from the configuration.
func ParseStrategy(s string) (Strategy, error) {
	switch st := Strategy(s); st {
	case RoundRobin, Random, Weighted, LeastLoaded, ConsistentHash:
		return st, nil
	}
	return "", fmt.Errorf("cluster: unknown strategy %q (round-robin, random, weighted, least-loaded, consistent-hash)", s)
}

// Balancer picks nodes by its strategy. It is safe for concurrent use.
type Balancer struct {
	strategy Strategy
	next     atomic.Uint64
}

// NewBalancer returns a balancer using st (round-robin when empty).
func NewBalancer(st Strategy) *Balancer {
	if st == "" {
		st = RoundRobin
	}
	return &Balancer{strategy: st}
}

// Strategy is the balancer's strategy.
func (b *Balancer) Strategy() Strategy { return b.strategy }

// Pick returns the index in nodes of the node to use, or -1 when nodes is
// empty. key matters only to the consistent hash; exclude, when not nil,
// rules nodes out (a fail-over retry).
func (b *Balancer) Pick(nodes []NodeInfo, key string, exclude func(NodeInfo) bool) int {
	cand := make([]int, 0, len(nodes))
	for i, n := range nodes {
		if exclude == nil || !exclude(n) {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return -1
	}
	switch b.strategy {
	case Random:
		return cand[rand.IntN(len(cand))]
	case Weighted:
		total := 0
		for _, i := range cand {
			total += max(nodes[i].Weight, 1)
		}
		r := rand.IntN(total)
		for _, i := range cand {
			if r -= max(nodes[i].Weight, 1); r < 0 {
				return i
			}
		}
		return cand[len(cand)-1]
	case LeastLoaded:
		best := cand[0]
		for _, i := range cand[1:] {
			if load(nodes[i]) < load(nodes[best]) {
				best = i
			}
		}
		return best
	case ConsistentHash:
		// Rendezvous hashing: the node with the highest score for key wins,
		// so a node leaving moves only its own keys.
		best, bestScore := -1, uint64(0)
		for _, i := range cand {
			if s := score(nodes[i].ID, key); best < 0 || s > bestScore {
				best, bestScore = i, s
			}
		}
		return best
	}
	return cand[int(b.next.Add(1)-1)%len(cand)]
}

// load orders nodes for LeastLoaded: a table costs about three sessions;
// CPU breaks ties.
func load(n NodeInfo) float64 { return float64(n.Sessions+3*n.Tables) + n.CPU/1000 }

func score(node, key string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(node))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(key))
	x := h.Sum64()
	// fnv's low bits mix poorly for short keys; finish with splitmix64.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
