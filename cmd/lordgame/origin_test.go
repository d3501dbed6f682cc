package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// upgradeStatus opens a WebSocket to the server with the Origin given (""
// sends none) and returns the HTTP status of the upgrade: 101 when it was
// accepted.
func upgradeStatus(t *testing.T, addr, origin string) int {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second}
	if origin != "" {
		h := http.Header{}
		h.Set("Origin", origin)
		d.Header = ws.HandshakeHeaderHTTP(h)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, _, _, err := d.Dial(ctx, "ws://"+addr+"/ws")
	if err == nil {
		_ = conn.Close()
		return http.StatusSwitchingProtocols
	}
	var se ws.StatusError
	if errors.As(err, &se) {
		return int(se)
	}
	t.Fatalf("dial with origin %q: %v", origin, err)
	return 0
}

// TestWebSocketOrigin: by default only the page's own origin (and
// clients that send no Origin) may upgrade; -allowed-origins lists others
// or * for any.
func TestWebSocketOrigin(t *testing.T) {
	s, _, _ := startServer(t)
	addr := s.HTTPAddr()
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"", 101},
		{"http://" + addr, 101},
		{"https://evil.example", 403},
		{"null", 403},
		{"http://localhost.evil.example", 403},
	} {
		if got := upgradeStatus(t, addr, tc.origin); got != tc.want {
			t.Errorf("default policy, origin %q: status %d, want %d", tc.origin, got, tc.want)
		}
	}

	s2, _, _ := startServer(t, "-allowed-origins", "https://play.example.com,https://*.cdn.example.com")
	addr2 := s2.HTTPAddr()
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"https://play.example.com", 101},
		{"https://eu.cdn.example.com", 101},
		{"http://" + addr2, 403}, // a list replaces same-origin
		{"https://evil.example", 403},
	} {
		if got := upgradeStatus(t, addr2, tc.origin); got != tc.want {
			t.Errorf("listed origins, origin %q: status %d, want %d", tc.origin, got, tc.want)
		}
	}

	s3, _, _ := startServer(t, "-allowed-origins", "*")
	if got := upgradeStatus(t, s3.HTTPAddr(), "null"); got != 101 {
		t.Errorf("-allowed-origins *: origin null got %d, want 101", got)
	}
	if _, _, err := loadConfig([]string{"-allowed-origins", "example.com"}, env(nil), io.Discard); err == nil {
		t.Error("-allowed-origins example.com (no scheme) accepted")
	}
}
