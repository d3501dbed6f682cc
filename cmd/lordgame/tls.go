package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// TLS on the public listeners (docs/ops.md, "TLS"): -tls-cert and -tls-key
// (PEM; the certificate file may hold the chain) serve HTTPS and wss:// on
// -http and TLS on the TCP gateway (-tcp; clients dial tls://). TLS 1.2 is
// the minimum. The files are checked for changes at most once per
// reloadCheck, on a handshake: a renewed certificate is used from the next
// handshake on and open connections keep theirs. A pair that does not
// load (a half-written renewal) is logged and the previous one kept.

// TLSConfig names the certificate files.
type TLSConfig struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

func (c TLSConfig) on() bool { return c.Cert != "" }

func bindTLS(fs *flag.FlagSet, c *TLSConfig) {
	fs.StringVar(&c.Cert, "tls-cert", c.Cert, "PEM certificate (chain) file: serve HTTPS/wss on -http and TLS on -tcp; reloaded when it changes")
	fs.StringVar(&c.Key, "tls-key", c.Key, "PEM private key file of -tls-cert")
}

func tlsFlagChecks() []flagCheck {
	check := func(c *Config) error {
		switch {
		case c.TLS.Cert == "" && c.TLS.Key == "":
			return nil
		case c.TLS.Cert == "" || c.TLS.Key == "":
			return errors.New("-tls-cert and -tls-key go together")
		}
		if _, err := tls.LoadX509KeyPair(c.TLS.Cert, c.TLS.Key); err != nil {
			return fmt.Errorf("cannot load the pair: %v", err)
		}
		if c.TCP != "" && c.TCP != "off" && c.Gateway.TCPProxyProtocol != "off" && c.Gateway.TCPProxyProtocol != "" {
			return errors.New("TLS on the TCP gateway cannot follow a PROXY protocol header: terminate TLS at the proxy, or set -tcp-proxy-protocol off")
		}
		return nil
	}
	return []flagCheck{{"tls-cert", check}, {"tls-key", func(c *Config) error {
		if (c.TLS.Cert == "") != (c.TLS.Key == "") {
			return errors.New("-tls-cert and -tls-key go together")
		}
		return nil
	}}}
}

const reloadCheck = time.Second

// certReloader serves the certificate of two files, loading them again
// when either file's size or modification time changes.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp
	checked time.Time
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{st.ModTime(), st.Size()}, nil
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// load reads the pair; the caller holds mu or owns r.
func (r *certReloader) load() error {
	cs, err1 := stampOf(r.certFile)
	ks, err2 := stampOf(r.keyFile)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	r.cert, r.stamp = &cert, [2]fileStamp{cs, ks}
	return nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= reloadCheck {
		r.checked = now
		cs, err1 := stampOf(r.certFile)
		ks, err2 := stampOf(r.keyFile)
		if err1 == nil && err2 == nil && (cs != r.stamp[0] || ks != r.stamp[1]) {
			if err := r.load(); err != nil {
				r.log.Warn("tls certificate changed but does not load: keeping the previous one", "err", err)
				r.stamp = [2]fileStamp{cs, ks} // tried: wait for the next change
			} else {
				r.log.Info("tls certificate reloaded", "cert", r.certFile, "not_after", r.cert.Leaf.NotAfter)
			}
		}
	}
	return r.cert, nil
}

// serverTLS is the TLS configuration of the public listeners.
func (r *certReloader) serverTLS(nextProtos ...string) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate, NextProtos: nextProtos}
}

// setupTLS wraps the HTTP and TCP listeners in TLS when -tls-cert is set.
func (s *server) setupTLS() error {
	if !s.cfg.TLS.on() {
		return nil
	}
	r, err := newCertReloader(s.cfg.TLS.Cert, s.cfg.TLS.Key, s.log)
	if err != nil {
		return err
	}
	// HTTP/1.1 only: WebSocket upgrades need it.
	s.httpLn = tls.NewListener(s.httpLn, r.serverTLS("http/1.1"))
	if s.tcpLn != nil {
		s.tcpLn = tls.NewListener(s.tcpLn, r.serverTLS())
	}
	s.log.Info("tls on", "cert", s.cfg.TLS.Cert, "not_after", r.cert.Leaf.NotAfter)
	return nil
}
