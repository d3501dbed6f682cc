package session

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/proto/gen/pb"
)

// fakeConn records deadlines and swallows writes.
type fakeConn struct {
	net.Conn // nil: any other method panics
	mu       sync.Mutex
	reads    []time.Time
	writes   []time.Time
	written  int
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.reads = append(c.reads, t)
	c.mu.Unlock()
	return nil
}

func (c *fakeConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.writes = append(c.writes, t)
	c.mu.Unlock()
	return nil
}

func (c *fakeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.written += len(p)
	c.mu.Unlock()
	return len(p), nil
}

func (c *fakeConn) Close() error         { return nil }
func (c *fakeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

func (c *fakeConn) last(write bool) (time.Time, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.reads
	if write {
		l = c.writes
	}
	if len(l) == 0 {
		return time.Time{}, 0
	}
	return l[len(l)-1], len(l)
}

// TestReadDeadlineNeverEarly: before the handshake the read deadline is the
// handshake timeout after the accept, exactly; after it the deadline is
// re-armed at most once per slack, always at least the timeout after the
// frame that re-armed it would need, and at once when the handshake
// switches the timeout.
func TestReadDeadlineNeverEarly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HandshakeTimeout = 10 * time.Second
	cfg.HeartbeatInterval, cfg.MissedHeartbeats = 40*time.Millisecond, 2 // idle 80 ms, slack 20 ms
	conn := &fakeConn{}
	s := New("t", conn, nil, ModeTCP, &cfg, nil)

	s.setReadDeadline()
	dl, n := conn.last(false)
	if n != 1 || !dl.Equal(s.Started().Add(cfg.HandshakeTimeout)) {
		t.Fatalf("first deadline %v after the accept, %d calls; want exactly %v (the handshake timeout, no slack)", dl.Sub(s.Started()), n, cfg.HandshakeTimeout)
	}
	s.setReadDeadline() // before the handshake: set once, counted from the accept
	if _, n := conn.last(false); n != 1 {
		t.Fatalf("re-armed %d times within the slack", n-1)
	}

	s.MarkHandshaken()
	for range 5 {
		time.Sleep(25 * time.Millisecond) // more than the slack: must re-arm
		before := time.Now()
		s.setReadDeadline()
		dl, _ := conn.last(false)
		if d := dl.Sub(before); d < cfg.IdleTimeout() {
			t.Fatalf("deadline %v after the frame, want at least %v", d, cfg.IdleTimeout())
		}
		if dl.Sub(before) > cfg.IdleTimeout()+20*time.Millisecond+50*time.Millisecond {
			t.Fatalf("deadline %v after the frame, more than the idle timeout plus slack", dl.Sub(before))
		}
	}
	_, n = conn.last(false)
	if n != 6 {
		t.Fatalf("%d deadlines set, want 6", n)
	}
}

func TestWriteDeadlineNeverEarly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WriteTimeout = 2 * time.Second
	conn := &fakeConn{}
	s := New("t", conn, nil, ModeTCP, &cfg, nil)
	before := time.Now()
	s.setWriteDeadline()
	s.setWriteDeadline()
	dl, n := conn.last(true)
	if n != 1 || dl.Sub(before) < cfg.WriteTimeout {
		t.Fatalf("write deadline %v after the call, set %d times; want once, at least %v", dl.Sub(before), n, cfg.WriteTimeout)
	}
}

// TestRespondInlineAllocatesNothing: a response written by the reader
// (Respond during HandleFrame, then flushReplies) reuses the pooled
// buffer and the send queue's array.
func TestRespondInlineAllocatesNothing(t *testing.T) {
	cfg := DefaultConfig()
	conn := &fakeConn{}
	s := New("t", conn, nil, ModeWS, &cfg, nil)
	s.MarkHandshaken()
	msg := &pb.Echo{Data: make([]byte, 64)}
	respond := func() {
		s.inHandler.Store(true)
		if err := s.Respond(2, "sys.echo", 1, msg); err != nil {
			t.Fatal(err)
		}
		s.inHandler.Store(false)
		s.flushReplies()
	}
	respond() // warm the pool and the queue
	if a := testing.AllocsPerRun(200, respond); a != 0 {
		t.Errorf("%.1f allocations per inline response, want 0", a)
	}
	// AllocsPerRun runs once more than asked, to warm up.
	if want := 202 * (2 + 8 + 66); conn.written != want {
		t.Errorf("wrote %d bytes, want %d", conn.written, want)
	}
	s.mu.Lock()
	writing := s.writing
	s.mu.Unlock()
	if writing {
		t.Error("a writer is still marked running after the flush")
	}
}
