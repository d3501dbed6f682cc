package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// proc is a lordgame process started from the built binary.
type proc struct {
	cmd  *exec.Cmd
	addr string
	role string
	logs *syncBuffer
}

// syncBuffer is a process's output, written by exec's copying goroutine
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lordgame")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startProc(t *testing.T, bin, addr, data string, env ...string) *proc {
	t.Helper()
	p := &proc{addr: addr, logs: &syncBuffer{}}
	p.cmd = exec.Command(bin, "-http", addr, "-tcp", "off", "-data", data, "-log-level", "info", "-log-format", "text")
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become ready:\n%s", p.logs)
	return nil
}

// kill sends SIGKILL: no shutdown code runs.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func guest(t *testing.T, addr, device string) (string, int64) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v1/auth/guest", "application/json",
		bytes.NewBufferString(fmt.Sprintf(`{"device_id":%q}`, device)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		UserID      string `json:"user_id"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("guest login: %d %v", resp.StatusCode, err)
	}
	uid, _ := strconv.ParseInt(tok.UserID, 10, 64)
	return tok.AccessToken, uid
}

type seatedPlayer struct {
	tok   string
	uid   int64
	c     *client.Client
	snaps chan *pb.DdzSnapshot
}

func connect(t *testing.T, addr string, sp *seatedPlayer) {
	t.Helper()
	c, err := client.Dial(t.Context(), "ws://"+addr+"/ws", client.Options{Token: sp.tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	sp.c = c
}

// snapshot asks for the player's table. An unavailable answer ("the
// table is starting; try again") is retried for up to 5 s, as the docs
// tell clients to.
func snapshot(t *testing.T, c *client.Client) *pb.DdzSnapshot {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := &pb.DdzSnapshot{}
		err := c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s)
		if err == nil {
			return s
		}
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != "unavailable" || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashRestart kills a real lordgame process (SIGKILL) in the middle
// of a game, restarts it on the same data folder, and checks that the
// game resumes from its log with the same players and view, is settled
// exactly once, and that a game whose players do not come back within the
// grace period is cancelled with no coins moved.
func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and restarts the real binary")
	}
	bin := buildBinary(t)
	data, addr := t.TempDir(), freeAddr(t)
	env := []string{"LORDGAME_DDZ_BID_TIMEOUT=1m", "LORDGAME_DDZ_FOLLOW_TIMEOUT=1m", "LORDGAME_DDZ_LEAD_TIMEOUT=1m",
		"LORDGAME_DDZ_BOT_WAIT=0s", "LORDGAME_DDZ_GRACE=1m"}
	p := startProc(t, bin, addr, data, env...)

	ps := make([]*seatedPlayer, 3)
	for i := range ps {
		tok, uid := guest(t, addr, fmt.Sprintf("crash-test-device-%d", i))
		ps[i] = &seatedPlayer{tok: tok, uid: uid}
		connect(t, addr, ps[i])
		if err := ps[i].c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the table, then bid 3 and lead one card.
	var before [3]*pb.DdzSnapshot
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 3; {
		s := &pb.DdzSnapshot{}
		err := ps[i].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s)
		if err == nil && s.Phase == "bidding" {
			before[i] = s
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("no table: %v\n%s", err, p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	actor := -1
	for i := range 3 {
		if int32(before[i].Seat) == before[i].Turn {
			actor = i
		}
	}
	if err := ps[actor].c.Request(t.Context(), "ddz.bid", &pb.DdzBidReq{Value: 3}, &pb.DdzActionResp{}); err != nil {
		t.Fatal(err)
	}
	lead := snapshot(t, ps[actor].c)
	if err := ps[actor].c.Request(t.Context(), "ddz.play", &pb.DdzPlayReq{Cards: lead.Hand[:1]}, &pb.DdzActionResp{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		before[i] = snapshot(t, ps[i].c)
	}
	gameID := before[0].GameId

	p.kill()
	for _, sp := range ps {
		_ = sp.c.Close()
	}
	p = startProc(t, bin, addr, data, env...)

	// The players come back one by one: the table waits, paused, for all.
	for i, sp := range ps {
		connect(t, addr, sp)
		s := snapshot(t, sp.c)
		if s.GameId != gameID || fmt.Sprint(s.Hand) != fmt.Sprint(before[i].Hand) || s.Seq < before[i].Seq {
			t.Fatalf("player %d after restart: game %s hand %v seq %d; before: game %s hand %v seq %d",
				i, s.GameId, s.Hand, s.Seq, gameID, before[i].Hand, before[i].Seq)
		}
		if i < 2 && s.Phase != "paused" {
			t.Errorf("player %d back: phase %s, want paused until all are back", i, s.Phase)
		}
	}
	if s := snapshot(t, ps[0].c); s.Phase != "playing" || s.TimeLeftMs == 0 {
		t.Fatalf("all back: phase %s, time left %d; want playing with a timer", s.Phase, s.TimeLeftMs)
	}
	// Play the game to its end through the protocol.
	results := playOut(t, ps)
	gid, _ := strconv.ParseInt(gameID, 10, 64)
	if results[0].GameId != gameID {
		t.Fatalf("finished game %s, want %s", results[0].GameId, gameID)
	}

	// A second game, interrupted, whose players never come back.
	for _, sp := range ps {
		if err := sp.c.Request(t.Context(), "match.join", &pb.MatchJoinReq{Mode: "classic"}, &pb.MatchJoinResp{}); err != nil {
			t.Fatal(err)
		}
	}
	var second string
	for deadline := time.Now().Add(10 * time.Second); second == ""; {
		s := &pb.DdzSnapshot{}
		if ps[0].c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s) == nil && s.GameId != gameID {
			second = s.GameId
		}
		if time.Now().After(deadline) {
			t.Fatal("no second table")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	for _, sp := range ps {
		_ = sp.c.Close()
	}
	grace := append(env[:len(env)-1:len(env)-1], "LORDGAME_DDZ_GRACE=500ms")
	p = startProc(t, bin, addr, data, grace...)
	time.Sleep(1500 * time.Millisecond)
	p.kill()
	// Once more with nothing to recover: the first settlement stays single.
	p = startProc(t, bin, addr, data, env...)
	p.kill()

	db, err := store.Open(t.Context(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g1, err := db.Game(t.Context(), gid)
	if err != nil || g1.State != store.GameFinished {
		t.Fatalf("first game: %+v, %v; want finished", g1, err)
	}
	sid, _ := strconv.ParseInt(second, 10, 64)
	g2, err := db.Game(t.Context(), sid)
	if err != nil || g2.State != store.GameCancelled {
		t.Fatalf("second game: state %s, %v; want cancelled", g2.State, err)
	}
	var sum int64
	for _, sp := range ps {
		led, err := db.Ledger(t.Context(), sp.uid, 50)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range led {
			switch {
			case len(e.Key) > 5 && e.Key[:5] == "game:" && bytes.HasPrefix([]byte(e.Key), []byte("game:"+gameID+":")):
				n++
				sum += e.Delta
			case bytes.HasPrefix([]byte(e.Key), []byte("game:"+second+":")):
				t.Errorf("cancelled game moved coins: %+v", e)
			}
		}
		if n != 1 {
			t.Errorf("user %d has %d settlement entries for game %s, want 1", sp.uid, n, gameID)
		}
		bal, _ := db.Balance(t.Context(), sp.uid)
		seat := seatOf(g1, sp.uid)
		if want := 1000 + results[0].Coins[seat]; bal != want {
			t.Errorf("user %d balance %d, want %d", sp.uid, bal, want)
		}
	}
	if sum != 0 {
		t.Errorf("settlement entries sum to %d", sum)
	}
}

func seatOf(g store.GameRecord, uid int64) int {
	for _, p := range g.Players {
		if p.UserID == uid {
			return p.Seat
		}
	}
	return -1
}

// playOut plays the current game of every player to its end with bots.
func playOut(t *testing.T, ps []*seatedPlayer) []*pb.DdzResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out := make([]*pb.DdzResult, len(ps))
	var wg sync.WaitGroup
	for i, sp := range ps {
		pl := ddzclient.New(sp.c, 0)
		pl.Stake = 1
		if err := pl.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			res, err := pl.Play(ctx)
			if err != nil {
				t.Errorf("player %d: %v", i, err)
				return
			}
			out[i] = res
			for _, v := range pl.Violations() {
				t.Errorf("player %d: %s", i, v)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		for i, sp := range ps { // what the table says now, for the failure report
			s := &pb.DdzSnapshot{}
			err := sp.c.Request(t.Context(), "ddz.state", &pb.DdzStateReq{}, s)
			t.Logf("player %d (seat %d): phase %s turn %d seq %d leading %v hand %v current %v err %v",
				i, s.Seat, s.Phase, s.Turn, s.Seq, s.Leading, s.Hand, s.Current, err)
		}
		t.FailNow()
	}
	return out
}
