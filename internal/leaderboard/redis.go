package leaderboard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store in Redis sorted sets, shared by every node of a cluster. Weekly and daily
// sets expire a while after their period ends.
type Redis struct {
	clock  Clock
	client redis.UniversalClient
	prefix string
}

// NewRedis uses client with every key under prefix (e.g. "lordgame:lb:").
func NewRedis(c Clock, client redis.UniversalClient, prefix string) *Redis {
	return &Redis{clock: c, client: client, prefix: prefix}
}

// keep is how long a period's set outlives the period's start.
var keep = map[Period]time.Duration{Weekly: 15 * 24 * time.Hour, Daily: 3 * 24 * time.Hour}

func (r *Redis) Record(ctx context.Context, at time.Time, results []Result) error {
	pipe := r.client.TxPipeline()
	for _, p := range periods {
		rk := r.prefix + r.clock.Key(Rating, p, at)
		ck := r.prefix + r.clock.Key(Coins, p, at)
		for _, res := range results {
			pipe.ZAdd(ctx, rk, redis.Z{Score: float64(res.Rating), Member: res.Player})
			pipe.ZIncrBy(ctx, ck, float64(res.Coins), res.Player)
		}
		if d, ok := keep[p]; ok {
			pipe.Expire(ctx, rk, d)
			pipe.Expire(ctx, ck, d)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("leaderboard: record: %w", err)
	}
	return nil
}

func (r *Redis) Top(ctx context.Context, b Board, p Period, at time.Time, n int) ([]Entry, error) {
	if n <= 0 {
		return nil, nil
	}
	return r.span(ctx, r.prefix+r.clock.Key(b, p, at), 0, int64(n-1))
}

func (r *Redis) Around(ctx context.Context, b Board, p Period, at time.Time, player string, radius int) ([]Entry, error) {
	key := r.prefix + r.clock.Key(b, p, at)
	rank, err := r.client.ZRevRank(ctx, key, player).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("leaderboard: rank: %w", err)
	}
	radius = max(radius, 0)
	return r.span(ctx, key, max(rank-int64(radius), 0), rank+int64(radius))
}

func (r *Redis) span(ctx context.Context, key string, start, stop int64) ([]Entry, error) {
	zs, err := r.client.ZRevRangeWithScores(ctx, key, start, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("leaderboard: range: %w", err)
	}
	out := make([]Entry, len(zs))
	for i, z := range zs {
		member, _ := z.Member.(string)
		out[i] = Entry{Rank: int(start) + i + 1, Player: member, Score: int64(z.Score)}
	}
	return out, nil
}
