package leaderboard

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testStores runs one conformance suite against every Store implementation.
func testStores(t *testing.T, run func(t *testing.T, s Store, c Clock)) {
	c, err := NewClock("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("memory", func(t *testing.T) { run(t, NewMemory(c), c) })
	t.Run("redis", func(t *testing.T) { run(t, newTestRedis(t, c), c) })
}

// newTestRedis connects to LORDGAME_TEST_REDIS (default 127.0.0.1:6379) under a prefix of its
// own and deletes that prefix's keys when the test ends.
func newTestRedis(t *testing.T, c Clock) *Redis {
	t.Helper()
	addr := os.Getenv("LORDGAME_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	client := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		t.Skipf("no Redis at %s: %v", addr, err)
	}
	prefix := fmt.Sprintf("lordgame-test:%s:%d:", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		client.Close()
	})
	return NewRedis(c, client, prefix)
}

func TestConformanceTopAndAround(t *testing.T) {
	testStores(t, func(t *testing.T, s Store, c Clock) {
		ctx := context.Background()
		at := time.Date(2026, 12, 2, 12, 0, 0, 0, c.Loc)
		games := [][]Result{
			{{"a", 1010, 20}, {"b", 995, -10}, {"c", 995, -10}},
			{{"a", 1020, 20}, {"d", 990, -10}, {"e", 990, -10}},
			{{"b", 1005, 40}, {"c", 980, -20}, {"d", 985, -20}},
		}
		for _, g := range games {
			if err := s.Record(ctx, at, g); err != nil {
				t.Fatal(err)
			}
		}
		top, err := s.Top(ctx, Rating, AllTime, at, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []Entry{{1, "a", 1020}, {2, "b", 1005}, {3, "e", 990}}
		if !reflect.DeepEqual(top, want) {
			t.Errorf("rating top = %v, want %v", top, want)
		}
		coins, err := s.Top(ctx, Coins, Daily, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		want = []Entry{{1, "a", 40}, {2, "b", 30}, {3, "e", -10}, {4, "d", -30}, {5, "c", -30}}
		if !reflect.DeepEqual(coins, want) {
			t.Errorf("coins daily = %v, want %v", coins, want)
		}
		around, err := s.Around(ctx, Coins, Weekly, at, "e", 1)
		if err != nil {
			t.Fatal(err)
		}
		want = []Entry{{2, "b", 30}, {3, "e", -10}, {4, "d", -30}}
		if !reflect.DeepEqual(around, want) {
			t.Errorf("around e = %v, want %v", around, want)
		}
		edge, err := s.Around(ctx, Coins, Weekly, at, "a", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(edge) != 3 || edge[0].Player != "a" || edge[0].Rank != 1 {
			t.Errorf("around a at the top = %v", edge)
		}
		none, err := s.Around(ctx, Coins, Weekly, at, "nobody", 2)
		if err != nil || len(none) != 0 {
			t.Errorf("around unranked = %v, %v", none, err)
		}
		if empty, err := s.Top(ctx, Coins, AllTime, at, 0); err != nil || len(empty) != 0 {
			t.Errorf("top 0 = %v, %v", empty, err)
		}
	})
}

func TestConformancePeriodsReset(t *testing.T) {
	testStores(t, func(t *testing.T, s Store, c Clock) {
		ctx := context.Background()
		// 23:30 and 00:30 Shanghai time on a Sunday and the Monday after: new day and new week,
		// though both are the same UTC day.
		sunday := time.Date(2026, 12, 6, 23, 30, 0, 0, c.Loc)
		monday := sunday.Add(time.Hour)
		if err := s.Record(ctx, sunday, []Result{{"a", 1010, 10}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Record(ctx, monday, []Result{{"b", 1000, 5}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			p    Period
			at   time.Time
			want []string
		}{
			{AllTime, monday, []string{"a", "b"}},
			{Weekly, monday, []string{"b"}},
			{Daily, monday, []string{"b"}},
			{Weekly, sunday, []string{"a"}},
			{Daily, sunday, []string{"a"}},
		} {
			top, err := s.Top(ctx, Coins, tc.p, tc.at, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range top {
				got = append(got, e.Player)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s at %s: %v, want %v", tc.p, tc.at, got, tc.want)
			}
		}
	})
}

func TestClockKey(t *testing.T) {
	c, err := NewClock("")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 16, 30, 0, 0, time.UTC) // 00:30 Monday 7 Dec in Shanghai
	for _, tc := range []struct {
		b    Board
		p    Period
		want string
	}{
		{Rating, AllTime, "rating:all"},
		{Coins, Weekly, "coins:week:2026-W50"},
		{Coins, Daily, "coins:day:2026-12-07"},
	} {
		if got := c.Key(tc.b, tc.p, at); got != tc.want {
			t.Errorf("Key(%s,%s) = %q, want %q", tc.b, tc.p, got, tc.want)
		}
	}
	if _, err := NewClock("Not/AZone"); err == nil {
		t.Error("NewClock accepted an unknown zone")
	}
}

func TestParseBoard(t *testing.T) {
	for _, tc := range []struct {
		b, p string
		ok   bool
	}{
		{"rating", "all", true}, {"coins", "day", true}, {"coins", "week", true},
		{"gold", "all", false}, {"rating", "month", false}, {"", "", false},
	} {
		_, _, err := ParseBoard(tc.b, tc.p)
		if (err == nil) != tc.ok {
			t.Errorf("ParseBoard(%q,%q) err = %v", tc.b, tc.p, err)
		}
	}
}

func benchmarkRecord(b *testing.B, s Store) {
	ctx := context.Background()
	at := time.Now()
	b.ResetTimer()
	for i := range b.N {
		g := []Result{
			{fmt.Sprintf("p%d", i%1000), 1000 + int64(i%50), 20},
			{fmt.Sprintf("p%d", (i+1)%1000), 990, -10},
			{fmt.Sprintf("p%d", (i+2)%1000), 990, -10},
		}
		if err := s.Record(ctx, at, g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordMemory(b *testing.B) {
	c, _ := NewClock("")
	benchmarkRecord(b, NewMemory(c))
}

func BenchmarkRecordRedis(b *testing.B) {
	c, _ := NewClock("")
	addr := "127.0.0.1:6379"
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		b.Skipf("no Redis: %v", err)
	}
	prefix := fmt.Sprintf("lordgame-bench:%d:", time.Now().UnixNano())
	defer func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	}()
	benchmarkRecord(b, NewRedis(c, client, prefix))
}
