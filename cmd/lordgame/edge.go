package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lordgame/lordgame/internal/clientaddr"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/web"
)

// EdgeConfig hardens the public HTTP listener (API, WebSocket upgrade, web
// client) and places the metrics off it.
type EdgeConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included: a client
	// trickling its body is cut off after it. (A WebSocket connection sets
	// its own deadlines once upgraded.)
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing an answer, from the end of the headers.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes caps the request line and headers.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxConnsPerIP caps the HTTP connections one address holds open at
	// once (0: no cap). Connections upgraded to WebSocket leave this count
	// (gateway.max_conns_per_ip limits them); peers in
	// gateway.trusted_proxies are not capped, since every client behind
	// the proxy shares their address.
	MaxConnsPerIP int `yaml:"max_conns_per_ip"`
	// MetricsAddr is the listener of /metrics (Prometheus), away from the
	// public port; "off" turns it off. When the default address is taken
	// (a second node on the machine) a free loopback port is used and
	// logged.
	MetricsAddr string `yaml:"metrics_addr"`
}

const defaultMetricsAddr = "127.0.0.1:9090"

func defaultEdgeConfig() EdgeConfig {
	return EdgeConfig{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		MaxConnsPerIP:     256,
		MetricsAddr:       defaultMetricsAddr,
	}
}

func (c EdgeConfig) Validate() error {
	switch {
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0:
		return errors.New("config: http read_header_timeout, read_timeout, write_timeout and idle_timeout must be positive")
	case c.ReadTimeout < c.ReadHeaderTimeout:
		return errors.New("config: http read_timeout must be at least read_header_timeout")
	case c.MaxHeaderBytes < 1024:
		return errors.New("config: http max_header_bytes must be at least 1024")
	case c.MaxConnsPerIP < 0:
		return errors.New("config: http max_conns_per_ip must not be negative (0: no cap)")
	case c.MetricsAddr == "":
		return errors.New(`config: metrics_addr is required ("off" turns the metrics listener off)`)
	}
	if c.MetricsAddr != "off" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("config: metrics_addr %q: %w", c.MetricsAddr, err)
		}
	}
	return nil
}

func bindEdge(fs *flag.FlagSet, c *EdgeConfig) {
	fs.DurationVar(&c.ReadHeaderTimeout, "http-read-header-timeout", c.ReadHeaderTimeout, "HTTP: time to read a request's headers")
	fs.DurationVar(&c.ReadTimeout, "http-read-timeout", c.ReadTimeout, "HTTP: time to read a whole request, body included")
	fs.DurationVar(&c.WriteTimeout, "http-write-timeout", c.WriteTimeout, "HTTP: time to write an answer")
	fs.DurationVar(&c.IdleTimeout, "http-idle-timeout", c.IdleTimeout, "HTTP: how long a keep-alive connection waits for its next request")
	fs.IntVar(&c.MaxHeaderBytes, "http-max-header-bytes", c.MaxHeaderBytes, "HTTP: largest request line and headers, in bytes")
	fs.IntVar(&c.MaxConnsPerIP, "http-max-conns-per-ip", c.MaxConnsPerIP, "HTTP: most open connections from one address, WebSockets not counted (0: no cap; trusted proxies are not capped)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, `listen address of /metrics for Prometheus, off the public port ("off": none)`)
}

// httpServer is the public HTTP server with the edge's timeouts.
func (s *server) httpServer(h http.Handler) *http.Server {
	e := s.cfg.Edge
	hs := &http.Server{Handler: h,
		ReadHeaderTimeout: e.ReadHeaderTimeout, ReadTimeout: e.ReadTimeout, WriteTimeout: e.WriteTimeout,
		IdleTimeout: e.IdleTimeout, MaxHeaderBytes: e.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	if s.httpLimit != nil {
		hs.ConnState = s.httpLimit.connState
	}
	return hs
}

// listenHTTP opens the public listener, capped per address.
func (s *server) listenHTTP() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.HTTP)
	if err != nil {
		return nil, err
	}
	if s.cfg.Edge.MaxConnsPerIP == 0 {
		return ln, nil
	}
	proxies, _ := clientaddr.ParseProxies(s.cfg.Gateway.TrustedProxies) // validated with the config
	s.httpLimit = newConnLimitListener(ln, s.cfg.Edge.MaxConnsPerIP, proxies)
	return s.httpLimit, nil
}

