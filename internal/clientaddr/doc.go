// Package clientaddr finds the address of a client that reaches the server
// through reverse proxies the server trusts.
//
// A forwarding header (X-Forwarded-For, X-Real-IP) is believed only when
// the socket peer is inside one of the trusted networks; a header from any
// other peer is ignored, so a client cannot choose the address its limits
// are counted against. The gateway (WebSocket upgrades) and the HTTP API
// both ask Proxies, so the two edges always agree on who a client is.
//
// It is a leaf: pure functions over strings and net/netip, no I/O, no
// goroutines, no state after ParseProxies.
package clientaddr
