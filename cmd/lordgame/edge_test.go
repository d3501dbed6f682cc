package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/clientaddr"
)

// closedWithin reads c until the server closes it and reports how long
// that took; it fails the test when the server keeps it open past limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v", limit)
	}
	return time.Since(start)
}

// TestEdgeSlowBody: a client trickling its body is cut off by the read
// timeout instead of holding the connection (and a goroutine) forever.
func TestEdgeSlowBody(t *testing.T) {
	s, _, _ := startServer(t, "-http-read-header-timeout", "500ms", "-http-read-timeout", "1s")
	c, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = io.WriteString(c, "POST /v1/auth/guest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	if err != nil {
		t.Fatal(err)
	}
	// One more byte now and then, well inside any per-read timeout.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if _, err := io.WriteString(c, " "); err != nil {
					return
				}
			}
		}
	}()
	if d := closedWithin(t, c, 15*time.Second); d < 500*time.Millisecond {
		t.Errorf("closed after %v, before the read timeout", d)
	}
}

// TestEdgeSlowHeaders: slowloris, the headers never end.
func TestEdgeSlowHeaders(t *testing.T) {
	s, _, _ := startServer(t, "-http-read-header-timeout", "500ms", "-http-read-timeout", "1s")
	c, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-A: ")
	closedWithin(t, c, 15*time.Second)
}

// TestEdgeIdle: a keep-alive connection that sends nothing more is closed
// after the idle timeout.
func TestEdgeIdle(t *testing.T) {
	s, _, _ := startServer(t, "-http-idle-timeout", "500ms")
	c, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(15 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v, want EOF from the server", err)
	}
}

// TestEdgeMaxHeaderBytes: oversized headers get 431.
func TestEdgeMaxHeaderBytes(t *testing.T) {
	s, _, _ := startServer(t, "-http-max-header-bytes", "2048")
	req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 8192))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("8 KiB header = %d, want 431", resp.StatusCode)
	}
}

// TestEdgeConnsPerIP: the cap closes the connection over it at once, a
// closed one frees its slot, and WebSocket connections do not count.
func TestEdgeConnsPerIP(t *testing.T) {
	s, _, _ := startServer(t, "-http-max-conns-per-ip", "3", "-http-read-header-timeout", "30s", "-http-read-timeout", "30s")
	ll, ok := s.httpLn.(*connLimitListener)
	if !ok {
		t.Fatalf("the HTTP listener is a %T, not capped", s.httpLn)
	}
	// WebSockets first: they leave the HTTP count once upgraded.
	for range 3 {
		c, err := client.Dial(t.Context(), "ws://"+s.HTTPAddr()+"/ws", client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	waitFor(t, func() bool { return ll.open("127.0.0.1") == 0 }, "upgraded connections to leave the count")
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", s.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitFor(t, func() bool { return ll.open("127.0.0.1") == 3 }, "three connections to be counted")
	over, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	closedWithin(t, over, 10*time.Second)
	conns[0].Close()
	waitFor(t, func() bool { return ll.open("127.0.0.1") == 2 }, "the closed connection to free its slot")
	resp, err := http.Get("http://" + s.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("request in the freed slot = %d", resp.StatusCode)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type httpAnswer struct {
	code int
	h    http.Header
	body map[string]any
	raw  string
}

func do(t *testing.T, method, url, ct, body string) httpAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := httpAnswer{code: resp.StatusCode, h: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &a.body)
	}
	return a
}

// wantJSONErr checks an answer is the API's JSON error body.
func wantJSONErr(t *testing.T, a httpAnswer, status int, code, msg string) {
	t.Helper()
	if a.code != status || a.h.Get("Content-Type") != "application/json" || a.body["code"] != code ||
		!strings.Contains(a.body["message"].(string), msg) || len(a.body) != 2 {
		t.Errorf("got %d %q %s, want %d JSON {code %q, message containing %q}", a.code, a.h.Get("Content-Type"), a.raw, status, code, msg)
	}
}

// TestEdgeAnswers: Content-Type on JSON bodies, JSON 404 and 405, no
// directory listings, security headers, /metrics off the public port.
func TestEdgeAnswers(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	guest := `{"device_id":"device-edge-01"}`
	// A cross-site form or text/plain POST cannot reach the API.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/json; charset=latin1", "application/jsonx"} {
		a := do(t, "POST", base+"/v1/auth/guest", ct, guest)
		wantJSONErr(t, a, 415, "bad_request", "content-type: must be application/json")
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		if a := do(t, "POST", base+"/v1/auth/guest", ct, guest); a.code != 200 {
			t.Errorf("guest with %q = %d %s", ct, a.code, a.raw)
		}
	}
	// No body, no Content-Type needed (logout with a refresh token in the
	// body would need it; a bodiless POST does not).
	wantJSONErr(t, do(t, "POST", base+"/v1/auth/logout", "", ""), 400, "bad_request", "body: empty")

	wantJSONErr(t, do(t, "PUT", base+"/v1/auth/guest", "application/json", guest), 405, "bad_request", "method PUT not allowed")
	wantJSONErr(t, do(t, "GET", base+"/v1/auth/guest", "", ""), 405, "bad_request", "use POST")
	wantJSONErr(t, do(t, "POST", base+"/healthz", "", ""), 405, "bad_request", "not allowed on /healthz")
	wantJSONErr(t, do(t, "DELETE", base+"/", "", ""), 405, "bad_request", "not allowed")
	wantJSONErr(t, do(t, "GET", base+"/v1/nothing", "", ""), 404, "not_found", "no endpoint /v1/nothing")
	wantJSONErr(t, do(t, "GET", base+"/nothing.txt", "", ""), 404, "not_found", "no endpoint /nothing.txt")
	for _, dir := range []string{"/js/", "/css/", "/js", "/css"} {
		wantJSONErr(t, do(t, "GET", base+dir, "", ""), 404, "not_found", "no endpoint")
	}
	if a := do(t, "GET", base+"/js/app.js", "", ""); a.code != 200 || !strings.Contains(a.h.Get("Content-Type"), "javascript") {
		t.Errorf("GET /js/app.js = %d %q", a.code, a.h.Get("Content-Type"))
	}
	page := do(t, "GET", base+"/", "", "")
	if page.code != 200 || !strings.Contains(page.raw, "<!doctype html>") {
		t.Fatalf("GET / = %d", page.code)
	}
	csp := page.h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "ws://" + s.HTTPAddr()} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Strict-Transport-Security": ""} {
		if got := page.h.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	wantJSONErr(t, do(t, "GET", base+"/metrics", "", ""), 404, "not_found", "no endpoint /metrics")
	if a := do(t, "GET", "http://"+s.MetricsAddr()+"/metrics", "", ""); a.code != 200 || !strings.Contains(a.raw, "lordgame_connections") {
		t.Errorf("metrics listener /metrics = %d", a.code)
	}
	if !strings.HasPrefix(s.MetricsAddr(), "127.0.0.1:") {
		t.Errorf("metrics on %s, want loopback", s.MetricsAddr())
	}
}

