package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gobwas/ws"

	"github.com/lordgame/lordgame/internal/session"
)

// ServeTCP accepts TCP connections on ln until ctx ends, then closes ln and
// returns after the accept loop has stopped. With Config.TCPProxyProtocol
// on, each connection reads its PROXY header first (acceptProxied).
func (g *Gateway) ServeTCP(ctx context.Context, ln net.Listener) error {
	if g.cfg.TCPRequireEncryption && g.identity == nil {
		return errors.New("gateway: tcp_require_encryption is set but no identity key was given (SetIdentity)")
	}
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				// Out of descriptors or a transient fault: back off, keep serving.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		if g.proxyProto.on {
			if !g.track() {
				_ = conn.Close()
				continue
			}
			go func() { // owned by the gateway (track): the header read has a deadline, Shutdown closes conn and waits
				defer g.readers.Done()
				g.acceptProxied(conn)
			}()
			continue
		}
		s := session.New(g.newSessionID(), conn, nil, session.ModeTCP, &g.cfg.Session, nil)
		s.SetIdentity(g.identity)
		g.accept(conn, nil, session.ModeTCP, s)
	}
}

// ServeHTTP upgrades a request to a WebSocket connection (mounted at /ws).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.draining.Load() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if origin := r.Header.Get("Origin"); !g.origins.allow(origin, r.Host) {
		g.m.badFrames.WithLabelValues("bad_origin").Inc()
		refuseOrigin(w, origin)
		return
	}
	conn, rw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		g.m.badFrames.WithLabelValues("bad_upgrade").Inc()
		return // UpgradeHTTP has answered the client
	}
	s := session.New(g.newSessionID(), conn, rw.Reader, session.ModeWS, &g.cfg.Session, nil)
	if a, ok := g.proxies.Forwarded(r.RemoteAddr, r.Header); ok {
		s.SetRemoteAddr(a.String())
	}
	g.accept(conn, rw.Reader, session.ModeWS, s)
}

// ClientAddr is the address of the client that sent r: the socket peer, or
// the client a trusted proxy forwarded (Config.TrustedProxies). The HTTP API
// counts its limits against it, so both edges agree on who a client is.
func (g *Gateway) ClientAddr(r *http.Request) string { return g.proxies.Client(r) }
