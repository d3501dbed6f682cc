package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOriginPolicy(t *testing.T) {
	for _, tc := range []struct {
		list   []string
		origin string
		host   string
		want   bool
	}{
		// Same origin by default.
		{nil, "", "game.example.com", true}, // not a browser
		{nil, "https://game.example.com", "game.example.com", true},
		{nil, "http://GAME.example.com", "game.example.com", true},
		{nil, "https://game.example.com:8443", "game.example.com:8443", true},
		{nil, "https://game.example.com:8443", "game.example.com", false},
		{nil, "https://evil.example", "game.example.com", false},
		{nil, "null", "game.example.com", false},
		{nil, "not a url", "game.example.com", false},
		// Any.
		{[]string{"*"}, "https://evil.example", "game.example.com", true},
		{[]string{"*"}, "null", "game.example.com", true},
		// A list replaces same-origin.
		{[]string{"https://play.example.com"}, "https://play.example.com", "api.example.com", true},
		{[]string{"https://play.example.com"}, "http://play.example.com", "api.example.com", false},
		{[]string{"https://play.example.com"}, "https://api.example.com", "api.example.com", false},
		{[]string{"https://Play.Example.com/"}, "https://play.example.com", "x", true},
		{[]string{"https://*.example.com"}, "https://a.example.com", "x", true},
		{[]string{"https://*.example.com"}, "https://a.b.example.com:444", "x", true},
		{[]string{"https://*.example.com"}, "https://example.com", "x", false},
		{[]string{"https://*.example.com"}, "https://evilexample.com", "x", false},
		{[]string{"https://*.example.com"}, "http://a.example.com", "x", false},
		{[]string{"null"}, "null", "x", true},
		{[]string{"https://play.example.com"}, "null", "x", false},
	} {
		p, err := parseOrigins(tc.list)
		if err != nil {
			t.Fatalf("%v: %v", tc.list, err)
		}
		if got := p.allow(tc.origin, tc.host); got != tc.want {
			t.Errorf("list %v origin %q host %q: allow %v, want %v", tc.list, tc.origin, tc.host, got, tc.want)
		}
	}
}

func TestParseOriginsRefuses(t *testing.T) {
	for _, bad := range []string{"example.com", "ftp://example.com", "https://", "https://example.com/path", "https://a.*.com", "https://*.", "https://ex*ample.com", "https://u@example.com", "https://example.com?q=1"} {
		if _, err := parseOrigins([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestUpgradeOriginRefused: a refused upgrade is a 403 with the JSON error
// body, counted, and never reaches the WebSocket handshake.
func TestUpgradeOriginRefused(t *testing.T) {
	g, err := New(DefaultConfig(), NewRouter(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "http://game.example.com/ws", nil)
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"code":"forbidden"`) || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("answer %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}
