package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/lordgame/lordgame/internal/id"
	"github.com/lordgame/lordgame/internal/store"
)

// cheapArgon2 keeps tests fast; the real parameters are benchmarked.
var cheapArgon2 = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type kickRecord struct {
	userID            int64
	sessionID, reason string
}

type fixture struct {
	svc   *Service
	db    *store.DB
	clock *testClock
	reg   *prometheus.Registry
	h     http.Handler
	logs  *bytes.Buffer

	mu    sync.Mutex
	kicks []kickRecord
}

func (f *fixture) kicked() []kickRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kickRecord(nil), f.kicks...)
}

func newBenchFixture(b *testing.B, p Argon2Params) *fixture {
	b.Helper()
	db, err := store.Open(b.Context(), "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return newFixtureOn(b, db, func(c *Config) { c.Argon2 = p })
}

func newFixture(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	db, err := store.Open(t.Context(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newFixtureOn(t, db, edit)
}

func newFixtureOn(t testing.TB, db *store.DB, edit func(*Config)) *fixture {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Argon2 = cheapArgon2
	cfg.BlockedWords = []string{"badword"}
	if edit != nil {
		edit(&cfg)
	}
	ids, err := id.New(1)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clock: &testClock{t: time.Now()}, reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc, err = New(t.Context(), cfg, db, ids, log, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.now = f.clock.now
	f.svc.OnKick(func(uid int64, sid, reason string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.kicks = append(f.kicks, kickRecord{uid, sid, reason})
	})
	f.h = f.svc.Handler(nil)
	return f
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// resp is a decoded answer.
type resp struct {
	code int
	body map[string]any
	raw  string
}

func (r resp) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

// call sends one request to the API; token may be empty.
func (f *fixture) call(t *testing.T, method, path, token, body string) resp {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:5555"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	r := resp{code: w.Code, raw: w.Body.String()}
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &r.body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", method, path, w.Body.String())
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	return r
}

// wantErr checks an error answer: status, code and a message containing msg.
func wantErr(t *testing.T, r resp, status int, code, msg string) {
	t.Helper()
	if r.code != status || r.str("code") != code || !strings.Contains(r.str("message"), msg) {
		t.Errorf("got %d %s, want %d {code %q, message containing %q}", r.code, r.raw, status, code, msg)
	}
	if len(r.body) != 2 {
		t.Errorf("error body %s: want exactly code and message", r.raw)
	}
}

func (f *fixture) register(t *testing.T, user, pass string) resp {
	t.Helper()
	r := f.call(t, "POST", "/v1/auth/register", "", `{"username":"`+user+`","password":"`+pass+`"}`)
	if r.code != http.StatusCreated {
		t.Fatalf("register %s: %d %s", user, r.code, r.raw)
	}
	return r
}

// registerAdmin registers user, gives it the admin role as `lordgame admin
// grant` does, and logs in again: the answer's tokens carry the role.
func (f *fixture) registerAdmin(t *testing.T, user, pass string) resp {
	t.Helper()
	f.register(t, user, pass)
	if err := GrantAdmin(t.Context(), f.db, user); err != nil {
		t.Fatal(err)
	}
	r := f.login(t, user, pass)
	if r.code != http.StatusOK {
		t.Fatalf("login %s: %d %s", user, r.code, r.raw)
	}
	return r
}

func (f *fixture) login(t *testing.T, user, pass string) resp {
	t.Helper()
	return f.call(t, "POST", "/v1/auth/login", "", `{"username":"`+user+`","password":"`+pass+`"}`)
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func registered(t *testing.T, reg *prometheus.Registry, name string) bool {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return true
		}
	}
	return false
}
