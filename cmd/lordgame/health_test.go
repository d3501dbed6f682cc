package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthCommand(t *testing.T) {
	s, _, _ := startServer(t)
	_, port, _ := net.SplitHostPort(s.HTTPAddr())
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready\n")
	}))
	defer down.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantOut string // on success
		wantErr string // "" means success
	}{
		{"healthz by url", []string{"-url", "http://" + s.HTTPAddr() + "/healthz"}, nil, "ok", ""},
		{"port from LORDGAME_HTTP", nil, map[string]string{"LORDGAME_HTTP": ":" + port}, "ok", ""},
		{"readyz from LORDGAME_HTTP", []string{"-ready"}, map[string]string{"LORDGAME_HTTP": "0.0.0.0:" + port}, "ready", ""},
		{"503 fails", []string{"-url", down.URL + "/readyz"}, nil, "", "answered 503 not ready"},
		{"nothing listening", []string{"-url", "http://" + closed + "/healthz"}, nil, "", "connection refused"},
		{"timeout", []string{"-url", slow.URL, "-timeout", "200ms"}, nil, "", "deadline exceeded"},
		{"bad listen address", nil, map[string]string{"LORDGAME_HTTP": "nonsense"}, "", `http address "nonsense"`},
		{"stray argument", []string{"now"}, nil, "", `unexpected argument "now"`},
		{"bad timeout", []string{"-timeout", "0s"}, nil, "", "-timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), append([]string{"health"}, tt.args...), env(tt.env), &out, io.Discard, nil)
			if tt.wantErr == "" {
				if err != nil || strings.TrimSpace(out.String()) != tt.wantOut {
					t.Fatalf("health = %v, printed %q; want nil and %q", err, out.String(), tt.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("health = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestLocalURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{":8080", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:9", "http://127.0.0.1:9/healthz"},
		{"[::]:9", "http://127.0.0.1:9/healthz"},
		{"10.1.2.3:80", "http://10.1.2.3:80/healthz"},
		{"[::1]:80", "http://[::1]:80/healthz"},
	}
	for _, tt := range tests {
		if got, err := localURL(tt.listen, "/healthz"); err != nil || got != tt.want {
			t.Errorf("localURL(%q) = %q, %v; want %q", tt.listen, got, err, tt.want)
		}
	}
}
