// Package session is one connected player: the connection, its read loop,
// its bounded send queue and the writer that drains it.
//
// A Session owns exactly one goroutine for its whole life, the reader that
// runs Serve. The writer goroutine exists only while the send queue is not
// empty, so an idle session costs one parked goroutine and its struct; and
// the reader writes the responses of the requests it handled inline itself
// (Respond), so a request-response round trip starts no goroutine. A frame
// shared by many sessions (SendShared, one push fanned out) is written by
// the caller's goroutine when nothing is queued, as far as the socket takes
// it without waiting; a write that has to wait is the writer's, under the
// write deadline. The
// send queue is bounded: when it is full the connection is closed with
// reason slow_consumer, never waited for. mu guards the queue, the close
// state and the properties; it is never held while doing I/O.
package session
