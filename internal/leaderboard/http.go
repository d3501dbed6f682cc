package leaderboard

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Handler serves GET /v1/leaderboards/{board}?period=all|week|day&n=N[&around=PLAYER&radius=R]:
// the top n (default 10, at most 100) or, with around, the player's neighbourhood.
func Handler(s Store, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		period := r.URL.Query().Get("period")
		if period == "" {
			period = string(AllTime)
		}
		b, p, err := ParseBoard(r.PathValue("board"), period)
		if err != nil {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		n, ok := intParam(r, "n", 10, 1, 100)
		radius, ok2 := intParam(r, "radius", 5, 0, 50)
		if !ok || !ok2 {
			writeError(w, http.StatusBadRequest, "leaderboard: n must be 1-100 and radius 0-50")
			return
		}
		var entries []Entry
		if who := r.URL.Query().Get("around"); who != "" {
			entries, err = s.Around(r.Context(), b, p, now(), who, radius)
		} else {
			entries, err = s.Top(r.Context(), b, p, now(), n)
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "leaderboard unavailable")
			return
		}
		type row struct {
			Rank   int    `json:"rank"`
			Player string `json:"player"`
			Score  int64  `json:"score"`
		}
		rows := make([]row, len(entries))
		for i, e := range entries {
			rows[i] = row{e.Rank, e.Player, e.Score}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"board": b, "period": p, "entries": rows})
	})
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= lo && n <= hi
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
