package observe

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Game is the game's own series: tables, hands, settlements, matchmaking,
// chat, players and the house. Components count through its methods,
// which do nothing on a nil *Game (tests build services without one).
// Names and labels are listed in docs/ops.md; deploy/prometheus and
// deploy/grafana query them.
type Game struct {
	hands       *prometheus.CounterVec
	settlements *prometheus.CounterVec
	queueWait   *prometheus.HistogramVec
	chat        *prometheus.CounterVec
}

// Settlement results of lordgame_settlements_total.
const (
	SettlementOK     = "ok"
	SettlementFailed = "failed"
)

// Chat channels of lordgame_chat_messages_total. The table channel is
// Dou Dizhu's table chat; the others belong to the chat service.
var ChatChannels = []string{"table", "world", "private", "group"}

// GameGauges are the values a node reads at scrape time. A nil function
// leaves its series out.
type GameGauges struct {
	// Tables is the number of tables running on this node.
	Tables func() int
	// Online is the number of players connected to this node.
	Online func() int
	// Queued is the number of tickets waiting in a matchmaking mode's
	// queue (0 on a node that does not lead matchmaking).
	Queued func(mode string) int
	// Modes are the matchmaking modes Queued is asked about.
	Modes []string
	// HouseBalance is the house account's coins; ok false when there is
	// no house account (the series is then absent).
	HouseBalance func() (coins int64, ok bool)
	// Nodes counts the live cluster members per role as this node sees
	// them.
	Nodes func() map[string]int
	// Stalled is the number of tables paused because their log cannot be
	// written (the database does not answer).
	Stalled func() int
	// Outbox is the number of game writes (cancels, settlements) waiting
	// for the database in this node's outbox.
	Outbox func() int
}

// NewGame registers the game series on r.
func NewGame(r prometheus.Registerer, g GameGauges) *Game {
	m := &Game{
		hands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_hands_total", Help: "Hands of Dou Dizhu that ended on this node, by mode and outcome (finished or cancelled).",
		}, []string{"mode", "outcome"}),
		settlements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_settlements_total", Help: "Settlement transactions of finished hands, by result (ok or failed).",
		}, []string{"result"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lordgame_match_wait_seconds",
			Help:    "Time from joining a matchmaking queue to being placed at a table, by mode.",
			Buckets: []float64{.1, .25, .5, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 120, 300},
		}, []string{"mode"}),
		chat: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lordgame_chat_messages_total", Help: "Chat messages accepted and delivered, by channel.",
		}, []string{"channel"}),
	}
	for _, res := range []string{SettlementOK, SettlementFailed} {
		m.settlements.WithLabelValues(res)
	}
	for _, ch := range ChatChannels {
		m.chat.WithLabelValues(ch)
	}
	for _, mode := range g.Modes {
		m.queueWait.WithLabelValues(mode)
		m.hands.WithLabelValues(mode, "finished")
		m.hands.WithLabelValues(mode, "cancelled")
	}
	r.MustRegister(m.hands, m.settlements, m.queueWait, m.chat)
	if g.Tables != nil {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lordgame_tables", Help: "Tables running on this node.",
		}, func() float64 { return float64(g.Tables()) }))
	}
	if g.Online != nil {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lordgame_online_players", Help: "Players (logged-in sessions) connected to this node.",
		}, func() float64 { return float64(g.Online()) }))
	}
	if g.Queued != nil {
		r.MustRegister(&funcCollector{
			desc: prometheus.NewDesc("lordgame_match_queue_length", "Tickets waiting in a matchmaking queue led by this node, by mode.", []string{"mode"}, nil),
			collect: func(ch chan<- prometheus.Metric, d *prometheus.Desc) {
				for _, mode := range g.Modes {
					ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(g.Queued(mode)), mode)
				}
			}})
	}
	if g.HouseBalance != nil {
		r.MustRegister(&funcCollector{
			desc: prometheus.NewDesc("lordgame_house_balance_coins", "Coins held by the house account.", nil, nil),
			collect: func(ch chan<- prometheus.Metric, d *prometheus.Desc) {
				if v, ok := g.HouseBalance(); ok {
					ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
				}
			}})
	}
	if g.Stalled != nil {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lordgame_tables_stalled", Help: "Tables paused on this node because their game log cannot be written (database down).",
		}, func() float64 { return float64(g.Stalled()) }))
	}
	if g.Outbox != nil {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lordgame_game_outbox_writes", Help: "Game cancels and settlements waiting on this node for the database to take them.",
		}, func() float64 { return float64(g.Outbox()) }))
	}
	if g.Nodes != nil {
		r.MustRegister(&funcCollector{
			desc: prometheus.NewDesc("lordgame_cluster_nodes", "Live cluster members with a role, as this node sees them.", []string{"member_role"}, nil),
			collect: func(ch chan<- prometheus.Metric, d *prometheus.Desc) {
				for role, n := range g.Nodes() {
					ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n), role)
				}
			}})
	}
	return m
}

