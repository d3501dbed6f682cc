package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/pires/go-proxyproto"

	"github.com/lordgame/lordgame/internal/clientaddr"
	"github.com/lordgame/lordgame/internal/session"
)

// proxyPolicy is Config.TCPProxyProtocol, parsed: whether a TCP connection
// starts with a PROXY protocol header, and which peers may send one.
type proxyPolicy struct {
	on    bool
	peers clientaddr.Proxies // empty with on: any peer
}

func parseProxyPolicy(s string) (proxyPolicy, error) {
	switch strings.TrimSpace(s) {
	case "", "off":
		return proxyPolicy{}, nil
	case "on":
		return proxyPolicy{on: true}, nil
	}
	peers, err := clientaddr.ParseProxies(strings.Split(s, ","))
	if err == nil && peers.Empty() {
		err = fmt.Errorf("%q lists no network", s)
	}
	if err != nil {
		return proxyPolicy{}, fmt.Errorf("gateway: tcp_proxy_protocol: want off, on or a comma-separated list of CIDRs: %w", err)
	}
	return proxyPolicy{on: true, peers: peers}, nil
}

func (p proxyPolicy) allows(peer net.Addr) bool {
	if p.peers.Empty() {
		return true
	}
	tcp, ok := peer.(*net.TCPAddr)
	return ok && p.peers.Trusts(tcp.AddrPort().Addr())
}

// proxyHeaderBuffer holds a v1 header (at most 107 bytes) or the fixed part
// of a v2 one; longer v2 headers are read through it.
const proxyHeaderBuffer = 256

// acceptProxied reads the PROXY protocol header (v1 or v2) a load balancer
// sends before anything else, then serves the connection as coming from
// the client the header names. A peer that may not send one, a missing or
// malformed header, or none within the handshake timeout closes the
// connection before any frame is read. It runs on its own goroutine, so a
// slow header never holds up the accept loop.
func (g *Gateway) acceptProxied(conn net.Conn) {
	if !g.proxyProto.allows(conn.RemoteAddr()) {
		g.m.badFrames.WithLabelValues("proxy_peer_refused").Inc()
		_ = conn.Close()
		return
	}
	stop := context.AfterFunc(g.baseCtx, func() { _ = conn.Close() }) // Shutdown ends the wait
	br := bufio.NewReaderSize(conn, proxyHeaderBuffer)
	h, err := proxyproto.ReadHeaderTimeout(conn, br, g.cfg.Session.HandshakeTimeout)
	if !stop() {
		return // shut down while waiting; conn is closed
	}
	if err != nil {
		g.m.badFrames.WithLabelValues("bad_proxy_header").Inc()
		_ = conn.Close()
		return
	}
	s := session.New(g.newSessionID(), conn, br, session.ModeTCP, &g.cfg.Session, nil)
	s.SetIdentity(g.identity)
	// A LOCAL header (v2) or UNKNOWN (v1) is the balancer's own health
	// check: the connection stays the peer's.
	if src, ok := h.SourceAddr.(*net.TCPAddr); ok && h.Command.IsProxy() {
		ap := src.AddrPort()
		s.SetRemoteAddr(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String())
	}
	g.accept(conn, nil, session.ModeTCP, s)
}
