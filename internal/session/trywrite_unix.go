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
// caller queues b for the writer instead.
func (s *Session) tryWrite(b []byte) (n int, ok bool, err error) {
	if s.raw == nil {
		return 0, false, nil
	}
	var werr error
	rerr := s.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return true // full: the rest is the writer's
			case e != nil:
				werr = e
				return true
			case m == 0:
				werr = syscall.EPIPE
				return true
			}
		}
		return true
	})
	if rerr != nil {
		if errors.Is(rerr, os.ErrDeadlineExceeded) && n == 0 {
			return 0, false, nil
		}
		return n, true, rerr
	}
	return n, true, werr
}
