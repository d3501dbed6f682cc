package cluster

import (
	"slices"
	"testing"
)

func TestIDsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int64
	}{
		{"", nil},
		{"1", []int64{1}},
		{"1,22,333", []int64{1, 22, 333}},
		{"1,,x,-4,0,9223372036854775807", []int64{1, 9223372036854775807}},
	} {
		if got := ParseIDs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ParseIDs(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	ids := []int64{7, 42, 1 << 60}
	if got := ParseIDs(JoinIDs(ids)); !slices.Equal(got, ids) {
		t.Errorf("round trip %v -> %q -> %v", ids, JoinIDs(ids), got)
	}
}
