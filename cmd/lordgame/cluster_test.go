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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/cluster"
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
	addr := freeAddr(c.t)
	p := &proc{addr: addr, logs: &bytes.Buffer{}}
	p.cmd = exec.Command(c.bin, "-role", role, "-http", addr, "-tcp", "off", "-data", c.t.TempDir(),
		"-db", c.dsn, "-nats", c.nats, "-nats-prefix", c.prefix, "-log-level", "info", "-log-format", "text")
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
		if err := sp.c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
			t.Fatalf("match.join: %v", err)
		}
	}
	select {
	case st := <-statuses:
		if st.State != "matched" || st.GameId == "" {
			t.Fatalf("first status on gw2: %+v, want matched with a game", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no match status pushed to the player on the second gateway")
	}
	var gameID string
	for i, deadline := 0, time.Now().Add(10*time.Second); i < 3; {
		s := &pb.DdzSnapshot{}
		err := ps[i].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s)
		if err == nil && s.Phase == "bidding" && (gameID == "" || s.GameId == gameID) {
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
	results := playOut(t, ps)
	for i, r := range results {
		if r.GameId != gameID {
			t.Fatalf("player %d finished game %s, want %s", i, r.GameId, gameID)
		}
	}

	// Settled once, coins conserved, each balance what the result says.
	db, err := store.Open(t.Context(), c.dsn, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gid, _ := strconv.ParseInt(gameID, 10, 64)
	g, err := db.Game(t.Context(), gid)
	if err != nil || g.State != store.GameFinished {
		t.Fatalf("game %s: %+v %v, want finished", gameID, g, err)
	}
	var sum int64
	for _, sp := range ps {
		bal, _ := db.Balance(t.Context(), sp.uid)
		want := 1000 + results[0].Coins[seatOf(g, sp.uid)]
		if bal != want {
			t.Errorf("user %d balance %d, want %d", sp.uid, bal, want)
		}
		sum += bal - 1000
	}
	if sum != 0 {
		t.Errorf("coins not conserved: sum of changes %d", sum)
	}

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
