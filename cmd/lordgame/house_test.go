package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

// TestHouseAPI: GET /v1/admin/house is for console roles (viewer and up;
// TestAdminRoles checks each role) and tells the house
// balance and entries after a settlement with bot seats; /metrics shows
// the same balance as lordgame_house_balance_coins.
func TestHouseAPI(t *testing.T) {
	s, _, _ := startServer(t)
	base := "http://" + s.HTTPAddr()
	var boss, guest tokens
	boss = registerAdmin(t, s, "boss")
	if code := postJSON(t, base+"/v1/auth/guest", "", map[string]string{"device_id": "device-house-1"}, &guest); code != 200 && code != 201 {
		t.Fatalf("guest: %d", code)
	}
	if code := getJSON(t, base+"/v1/admin/house", "", nil); code != http.StatusUnauthorized {
		t.Errorf("house without a token: %d, want 401", code)
	}
	if code := getJSON(t, base+"/v1/admin/house", guest.AccessToken, nil); code != http.StatusForbidden {
		t.Errorf("house for a player: %d, want 403", code)
	}
	if code := getJSON(t, base+"/v1/admin/house?limit=0", boss.AccessToken, nil); code != http.StatusBadRequest {
		t.Errorf("house?limit=0: %d, want 400", code)
	}
	// A game of the guest and two bots, settled: the guest lost 4 as
	// landlord, the bots won 2 each for the house.
	ctx := t.Context()
	uid, _ := strconv.ParseInt(guest.UserID, 10, 64)
	gid := int64(4242)
	if err := s.ddz.db.CreateGame(ctx, store.NewGame{ID: gid, Mode: "classic", Seed: 1,
		Players: []store.Player{{Seat: 0, UserID: uid}, {Seat: 1}, {Seat: 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ddz.db.SettleGame(ctx, store.Settlement{GameID: gid, LandlordSeat: 0, Multiplier: 2,
		Seats: []store.SeatResult{{Seat: 0, Coins: -4}, {Seat: 1, Win: true, Coins: 2}, {Seat: 2, Win: true, Coins: 2}}}); err != nil {
		t.Fatal(err)
	}
	var house struct {
		Balance int64
		Entries []struct {
			GameID string `json:"game_id"`
			Seat   int
			Delta  int64
			Key    string
		}
	}
	if code := getJSON(t, base+"/v1/admin/house", boss.AccessToken, &house); code != 200 {
		t.Fatalf("house for an admin: %d", code)
	}
	if house.Balance != 4 || len(house.Entries) != 2 || house.Entries[0].GameID != "4242" || house.Entries[0].Delta != 2 ||
		house.Entries[0].Key != "game:4242:seat:2" {
		t.Errorf("house = %+v, want balance 4 from two entries of game 4242", house)
	}
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "\nlordgame_house_balance_coins 4\n") {
		t.Errorf("metrics lack lordgame_house_balance_coins 4")
	}
}
