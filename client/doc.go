// Package client is the Go client of the LordGame wire protocol: it connects
// over WebSocket or TCP, performs the handshake, sends requests and notifies,
// delivers pushes, keeps the connection alive with heartbeats and, when
// asked, reconnects with exponential backoff and jitter.
//
// A Client owns two goroutines while connected (the reader and the
// heartbeat ticker) and one supervisor while reconnecting is enabled; Close
// stops all of them and waits.
package client