// TestWebClientHasNoInline: the CSP forbids inline scripts and styles, so
// the page must not have any.
func TestWebClientHasNoInline(t *testing.T) {
	b, err := os.ReadFile("../../web/static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ToLower(string(b))
	for _, bad := range []string{"<style", " style=", "onclick=", "onload=", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html has %q, which the CSP blocks", bad)
		}
	}
	if strings.Count(page, "<script") != strings.Count(page, "<script type=\"module\" src=") {
		t.Error("index.html has an inline <script>, which the CSP blocks")
	}
}

// TestEdgeServerTimeouts: the configured timeouts reach the server.
func TestEdgeServerTimeouts(t *testing.T) {
	cfg, _, err := loadConfig([]string{"-http-write-timeout", "7s", "-http-read-timeout", "9s", "-http-idle-timeout", "11s", "-http-read-header-timeout", "3s", "-http-max-header-bytes", "4096"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	hs := s.httpServer(http.NotFoundHandler())
	if hs.WriteTimeout != 7*time.Second || hs.ReadTimeout != 9*time.Second || hs.IdleTimeout != 11*time.Second || hs.ReadHeaderTimeout != 3*time.Second || hs.MaxHeaderBytes != 4096 {
		t.Errorf("server timeouts %v %v %v %v %d", hs.WriteTimeout, hs.ReadTimeout, hs.IdleTimeout, hs.ReadHeaderTimeout, hs.MaxHeaderBytes)
	}
	for _, bad := range [][]string{{"-http-read-timeout", "0"}, {"-http-max-conns-per-ip", "-1"}, {"-metrics-addr", "nonsense"}, {"-http-max-header-bytes", "10"}} {
		if _, _, err := loadConfig(bad, env(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestLimitedConnSyscallConn: a capped connection passes its socket on (the
// sessions' non-blocking push writes need it) and says so when it has none.
func TestLimitedConnSyscallConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ll := newConnLimitListener(ln, 10, clientaddr.Proxies{})
	go func() { // ends with the Dial's connection or the listener's close
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	c, err := ll.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("%T hides the socket", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := rc.Control(func(f uintptr) { fd = f }); err != nil || fd == 0 {
		t.Fatalf("no descriptor: fd %d, %v", fd, err)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if _, err := (&limitedConn{Conn: p1}).SyscallConn(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("a pipe: %v, want ErrUnsupported", err)
	}
}
