package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestNginxConfig runs nginx on the shipped deploy/nginx/lordgame.conf in
// front of two real nodes and plays through it: HTTPS, the API, a
// WebSocket over TLS, the TCP gateway with PROXY protocol, and the nodes
// seeing each player's own address.
func TestNginxConfig(t *testing.T) {
	bin := findNginx(t)
	// nginx connects to the nodes from 127.0.0.1; players come from
	// 127.0.0.2 and 127.0.0.3, so a node that saw nginx's address instead
	// of theirs would fail the address checks.
	trust := []string{"-trusted-proxies", "127.0.0.1", "-tcp-proxy-protocol", "127.0.0.1"}
	nodes := []*server{}
	for range 2 {
		s, _, _ := startServer(t, trust...)
		nodes = append(nodes, s)
	}
	ng := startNginx(t, bin, nodes)
	tc := &tls.Config{RootCAs: ng.roots, ServerName: "game.example.com"}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	t.Cleanup(hc.CloseIdleConnections)

	t.Run("https", func(t *testing.T) {
		for _, c := range []struct{ method, path, body, want string }{
			{"GET", "/healthz", "", "ok"},
			{"GET", "/", "", "<html"},
			{"POST", "/v1/auth/guest", `{"device_id":"device-nginx-1"}`, `"access_token"`},
		} {
			req, _ := http.NewRequest(c.method, ng.https+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("%s %s through nginx: %v", c.method, c.path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(c.want)) {
				t.Errorf("%s %s through nginx: %d %.200s, want 200 with %q", c.method, c.path, resp.StatusCode, body, c.want)
			}
		}
		resp, err := hc.Get(ng.https + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET /metrics through nginx: %d, want 404 (not for players)", resp.StatusCode)
		}
	})

	t.Run("websocket over tls", func(t *testing.T) {
		d := ws.Dialer{TLSConfig: tc, NetDial: dialFrom(t, "127.0.0.2")}
		// The client lies about its address; nginx appends the real one.
		d.Header = ws.HandshakeHeaderHTTP(http.Header{"X-Forwarded-For": {"198.51.100.1"}})
		c, ack, e := dialWS(t, d, "wss://"+ng.httpsAddr+"/ws")
		if e != nil {
			t.Fatalf("handshake through nginx refused: %v", e)
		}
		if got := c.echo(ack, "over tls"); got != "over tls" {
			t.Errorf("echo through nginx = %q", got)
		}
		if got := sessionAddr(t, nodes, ack.SessionId); got != "127.0.0.2" {
			t.Errorf("the node sees the WebSocket client as %q, want 127.0.0.2 (from X-Forwarded-For, right to left)", got)
		}
	})

	t.Run("browser origin through nginx", func(t *testing.T) {
		// nginx passes Host with its port, so the page's own origin is the
		// same origin to the node behind it; another site's is not.
		for _, o := range []struct {
			origin string
			ok     bool
		}{{"https://" + ng.httpsAddr, true}, {"https://evil.example", false}} {
			d := ws.Dialer{TLSConfig: tc, Header: ws.HandshakeHeaderHTTP(http.Header{"Origin": {o.origin}}), Timeout: 5 * time.Second}
			conn, _, _, err := d.Dial(t.Context(), "wss://"+ng.httpsAddr+"/ws")
			if err == nil {
				_ = conn.Close()
			}
			var se ws.StatusError
			switch {
			case o.ok && err != nil:
				t.Errorf("origin %s through nginx refused: %v", o.origin, err)
			case !o.ok && !(errors.As(err, &se) && int(se) == http.StatusForbidden):
				t.Errorf("origin %s through nginx: %v, want 403", o.origin, err)
			}
		}
	})

	t.Run("tcp with proxy protocol", func(t *testing.T) {
		c, err := client.Dial(t.Context(), "tcp://"+ng.tcpAddr, client.Options{})
		if err != nil {
			t.Fatalf("TCP through nginx: %v", err)
		}
		defer c.Close()
		var e pb.Echo
		if err := c.Request(t.Context(), "sys.echo", &pb.Echo{Text: "over tcp"}, &e); err != nil || e.Text != "over tcp" {
			t.Fatalf("echo through the stream block: %q %v", e.Text, err)
		}
		conn, err := dialFrom(t, "127.0.0.3")(t.Context(), "tcp", ng.tcpAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		id := tcpHandshake(t, conn)
		if got, want := sessionAddr(t, nodes, id), conn.LocalAddr().String(); got != want {
			t.Errorf("the node sees the TCP client as %q, want %q (from the PROXY header)", got, want)
		}
	})
}

// findNginx returns the nginx binary, or skips the test saying how to
// install it.
func findNginx(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	t.Skip("nginx is not installed; to run this test: apt-get install nginx libnginx-mod-stream (Debian/Ubuntu; .ci/run does it)")
	return ""
}

type nginx struct {
	https, httpsAddr, tcpAddr string
	roots                     *x509.CertPool
}

// startNginx renders deploy/nginx/lordgame.conf for nodes, on free
// loopback ports with every path in a temporary folder, and runs nginx in
// the foreground until the test ends.
func startNginx(t *testing.T, bin string, nodes []*server) *nginx {
	t.Helper()
	dir := t.TempDir()
	roots := writeCert(t, dir)
	ng := &nginx{httpsAddr: freeAddr(t), tcpAddr: freeAddr(t), roots: roots}
	ng.https = "https://" + ng.httpsAddr
	conf := renderNginx(t, dir, map[string]string{
		"listen 443 ssl;": "listen " + ng.httpsAddr + " ssl;",
		"listen 80;":      "listen " + freeAddr(t) + ";",
		"listen 7000;":    "listen " + ng.tcpAddr + ";",
		"lordgame-1:8080": nodes[0].HTTPAddr(),
		"lordgame-2:8080": nodes[1].HTTPAddr(),
		"lordgame-1:7000": nodes[0].TCPAddr(),
		"lordgame-2:7000": nodes[1].TCPAddr(),
		"/etc/nginx/tls/": dir + "/",
		"/var/log/nginx/": dir + "/",
	})
	// The include of modules-enabled loads modules by paths relative to
	// the prefix: give the temporary prefix the real modules folder.
	if m := regexp.MustCompile(`--modules-path=(\S+)`).FindSubmatch(nginxV(t, bin)); m != nil {
		_ = os.Symlink(string(m[1]), filepath.Join(dir, "modules"))
	}
	args := []string{"-p", dir, "-c", conf, "-e", filepath.Join(dir, "startup.log"),
		"-g", "daemon off; pid " + filepath.Join(dir, "nginx.pid") + ";"}
	if out, err := exec.Command(bin, append([]string{"-t"}, args...)...).CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte(`unknown directive "stream"`)) {
			t.Skipf("nginx lacks the stream module; to run this test: apt-get install libnginx-mod-stream\n%s", out)
		}
		t.Fatalf("nginx -t on the rendered deploy/nginx/lordgame.conf: %v\n%s", err, out)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when nginx does; the cleanup below makes it
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // fast shutdown: open WebSockets are cut
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Error("nginx did not stop on SIGTERM")
		}
		if t.Failed() {
			logs, _ := os.ReadFile(filepath.Join(dir, "lordgame.error.log"))
			t.Logf("nginx output:\n%s\nerror log:\n%s", out.String(), logs)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, addr := range []string{ng.httpsAddr, ng.tcpAddr} {
		for {
			select {
			case err := <-exited:
				exited <- err
				t.Fatalf("nginx exited: %v\n%s", err, out.String())
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("nginx is not listening on %s", addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return ng
}

// renderNginx writes deploy/nginx/lordgame.conf with each key of subst
// replaced, and fails when one is missing: the test must follow the file.
func renderNginx(t *testing.T, dir string, subst map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nginx", "lordgame.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for from, to := range subst {
		if !strings.Contains(conf, from) {
			t.Fatalf("deploy/nginx/lordgame.conf no longer contains %q: update %s with it", from, "nginx_test.go")
		}
		conf = strings.ReplaceAll(conf, from, to)
	}
	if os.Geteuid() != 0 {
		// Without root nginx cannot use the temp folders its build names
		// (e.g. /var/lib/nginx); as root the "user" directive's workers could
		// not write to a private test folder, so this is only for non-root.
		var temps strings.Builder
		for _, d := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
			temps.WriteString("\n    " + d + "_temp_path " + filepath.Join(dir, d) + ";")
		}
		conf = strings.Replace(conf, "\nhttp {", "\nhttp {"+temps.String(), 1)
	}
	path := filepath.Join(dir, "lordgame.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func nginxV(t *testing.T, bin string) []byte {
	t.Helper()
	out, err := exec.Command(bin, "-V").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -V: %v\n%s", err, out)
	}
	return out
}

// writeCert writes a self-signed certificate for game.example.com (and
// 127.0.0.1) as lordgame.crt and lordgame.key in dir, and returns a pool
// that trusts it.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "game.example.com"},
		DNSNames: []string{"game.example.com"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "lordgame.crt"), crt, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lordgame.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(crt)
	return pool
}

// dialFrom dials from the loopback address local (Linux routes all of
// 127.0.0.0/8 to lo), or skips where that is not possible.
func dialFrom(t *testing.T, local string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	t.Helper()
	probe, err := net.Listen("tcp", local+":0")
	if err != nil {
		t.Skipf("cannot use %s as a second loopback address here: %v", local, err)
	}
	probe.Close()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return d.DialContext
}

// sessionAddr finds session id on one of the nodes and returns its remote
// address, the one the node counts limits against.
func sessionAddr(t *testing.T, nodes []*server, id string) string {
	t.Helper()
	for _, n := range nodes {
		if s := n.gw.Session(id); s != nil {
			return s.RemoteAddr()
		}
	}
	t.Fatalf("session %s is on no node", id)
	return ""
}

// tcpHandshake sends a TCP gateway handshake on conn and returns the
// session id the node answers with.
func tcpHandshake(t *testing.T, conn net.Conn) string {
	t.Helper()
	body, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake, Body: body})); err != nil {
		t.Fatal(err)
	}
	r := transport.TCPReader{R: bufio.NewReader(conn), MaxBody: 1 << 20}
	f, err := r.Next(nil)
	if err != nil {
		t.Fatalf("handshake answer: %v", err)
	}
	var ack pb.HandshakeAck
	if f.Kind != transport.KindHandshakeAck || f.Flags != 0 || proto.Unmarshal(f.Body, &ack) != nil {
		t.Fatalf("handshake answer: %+v", f)
	}
	return ack.SessionId
}
