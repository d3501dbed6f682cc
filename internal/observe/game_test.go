package observe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestGameMetrics(t *testing.T) {
	r := prometheus.NewRegistry()
	house := int64(0)
	hasHouse := false
	g := NewGame(r, GameGauges{
		Tables: func() int { return 4 },
		Online: func() int { return 12 },
		Modes:  []string{"classic", "practice"},
		Queued: func(mode string) int {
			if mode == "classic" {
				return 3
			}
			return 0
		},
		HouseBalance: func() (int64, bool) { return house, hasHouse },
		Nodes:        func() map[string]int { return map[string]int{"gateway": 2, "game": 1} },
	})
	g.HandEnded("classic", false)
	g.HandEnded("classic", false)
	g.HandEnded("practice", true)
	g.Settled(nil)
	g.Settled(errors.New("db down"))
	g.Settled(nil)
	g.Waited("classic", 1500*time.Millisecond)
	g.ChatMessage("table")
	want := map[string]float64{
		`lordgame_hands_total{mode="classic",outcome="cancelled"}`:  0,
		`lordgame_hands_total{mode="classic",outcome="finished"}`:   2,
		`lordgame_hands_total{mode="practice",outcome="cancelled"}`: 1,
		`lordgame_hands_total{mode="practice",outcome="finished"}`:  0,
		`lordgame_settlements_total{result="failed"}`:               1,
		`lordgame_settlements_total{result="ok"}`:                   2,
		`lordgame_chat_messages_total{channel="group"}`:             0,
		`lordgame_chat_messages_total{channel="private"}`:           0,
		`lordgame_chat_messages_total{channel="table"}`:             1,
		`lordgame_chat_messages_total{channel="world"}`:             0,
		`lordgame_tables`:                                    4,
		`lordgame_online_players`:                            12,
		`lordgame_match_queue_length{mode="classic"}`:        3,
		`lordgame_match_queue_length{mode="practice"}`:       0,
		`lordgame_cluster_nodes{member_role="game"}`:         1,
		`lordgame_cluster_nodes{member_role="gateway"}`:      2,
		`lordgame_match_wait_seconds_count{mode="classic"}`:  1,
		`lordgame_match_wait_seconds_sum{mode="classic"}`:    1.5,
		`lordgame_match_wait_seconds_count{mode="practice"}`: 0,
	}
	got := gather(t, r)
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got["lordgame_house_balance_coins"]; ok {
		t.Error("house balance reported without a house account")
	}
	// The house balance appears once the house account exists.
	house, hasHouse = -250, true
	if v := gather(t, r)["lordgame_house_balance_coins"]; v != -250 {
		t.Errorf("house balance = %v, want -250", v)
	}
}

// gather flattens r into name{labels} -> value (histograms as _count and
// _sum).
func gather(t *testing.T, r *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := r.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+`="`+l.GetValue()+`"`)
			}
			lbl := ""
			if len(ls) > 0 {
				lbl = "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.GetHistogram() != nil:
				out[mf.GetName()+"_count"+lbl] = float64(m.GetHistogram().GetSampleCount())
				out[mf.GetName()+"_sum"+lbl] = m.GetHistogram().GetSampleSum()
			case m.GetCounter() != nil:
				out[mf.GetName()+lbl] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[mf.GetName()+lbl] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

func TestGameNil(t *testing.T) {
	var g *Game // services built without metrics
	g.HandEnded("classic", true)
	g.Settled(nil)
	g.Waited("classic", time.Second)
	g.ChatMessage("world")
}

func TestCgroupLimits(t *testing.T) {
	tests := []struct {
		name             string
		cpuMax, memMax   string // "" leaves the file out
		wantCPU, wantMem float64
	}{
		{"limited", "150000 100000\n", "536870912\n", 1.5, 536870912},
		{"unlimited", "max 100000\n", "max\n", 0, 0},
		{"no cgroup files", "", "", 0, 0},
		{"garbage", "lots\n", "plenty\n", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.cpuMax != "" {
				_ = os.WriteFile(filepath.Join(dir, "cpu.max"), []byte(tt.cpuMax), 0o644)
			}
			if tt.memMax != "" {
				_ = os.WriteFile(filepath.Join(dir, "memory.max"), []byte(tt.memMax), 0o644)
			}
			cpu, mem := cgroupLimits(dir)
			if cpu != tt.wantCPU || mem != tt.wantMem {
				t.Errorf("cgroupLimits = %v, %v; want %v, %v", cpu, mem, tt.wantCPU, tt.wantMem)
			}
		})
	}
	p := filepath.Join(t.TempDir(), "meminfo")
	_ = os.WriteFile(p, []byte("MemFree:  10 kB\nMemTotal:       2048 kB\n"), 0o644)
	if got := memTotal(p); got != 2048*1024 {
		t.Errorf("memTotal = %d", got)
	}
	r := prometheus.NewRegistry()
	RegisterLimits(r)
	got := gather(t, r)
	if got["lordgame_cpu_limit_cores"] <= 0 || got["lordgame_memory_limit_bytes"] <= 0 {
		t.Errorf("limits on this machine: %v", got)
	}
}
