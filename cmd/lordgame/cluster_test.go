package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// testCluster is several real lordgame processes sharing the machine's
// NATS (under a prefix of their own) and a PostgreSQL schema of their own.
type testCluster struct {
	t      *testing.T
	bin    string
	nats   string
	prefix string
	dsn    string
	env    []string
}

func newTestCluster(t *testing.T, env ...string) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several real lordgame processes")
	}
	natsURL := os.Getenv("LORDGAME_TEST_NATS")
	if natsURL == "" {
		t.Skip("set LORDGAME_TEST_NATS (e.g. nats://127.0.0.1:4222) to run the cluster tests")
	}
	dsn := postgresDSN(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	c := &testCluster{t: t, bin: buildBinary(t), nats: natsURL, prefix: "lgtest" + hex.EncodeToString(b[:]), dsn: dsn, env: env}
	t.Cleanup(func() { cleanRedisPrefix(t, c.prefix+":lb:") })
	t.Cleanup(func() { // the buckets of this run, on the shared NATS
		cfg := cluster.DefaultConfig()
		cfg.Prefix = c.prefix
		bus, err := cluster.Connect(context.Background(), natsURL, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer bus.Close()
		if err := bus.DeleteBuckets(context.Background()); err != nil {
			t.Errorf("cleanup buckets: %v", err)
		}
	})
	return c
}

// start runs one node with role and waits until it is ready.
func (c *testCluster) start(role string) *proc {
	c.t.Helper()
	return c.startAt(role, freeAddr(c.t))
}

// startAt is start on a given HTTP address.
func (c *testCluster) startAt(role, addr string) *proc {
	c.t.Helper()
	p := &proc{addr: addr, role: role, logs: &syncBuffer{}}
	p.cmd = exec.Command(c.bin, "-role", role, "-http", addr, "-tcp", "off", "-data", c.t.TempDir(),
		"-db", c.dsn, "-nats", c.nats, "-nats-prefix", c.prefix, "-redis", testRedisURL(), "-leaderboard-prefix", c.prefix+":lb:", "-log-level", "info", "-log-format", "text")
	p.cmd.Env = append(os.Environ(), c.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		p.kill()
		if c.t.Failed() {
			c.t.Logf("%s node %s log:\n%s", role, addr, p.logs)
		}
	})
	waitReady(c.t, p)
	return p
}

func waitReady(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if p.cmd.ProcessState != nil {
			break
		}
		resp, err := httpGet("http://" + p.addr + "/readyz")
		if err == nil && resp == 200 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node %s did not become ready:\n%s", p.addr, p.logs)
}

// nodes runs `lordgame cluster nodes` and returns the live nodes.
func (c *testCluster) nodes() []nodeJSON {
	c.t.Helper()
	out, err := exec.Command(c.bin, "cluster", "nodes", "-nats", c.nats, "-nats-prefix", c.prefix).Output()
	if err != nil {
		c.t.Fatalf("lordgame cluster nodes: %v", err)
	}
	var v struct{ Nodes []nodeJSON }
	if err := json.Unmarshal(out, &v); err != nil {
		c.t.Fatalf("lordgame cluster nodes: %v\n%s", err, out)
	}
	return v.Nodes
}

func rolesOf(nodes []nodeJSON) string {
	var rs []string
	for _, n := range nodes {
		rs = append(rs, strings.Join(n.Roles, "+"))
	}
	return strings.Join(rs, " ")
}

