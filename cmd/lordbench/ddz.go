package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz/ddzclient"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// ddz: -players bot clients log in as guests over HTTP, queue in classic
// and play full games of Dou Dizhu through the real protocol for
// -duration, each action after -think. Every finished game is checked:
// points and coins sum to zero, coins follow the stake rule, every player
// of a game saw the same result, the stored ledger entries of the game
// (fetched from /v1/games/{id}) sum to zero, and no push ever carried
// another seat's hand.

type ddzReport struct {
	Scenario     string            `json:"scenario"`
	Targets      []string          `json:"targets"`
	Players      int               `json:"players"`
	PlayersReady int               `json:"players_ready"`
	PerTarget    []ddzTarget       `json:"per_target"`
	ThinkMs      float64           `json:"think_ms"`
	DurationS    float64           `json:"duration_s"`
	Games        uint64            `json:"games"`
	GamesPerS    float64           `json:"games_per_s"`
	Actions      uint64            `json:"actions"`
	P50ms        float64           `json:"p50_ms"`
	P90ms        float64           `json:"p90_ms"`
	P99ms        float64           `json:"p99_ms"`
	MaxMs        float64           `json:"max_ms"`
	Errors       uint64            `json:"errors"`
	ErrorsByCode map[string]uint64 `json:"errors_by_code"`
	Violations   uint64            `json:"violations"`
	ViolationEx  []string          `json:"violation_examples,omitempty"`
	// ServerCPUs and ServerCores are summed over every server, when each
	// one's CPU can be read; ServerRSSMB is the peak of the servers' summed
	// RSS, sampled once a second.
	ServerCPUs  float64     `json:"server_cpu_s,omitempty"`
	ServerCores float64     `json:"server_cpu_cores,omitempty"`
	ServerRSSMB float64     `json:"server_rss_mb,omitempty"`
	Servers     []ddzServer `json:"servers"`
	FirstError  string      `json:"first_error,omitempty"`
}

type ddzTarget struct {
	Target       string `json:"target"`
	PlayersReady int    `json:"players_ready"`
}

// ddzServer is one server's CPU and peak RSS, or why its CPU is not known.
type ddzServer struct {
	Source      string   `json:"source"`
	Targets     []string `json:"targets"`
	ServerCPUs  float64  `json:"server_cpu_s"`
	ServerCores float64  `json:"server_cpu_cores"`
	ServerRSSMB float64  `json:"server_rss_mb"`
	CPUError    string   `json:"cpu_error,omitempty"`
}

// ddzRun is the shared state of one run.
type ddzRun struct {
	o      options
	api    []string // api[t]: the HTTP address of target t's server
	hist   histogram
	errs   errorCounts
	games  sync.Map // game id → *gameCheck
	done   atomic.Uint64
	viol   atomic.Uint64
	mu     sync.Mutex
	ex     []string
	first  string
	hc     *http.Client
	stakes int64
}

type gameCheck struct {
	mu      sync.Mutex
	result  *pb.DdzResult
	seen    int
	checked bool
}

