package status

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestFrom(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"status error", New(Conflict, "taken"), Conflict},
		{"wrapped status error", fmt.Errorf("x: %w", New(NotFound, "gone")), NotFound},
		{"cancelled (shutdown)", fmt.Errorf("store: stats: %w", context.Canceled), Unavailable},
		{"deadline", fmt.Errorf("store: %w", context.DeadlineExceeded), Unavailable},
		{"anything else", errors.New("boom: /var/lib/secret"), Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.err)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("From(nil) = %v", got)
				}
				return
			}
			if got.Code != tt.want {
				t.Errorf("From(%v) = %v, want %s", tt.err, got, tt.want)
			}
			if tt.want == Internal && got.Message != "internal error" {
				t.Errorf("internal details leaked: %q", got.Message)
			}
		})
	}
}
