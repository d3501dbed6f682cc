package gateway

import (
	"sync"

	"github.com/lordgame/lordgame/internal/session"
)

const shards = 32

// registry is the set of connected sessions, by session id and by user.
type registry struct {
	shards [shards]regShard
	ipMu   sync.Mutex
	perIP  map[string]int
}

type regShard struct {
	mu     sync.Mutex
	byID   map[string]*session.Session
	byUser map[int64]*session.Session
}

func newRegistry() *registry {
	r := &registry{perIP: map[string]int{}}
	for i := range r.shards {
		r.shards[i].byID = map[string]*session.Session{}
		r.shards[i].byUser = map[int64]*session.Session{}
	}
	return r
}

func shardOf(key string) int {
	var h uint32 = 2166136261
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % shards)
}

func (r *registry) add(s *session.Session) {
	sh := &r.shards[shardOf(s.ID())]
	sh.mu.Lock()
	sh.byID[s.ID()] = s
	sh.mu.Unlock()
}

func (r *registry) remove(s *session.Session) {
	sh := &r.shards[shardOf(s.ID())]
	sh.mu.Lock()
	if sh.byID[s.ID()] == s {
		delete(sh.byID, s.ID())
	}
	sh.mu.Unlock()
	if uid := s.UserID(); uid != 0 {
		us := &r.shards[uid%shards]
		us.mu.Lock()
		if us.byUser[uid] == s {
			delete(us.byUser, uid)
		}
		us.mu.Unlock()
	}
}

// bindUser records s as uid's session and returns the session it replaces.
func (r *registry) bindUser(uid int64, s *session.Session) *session.Session {
	us := &r.shards[uid%shards]
	us.mu.Lock()
	old := us.byUser[uid]
	us.byUser[uid] = s
	us.mu.Unlock()
	if old == s {
		return nil
	}
	return old
}

func (r *registry) get(id string) *session.Session {
	sh := &r.shards[shardOf(id)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.byID[id]
}

func (r *registry) user(uid int64) *session.Session {
	us := &r.shards[uid%shards]
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.byUser[uid]
}

func (r *registry) count() int {
	n := 0
	for i := range r.shards {
		r.shards[i].mu.Lock()
		n += len(r.shards[i].byID)
		r.shards[i].mu.Unlock()
	}
	return n
}

func (r *registry) each(f func(*session.Session)) {
	var all []*session.Session
	for i := range r.shards {
		r.shards[i].mu.Lock()
		for _, s := range r.shards[i].byID {
			all = append(all, s)
		}
		r.shards[i].mu.Unlock()
	}
	for _, s := range all {
		f(s)
	}
}

// ipAcquire counts a connection from ip; false when ip is at its limit.
func (r *registry) ipAcquire(ip string, limit int) bool {
	r.ipMu.Lock()
	defer r.ipMu.Unlock()
	if r.perIP[ip] >= limit {
		return false
	}
	r.perIP[ip]++
	return true
}

func (r *registry) ipRelease(ip string) {
	r.ipMu.Lock()
	defer r.ipMu.Unlock()
	if r.perIP[ip] <= 1 {
		delete(r.perIP, ip)
	} else {
		r.perIP[ip]--
	}
}
