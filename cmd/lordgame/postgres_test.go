package main

import (
	"testing"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/store/pgtest"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// postgresDSN gives the test a schema of its own on the machine's
// PostgreSQL and drops it afterwards.
func postgresDSN(t *testing.T) string {
	t.Helper()
	return pgtest.DSN(t, "lgsrv")
}

// TestServerOnPostgres runs the whole server against PostgreSQL with one
// flag, and checks that accounts, balances and refresh tokens survive a
// restart.
func TestServerOnPostgres(t *testing.T) {
	dsn := postgresDSN(t)
	s, cancel, done := startServer(t, "-db", dsn)
	base := "http://" + s.HTTPAddr()
	var tok tokens
	if code := postJSON(t, base+"/v1/auth/register", "", map[string]string{"username": "pgplayer", "password": "a long enough password"}, &tok); code/100 != 2 {
		t.Fatalf("register: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s2, _, _ := startServer(t, "-db", dsn)
	base = "http://" + s2.HTTPAddr()
	var fresh tokens
	if code := postJSON(t, base+"/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}, &fresh); code != 200 {
		t.Fatalf("refresh after restart: %d", code)
	}
	c, err := client.Dial(t.Context(), "tcp://"+s2.TCPAddr(), client.Options{Token: fresh.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var me pb.Account
	if err := c.Request(t.Context(), "account.me", &pb.AccountMeReq{}, &me); err != nil {
		t.Fatal(err)
	}
	if me.Username != "pgplayer" || me.Balance != 1000 || me.UserId != tok.UserID {
		t.Fatalf("after restart: %v", &me)
	}
}
