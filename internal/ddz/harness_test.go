package ddz_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/ddz"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/leaderboard"
	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/store"
)

// node is an in-process server: SQLite store, gateway, matchmaker and
// table service, listening on a free port.
type node struct {
	db   *store.DB
	svc  *ddz.Service
	gw   *gateway.Gateway
	url  string
	http string
	ids  *seqIDs
	reg  *prometheus.Registry // the game metrics (observe.Game) the node counts on
	// boards are the node's leaderboards, fed at each settlement.
	boards *leaderboard.Memory
	stop   func()
}

// syncRanker records settlements on the boards at once, so a test sees
// them as soon as the result is pushed.
type syncRanker struct{ m *leaderboard.Memory }

func (r syncRanker) Offer(at time.Time, rs []leaderboard.Result) bool {
	return r.m.Record(context.Background(), at, rs) == nil
}

// tokenAuth accepts "user:<id>" tokens.
type tokenAuth struct{}

func (tokenAuth) Authenticate(_ context.Context, tok string) (gateway.Identity, error) {
	v, ok := strings.CutPrefix(tok, "user:")
	id, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		return gateway.Identity{}, errors.New("bad token")
	}
	return gateway.Identity{UserID: id}, nil
}

type seqIDs struct{ n atomic.Int64 }

func (s *seqIDs) Next() (int64, error) { return s.n.Add(1), nil }

type lazy struct {
	gw atomic.Pointer[gateway.Gateway]
}

func (l *lazy) PushUser(uid int64, route string, msg proto.Message) error {
	return l.gw.Load().PushUser(uid, route, msg)
}

func fastConfig() (ddz.Config, match.Config) {
	tc := ddz.DefaultConfig()
	tc.BidTimeout, tc.FollowTimeout, tc.LeadTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	tc.AutoPlayDelay, tc.BotDelay = 20*time.Millisecond, 5*time.Millisecond
	// All-pass deals are redealt until someone bids: three in a row (bots
	// and auto-play may all pass) would cancel a hand that a test means to
	// see played. The tests of the cancellation set the limit back.
	tc.MaxRedeals = 0
	mc := match.DefaultConfig()
	mc.Tick, mc.StatusEvery = 20*time.Millisecond, 100*time.Millisecond
	mc.Modes[0].BotWait = 0
	return tc, mc
}

type (
	ddzConfig   = ddz.Config
	matchConfig = match.Config
)

func startNode(t *testing.T, dir string, mut func(*ddz.Config, *match.Config)) *node {
	t.Helper()
	return startNodeWith(t, dir, mut, nil)
}

// startNodeWith is startNode with the table service on wrap(db) (db
// itself when wrap is nil), for tests that make the store fail.
func startNodeWith(t *testing.T, dir string, mut func(*ddz.Config, *match.Config), wrap func(*store.DB) ddz.Store) *node {
	t.Helper()
	tc, mc := fastConfig()
	if mut != nil {
		mut(&tc, &mc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := &node{db: db, ids: &seqIDs{}}
	n.ids.n.Store(time.Now().UnixNano() / 1000)
	push := &lazy{}
	var st ddz.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	n.svc, err = ddz.New(tc, mc.Modes, st, push, n.ids, log)
	if err != nil {
		t.Fatal(err)
	}
	n.reg = prometheus.NewRegistry()
	n.svc.SetMetrics(observe.NewGame(n.reg, observe.GameGauges{}))
	m, err := match.New(mc, func(ctx context.Context, mt match.Match) { n.svc.Formed(ctx, mt) }, n.svc.Notify)
	if err != nil {
		t.Fatal(err)
	}
	n.svc.SetQueue(m)
	r := gateway.NewRouter()
	gateway.RegisterSys(r)
	ddz.Register(r, n.svc)
	clock, err := leaderboard.NewClock("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	n.boards = leaderboard.NewMemory(clock)
	n.svc.SetRanker(syncRanker{n.boards})
	lobby := ddz.NewLobby(db, n.boards, clock, db.SetDisplayName)
	ddz.RegisterLobby(r, lobby)
	n.gw, err = gateway.New(gateway.DefaultConfig(), r, tokenAuth{}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	push.gw.Store(n.gw)
	n.gw.OnConnect(func(s *session.Session) { n.svc.Connected(s.UserID()) })
	n.gw.OnDisconnect(func(s *session.Session, _ string) {
		if cur := n.gw.UserSession(s.UserID()); cur == nil || cur == s {
			n.svc.Disconnected(s.UserID())
		}
	})
	mux := http.NewServeMux()
	mux.Handle("GET /ws", n.gw)
	mux.Handle("GET /v1/games/{id}", n.svc.GameHandler(func(ctx context.Context, tok string) (int64, error) {
		id, err := tokenAuth{}.Authenticate(ctx, tok)
		return id.UserID, err
	}))
	mux.Handle("GET /v1/games", lobby.HistoryHandler(func(ctx context.Context, tok string) (int64, error) {
		id, err := tokenAuth{}.Authenticate(ctx, tok)
		return id.UserID, err
	}))
	hs := httptest.NewServer(mux)
	n.http = hs.URL
	n.url = "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	var wg sync.WaitGroup
	wg.Go(func() { _ = n.svc.Run(ctx) })
	if _, _, _, err := n.svc.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = m.Run(ctx) })
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			defer c()
			_ = n.gw.Shutdown(sctx)
			hs.Close()
			cancel()
			wg.Wait()
			_ = db.Close()
		})
	}
	t.Cleanup(n.stop)
	return n
}

// user creates an account with coins and returns its id.
func (n *node) user(t *testing.T, coins int64) int64 {
	t.Helper()
	id, _ := n.ids.Next()
	_, err := n.db.CreateAccount(t.Context(), store.NewAccount{ID: id, DisplayName: fmt.Sprint("p", id), Guest: true,
		DeviceID: fmt.Sprint("dev-", id), InitialCoins: coins})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (n *node) dial(t *testing.T, uid int64) *client.Client {
	t.Helper()
	c, err := client.Dial(t.Context(), n.url, client.Options{Token: fmt.Sprint("user:", uid)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// wantRule checks that err is a client error naming rule.
func wantRule(t *testing.T, what string, err error, code, rule string) {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Rule != rule || ce.Code != code {
		t.Errorf("%s: err = %v, want %s (%s)", what, err, code, rule)
	}
}
