package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// peerCert is the certificate the server presents now.
func peerCert(t *testing.T, addr string, roots *x509.CertPool) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "game.example.com"})
	if err != nil {
		t.Fatalf("tls dial %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

// TestTLS: with -tls-cert/-tls-key the HTTP listener serves HTTPS (HSTS
// set) and wss://, the TCP gateway TLS (tls://); TLS 1.1 is refused; a
// renewed certificate written over the files is served from the next
// handshake on while open connections go on.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	roots := writeCert(t, dir)
	crt, key := filepath.Join(dir, "lordgame.crt"), filepath.Join(dir, "lordgame.key")
	s, _, _ := startServer(t, "-tls-cert", crt, "-tls-key", key)
	tc := &tls.Config{RootCAs: roots, ServerName: "game.example.com"}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
	resp, err := hc.Get("https://" + s.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" || resp.TLS == nil {
		t.Errorf("https /healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if r, err := http.Get("http://" + s.HTTPAddr() + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS listener: %d, want 400 (an HTTP request to an HTTPS server)", r.StatusCode)
		}
	}

	echo := func(c *client.Client, text string) {
		t.Helper()
		var e pb.Echo
		if err := c.Request(t.Context(), "sys.echo", &pb.Echo{Text: text}, &e); err != nil || e.Text != text {
			t.Fatalf("echo %q: %q %v", text, e.Text, err)
		}
	}
	wss, err := client.Dial(t.Context(), "wss://"+s.HTTPAddr()+"/ws", client.Options{TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	defer wss.Close()
	echo(wss, "over wss")
	tcp, err := client.Dial(t.Context(), "tls://"+s.TCPAddr(), client.Options{TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	echo(tcp, "over tls")

	old := &tls.Config{RootCAs: roots, ServerName: "game.example.com", MaxVersion: tls.VersionTLS11}
	if c, err := tls.Dial("tcp", s.HTTPAddr(), old); err == nil {
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// Renew: a new pair written next to the old one and renamed over it,
	// as certbot and cert-manager do.
	first := peerCert(t, s.HTTPAddr(), roots)
	next := t.TempDir()
	roots2 := writeCert(t, next)
	time.Sleep(reloadCheck + 100*time.Millisecond) // the files' stamps must differ
	for _, f := range []string{"lordgame.crt", "lordgame.key"} {
		if err := os.Rename(filepath.Join(next, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	var second []byte
	for time.Now().Before(deadline) {
		if second = peerCert(t, s.HTTPAddr(), roots2); !bytes.Equal(second, first) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if bytes.Equal(second, first) {
		t.Fatal("the renewed certificate was not served within 5 s")
	}
	if got := peerCert(t, s.TCPAddr(), roots2); !bytes.Equal(got, second) {
		t.Error("the TCP gateway still serves the old certificate")
	}
	echo(wss, "still open")
	echo(tcp, "still open")

	// A broken renewal keeps the working pair.
	time.Sleep(reloadCheck + 100*time.Millisecond)
	if err := os.WriteFile(crt, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(reloadCheck + 100*time.Millisecond)
	if got := peerCert(t, s.HTTPAddr(), roots2); !bytes.Equal(got, second) {
		t.Error("a broken certificate file replaced the working pair")
	}
}

func TestTLSFlagChecks(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir)
	crt, key := filepath.Join(dir, "lordgame.crt"), filepath.Join(dir, "lordgame.key")
	for _, bad := range [][]string{
		{"-tls-cert", crt},
		{"-tls-key", key},
		{"-tls-cert", key, "-tls-key", crt},
		{"-tls-cert", filepath.Join(dir, "missing.crt"), "-tls-key", key},
		{"-tls-cert", crt, "-tls-key", key, "-tcp-proxy-protocol", "v1"},
	} {
		if _, _, err := loadConfig(bad, env(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, _, err := loadConfig([]string{"-tls-cert", crt, "-tls-key", key}, env(nil), io.Discard); err != nil {
		t.Errorf("a good pair refused: %v", err)
	}
}
