package id

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Layout of an id, from the most significant bit: 1 zero bit, TimeBits of
// milliseconds since Epoch, NodeBits of node id, SeqBits of sequence.
const (
	TimeBits = 41
	NodeBits = 10
	SeqBits  = 12

	// MaxNode is the largest node id.
	MaxNode = 1<<NodeBits - 1
	maxSeq  = 1<<SeqBits - 1
	maxTime = 1<<TimeBits - 1
)

// Epoch is time zero of the id clock; 41 bits of milliseconds last until
// 2095.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxBackwardWait is how far the wall clock may step back before Next
// refuses instead of waiting.
const MaxBackwardWait = 2 * time.Second

// ErrClockBackwards means the wall clock stepped back further than
// MaxBackwardWait; waiting that long inside a request would be worse than
// failing it.
var ErrClockBackwards = errors.New("id: clock moved backwards")

// Clock is the time source; the real one is the system clock.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

type systemClock struct{}

func (systemClock) Now() time.Time        { return time.Now() }
func (systemClock) Sleep(d time.Duration) { time.Sleep(d) }

// Generator makes ids for one node.
type Generator struct {
	node  int64
	clock Clock

	mu   sync.Mutex
	last int64 // milliseconds since Epoch of the last id
	seq  int64
}

// New returns a generator for node (0..MaxNode) on the system clock.
func New(node int64) (*Generator, error) { return NewWithClock(node, systemClock{}) }

// NewWithClock returns a generator on the given clock.
func NewWithClock(node int64, c Clock) (*Generator, error) {
	if node < 0 || node > MaxNode {
		return nil, fmt.Errorf("id: node id %d out of range 0..%d", node, MaxNode)
	}
	return &Generator{node: node, clock: c, last: -1}, nil
}

func (g *Generator) millis() int64 { return g.clock.Now().Sub(Epoch).Milliseconds() }

// Next returns a new id, greater than every id this generator returned
// before.
func (g *Generator) Next() (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.millis()
	if now < g.last {
		back := time.Duration(g.last-now) * time.Millisecond
		if back > MaxBackwardWait {
			return 0, fmt.Errorf("%w by %v", ErrClockBackwards, back)
		}
		g.clock.Sleep(back)
		if now = g.millis(); now < g.last {
			return 0, fmt.Errorf("%w by %v", ErrClockBackwards, time.Duration(g.last-now)*time.Millisecond)
		}
	}
	if now < 0 || now > maxTime {
		return 0, fmt.Errorf("id: clock %v outside the id range", g.clock.Now())
	}
	if now == g.last {
		g.seq++
		if g.seq > maxSeq {
			// 4096 ids in one millisecond: wait for the next one.
			for now <= g.last {
				g.clock.Sleep(time.Millisecond)
				now = g.millis()
			}
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.last = now
	return now<<(NodeBits+SeqBits) | g.node<<SeqBits | g.seq, nil
}

// Time returns when id was made (to the millisecond).
func Time(id int64) time.Time {
	return Epoch.Add(time.Duration(id>>(NodeBits+SeqBits)) * time.Millisecond)
}

// Node returns the node that made id.
func Node(id int64) int64 { return id >> SeqBits & MaxNode }
