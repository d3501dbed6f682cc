package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
)

// TestRateLimitSettings: the defaults, a file adding a route limit, and
// the flags replacing them.
func TestRateLimitSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "gateway:\n  route_limits:\n    sys.echo: {per_second: 5, burst: 6}\n  session:\n    rate_algorithm: leaky\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want map[string]gateway.RouteLimit
		algo string
	}{
		{"defaults", nil, defaultRouteLimits(), session.RateToken},
		{"file adds", []string{"-config", file}, map[string]gateway.RouteLimit{
			"match.join": {PerSecond: 2, Burst: 10}, "chat.send": {PerSecond: 10, Burst: 20}, "sys.echo": {PerSecond: 5, Burst: 6}}, session.RateLeaky},
		{"flag replaces", []string{"-route-limits", "sys.ping=1/s:2", "-rate-algorithm", "leaky"}, map[string]gateway.RouteLimit{"sys.ping": {PerSecond: 1, Burst: 2}}, session.RateLeaky},
		{"flag empties", []string{"-route-limits", ""}, map[string]gateway.RouteLimit{}, session.RateToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig(append([]string{"-data", t.TempDir()}, tt.args...), env(nil), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Gateway.RouteLimits
			if len(got) != len(tt.want) || cfg.Gateway.Session.RateAlgorithm != tt.algo {
				t.Fatalf("route limits %v, algorithm %q; want %v, %q", got, cfg.Gateway.Session.RateAlgorithm, tt.want, tt.algo)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
