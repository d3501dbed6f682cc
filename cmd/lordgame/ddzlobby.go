package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lordgame/lordgame/internal/leaderboard"
)

// LeaderboardConfig says where the leaderboards live and when their
// weekly and daily periods reset.
type LeaderboardConfig struct {
	// Redis is a redis:// URL; empty keeps the boards in this process,
	// which is only correct on a single node.
	Redis string `yaml:"redis"`
	// Zone is the IANA time zone whose midnight starts a new day and
	// whose Monday starts a new week.
	Zone string `yaml:"zone"`
	// Prefix is put before every Redis key.
	Prefix string `yaml:"prefix"`
}

func defaultLeaderboardConfig() LeaderboardConfig {
	return LeaderboardConfig{Zone: "Asia/Shanghai", Prefix: "lordgame:lb:"}
}

func bindLeaderboardFlags(fs *flag.FlagSet, c *LeaderboardConfig) {
	fs.StringVar(&c.Redis, "redis", c.Redis, "Redis URL (redis://host:6379/0) for leaderboards shared by a cluster; empty keeps them in memory (single node only)")
	fs.StringVar(&c.Prefix, "leaderboard-prefix", c.Prefix, "prefix of every leaderboard key in Redis")
	fs.StringVar(&c.Zone, "leaderboard-zone", c.Zone, "time zone whose midnight resets the daily and weekly leaderboards")
}

func leaderboardFlagChecks() []flagCheck {
	return []flagCheck{
		{"redis", func(c *Config) error {
			if c.Leaderboard.Redis == "" {
				return nil
			}
			_, err := redis.ParseURL(c.Leaderboard.Redis)
			return err
		}},
		{"leaderboard-prefix", func(c *Config) error {
			if c.Leaderboard.Redis != "" && c.Leaderboard.Prefix == "" {
				return errors.New("a prefix is required with -redis, so boards do not mix with other keys")
			}
			return nil
		}},
		{"leaderboard-zone", func(c *Config) error {
			_, err := leaderboard.NewClock(c.Leaderboard.Zone)
			return err
		}},
	}
}

// validateLeaderboard refuses a cluster node without a shared Redis: an
// in-memory board would rank only the games this node settled.
func validateLeaderboard(c *Config, multiNode bool) error {
	if multiNode && c.Leaderboard.Redis == "" {
		return fmt.Errorf("config: role %q runs as one node of a cluster, whose leaderboards need a shared Redis: set -redis to its URL (e.g. redis://127.0.0.1:6379/0)", c.Role)
	}
	return nil
}

// openLeaderboard builds the store and its settlement feed; close releases
// the Redis client.
func openLeaderboard(ctx context.Context, c LeaderboardConfig, log *slog.Logger) (leaderboard.Store, *leaderboard.Feed, func(), error) {
	clock, err := leaderboard.NewClock(c.Zone)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.Redis == "" {
		m := leaderboard.NewMemory(clock)
		return m, leaderboard.NewFeed(m, 4096, log), func() {}, nil
	}
	opt, err := redis.ParseURL(c.Redis)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("leaderboard: %w", err)
	}
	client := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, nil, nil, fmt.Errorf("leaderboard: redis %s: %w", redactRedis(c.Redis), err)
	}
	r := leaderboard.NewRedis(clock, client, c.Prefix)
	return r, leaderboard.NewFeed(r, 4096, log), func() { _ = client.Close() }, nil
}

func redactRedis(u string) string {
	if i := strings.LastIndex(u, "@"); i >= 0 {
		return "redis://…" + u[i:]
	}
	return u
}
