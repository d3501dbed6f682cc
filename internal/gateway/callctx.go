package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callCtx is a request's context and its Call in one allocation.
//
// context.WithTimeout per request cost four allocations and arming and
// stopping a runtime timer, on every request, for a deadline most handlers
// never wait on. callCtx reports the deadline at once (Deadline, Err) and
// builds the real context.WithDeadline only when a handler asks for Done,
// to select on it or to hand it to a driver that does. When the request
// ends (end) the context is canceled like any request context.
type callCtx struct {
	Call
	base     context.Context
	deadline time.Time

	mu     sync.Mutex
	ctx    context.Context // made by the first Done
	cancel context.CancelFunc
	ended  bool
}

var _ context.Context = (*callCtx)(nil)

// closedDone is the Done channel of a request that ended before anyone
// asked for one.
var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		if c.ended {
			return closedDone
		}
		c.ctx, c.cancel = context.WithDeadline(c.base, c.deadline)
	}
	return c.ctx.Done()
}

func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ctx != nil:
		return c.ctx.Err()
	case c.ended:
		return context.Canceled
	case !time.Now().Before(c.deadline):
		return context.DeadlineExceeded
	}
	return c.base.Err()
}

// Value looks in the context Done made, when there is one, so that a child
// context.WithCancel finds it and registers with it instead of watching it
// from a goroutine.
func (c *callCtx) Value(key any) any {
	c.mu.Lock()
	ctx := c.ctx
	c.mu.Unlock()
	if ctx != nil {
		return ctx.Value(key)
	}
	return c.base.Value(key)
}

func (c *callCtx) String() string { return "gateway request context" }

// end cancels the context: the request is over. It reports whether the
// deadline had passed first.
func (c *callCtx) end() (timedOut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil {
		timedOut = c.ctx.Err() == context.DeadlineExceeded
		c.cancel()
	} else {
		timedOut = !time.Now().Before(c.deadline)
	}
	c.ended = true
	return timedOut
}

// callSlab hands out call records from chunks shared by every session: one
// allocation per len(callChunk.calls) requests instead of one per request.
// A record is used once and never recycled, so a handler that keeps its
// context (or a goroutine it started does) still holds a valid, canceled
// context; the garbage collector frees a chunk when none of its records is
// referenced any more. Gateway.run clears a record's Call when the request
// is over, so a kept context does not keep the session and the request
// alive with it.
type callSlab struct{ cur atomic.Pointer[callChunk] }

type callChunk struct {
	next  atomic.Int32
	calls [32]callCtx
}

func (s *callSlab) get() *callCtx {
	for {
		ch := s.cur.Load()
		if ch != nil {
			if i := ch.next.Add(1) - 1; i < int32(len(ch.calls)) {
				return &ch.calls[i]
			}
		}
		fresh := new(callChunk)
		fresh.next.Store(1)
		if s.cur.CompareAndSwap(ch, fresh) {
			return &fresh.calls[0]
		}
	}
}
