package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// testRedisURL is the Redis the cluster tests share their leaderboards on.
func testRedisURL() string {
	if u := os.Getenv("LORDGAME_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func TestLeaderboardConfig(t *testing.T) {
	c := defaultConfig()
	c.Role = "game"
	if err := validateLeaderboard(&c, true); err == nil || !strings.Contains(err.Error(), "set -redis") {
		t.Errorf("multi-node without redis: %v", err)
	}
	c.Leaderboard.Redis = "redis://127.0.0.1:6379/0"
	if err := validateLeaderboard(&c, true); err != nil {
		t.Errorf("multi-node with redis: %v", err)
	}
	for _, fc := range leaderboardFlagChecks() {
		bad := defaultConfig()
		bad.Leaderboard = LeaderboardConfig{Redis: "http://x", Zone: "Nowhere/Land"}
		if err := fc.check(&bad); err == nil {
			t.Errorf("flag %s accepted %+v", fc.flag, bad.Leaderboard)
		}
		good := defaultConfig()
		if err := fc.check(&good); err != nil {
			t.Errorf("flag %s rejected the default: %v", fc.flag, err)
		}
	}
}

func TestLeaderboardMemoryOpens(t *testing.T) {
	s, f, closeFn, err := openLeaderboard(context.Background(), defaultLeaderboardConfig(), slog.New(slog.DiscardHandler))
	if err != nil || s == nil || f == nil {
		t.Fatalf("open: %v", err)
	}
	closeFn()
}

// cleanRedisPrefix deletes a test's leaderboard keys from the shared Redis.
func cleanRedisPrefix(t *testing.T, prefix string) {
	opt, err := redis.ParseURL(testRedisURL())
	if err != nil {
		t.Errorf("cleanup redis: %v", err)
		return
	}
	client := redis.NewClient(opt)
	defer client.Close()
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		client.Del(ctx, iter.Val())
	}
}
