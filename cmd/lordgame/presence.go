package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lordgame/lordgame/internal/chat"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
)

// presenceNode feeds the chat presence of a node: the cluster's presence
// bucket (who is connected where), the seat directory (who plays at a
// table), and the membership (which nodes are alive). It serves the
// presence.* routes and announces changes to friends (chat.Presence).
type presenceNode struct {
	p        *chat.Presence
	presence *cluster.Presence
	seats    *seats
	members  *cluster.Members
}

func newPresenceNode(s *server, router *gateway.Router, cn *chatNode, presence *cluster.Presence, st *seats) *presenceNode {
	p := chat.NewPresence(cn.svc, s.members, s.members.Self().ID, presence.TTL())
	chat.RegisterPresence(router, p)
	n := &presenceNode{p: p, presence: presence, seats: st, members: s.members}
	registerPresenceMetrics(s.reg, p)
	return n
}

// run follows the feeds and announces changes until ctx ends.
func (n *presenceNode) run(ctx context.Context) error {
	select { // "gone" means gone only once the view is complete
	case <-n.members.Synced():
	case <-ctx.Done():
		return nil
	}
	n.members.OnChange(n.p.NodesChanged)
	n.p.NodesChanged()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = n.presence.Watch(ctx, n.p.ConnFollower()) }() // ends with ctx
	go func() { defer wg.Done(); n.watchSeats(ctx) }()                             // ends with ctx
	err := n.p.Run(ctx)
	wg.Wait()
	return err
}

// watchSeats follows the seat directory ("<table> <node>" per user id)
// into the presence, starting again when the watch breaks.
func (n *presenceNode) watchSeats(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := n.seats.kv.WatchAll(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		n.p.SeatReset()
		n.followSeats(ctx, w)
		_ = w.Stop()
	}
}

func (n *presenceNode) followSeats(ctx context.Context, w jetstream.KeyWatcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				n.p.SeatsSynced()
				continue
			}
			uid, err := strconv.ParseInt(e.Key(), 10, 64)
			if err != nil {
				continue
			}
			_, node, ok := strings.Cut(string(e.Value()), " ")
			n.p.SetSeat(uid, node, ok && e.Operation() == jetstream.KeyValuePut)
		}
	}
}

// registerPresenceMetrics adds the presence series (docs/ops.md).
func registerPresenceMetrics(r prometheus.Registerer, p *chat.Presence) {
	users := prometheus.NewDesc("lordgame_presence_users", "Users connected anywhere in the cluster as this node sees them, by status (online, in_game).", []string{"status"}, nil)
	r.MustRegister(&presenceCollector{desc: users, p: p},
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "lordgame_presence_events_total", Help: "Status changes this node announced to friends.",
		}, func() float64 { return float64(p.Stats().Events) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "lordgame_presence_pushes_total", Help: "presence.event pushes this node sent for the changes it announced.",
		}, func() float64 { return float64(p.Stats().Pushes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "lordgame_presence_dropped_total", Help: "Status changes not announced because the announcement queue was full.",
		}, func() float64 { return float64(p.Stats().Dropped) }),
	)
}

type presenceCollector struct {
	desc *prometheus.Desc
	p    *chat.Presence
}

func (c *presenceCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *presenceCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.p.Counts()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.Online), chat.StatusOnline)
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.InGame), chat.StatusInGame)
}
