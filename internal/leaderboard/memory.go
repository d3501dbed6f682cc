package leaderboard

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is a Store held in this process. It is only correct on a single node: two nodes would
// each rank only the games they settled.
type Memory struct {
	clock Clock
	mu    sync.Mutex
	keys  map[string]map[string]int64 // ranking key -> player -> score
}

// NewMemory returns an empty in-memory store.
func NewMemory(c Clock) *Memory {
	return &Memory{clock: c, keys: make(map[string]map[string]int64)}
}

func (m *Memory) Record(_ context.Context, at time.Time, results []Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range periods {
		rk, ck := m.set(m.clock.Key(Rating, p, at)), m.set(m.clock.Key(Coins, p, at))
		for _, r := range results {
			rk[r.Player] = r.Rating
			ck[r.Player] += r.Coins
		}
	}
	return nil
}

func (m *Memory) set(key string) map[string]int64 {
	s := m.keys[key]
	if s == nil {
		s = make(map[string]int64)
		m.keys[key] = s
	}
	return s
}

// sorted ranks a set by score descending, ties by player id descending: the order of Redis
// ZREVRANGE, so both stores rank identically.
func (m *Memory) sorted(key string) []Entry {
	s := m.keys[key]
	out := make([]Entry, 0, len(s))
	for p, v := range s {
		out = append(out, Entry{Player: p, Score: v})
	}
	slices.SortFunc(out, compareEntries)
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

func compareEntries(a, b Entry) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return cmp.Compare(b.Player, a.Player)
}

func (m *Memory) Top(_ context.Context, b Board, p Period, at time.Time, n int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.sorted(m.clock.Key(b, p, at))
	return all[:min(max(n, 0), len(all))], nil
}

func (m *Memory) Around(_ context.Context, b Board, p Period, at time.Time, player string, radius int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.sorted(m.clock.Key(b, p, at))
	i := slices.IndexFunc(all, func(e Entry) bool { return e.Player == player })
	if i < 0 {
		return nil, nil
	}
	radius = max(radius, 0)
	return all[max(i-radius, 0):min(i+radius+1, len(all))], nil
}
