//go:build unix

package session

import (
	"errors"
	"os"
	"syscall"
)

// tryWrite writes what the socket takes of b at once, without waiting and
// so without a write deadline: n is what was written, err a failure of the
// connection. ok is false when the connection cannot be written this way
// (not a socket of this process, or its write deadline has passed): the
// caller queues b for the writer instead. Only the one writer calls it.
func (s *Session) tryWrite(b []byte) (n int, ok bool, err error) {
	if s.raw == nil {
		return 0, false, nil
	}
	if s.writeFD == nil {
		s.writeFD = s.writeSome // made once: a closure per write would allocate
	}
	s.tw = tryState{b: b}
	rerr := s.raw.Write(s.writeFD)
	n, err = s.tw.n, s.tw.err
	s.tw = tryState{}
	if rerr != nil {
		if errors.Is(rerr, os.ErrDeadlineExceeded) && n == 0 {
			return 0, false, nil
		}
		return n, true, rerr
	}
	return n, true, err
}

// writeSome is tryWrite's syscall.RawConn callback: it writes s.tw.b until
// the socket is full, and never waits (it always reports done).
func (s *Session) writeSome(fd uintptr) bool {
	t := &s.tw
	for t.n < len(t.b) {
		m, e := syscall.Write(int(fd), t.b[t.n:])
		if m > 0 {
			t.n += m
		}
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return true // full: the rest is the writer's
		case e != nil:
			t.err = e
			return true
		case m == 0:
			t.err = syscall.EPIPE
			return true
		}
	}
	return true
}
