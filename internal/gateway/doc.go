// Package gateway turns client frames into handler calls and handler
// results into frames.
//
// It owns the handshake, the route table, the middleware chain, the registry
// of connected sessions and the listeners (TCP and WebSocket on HTTP). It is
// the only package that maps errors to wire codes (through internal/status).
//
// Concurrency: each session's requests run in that session's reader
// goroutine, in order, unless a route is registered Concurrent; concurrent
// routes run on a bounded worker pool with a per-route cap. The registry is
// sharded; each shard's mutex guards only its maps. With PROXY protocol on,
// a TCP connection reads its header on a goroutine of its own, bounded by
// the handshake timeout, so the accept loop never waits for it.
package gateway
