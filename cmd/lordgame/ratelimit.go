package main

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
)

// defaultRouteLimits are the per-connection limits of single routes the
// server starts with, beside the connection-wide -rate: queueing for a
// match and sending chat are the calls a flood would repeat.
func defaultRouteLimits() map[string]gateway.RouteLimit {
	return map[string]gateway.RouteLimit{
		"match.join": {PerSecond: 2, Burst: 10},
		"chat.send":  {PerSecond: 10, Burst: 20},
	}
}

// routeLimitsFlag is -route-limits: the value replaces every limit.
type routeLimitsFlag map[string]gateway.RouteLimit

func (f *routeLimitsFlag) String() string {
	if f == nil {
		return ""
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(*f)) {
		parts = append(parts, name+"="+(*f)[name].String())
	}
	return strings.Join(parts, ",")
}

func (f *routeLimitsFlag) Set(v string) error {
	m, err := gateway.ParseRouteLimits(v)
	if err != nil {
		return err
	}
	*f = m
	return nil
}

func bindRateLimits(fs *flag.FlagSet, g *gateway.Config) {
	fs.StringVar(&g.Session.RateAlgorithm, "rate-algorithm", g.Session.RateAlgorithm,
		"per-connection rate limit: token (bucket: -rate-burst at once, then -rate, the rest refused) or leaky (bucket: messages evenly spaced at -rate, a faster client slowed down, none refused)")
	fs.Var((*routeLimitsFlag)(&g.RouteLimits), "route-limits",
		"per-connection limits of single routes beside -rate, comma-separated ROUTE=RATE/s:BURST, replacing the defaults; empty: none")
}

func rateFlagChecks() []flagCheck {
	return []flagCheck{
		{"rate-algorithm", func(c *Config) error {
			if a := c.Gateway.Session.RateAlgorithm; a != session.RateToken && a != session.RateLeaky {
				return fmt.Errorf("must be token or leaky (got %q)", a)
			}
			return nil
		}},
		{"route-limits", func(c *Config) error {
			gc := gateway.DefaultConfig()
			gc.RouteLimits = c.Gateway.RouteLimits
			if err := gc.Validate(); err != nil {
				return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "gateway: route_limits: "))
			}
			return nil
		}},
	}
}