func runDDZ(ctx context.Context, o options, live *liveLine) (report, error) {
	if o.Players < 1 {
		o.Players = 3
	}
	run := &ddzRun{o: o, stakes: 1,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	for t := range o.Targets {
		run.api = append(run.api, apiBase(o, t))
	}
	rep := &ddzReport{Scenario: "ddz", Targets: o.targetNames(), Players: o.Players, ThinkMs: ms(o.Think)}
	players, targetOf := run.login(ctx, live)
	defer func() {
		cs := make([]*client.Client, len(players))
		for i, p := range players {
			cs[i] = p.C
		}
		closeAll(cs, o.Dialers)
	}()
	rep.PlayersReady = len(players)
	rep.PerTarget = make([]ddzTarget, len(o.Targets))
	for i, t := range rep.Targets {
		rep.PerTarget[i].Target = t
	}
	for _, t := range targetOf {
		rep.PerTarget[t].PlayersReady++
	}
	if len(players) == 0 {
		return nil, fmt.Errorf("no player could log in and connect to %s: %s", strings.Join(rep.Targets, ", "), run.first)
	}
	srvs := o.servers()
	cpu := startCPU(ctx, srvs, false)
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var rss float64                    // peak of the summed RSS
	peak := make([]float64, len(srvs)) // each server's peak RSS
	for _, p := range players {
		wg.Go(func() { run.playLoop(runCtx, p) })
	}
	var last uint64
	tick := ticker(runCtx, func(el time.Duration) {
		g := run.done.Load()
		sum, all := 0.0, true
		for i, s := range srvs {
			m, err := s.mem().sample(runCtx)
			all = all && err == nil
			sum += m.RSSBytes
			peak[i] = max(peak[i], m.RSSBytes)
		}
		if all {
			rss = max(rss, sum)
		}
		live.printf("ddz %4.0fs  %6d games  %5.1f games/s  p99 %6.2f ms  errors %d  violations %d",
			el.Seconds(), g, float64(g-last), ms(run.hist.Quantile(0.99)), run.errs.total(), run.viol.Load())
		last = g
	})
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	<-tick
	live.end()
	uses := cpu.stop(ctx)
	for i, u := range uses {
		s := ddzServer{Source: u.srv.source(), Targets: u.srv.targetNames(o), ServerRSSMB: peak[i] / (1 << 20)}
		if u.err != nil {
			s.CPUError = u.err.Error()
		} else {
			s.ServerCPUs, s.ServerCores = u.seconds, u.seconds/elapsed.Seconds()
		}
		rep.Servers = append(rep.Servers, s)
	}
	if s, ok := totalCPU(uses); ok {
		rep.ServerCPUs = s
		rep.ServerCores = s / elapsed.Seconds()
	}
	rep.ServerRSSMB = rss / (1 << 20)
	rep.DurationS = elapsed.Seconds()
	rep.Games = run.done.Load()
	rep.GamesPerS = float64(rep.Games) / elapsed.Seconds()
	rep.Actions = run.hist.Count()
	rep.P50ms, rep.P90ms, rep.P99ms, rep.MaxMs = ms(run.hist.Quantile(0.5)), ms(run.hist.Quantile(0.9)), ms(run.hist.Quantile(0.99)), ms(run.hist.Max())
	rep.ErrorsByCode = run.errs.snapshot()
	for _, n := range rep.ErrorsByCode {
		rep.Errors += n
	}
	rep.Violations = run.viol.Load()
	run.mu.Lock()
	rep.ViolationEx, rep.FirstError = run.ex, run.first
	run.mu.Unlock()
	return rep, nil
}

// apiBase is the HTTP address of the /v1 API of target t's server: a ws
// target's own host, else the host of its /metrics URL (port 8080 unless
// -metrics said otherwise).
func apiBase(o options, t int) string {
	if o.Targets[t].Scheme == "ws" {
		return "http://" + o.Targets[t].Host
	}
	u, _ := url.Parse(o.Metrics[t]) // parsed once already by parseMetricsList
	return u.Scheme + "://" + u.Host
}

// login creates the guests and connects them, o.Dialers at a time, player
// i on target i mod len(o.Targets) (and logged in through that target's
// server). It returns the players and the index of each one's target.
func (run *ddzRun) login(ctx context.Context, live *liveLine) ([]*ddzclient.Player, []int) {
	var (
		mu       sync.Mutex
		players  []*ddzclient.Player
		targetOf []int
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	tag := time.Now().UnixNano()
	rampCtx, cancel := context.WithCancel(ctx)
	tick := ticker(rampCtx, func(el time.Duration) {
		mu.Lock()
		n := len(players)
		mu.Unlock()
		live.printf("login %4.0fs  %d/%d players", el.Seconds(), n, run.o.Players)
	})
	for range min(run.o.Dialers, run.o.Players) {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(run.o.Players) && ctx.Err() == nil; i = next.Add(1) {
				t := int(i-1) % len(run.o.Targets)
				tok, err := run.guest(ctx, t, fmt.Sprintf("lordbench-%d-%d", tag, i))
				var c *client.Client
				if err == nil {
					c, err = client.Dial(ctx, run.o.Targets[t].String(), run.o.withSecurity(t, client.Options{Token: tok, Name: "lordbench-ddz"}))
				}
				if err != nil {
					run.fail("login", err)
					continue
				}
				p := ddzclient.New(c, run.o.Think)
				p.Stake = run.stakes
				p.Latency = run.hist.Record
				mu.Lock()
				players = append(players, p)
				targetOf = append(targetOf, t)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	cancel()
	<-tick
	live.end()
	return players, targetOf
}

// guest creates a guest account on target t's server and returns its token.
func (run *ddzRun) guest(ctx context.Context, t int, device string) (string, error) {
	return guestToken(ctx, run.hc, run.api[t], device)
}

// guestToken creates a guest account for device through the /v1 API at
// api and returns its access token.
func guestToken(ctx context.Context, hc *http.Client, api, device string) (string, error) {
	body, _ := json.Marshal(map[string]string{"device_id": device})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/v1/auth/guest", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Message     string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("guest login: HTTP %d %s %v", resp.StatusCode, tok.Message, err)
	}
	return tok.AccessToken, nil
}

// playLoop queues and plays games until ctx ends.
func (run *ddzRun) playLoop(ctx context.Context, p *ddzclient.Player) {
	for ctx.Err() == nil {
		if err := p.Join(ctx, "classic"); err != nil {
			if ctx.Err() == nil {
				run.fail("join", err)
				var ce *client.Error
				if errors.As(err, &ce) && ce.Rule == "insufficient_balance" {
					return
				}
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		res, err := p.Play(ctx)
		for _, v := range p.Violations() {
			run.violate(v)
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, ddzclient.ErrCancelled) {
				run.fail("play", err)
			}
			if ctx.Err() != nil {
				// Leave the table or queue: the server plays on for us.
				cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = p.C.Request(cctx, "match.cancel", &pb.MatchCancelReq{}, &pb.MatchCancelResp{})
				cancel()
			}
			continue
		}
		run.finished(ctx, p, res)
	}
}

// finished checks a game's result against the other players' and, once
// per game, against the stored ledger entries.
func (run *ddzRun) finished(ctx context.Context, p *ddzclient.Player, res *pb.DdzResult) {
	v, loaded := run.games.LoadOrStore(res.GameId, &gameCheck{result: res})
	gc := v.(*gameCheck)
	gc.mu.Lock()
	gc.seen++
	first := !loaded
	if loaded && (fmt.Sprint(gc.result.Scores) != fmt.Sprint(res.Scores) || fmt.Sprint(gc.result.Coins) != fmt.Sprint(res.Coins)) {
		run.violate(fmt.Sprintf("game %s: players saw different results", res.GameId))
	}
	gc.mu.Unlock()
	if !first {
		return
	}
	run.done.Add(1)
	if res.Cancelled {
		return
	}
	rec, err := run.record(ctx, p, res.GameId)
	if err != nil {
		if ctx.Err() == nil {
			run.fail("record", err)
		}
		return
	}
	if rec.Result == nil || rec.State != "finished" {
		run.violate(fmt.Sprintf("game %s: stored state %s without a result", res.GameId, rec.State))
		return
	}
	var sum int64
	for s, c := range rec.Result.Coins {
		sum += c
		if s < len(res.Coins) && c != res.Coins[s] {
			run.violate(fmt.Sprintf("game %s seat %d: ledger %d, pushed %d", res.GameId, s, c, res.Coins[s]))
		}
	}
	if sum != 0 {
		run.violate(fmt.Sprintf("game %s: ledger entries sum to %d", res.GameId, sum))
	}
}

// record fetches the stored game over HTTP with the player's token.
func (run *ddzRun) record(ctx context.Context, p *ddzclient.Player, gameID string) (*pb.DdzGameRecord, error) {
	rec := &pb.DdzGameRecord{}
	err := p.C.Request(ctx, "ddz.game", &pb.DdzGameReq{GameId: gameID}, rec)
	return rec, err
}

func (run *ddzRun) fail(what string, err error) {
	run.errs.add(what + ":" + errorCode(err))
	run.mu.Lock()
	if run.first == "" {
		run.first = what + ": " + err.Error()
	}
	run.mu.Unlock()
}

func (run *ddzRun) violate(v string) {
	run.viol.Add(1)
	run.mu.Lock()
	if len(run.ex) < 10 {
		run.ex = append(run.ex, v)
	}
	run.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (r *ddzReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario   ddz  %s  think %.0f ms\n", targetsLine(r.Targets), r.ThinkMs)
	fmt.Fprintf(w, "players    %d asked, %d logged in and connected\n", r.Players, r.PlayersReady)
	if len(r.PerTarget) > 1 {
		for _, t := range r.PerTarget {
			fmt.Fprintf(w, "  %-30s  %d players\n", t.Target, t.PlayersReady)
		}
	}
	fmt.Fprintf(w, "games      %d finished in %.1fs = %.2f games/s\n", r.Games, r.DurationS, r.GamesPerS)
	fmt.Fprintf(w, "action→push %d actions  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
		r.Actions, r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	if r.ServerCPUs > 0 {
		fmt.Fprintf(w, "server     cpu %.1f s (%.2f cores)  peak rss %.0f MiB%s\n", r.ServerCPUs, r.ServerCores, r.ServerRSSMB, serversSuffix(len(r.Servers)))
	}
	if len(r.Servers) > 1 {
		for _, s := range r.Servers {
			if s.CPUError != "" {
				fmt.Fprintf(w, "  %-30s  cpu unknown: %s  peak rss %.0f MiB\n", s.Source, s.CPUError, s.ServerRSSMB)
				continue
			}
			fmt.Fprintf(w, "  %-30s  cpu %.1f s (%.2f cores)  peak rss %.0f MiB  (%s)\n",
				s.Source, s.ServerCPUs, s.ServerCores, s.ServerRSSMB, strings.Join(s.Targets, ", "))
		}
	}
	fmt.Fprintf(w, "violations %d\n", r.Violations)
	for _, v := range r.ViolationEx {
		fmt.Fprintf(w, "           %s\n", v)
	}
	writeErrors(w, r.Errors, r.ErrorsByCode)
	if r.FirstError != "" {
		fmt.Fprintf(w, "           first error: %s\n", strings.TrimSpace(r.FirstError))
	}
}
