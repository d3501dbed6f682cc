package session

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestRateAlgorithms: the token bucket lets a burst through at once and
// refuses the rest; the leaky bucket lets every message through, evenly
// spaced at the rate, and refuses none.
func TestRateAlgorithms(t *testing.T) {
	tests := []struct {
		name      string
		algorithm string
		sent      int
		wantOK    int
		wantTook  time.Duration // from the first message to the last one allowed
	}{
		{"token burst", RateToken, 10, 4, 0},
		{"leaky spaced", RateLeaky, 10, 10, 9 * 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.RatePerSecond, cfg.RateBurst, cfg.RateAlgorithm = 10, 4, tt.algorithm
				if err := cfg.Validate(); err != nil {
					t.Fatal(err)
				}
				s := New("s", &fakeConn{}, nil, ModeTCP, &cfg, nil)
				start := time.Now()
				ok := 0
				for range tt.sent {
					if s.Allow(time.Now()) {
						ok++
					}
				}
				if took := time.Since(start); ok != tt.wantOK || took != tt.wantTook {
					t.Errorf("%d messages at once: %d allowed over %v, want %d over %v", tt.sent, ok, took, tt.wantOK, tt.wantTook)
				}
				// After a quiet second a message passes at once in both.
				time.Sleep(time.Second)
				before := time.Now()
				if !s.Allow(time.Now()) || time.Since(before) != 0 {
					t.Errorf("after a quiet second: not allowed at once")
				}
			})
		})
	}
	bad := DefaultConfig()
	bad.RateAlgorithm = "fixed"
	if bad.Validate() == nil {
		t.Error(`rate_algorithm "fixed" accepted`)
	}
}

// TestAllowRoute: a route's bucket is its own, per connection.
func TestAllowRoute(t *testing.T) {
	cfg := DefaultConfig()
	s := New("s", &fakeConn{}, nil, ModeTCP, &cfg, nil)
	now := time.Now()
	for i := range 3 {
		if !s.AllowRoute(7, now, 1, 3) {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	if s.AllowRoute(7, now, 1, 3) {
		t.Error("4th request of a burst of 3 allowed")
	}
	if !s.AllowRoute(8, now, 1, 3) {
		t.Error("another route shares the bucket")
	}
	if !s.AllowRoute(7, now.Add(time.Second), 1, 3) {
		t.Error("a second later the route has no token")
	}
}