// HandEnded counts a hand that ended in mode: cancelled (no coins moved)
// or finished.
func (m *Game) HandEnded(mode string, cancelled bool) {
	if m == nil {
		return
	}
	outcome := "finished"
	if cancelled {
		outcome = "cancelled"
	}
	m.hands.WithLabelValues(mode, outcome).Inc()
}

// Settled counts one settlement transaction; err nil is ok.
func (m *Game) Settled(err error) {
	if m == nil {
		return
	}
	res := SettlementOK
	if err != nil {
		res = SettlementFailed
	}
	m.settlements.WithLabelValues(res).Inc()
}

// Waited records how long a ticket of mode waited before being placed.
func (m *Game) Waited(mode string, d time.Duration) {
	if m == nil {
		return
	}
	m.queueWait.WithLabelValues(mode).Observe(d.Seconds())
}

// ChatMessage counts one chat message delivered on channel (one of
// ChatChannels).
func (m *Game) ChatMessage(channel string) {
	if m == nil {
		return
	}
	m.chat.WithLabelValues(channel).Inc()
}

// funcCollector reads its values at scrape time.
type funcCollector struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric, *prometheus.Desc)
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c *funcCollector) Collect(ch chan<- prometheus.Metric) { c.collect(ch, c.desc) }

// RegisterLimits registers lordgame_cpu_limit_cores and
// lordgame_memory_limit_bytes: the CPU and memory this process may use,
// from its cgroup (a container's limits) or else the machine. The alert
// rules divide process_cpu_seconds_total and
// process_resident_memory_bytes by them.
func RegisterLimits(r prometheus.Registerer) {
	cpu, mem := cgroupLimits("/sys/fs/cgroup")
	if cpu <= 0 {
		cpu = float64(runtime.NumCPU())
	}
	if mem <= 0 {
		mem = float64(memTotal("/proc/meminfo"))
	}
	r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "lordgame_cpu_limit_cores", Help: "CPUs this process may use: its cgroup's cpu.max quota, else the machine's CPUs.",
	}, func() float64 { return cpu }))
	if mem > 0 {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lordgame_memory_limit_bytes", Help: "Memory this process may use: its cgroup's memory.max, else the machine's memory.",
		}, func() float64 { return mem }))
	}
}

// cgroupLimits reads cgroup v2 cpu.max ("max 100000" or "200000 100000")
// and memory.max ("max" or bytes) under root; 0 means no limit.
func cgroupLimits(root string) (cpu, mem float64) {
	if b, err := os.ReadFile(root + "/cpu.max"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 && f[0] != "max" {
			q, err1 := strconv.ParseFloat(f[0], 64)
			p, err2 := strconv.ParseFloat(f[1], 64)
			if err1 == nil && err2 == nil && p > 0 {
				cpu = q / p
			}
		}
	}
	if b, err := os.ReadFile(root + "/memory.max"); err == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64); err == nil {
			mem = v
		}
	}
	return cpu, mem
}

// memTotal is MemTotal of /proc/meminfo in bytes, 0 when unknown.
func memTotal(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}