// listenMetrics opens the metrics listener (nil when off). The default
// address falls back to a free loopback port when another process has it.
func (s *server) listenMetrics() (net.Listener, error) {
	addr := s.cfg.Edge.MetricsAddr
	if addr == "off" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && addr == defaultMetricsAddr {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			s.log.Warn("metrics address taken (another node on this machine?): using a free port; set -metrics-addr for Prometheus", "default", addr, "metrics", ln.Addr().String())
		}
	}
	return ln, err
}

// MetricsAddr is the metrics listener's address, "" when it is off.
func (s *server) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

// metricsMux serves /metrics, and /healthz and /readyz for probes that
// only reach the private address.
func (s *server) metricsMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", observe.Handler(s.reg))
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("POST /drain", s.handleDrain) // drain.go
	return mux
}

func (s *server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok\n")
}

func (s *server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if why := s.notReady(); why != "" { // readiness.go
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, why+"\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// connLimitListener caps the connections one peer address holds open. A
// connection over the cap is closed at once, before anything is read.
type connLimitListener struct {
	net.Listener
	max     int
	proxies clientaddr.Proxies

	mu    sync.Mutex
	count map[netip.Addr]int
}

func newConnLimitListener(ln net.Listener, max int, proxies clientaddr.Proxies) *connLimitListener {
	return &connLimitListener{Listener: ln, max: max, proxies: proxies, count: map[netip.Addr]int{}}
}

func (l *connLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil {
			return c, nil // not an IP peer (tests): not capped
		}
		a := ap.Addr().Unmap()
		if l.proxies.Trusts(a) {
			return c, nil
		}
		l.mu.Lock()
		n := l.count[a]
		if n >= l.max {
			l.mu.Unlock()
			_ = c.Close()
			continue
		}
		l.count[a] = n + 1
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, addr: a}, nil
	}
}

func (l *connLimitListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count[a] <= 1 {
		delete(l.count, a)
	} else {
		l.count[a]--
	}
}

// open is how many capped connections addr holds (tests).
func (l *connLimitListener) open(addr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count[netip.MustParseAddr(addr)]
}

// connState releases a connection's slot when it is upgraded to a
// WebSocket: the gateway's own per-address limit counts it from then on.
func (l *connLimitListener) connState(c net.Conn, st http.ConnState) {
	if st == http.StateHijacked {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		if lc, ok := c.(*limitedConn); ok {
			lc.releaseOnce()
		}
	}
}

type limitedConn struct {
	net.Conn
	l    *connLimitListener
	addr netip.Addr
	once sync.Once
}

func (c *limitedConn) releaseOnce() { c.once.Do(func() { c.l.release(c.addr) }) }

// CloseWrite passes the half close on, so that a session ending its stream
// (a kick) lets the client read everything before the socket closes.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("lordgame: connection cannot half-close")
}

