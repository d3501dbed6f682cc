// Package transport turns bytes into frames and back for the TCP and
// WebSocket listeners.
//
// It knows the frame layout of docs/protocol.md and nothing about routes,
// sessions or games. Decoders check every length against the configured
// maximum before they allocate. Nothing here starts goroutines except
// ServeTCP, which runs until its context ends and waits for its accept loop.
package transport
