package session

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/transport"
)

// tcpPair is a loopback TCP connection: the server's end and the client's.
func tcpPair(t *testing.T) (server, client *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() { // ends with the Accept
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc := <-acc
	if sc == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = sc.Close(); _ = c.Close() })
	return sc.(*net.TCPConn), c.(*net.TCPConn)
}

// pushWire is a TCP push frame on route 450 with body b.
func pushWire(b []byte) []byte {
	return AppendFrame(nil, ModeTCP, &transport.Frame{Kind: transport.KindPush, Route: 450, Body: b})
}

// readAll reads n bytes from c within 5 s.
func readAll(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, n)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return got
}

func (s *Session) writerState() (writing bool, queued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writing, len(s.queue)
}

// TestSendSharedWritesInline: with nothing queued, SendShared writes on the
// caller's goroutine (the writer goroutine, which always sets a write
// deadline, never runs); mixed with queued sends from the same goroutine
// every frame arrives once, in order, and the shared bytes are unchanged.
func TestSendSharedWritesInline(t *testing.T) {
	cfg := DefaultConfig()
	srv, cli := tcpPair(t)
	s := New("t", srv, nil, ModeTCP, &cfg, nil)
	if s.raw == nil {
		t.Fatal("a TCP connection has no raw descriptor")
	}
	shared := pushWire([]byte("shared body"))
	keep := append([]byte(nil), shared...)
	var want []byte
	for i := range 50 {
		if err := s.SendShared(shared); err != nil {
			t.Fatalf("SendShared %d: %v", i, err)
		}
		want = append(want, shared...)
		if w, q := s.writerState(); w || q != 0 {
			t.Fatalf("after SendShared %d: writer running %v, %d queued; want the frame written inline", i, w, q)
		}
	}
	if !s.writeBy.IsZero() {
		t.Fatal("a write deadline was set: the frames went through the writer goroutine")
	}
	if got := readAll(t, cli, len(want)); !bytes.Equal(got, want) {
		t.Fatal("inline frames arrived changed or out of order")
	}

	// Mixed with frames the writer goroutine sends: order is kept.
	want = want[:0]
	for i := range 200 {
		if i%3 == 0 {
			own := pushWire([]byte{byte(i)})
			if err := s.SendFrame(&transport.Frame{Kind: transport.KindPush, Route: 450, Body: []byte{byte(i)}}); err != nil {
				t.Fatal(err)
			}
			want = append(want, own...)
			continue
		}
		if err := s.SendShared(shared); err != nil {
			t.Fatal(err)
		}
		want = append(want, shared...)
	}
	if got := readAll(t, cli, len(want)); !bytes.Equal(got, want) {
		t.Fatal("mixed frames arrived changed or out of order")
	}
	if !bytes.Equal(shared, keep) {
		t.Fatal("SendShared changed the shared frame")
	}
}

// TestSendSharedFullSocket: when the socket takes only part of a frame, the
// rest goes to the writer, first, with a write deadline; once the client
// reads, everything arrives in order.
func TestSendSharedFullSocket(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SendQueue = 1 << 12
	srv, cli := tcpPair(t)
	_ = srv.SetWriteBuffer(16 << 10)
	_ = cli.SetReadBuffer(16 << 10)
	s := New("t", srv, nil, ModeTCP, &cfg, nil)
	big := make([]byte, 32<<10)
	for i := range big {
		big[i] = byte(i * 7)
	}
	var want []byte
	queued := false
	for i := 0; i < 2000 && !queued; i++ {
		big[0] = byte(i)
		w := pushWire(big) // each its own frame: the caller may not change one once sent
		if err := s.SendShared(w); err != nil {
			t.Fatalf("SendShared %d: %v", i, err)
		}
		want = append(want, w...)
		if w, q := s.writerState(); w || q > 0 {
			queued = true
		}
	}
	if !queued {
		t.Fatal("the socket never filled up")
	}
	for i := range 3 { // behind the rest of the partial frame
		w := pushWire([]byte{byte(i)})
		if err := s.SendShared(w); err != nil {
			t.Fatal(err)
		}
		want = append(want, w...)
	}
	time.Sleep(50 * time.Millisecond) // the writer finds the socket full and waits, with a deadline
	if got := readAll(t, cli, len(want)); !bytes.Equal(got, want) {
		t.Fatal("frames arrived changed or out of order")
	}
	deadline := time.Now().Add(5 * time.Second)
	for w, _ := s.writerState(); w && time.Now().Before(deadline); w, _ = s.writerState() {
		time.Sleep(time.Millisecond)
	}
	if s.writeBy.IsZero() {
		t.Fatal("the writer wrote the rest without a write deadline")
	}
}

// TestSendSharedQueueFull: a client that reads nothing fills the socket,
// then the bounded queue; one more frame closes it as a slow consumer.
func TestSendSharedQueueFull(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SendQueue = 4
	srv, cli := tcpPair(t)
	_ = srv.SetWriteBuffer(8 << 10)
	_ = cli.SetReadBuffer(8 << 10)
	s := New("t", srv, nil, ModeTCP, &cfg, nil)
	w := pushWire(make([]byte, 16<<10))
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = s.SendShared(w)
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("got %v, want ErrQueueFull", err)
	}
	if r := s.CloseReason(); r != ReasonSlowConsumer {
		t.Fatalf("close reason %q, want %q", r, ReasonSlowConsumer)
	}
	if err := s.SendShared(w); !errors.Is(err, ErrClosed) {
		t.Fatalf("after the close: %v, want ErrClosed", err)
	}
}

// TestSendSharedWithoutSocket: a connection that is not a socket of this
// process (a test double, TLS) gets the frame through the writer.
func TestSendSharedWithoutSocket(t *testing.T) {
	cfg := DefaultConfig()
	conn := &fakeConn{}
	s := New("t", conn, nil, ModeTCP, &cfg, nil)
	w := pushWire([]byte("x"))
	for range 3 {
		if err := s.SendShared(w); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		conn.mu.Lock()
		n := conn.written
		conn.mu.Unlock()
		if n == 3*len(w) {
			if _, calls := conn.last(true); calls == 0 {
				t.Fatal("written without a write deadline")
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the writer did not write the frames")
}

// TestSendSharedAllocatesNothing: the inline write of a shared frame
// allocates nothing per receiver.
func TestSendSharedAllocatesNothing(t *testing.T) {
	cfg := DefaultConfig()
	srv, cli := tcpPair(t)
	go func() { _, _ = io.Copy(io.Discard, cli) }() // ends with the test's close
	s := New("t", srv, nil, ModeTCP, &cfg, nil)
	w := pushWire([]byte("shared body"))
	send := func() {
		if err := s.SendShared(w); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if a := testing.AllocsPerRun(200, send); a != 0 {
		t.Errorf("%.1f allocations per shared send, want 0", a)
	}
}
