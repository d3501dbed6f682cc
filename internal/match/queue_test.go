package match_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lordgame/lordgame/internal/match"
)

type recorder struct {
	mu      sync.Mutex
	matches []match.Match
	status  map[int64][]match.Status
}

func (r *recorder) formed(_ context.Context, m match.Match) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.matches = append(r.matches, m)
}

func (r *recorder) notify(uid int64, st match.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == nil {
		r.status = map[int64][]match.Status{}
	}
	r.status[uid] = append(r.status[uid], st)
}

func newMatcher(t *testing.T, mut func(*match.Config)) (*match.Matcher, *recorder) {
	t.Helper()
	cfg := match.DefaultConfig()
	if mut != nil {
		mut(&cfg)
	}
	rec := &recorder{}
	m, err := match.New(cfg, rec.formed, rec.notify)
	if err != nil {
		t.Fatal(err)
	}
	return m, rec
}

func join(t *testing.T, m *match.Matcher, uid int64, mode string, rating int64) match.Status {
	t.Helper()
	st, err := m.Join(t.Context(), uid, mode, rating)
	if err != nil {
		t.Fatalf("Join(%d, %s): %v", uid, mode, err)
	}
	return st
}

func TestJoinRules(t *testing.T) {
	m, _ := newMatcher(t, nil)
	tests := []struct {
		name string
		uid  int64
		mode string
		want error
	}{
		{"first join", 1, "classic", nil},
		{"unknown mode", 2, "poker", match.ErrUnknownMode},
		{"same queue twice", 1, "classic", match.ErrAlreadyQueued},
		{"two queues", 1, "practice", match.ErrAlreadyQueued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.Join(t.Context(), tt.uid, tt.mode, 1500); !errors.Is(err, tt.want) {
				t.Errorf("Join(%d, %q) = %v, want %v", tt.uid, tt.mode, err, tt.want)
			}
		})
	}
	if n := m.Waiting("classic"); n != 1 {
		t.Errorf("classic queue holds %d tickets, want 1", n)
	}
}

func TestThreeFormATable(t *testing.T) {
	m, rec := newMatcher(t, nil)
	for uid := int64(1); uid <= 3; uid++ {
		st := join(t, m, uid, "classic", 1500+uid)
		if st.Position != int(uid) {
			t.Errorf("user %d position %d, want %d", uid, st.Position, uid)
		}
	}
	m.Step(t.Context())
	if len(rec.matches) != 1 || len(rec.matches[0].Tickets) != 3 || rec.matches[0].Bots != 0 {
		t.Fatalf("matches = %v, want one table of three", rec.matches)
	}
	if err := m.Cancel(t.Context(), 2); !errors.Is(err, match.ErrNotQueued) {
		t.Errorf("Cancel after the table formed = %v, want ErrNotQueued", err)
	}
	// Matched players may queue again.
	join(t, m, 1, "classic", 1500)
}

func TestCancelBeforeFormed(t *testing.T) {
	m, rec := newMatcher(t, nil)
	join(t, m, 1, "classic", 1500)
	join(t, m, 2, "classic", 1500)
	if err := m.Cancel(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Cancel(t.Context(), 1); !errors.Is(err, match.ErrNotQueued) {
		t.Errorf("second Cancel = %v, want ErrNotQueued", err)
	}
	join(t, m, 3, "classic", 1500)
	m.Step(t.Context())
	if len(rec.matches) != 0 {
		t.Fatalf("a table formed from two tickets: %v", rec.matches)
	}
	if got := rec.status[1]; len(got) != 1 || got[0].State != "cancelled" {
		t.Errorf("user 1 status = %+v, want one cancelled", got)
	}
}

func TestRatingWindowWidens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := newMatcher(t, func(c *match.Config) { c.Modes[0].BotWait = 0 })
		join(t, m, 1, "classic", 1000)
		join(t, m, 2, "classic", 1010)
		join(t, m, 3, "classic", 1400) // 400 away: window 100 + 50/s
		m.Step(t.Context())
		if len(rec.matches) != 0 {
			t.Fatalf("formed at once across a 400 gap: %v", rec.matches)
		}
		time.Sleep(5 * time.Second) // window 350 with 1000: still too far
		m.Step(t.Context())
		if len(rec.matches) != 0 {
			t.Fatalf("formed after 5 s across a 400 gap: %v", rec.matches)
		}
		time.Sleep(2 * time.Second) // window 450
		m.Step(t.Context())
		if len(rec.matches) != 1 {
			t.Fatalf("not formed after 7 s: %v", rec.matches)
		}
	})
}

func TestBotsFillAfterWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := newMatcher(t, nil) // classic: bots after 10 s
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx) }()
		join(t, m, 1, "classic", 1500)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		rec.mu.Lock()
		if len(rec.matches) != 0 {
			t.Fatalf("bots filled before the wait: %v", rec.matches)
		}
		if len(rec.status[1]) == 0 {
			t.Error("no queue status pushed while waiting")
		} else if st := rec.status[1][len(rec.status[1])-1]; st.Estimate > 2*time.Second {
			t.Errorf("estimate after 9 s of a 10 s bot wait = %v", st.Estimate)
		}
		rec.mu.Unlock()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		rec.mu.Lock()
		if len(rec.matches) != 1 || rec.matches[0].Bots != 2 {
			t.Fatalf("matches = %v, want one with two bots", rec.matches)
		}
		rec.mu.Unlock()
		cancel()
		<-done
	})
}

func TestBotsDisabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec := newMatcher(t, func(c *match.Config) { c.Modes[0].BotWait = 0 })
		join(t, m, 1, "classic", 1500)
		time.Sleep(time.Hour)
		m.Step(t.Context())
		if len(rec.matches) != 0 {
			t.Fatalf("bots filled with BotWait 0: %v", rec.matches)
		}
	})
}

func TestPracticeAtOnce(t *testing.T) {
	m, rec := newMatcher(t, nil)
	join(t, m, 1, "practice", 1500)
	m.Step(t.Context())
	if len(rec.matches) != 1 || rec.matches[0].Bots != 2 || !rec.matches[0].Mode.Practice {
		t.Fatalf("matches = %v, want one practice table with two bots", rec.matches)
	}
}

// TestNeverMatchedTwice joins, cancels and steps from many goroutines and
// checks that no user ever sits at two tables or at one after cancelling.
func TestNeverMatchedTwice(t *testing.T) {
	m, rec := newMatcher(t, func(c *match.Config) { c.Modes[0].Window = 10000 })
	const users = 300
	var wg sync.WaitGroup
	cancelled := make([]bool, users+1)
	for w := range 4 {
		wg.Go(func() {
			for uid := int64(1 + w); uid <= users; uid += 4 {
				if _, err := m.Join(t.Context(), uid, "classic", 1500+uid%200); err != nil {
					t.Errorf("Join(%d): %v", uid, err)
				}
				if uid%5 == 0 && m.Cancel(t.Context(), uid) == nil {
					cancelled[uid] = true
				}
			}
		})
	}
	stop := make(chan struct{})
	var steps sync.WaitGroup
	steps.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				m.Step(t.Context())
			}
		}
	})
	wg.Wait()
	close(stop)
	steps.Wait()
	m.Step(t.Context())
	seen := map[int64]int{}
	for _, mt := range rec.matches {
		if len(mt.Tickets) != 3 {
			t.Errorf("table of %d tickets", len(mt.Tickets))
		}
		for _, tk := range mt.Tickets {
			seen[tk.UserID]++
		}
	}
	for uid, n := range seen {
		if n > 1 {
			t.Errorf("user %d matched %d times", uid, n)
		}
		if cancelled[uid] {
			t.Errorf("user %d matched after a successful cancel", uid)
		}
	}
	if got, want := len(seen)+m.Waiting("classic"), users-count(cancelled); got != want {
		t.Errorf("matched+waiting = %d, want %d (%s)", got, want, fmt.Sprint(len(rec.matches)))
	}
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

func TestRestore(t *testing.T) {
	var formed []match.Match
	m, err := match.New(match.DefaultConfig(), func(_ context.Context, mt match.Match) { formed = append(formed, mt) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Second)
	st, err := m.Join(t.Context(), 3, "classic", 1500)
	if err != nil {
		t.Fatal(err)
	}
	for i, uid := range []int64{1, 2} {
		tk := match.Ticket{ID: "old-" + string(rune('a'+i)), UserID: uid, Mode: "classic", Rating: 1500, Joined: base.Add(time.Duration(i) * time.Millisecond)}
		if err := m.Restore(tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Restore(match.Ticket{ID: "x", UserID: 2, Mode: "classic"}); !errors.Is(err, match.ErrAlreadyQueued) {
		t.Errorf("restore of a queued user: %v", err)
	}
	if err := m.Restore(match.Ticket{ID: "y", UserID: 9, Mode: "nope"}); !errors.Is(err, match.ErrUnknownMode) {
		t.Errorf("restore in an unknown mode: %v", err)
	}
	m.Step(t.Context())
	if len(formed) != 1 || len(formed[0].Tickets) != 3 {
		t.Fatalf("formed %v, want one table of three", formed)
	}
	ids := map[string]bool{}
	for _, tk := range formed[0].Tickets {
		ids[tk.ID] = true
	}
	if formed[0].Tickets[0].ID != "old-a" || !ids["old-b"] || !ids[st.TicketID] {
		t.Errorf("tickets %v: the restored tickets keep their ids and the oldest leads", formed[0].Tickets)
	}
}

func TestOnWaited(t *testing.T) {
	m, rec := newMatcher(t, nil)
	var waits []time.Duration
	var modes []string
	m.OnWaited(func(mode string, d time.Duration) { modes, waits = append(modes, mode), append(waits, d) })
	for uid := int64(1); uid <= 3; uid++ {
		join(t, m, uid, "classic", 1500)
	}
	m.Step(t.Context())
	if len(rec.matches) != 1 {
		t.Fatalf("matches = %v, want one", rec.matches)
	}
	if len(waits) != 3 || modes[0] != "classic" || modes[2] != "classic" {
		t.Fatalf("waited %v %v, want three classic waits", modes, waits)
	}
	for _, w := range waits {
		if w < 0 {
			t.Errorf("negative wait %v", w)
		}
	}
}