// SyscallConn passes the socket on, so that a session can write a push
// without waiting (session.SendShared) as on an unwrapped connection.
func (c *limitedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

func (c *limitedConn) Close() error {
	c.releaseOnce()
	return c.Conn.Close()
}

// edgeJSONError is the API's error body, for answers the edge gives itself.
func edgeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

// edgeHandler wraps the public mux: security headers on every answer,
// Content-Type application/json required on API request bodies, and the
// mux's own 404 and 405 answers as JSON error bodies.
func (s *server) edgeHandler(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header(), r)
		if strings.HasPrefix(r.URL.Path, "/v1/") && hasBody(r) && !isJSON(r.Header.Get("Content-Type")) {
			edgeJSONError(w, http.StatusUnsupportedMediaType, "bad_request", "content-type: must be application/json")
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			// No route, or the route does not take this method: the mux
			// would answer plain text.
			mux.ServeHTTP(&jsonErrorWriter{ResponseWriter: w, r: r}, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || r.ContentLength < 0 // -1: chunked, length unknown
}

// isJSON accepts application/json with an optional UTF-8 charset.
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// jsonErrorWriter turns the mux's plain-text 404 and 405 into JSON.
type jsonErrorWriter struct {
	http.ResponseWriter
	r       *http.Request
	handled bool
}

func (w *jsonErrorWriter) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		w.handled = true
		edgeJSONError(w.ResponseWriter, code, "not_found", "no endpoint "+w.r.URL.Path)
	case http.StatusMethodNotAllowed:
		w.handled = true
		edgeJSONError(w.ResponseWriter, code, "bad_request", fmt.Sprintf("method %s not allowed on %s", w.r.Method, w.r.URL.Path))
	default:
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *jsonErrorWriter) Write(b []byte) (int, error) {
	if w.handled {
		return len(b), nil // the plain-text body is replaced
	}
	return w.ResponseWriter.Write(b)
}

// setSecurityHeaders sets the headers every answer carries. The web client
// loads its script and styles from files (no inline script or style
// attributes; it only sets styles through the CSSOM, which CSP allows) and
// talks to /v1 and /ws on its own origin.
func setSecurityHeaders(h http.Header, r *http.Request) {
	connect := "'self'"
	if validHost(r.Host) {
		// 'self' covers ws: and wss: in CSP 3; older browsers need them named.
		connect += " ws://" + r.Host + " wss://" + r.Host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src "+connect+"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// validHost accepts a Host header that is safe to echo into the CSP: a
// host name or IP with an optional port, nothing else.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// staticHandler serves the web client's files: / is index.html, a page of
// web.Page (/world) its file, any other folder or a missing file is a
// JSON 404 (no directory listings).
func staticHandler() http.Handler {
	files := web.FS()
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + r.URL.Path)
		if p == "/" {
			fileServer.ServeHTTP(w, r) // index.html
			return
		}
		if page, ok := web.Page(r.URL.Path); ok { // /world; not /world/
			http.ServeFileFS(w, r, files, page)
			return
		}
		name := strings.TrimPrefix(p, "/")
		fi, err := fs.Stat(files, name)
		if err != nil || fi.IsDir() || strings.HasSuffix(r.URL.Path, "/") {
			edgeJSONError(w, http.StatusNotFound, "not_found", "no endpoint "+r.URL.Path)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}

// edgeFlagChecks check the HTTP edge flags one by one (-check names the
// flag); EdgeConfig.Validate judges the combination afterwards.
func edgeFlagChecks() []flagCheck {
	return []flagCheck{
		positiveDur("http-read-header-timeout", func(c *Config) time.Duration { return c.Edge.ReadHeaderTimeout }),
		{"http-read-timeout", func(c *Config) error {
			switch {
			case c.Edge.ReadTimeout <= 0:
				return fmt.Errorf("must be a positive duration (got %s)", c.Edge.ReadTimeout)
			case c.Edge.ReadTimeout < c.Edge.ReadHeaderTimeout:
				return fmt.Errorf("must be at least -http-read-header-timeout %s (got %s)", c.Edge.ReadHeaderTimeout, c.Edge.ReadTimeout)
			}
			return nil
		}},
		positiveDur("http-write-timeout", func(c *Config) time.Duration { return c.Edge.WriteTimeout }),
		positiveDur("http-idle-timeout", func(c *Config) time.Duration { return c.Edge.IdleTimeout }),
		atLeast("http-max-header-bytes", 1024, func(c *Config) int { return c.Edge.MaxHeaderBytes }),
		atLeast("http-max-conns-per-ip", 0, func(c *Config) int { return c.Edge.MaxConnsPerIP }),
		{"metrics-addr", func(c *Config) error {
			switch c.Edge.MetricsAddr {
			case "":
				return errors.New(`an address is required ("off" turns the metrics listener off)`)
			case "off":
				return nil
			}
			return checkListen(c.Edge.MetricsAddr)
		}},
	}
}
