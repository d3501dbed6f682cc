package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// houseEntryJSON is one house ledger entry in GET /v1/admin/house. Ids
// are decimal strings: they use 63 bits, JavaScript numbers only 53.
type houseEntryJSON struct {
	GameID       string `json:"game_id"`
	Seat         int    `json:"seat"`
	Delta        int64  `json:"delta"`
	BalanceAfter int64  `json:"balance_after"`
	Key          string `json:"key"`
	At           string `json:"at"`
}

// handleHouse serves GET /v1/admin/house (viewer role, admin.View): the house
// balance, the coins the bot seats have won (positive) or lost, and its
// newest entries (?limit=1..500, default 20).
func (s *server) handleHouse(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			edgeJSONError(w, http.StatusBadRequest, "bad_request", "limit: must be 1 to 500")
			return
		}
		limit = n
	}
	ctx := r.Context()
	bal, err := s.ddz.db.HouseBalance(ctx)
	if err != nil {
		edgeJSONError(w, http.StatusServiceUnavailable, "unavailable", "the store is not answering; try again")
		return
	}
	entries, err := s.ddz.db.HouseLedger(ctx, limit)
	if err != nil {
		edgeJSONError(w, http.StatusServiceUnavailable, "unavailable", "the store is not answering; try again")
		return
	}
	out := make([]houseEntryJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, houseEntryJSON{GameID: strconv.FormatInt(e.GameID, 10), Seat: e.Seat, Delta: e.Delta,
			BalanceAfter: e.BalanceAfter, Key: e.Key, At: e.CreatedAt.UTC().Format(time.RFC3339Nano)})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"balance": bal, "entries": out})
}

// houseBalance is the lordgame_house_balance_coins gauge: read at scrape
// time, absent when the store does not answer within a second.
func (s *server) houseBalance() (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	b, err := s.ddz.db.HouseBalance(ctx)
	return b, err == nil
}