// TestClusterGame runs 2 gateways, a game node and a match node as
// separate processes: three players on different gateways are matched and
// play a classic game to its end; a second login on the other gateway
// closes the first session; a session resumes on the other gateway; a
// push reaches a player through the other gateway; the nodes list itself
// and a killed node drops out; with no game node left, table requests
// answer unavailable at once.
func TestClusterGame(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=1m",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m")
	gw1 := c.start("gateway")
	gw2 := c.start("gateway")
	game := c.start("game")
	c.start("match")

	deadline := time.Now().Add(5 * time.Second)
	for len(c.nodes()) != 4 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if ns := c.nodes(); len(ns) != 4 || rolesOf(ns) == "" {
		t.Fatalf("cluster nodes: %d nodes (%s), want 4", len(ns), rolesOf(ns))
	}

	gates := []*proc{gw1, gw1, gw2}
	ps := make([]*seatedPlayer, 3)
	for i := range ps {
		tok, uid := guest(t, gates[i].addr, fmt.Sprintf("cluster-test-%s-%d", c.prefix, i))
		ps[i] = &seatedPlayer{tok: tok, uid: uid}
		connect(t, gates[i].addr, ps[i])
	}
	// A match status push for the player on gw2 comes from the match node
	// through gw2.
	statuses := make(chan *pb.MatchStatus, 16)
	ps[2].c.On("match.status", func(p client.Push) {
		var st pb.MatchStatus
		if p.Decode(&st) == nil {
			statuses <- &st
		}
	})
	for _, sp := range ps {
		joinRetry(t, sp.c)
	}
	select {
	case st := <-statuses:
		if st.State != "matched" || st.GameId == "" {
			t.Fatalf("first status on gw2: %+v, want matched with a game", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no match status pushed to the player on the second gateway")
	}
	gameID := bidAtTable(t, ps)
	results := playOut(t, ps)
	for i, r := range results {
		if r.GameId != gameID {
			t.Fatalf("player %d finished game %s, want %s", i, r.GameId, gameID)
		}
	}

	// Settled once, coins conserved, each balance what the result says.
	checkSettledOnce(t, c.dsn, gameID, ps, results, map[int64]int64{ps[0].uid: 1000, ps[1].uid: 1000, ps[2].uid: 1000})

	// Duplicate login on the other gateway closes the first session.
	dup, err := client.Dial(t.Context(), "ws://"+gw1.addr+"/ws", client.Options{Token: ps[2].tok})
	if err != nil {
		t.Fatal(err)
	}
	defer dup.Close()
	waitKicked(t, ps[2].c, "logged_in_elsewhere")
	if err := dup.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
		t.Fatalf("the new login: %v", err)
	}

	// A session resumes on the other gateway with its resume token.
	res, err := client.Dial(t.Context(), "ws://"+gw2.addr+"/ws", client.Options{ResumeToken: ps[0].c.ResumeToken()})
	if err != nil {
		t.Fatalf("resume on gw2: %v", err)
	}
	defer res.Close()
	if res.SessionID() != ps[0].c.SessionID() || res.UserID() != strconv.FormatInt(ps[0].uid, 10) {
		t.Fatalf("resumed session %s user %s, want %s user %d", res.SessionID(), res.UserID(), ps[0].c.SessionID(), ps[0].uid)
	}
	waitKicked(t, ps[0].c, "logged_in_elsewhere")

	// A node that dies drops out within 3 s; with no game node, a table
	// request is unavailable at once, not a hang.
	game.kill()
	deadline = time.Now().Add(4 * time.Second)
	for len(c.nodes()) != 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if ns := c.nodes(); len(ns) != 3 {
		t.Fatalf("after kill -9 of the game node: %d nodes (%s), want 3", len(ns), rolesOf(ns))
	}
	start := time.Now()
	err = ps[1].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, &pb.DdzSnapshot{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "unavailable" || time.Since(start) > time.Second {
		t.Fatalf("ddz.state with no game node: %v after %v, want unavailable at once", err, time.Since(start))
	}
}

// waitKicked waits until c's connection was closed with reason.
func waitKicked(t *testing.T, c *client.Client, reason string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if k := c.Kicked(); k != nil {
			if k.Reason != reason {
				t.Fatalf("kicked with %q, want %q", k.Reason, reason)
			}
			return
		}
		_ = c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{})
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the first session was not closed with %s", reason)
}

func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// bus connects the test to the cluster's NATS under its prefix.
func (c *testCluster) bus() *cluster.NATS {
	c.t.Helper()
	cfg := cluster.DefaultConfig()
	cfg.Prefix = c.prefix
	bus, err := cluster.Connect(c.t.Context(), c.nats, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = bus.Close() })
	return bus
}

// owner is the process whose node owns table gameID.
func (c *testCluster) owner(bus *cluster.NATS, gameID string, procs ...*proc) *proc {
	c.t.Helper()
	kv, err := bus.OpenKV(c.t.Context(), "tables")
	if err != nil {
		c.t.Fatal(err)
	}
	e, err := kv.Get(c.t.Context(), gameID)
	if err != nil {
		c.t.Fatalf("owner of table %s: %v", gameID, err)
	}
	for _, n := range c.nodes() {
		if n.ID == string(e.Value()) {
			for _, p := range procs {
				if p.addr == n.HTTP {
					return p
				}
			}
		}
	}
	c.t.Fatalf("table %s is owned by %s, which is none of the processes: %+v", gameID, e.Value(), c.nodes())
	return nil
}

