package main

import (
	"strings"
	"testing"
)

// TestWorldPage: /world is the world map's page, with the security
// headers of every page; /world/ is no page.
func TestWorldPage(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	page := do(t, "GET", base+"/world", "", "")
	if page.code != 200 || !strings.Contains(page.raw, "<!doctype html>") || !strings.Contains(page.raw, "/js/world.js") {
		t.Fatalf("GET /world = %d %.80q", page.code, page.raw)
	}
	if ct := page.h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /world Content-Type %q", ct)
	}
	csp := page.h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "ws://" + s.HTTPAddr()} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if got := page.h.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q", got)
	}
	for _, f := range []string{"/js/world.js", "/js/world-model.js", "/js/world-view.js", "/css/world.css"} {
		if a := do(t, "GET", base+f, "", ""); a.code != 200 {
			t.Errorf("GET %s = %d", f, a.code)
		}
	}
	wantJSONErr(t, do(t, "GET", base+"/world/", "", ""), 404, "not_found", "no endpoint")
}
