package ddz_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// counter is the value of a counter series with the given label value.
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
		return sum
	}
	return 0
}

// TestGameMetricsCount: a hand played to the end is one finished hand,
// one ok settlement and no failed one.
func TestGameMetricsCount(t *testing.T) {
	n := startNode(t, t.TempDir(), nil)
	uids := []int64{n.user(t, 1000), n.user(t, 1000), n.user(t, 1000)}
	playTable(t, n, uids)
	if t.Failed() {
		return
	}
	if got := counter(t, n.reg, "lordgame_settlements_total", "result", "ok"); got != 1 {
		t.Errorf("ok settlements = %v, want 1", got)
	}
	if got := counter(t, n.reg, "lordgame_settlements_total", "result", "failed"); got != 0 {
		t.Errorf("failed settlements = %v, want 0", got)
	}
	if got := counter(t, n.reg, "lordgame_hands_total", "outcome", "finished"); got != 1 {
		t.Errorf("finished hands = %v, want 1", got)
	}
}
