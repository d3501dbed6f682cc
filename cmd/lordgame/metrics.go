package main

import (
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/observe"
)

// registerGameMetrics registers the game series (observe.Game) and the
// process limits on the node's registry and hands the counters to the
// services that count them. Called by build once the gateway, the tables
// and the membership exist.
func (s *server) registerGameMetrics() {
	var modes []string
	for _, m := range s.cfg.Match.Modes {
		modes = append(modes, m.Name)
	}
	g := observe.NewGame(s.reg, observe.GameGauges{
		Tables:  s.ddz.svc.Tables,
		Stalled: s.ddz.svc.Stalled,
		Outbox:  s.ddz.svc.OutboxWrites,
		Online:  s.gw.Online,
		Modes:   modes,
		Queued: func(mode string) int {
			if m := s.ddz.matcher.Load(); m != nil {
				return m.Waiting(mode)
			}
			return 0
		},
		// The coins the house (the bot seats' account) holds.
		HouseBalance: s.houseBalance,
		Nodes: func() map[string]int {
			out := map[string]int{cluster.RoleGateway: 0, cluster.RoleGame: 0, cluster.RoleMatch: 0}
			for _, n := range s.members.Live() {
				for _, r := range n.Roles {
					out[r]++
				}
			}
			return out
		},
	})
	observe.RegisterLimits(s.reg)
	s.game = g
	s.ddz.svc.SetMetrics(g)
	s.chat.svc.SetMetrics(g)
}