// startTable queues the three players and waits until each sees the new
// table bidding; the player to act bids 3. It returns the game id.
func startTable(t *testing.T, ps []*seatedPlayer) string {
	t.Helper()
	for _, sp := range ps {
		joinRetry(t, sp.c)
	}
	return bidAtTable(t, ps)
}

// bidAtTable waits until each queued player sees the same new table; the
// player to act bids 3. It returns the game id.
func bidAtTable(t *testing.T, ps []*seatedPlayer) string {
	t.Helper()
	var gameID string
	for i, deadline := 0, time.Now().Add(10*time.Second); i < 3; {
		s := &pb.DdzSnapshot{}
		err := ps[i].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s)
		if err == nil && (s.Phase == "bidding" && gameID == "" || gameID != "" && s.GameId == gameID) {
			gameID = s.GameId
			if int32(s.Seat) == s.Turn { // bid 3 so that the hand is played, not redealt
				if err := ps[i].c.Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 3}, &pb.DdzActionResp{}); err != nil {
					t.Fatalf("bid: %v", err)
				}
			}
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("no table for player %d: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return gameID
}

// leadOne makes the landlord lead one card, so that the hand is under way.
func leadOne(t *testing.T, ps []*seatedPlayer) {
	t.Helper()
	for _, sp := range ps {
		s := snapshot(t, sp.c)
		if s.Phase == "playing" && int32(s.Seat) == s.Turn {
			if err := sp.c.Request(t.Context(), "ddz.play", &pb.DdzPlayReq{Cards: s.Hand[:1]}, &pb.DdzActionResp{}); err != nil {
				t.Fatalf("lead: %v", err)
			}
			return
		}
	}
	t.Fatal("nobody to lead")
}

