package auth

import (
	"sync"
	"time"
)

// limiter counts failed logins per key ("ip:..." or "account:...") and
// locks a key out once it reaches its limit of failures within the
// window, doubling the lockout with each further failure.
type limiter struct {
	cfg LimitConfig
	now func() time.Time

	mu      sync.Mutex
	keys    map[string]*failures
	sweepAt int
}

type failures struct {
	n     int
	first time.Time
	until time.Time
}

func newLimiter(cfg LimitConfig, now func() time.Time) *limiter {
	return &limiter{cfg: cfg, now: now, keys: map[string]*failures{}, sweepAt: 1024}
}

// wait returns how long the most locked of keys stays locked (0: free).
func (l *limiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var d time.Duration
	for _, k := range keys {
		if f := l.keys[k]; f != nil && f.until.After(now) {
			d = max(d, f.until.Sub(now))
		}
	}
	return d
}

// fail records a failure on key and reports whether the key is now locked
// out: the limit-th failure within the window locks it (so with a limit of
// 5, five attempts fail and the sixth is refused), each further one
// doubles the lockout.
func (l *limiter) fail(key string, limit int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.keys[key]
	if f == nil || now.Sub(f.first) > l.cfg.Window && !f.until.After(now) {
		f = &failures{first: now}
		l.keys[key] = f
	}
	f.n++
	if f.n < limit {
		return false
	}
	lock := l.cfg.Lockout
	for i := limit; i < f.n && lock < l.cfg.MaxLockout; i++ {
		lock *= 2
	}
	f.until = now.Add(min(lock, l.cfg.MaxLockout))
	if len(l.keys) >= l.sweepAt {
		l.sweep(now)
	}
	return true
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// sweep drops keys whose window and lockout are over, so that the map
// stays as small as the set of recent offenders.
func (l *limiter) sweep(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.first) > l.cfg.Window && !f.until.After(now) {
			delete(l.keys, k)
		}
	}
	l.sweepAt = max(1024, 2*len(l.keys))
}
