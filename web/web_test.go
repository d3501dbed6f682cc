package web_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/web"
)

// TestPages: every page path names a file of the client, and an unknown
// path (or the page's path with a slash) names none.
func TestPages(t *testing.T) {
	tests := []struct {
		path string
		file string
	}{
		{"/world", "world.html"},
		{"/world/", ""},
		{"/worlds", ""},
		{"/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := web.Page(tt.path)
			if got != tt.file || ok != (tt.file != "") {
				t.Fatalf("Page(%q) = %q, %v, want %q", tt.path, got, ok, tt.file)
			}
			if ok {
				if _, err := fs.Stat(web.FS(), got); err != nil {
					t.Errorf("Page(%q) = %q, which is not in FS: %v", tt.path, got, err)
				}
			}
		})
	}
}

// TestWorldPageHasNoInline: the CSP forbids inline scripts and styles, so
// the world page must not have any, and it loads its module script.
func TestWorldPageHasNoInline(t *testing.T) {
	b, err := fs.ReadFile(web.FS(), "world.html")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ToLower(string(b))
	for _, bad := range []string{"<style", " style=", "onclick=", "onload=", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("world.html has %q, which the CSP blocks", bad)
		}
	}
	if strings.Count(page, "<script") != strings.Count(page, "<script type=\"module\" src=") {
		t.Error("world.html has an inline <script>, which the CSP blocks")
	}
	if !strings.Contains(page, `src="/js/world.js"`) {
		t.Error("world.html does not load /js/world.js")
	}
}