// waitPlaying waits until every player's table answers playing again (it
// was taken over) and returns how long that took.
func waitPlaying(t *testing.T, ps []*seatedPlayer, gameID string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for i := 0; i < len(ps); {
		s := &pb.DdzSnapshot{}
		// A player gives up on a request after a second and asks again, as
		// a request to a node that froze is never answered.
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := ps[i].c.Request(ctx, "ddz.state", &pb.DdzStateReq{}, s)
		cancel()
		if err == nil && s.GameId == gameID && s.Phase == "playing" {
			i++
			continue
		}
		if time.Since(start) > limit {
			t.Fatalf("table %s not playing for player %d after %v: phase %q err %v", gameID, i, limit, s.Phase, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// checkSettledOnce checks the game finished with each player's balance
// changed by exactly its result, the changes summing to zero, and one
// ledger entry per player for the game.
func checkSettledOnce(t *testing.T, dsn, gameID string, ps []*seatedPlayer, results []*pb.DdzResult, before map[int64]int64) {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gid, _ := strconv.ParseInt(gameID, 10, 64)
	g, err := db.Game(t.Context(), gid)
	if err != nil || g.State != store.GameFinished {
		t.Fatalf("game %s: state %s %v, want finished", gameID, g.State, err)
	}
	var sum int64
	for _, sp := range ps {
		bal, _ := db.Balance(t.Context(), sp.uid)
		delta := results[0].Coins[seatOf(g, sp.uid)]
		if bal != before[sp.uid]+delta {
			t.Errorf("user %d balance %d, want %d", sp.uid, bal, before[sp.uid]+delta)
		}
		sum += delta
		led, err := db.Ledger(t.Context(), sp.uid, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range led {
			if strings.HasPrefix(e.Key, "game:"+gameID+":") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("user %d has %d ledger entries for game %s, want 1", sp.uid, n, gameID)
		}
	}
	if sum != 0 {
		t.Errorf("coins of game %s sum to %d", gameID, sum)
	}
}

func balances(t *testing.T, dsn string, ps []*seatedPlayer) map[int64]int64 {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[int64]int64{}
	for _, sp := range ps {
		out[sp.uid], _ = db.Balance(t.Context(), sp.uid)
	}
	return out
}

// TestClusterFailover kills (SIGKILL) the game node that owns a table in
// the middle of a hand: the other game node takes the table over from the
// store log within 10 s, the players finish the hand there, and the game is
// settled once with coins conserved.
func TestClusterFailover(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=1m",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m")
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	g1, g2 := c.start("game"), c.start("game")
	c.start("match")
	bus := c.bus()
	ps := clusterPlayers(t, c, gw1, gw2)
	before := balances(t, c.dsn, ps)
	gameID := startTable(t, ps)
	leadOne(t, ps)
	owner := c.owner(bus, gameID, g1, g2)
	owner.kill()
	took := waitPlaying(t, ps, gameID, 10*time.Second)
	t.Logf("table %s taken over %v after kill -9 of its node", gameID, took)
	other := g1
	if owner == g1 {
		other = g2
	}
	if got := c.owner(bus, gameID, g1, g2); got != other {
		t.Fatalf("table owned by %s after the kill, want %s", got.addr, other.addr)
	}
	results := playOut(t, ps)
	checkSettledOnce(t, c.dsn, gameID, ps, results, before)
}

// waitStopped waits until every thread of process pid is stopped (state T
// in /proc/PID/task/*/stat).
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		stopped := len(tasks) > 0
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			if i := bytes.LastIndexByte(b, ')'); err != nil || i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
				stopped = false
				break
			}
		}
		if stopped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d not stopped 5 s after SIGSTOP", pid)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func clusterPlayers(t *testing.T, c *testCluster, gws ...*proc) []*seatedPlayer {
	t.Helper()
	ps := make([]*seatedPlayer, 3)
	for i := range ps {
		gw := gws[i%len(gws)]
		tok, uid := guest(t, gw.addr, fmt.Sprintf("cluster-%s-%s-%d", t.Name(), c.prefix, i))
		ps[i] = &seatedPlayer{tok: tok, uid: uid}
		connect(t, gw.addr, ps[i])
	}
	return ps
}

// TestClusterFencing pauses (SIGSTOP) the game node that owns a table past
// its membership, so that the other game node takes the table over, then
// resumes it (SIGCONT): the paused node's overdue turn timer tries to act
// for the table, the store refuses its stale epoch, and it stops the table
// without writing; the hand ends on the new owner, settled once.
func TestClusterFencing(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=2s",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=2s", "LORDGAME_DDZ_LEAD_TIMEOUT=2s")
	gw := c.start("gateway")
	g1, g2 := c.start("game"), c.start("game")
	c.start("match")
	bus := c.bus()
	ps := clusterPlayers(t, c, gw)
	before := balances(t, c.dsn, ps)
	gameID := startTable(t, ps)
	owner := c.owner(bus, gameID, g1, g2)
	if err := owner.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal is delivered asynchronously: on a loaded machine the node
	// can still answer a request sent right after kill returned. Go on only
	// once the kernel reports every thread stopped.
	waitStopped(t, owner.cmd.Process.Pid)
	resumed := false
	defer func() {
		if !resumed {
			_ = owner.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	took := waitPlaying(t, ps, gameID, 10*time.Second)
	t.Logf("table %s taken over %v after SIGSTOP of its node", gameID, took)
	if got := c.owner(bus, gameID, g1, g2); got == owner {
		t.Fatal("the paused node still owns the table")
	}
	if err := owner.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed = true
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(owner.logs.String(), "table taken over by another node") {
		if time.Now().After(deadline) {
			t.Fatalf("the resumed node did not stop its stale table:\n%s", owner.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	results := playOut(t, ps)
	checkSettledOnce(t, c.dsn, gameID, ps, results, before)
	if n := len(c.nodes()); n != 4 {
		t.Errorf("%d nodes after the paused node resumed, want 4", n)
	}
}

// TestClusterMatchFailover kills (SIGKILL) the leading match node while a
// ticket waits: the standby is elected within 5 s, takes the ticket over,
// and matches it with two players who queue afterwards; the ticket is
// matched once and the tickets bucket ends empty.
func TestClusterMatchFailover(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s")
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	c.start("game")
	m1, m2 := c.start("match"), c.start("match")
	bus := c.bus()
	ps := clusterPlayers(t, c, gw1, gw2)
	matched := make(chan string, 8)
	ps[0].c.On("match.status", func(p client.Push) {
		var st pb.MatchStatus
		if p.Decode(&st) == nil && st.State == "matched" {
			matched <- st.GameId
		}
	})
	if err := ps[0].c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
		t.Fatalf("match.join: %v", err)
	}
	leaders, err := bus.OpenKV(t.Context(), "leaders")
	if err != nil {
		t.Fatal(err)
	}
	e, err := leaders.Get(t.Context(), "match")
	if err != nil {
		t.Fatal(err)
	}
	var leader *proc
	for _, n := range c.nodes() {
		for _, p := range []*proc{m1, m2} {
			if n.ID == string(e.Value()) && n.HTTP == p.addr {
				leader = p
			}
		}
	}
	if leader == nil {
		t.Fatalf("the leader %s is neither match node", e.Value())
	}
	leader.kill()
	killed := time.Now()
	for i := 1; i < 3; i++ {
		for {
			// A join sent as the leader died can reach NATS before NATS has
			// seen the leader's connection close; it is delivered to the
			// dead node and, not being idempotent, waits for its whole
			// deadline. Each try here has 2 s, then the next goes.
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			err := ps[i].c.Request(ctx, "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{})
			cancel()
			if err == nil {
				break
			}
			if errors.Is(err, context.DeadlineExceeded) && time.Since(killed) <= 5*time.Second {
				continue
			}
			var ce *client.Error
			// unavailable until the standby leads. The retries stay under
			// match.join's own limit (5/s by default, -route-limits): a
			// client that outruns it gets rate_limited strikes and, after
			// enough of them, a kick.
			if !errors.As(err, &ce) || ce.Code != "unavailable" && ce.Code != "rate_limited" || time.Since(killed) > 5*time.Second {
				t.Fatalf("match.join %v after the leader died: %v", time.Since(killed), err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	t.Logf("the standby took the queue over %v after kill -9 of the leader", time.Since(killed))
	var game string
	select {
	case game = <-matched:
	case <-time.After(10 * time.Second):
		t.Fatal("the restored ticket was never matched")
	}
	for i := 1; i < 3; i++ {
		if s := snapshot(t, ps[i].c); s.GameId != game {
			t.Errorf("player %d is at table %q, want %s with the restored ticket", i, s.GameId, game)
		}
	}
	select {
	case g := <-matched:
		t.Errorf("the ticket was matched twice: %s and %s", game, g)
	case <-time.After(500 * time.Millisecond):
	}
	tickets, err := bus.OpenKV(t.Context(), "tickets")
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := tickets.Keys(t.Context()); err == nil && len(keys) > 0 {
		t.Errorf("tickets left after the match: %v", keys)
	}
}

// TestClusterNATSOutage cuts the cluster off NATS for 10 s (through a proxy
// of its own in front of the machine's NATS) in the middle of a hand:
// forwarded requests answer unavailable at once, nothing hangs, local
// routes keep working, and once NATS is back the cluster recovers without
// a restart: the hand is played to its end and settled once, and a new
// match forms.
func TestClusterNATSOutage(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=1m",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m", "LORDGAME_DDZ_GRACE=1m")
	proxy := newCutProxy(t, strings.TrimPrefix(c.nats, "nats://"))
	c.nats = "nats://" + proxy.addr
	gw1, gw2 := c.start("gateway"), c.start("gateway")
	c.start("game")
	c.start("match")
	ps := clusterPlayers(t, c, gw1, gw2)
	before := balances(t, c.dsn, ps)
	gameID := startTable(t, ps)

	proxy.Cut()
	cut := time.Now()
	for time.Since(cut) < 10*time.Second {
		start := time.Now()
		err := ps[1].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, &pb.DdzSnapshot{})
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != "unavailable" || time.Since(start) > time.Second {
			t.Fatalf("ddz.state %v into the outage: %v after %v, want unavailable at once", time.Since(cut), err, time.Since(start))
		}
		if err := ps[0].c.Request(t.Context(), "sys.ping", &pb.PingReq{}, &pb.PingResp{}); err != nil {
			t.Fatalf("sys.ping during the outage: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	proxy.Restore()
	took := waitPlaying(t, ps, gameID, 15*time.Second)
	t.Logf("table answering again %v after NATS came back", took)
	results := playOut(t, ps)
	checkSettledOnce(t, c.dsn, gameID, ps, results, before)
	if next := startTable(t, ps); next == gameID {
		t.Fatal("no new table after the outage")
	}
}

// joinRetry queues c in classic mode, asking again for up to 5 s while the
// answer is unavailable (the matchmaker is being elected).
func joinRetry(t *testing.T, c *client.Client) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{})
		var ce *client.Error
		if err == nil {
			return
		}
		if !errors.As(err, &ce) || ce.Code != "unavailable" || time.Now().After(deadline) {
			t.Fatalf("match.join: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the process to exit on its own.
func (p *proc) stop(t *testing.T, within time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }() // ends when the process exits
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s node %s exited with %v after SIGTERM:\n%s", p.role, p.addr, err, p.logs)
		}
	case <-time.After(within):
		t.Fatalf("%s node %s still running %v after SIGTERM:\n%s", p.role, p.addr, within, p.logs)
	}
}

// roller is one bot player of the rolling restart: it queues, plays with
// the engine's bot, and starts over after any error.
type trace struct {
	mu    sync.Mutex
	lines []string
}

func (tr *trace) add(s string) {
	tr.mu.Lock()
	tr.lines = append(tr.lines, time.Now().Format("05.000")+" "+s)
	tr.mu.Unlock()
}

// String is the trace around its first violation: the 60 lines before
// it and 10 after (all of it when there is none).
func (tr *trace) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	lines := tr.lines
	for i, l := range lines {
		if strings.Contains(l, " VIOLATION ") {
			lines = lines[max(0, i-60):min(len(lines), i+11)]
			break
		}
	}
	return strings.Join(lines, "\n")
}

type roller struct {
	tr      *trace
	sp      *seatedPlayer
	pl      *ddzclient.Player
	games   int
	errs    map[string]int // by error code or kick reason
	lastErr error
}

func (r *roller) note(err error) {
	var ce *client.Error
	var k *client.Kicked
	code := "other"
	switch {
	case errors.As(err, &ce):
		code = ce.Code
		if ce.Rule != "" {
			code += "/" + ce.Rule
		}
	case errors.As(err, &k):
		code = "kicked/" + k.Reason
	case errors.Is(err, client.ErrDisconnected), errors.Is(err, client.ErrClosed):
		code = "disconnected"
	case errors.Is(err, context.DeadlineExceeded):
		code = "timeout"
	case errors.Is(err, ddzclient.ErrCancelled):
		code = "cancelled"
	}
	r.errs[code]++
	r.lastErr = err
}

func (r *roller) run(ctx context.Context) {
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s := &pb.DdzSnapshot{}
		err := r.sp.c.Request(sctx, "ddz.state", &pb.DdzStateReq{}, s)
		cancel()
		var ce *client.Error
		switch {
		case err == nil:
			pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			if err := r.pl.Sync(pctx); err == nil {
				if _, err := r.pl.Play(pctx); err == nil {
					r.games++
				} else if ctx.Err() == nil {
					r.note(err)
				}
			}
			cancel()
		case errors.As(err, &ce) && ce.Rule == "not_at_table":
			jctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := r.sp.c.Request(jctx, "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{})
			cancel()
			if err != nil && !(errors.As(err, &ce) && ce.Rule == "already_queued") && ctx.Err() == nil {
				r.note(err)
			}
			sleepFor(ctx, 200*time.Millisecond)
		default:
			if ctx.Err() == nil {
				r.note(err)
			}
			sleepFor(ctx, 200*time.Millisecond)
		}
	}
}

func sleepFor(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// TestClusterRollingRestart restarts every node of a cluster of 2
// gateways, 2 game nodes and 2 match nodes in turn (SIGTERM, then start
// again) while 30 bot players play classic games through the gateways:
// each drained gateway sends its players to the other one, each drained
// game node hands its tables over, each matchmaker hands its queue over.
// No player sees an error but those of a reconnect (unavailable, a
// dropped connection, server_shutdown), no invariant is violated, every
// finished game is settled once, and coins are conserved.
func TestClusterRollingRestart(t *testing.T) {
	c := newTestCluster(t, "LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_BID_TIMEOUT=5s",
		"LORDGAME_DDZ_FOLLOW_TIMEOUT=5s", "LORDGAME_DDZ_LEAD_TIMEOUT=5s", "LORDGAME_DDZ_GRACE=30s",
		"LORDGAME_DDZ_AUTOPLAY_DELAY=200ms")
	nodes := []*proc{c.start("gateway"), c.start("gateway"), c.start("game"), c.start("game"), c.start("match"), c.start("match")}
	gws := []string{"ws://" + nodes[0].addr + "/ws", "ws://" + nodes[1].addr + "/ws"}
	rollers := make([]*roller, 30)
	for i := range rollers {
		gw := nodes[i%2]
		tok, uid := guest(t, gw.addr, fmt.Sprintf("roll-%s-%d", c.prefix, i))
		tr := &trace{}
		cl, err := client.Dial(t.Context(), gws[i%2], client.Options{Token: tok, Reconnect: true,
			MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Fallbacks: []string{gws[(i+1)%2]},
			OnState: func(st client.State) { tr.add("state " + st.String()) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Close() })
		sp := &seatedPlayer{tok: tok, uid: uid, c: cl}
		pl := ddzclient.New(cl, 100*time.Millisecond)
		pl.Stake = 1
		pl.OnViolation = func(v string) { tr.add("VIOLATION " + v) }
		rollers[i] = &roller{sp: sp, pl: pl, errs: map[string]int{}, tr: tr}
		cl.On("ddz.event", func(p client.Push) {
			var ev pb.DdzEvent
			_ = p.Decode(&ev)
			tr.add(fmt.Sprintf("event %s seq %d %s", ev.GameId, ev.Seq, ev.Kind))
		})
		cl.On("ddz.snapshot", func(p client.Push) {
			var s pb.DdzSnapshot
			_ = p.Decode(&s)
			tr.add(fmt.Sprintf("snapshot %s seq %d %s", s.GameId, s.Seq, s.Phase))
		})
	}
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, r := range rollers {
		wg.Go(func() { r.run(ctx) })
	}
	sleepFor(ctx, 5*time.Second)
	for i, p := range nodes {
		p.stop(t, 20*time.Second)
		nodes[i] = c.startAt(p.role, p.addr)
		sleepFor(ctx, 3*time.Second)
		n := 0
		for _, r := range rollers {
			n += len(r.pl.Peek())
		}
		t.Logf("restarted %s node %s: %d violations so far", p.role, p.addr, n)
	}
	sleepFor(ctx, 5*time.Second)
	stop()
	wg.Wait()

	games, errs := 0, map[string]int{}
	for _, r := range rollers {
		games += r.games
		for code, n := range r.errs {
			errs[code] += n
		}
		vs := r.pl.Violations()
		for _, v := range vs {
			t.Errorf("player %d: violation: %s", r.sp.uid, v)
		}
		if len(vs) > 0 { // what the player received, for the report
			t.Logf("player %d trace:\n%s", r.sp.uid, r.tr.String())
		}
	}
	t.Logf("%d games finished by 30 players; errors seen: %v", games, errs)
	if games < 30 {
		t.Errorf("only %d games finished", games)
	}
	for code, n := range errs {
		switch {
		case code == "unavailable", code == "disconnected", code == "kicked/server_shutdown", code == "timeout", code == "cancelled",
			strings.HasPrefix(code, "conflict/"):
		default:
			t.Errorf("players saw %d errors %q, which a reconnect does not explain", n, code)
		}
	}
	checkLedger(t, c.dsn, rollers)
}

// checkLedger: every game settled at most once per player, finished games
// once, and the coins of all players sum to what they started with.
func checkLedger(t *testing.T, dsn string, rollers []*roller) {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var total int64
	perGame := map[string]int{}
	for _, r := range rollers {
		bal, err := db.Balance(t.Context(), r.sp.uid)
		if err != nil {
			t.Fatal(err)
		}
		total += bal - 1000
		led, err := db.Ledger(t.Context(), r.sp.uid, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		seen := map[string]bool{}
		for _, e := range led {
			if !strings.HasPrefix(e.Key, "game:") {
				sum += e.Delta
				continue
			}
			game := strings.Split(e.Key, ":")[1]
			if seen[game] {
				t.Errorf("user %d settled twice for game %s", r.sp.uid, game)
			}
			seen[game] = true
			perGame[game]++
			sum += e.Delta
		}
		if sum != bal {
			t.Errorf("user %d: ledger sums to %d, balance %d", r.sp.uid, sum, bal)
		}
	}
	if total != 0 {
		t.Errorf("the players' coins changed by %d in all, want 0", total)
	}
	for game, n := range perGame {
		if n != 3 {
			t.Errorf("game %s settled for %d players, want 3", game, n)
		}
	}
}
