package leaderboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	c, _ := NewClock("")
	m := NewMemory(c)
	at := time.Date(2026, 12, 2, 12, 0, 0, 0, c.Loc)
	if err := m.Record(context.Background(), at, []Result{{"a", 1010, 20}, {"b", 995, -10}, {"c", 990, -10}}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/leaderboards/{board}", Handler(m, func() time.Time { return at }))
	for _, tc := range []struct {
		url  string
		code int
		body string
	}{
		{"/v1/leaderboards/rating?n=1", 200, `"entries":[{"rank":1,"player":"a","score":1010}]`},
		{"/v1/leaderboards/coins?period=day&around=c&radius=1", 200, `[{"rank":1,"player":"a","score":20},{"rank":2,"player":"c","score":-10},{"rank":3,"player":"b","score":-10}]`},
		{"/v1/leaderboards/gold", 404, "unknown board"},
		{"/v1/leaderboards/rating?period=year", 404, "unknown board"},
		{"/v1/leaderboards/rating?n=0", 400, "n must be"},
		{"/v1/leaderboards/rating?n=x", 400, "n must be"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s: %d %s, want %d containing %s", tc.url, rec.Code, rec.Body.String(), tc.code, tc.body)
		}
	}
}
