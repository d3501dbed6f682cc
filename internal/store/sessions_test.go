package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

func TestRefreshRotation(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "erin", 0)
		now := time.Now()
		exp := now.Add(time.Hour)
		if err := db.CreateSession(ctx, store.Session{ID: "s1", UserID: a.ID}, store.RefreshToken{Hash: "h1", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		old, err := db.RotateRefreshToken(ctx, "h1", store.RefreshToken{Hash: "h2", ExpiresAt: exp}, now)
		if err != nil || old.SessionID != "s1" || old.UserID != a.ID {
			t.Fatalf("rotate h1 = %+v, %v", old, err)
		}
		if _, err := db.RotateRefreshToken(ctx, "h2", store.RefreshToken{Hash: "h3", ExpiresAt: exp}, now); err != nil {
			t.Fatalf("rotate h2: %v", err)
		}
		// h1 again: reuse revokes the whole family, including the live h3.
		if _, err := db.RotateRefreshToken(ctx, "h1", store.RefreshToken{Hash: "hx", ExpiresAt: exp}, now); !errors.Is(err, store.ErrTokenReused) {
			t.Fatalf("reuse of h1: err = %v, want ErrTokenReused", err)
		}
		if s, _ := db.Session(ctx, "s1"); s.RevokedAt.IsZero() || s.RevokeReason != "refresh_token_reused" {
			t.Errorf("session after reuse = %+v, want revoked", s)
		}
		if _, err := db.RotateRefreshToken(ctx, "h3", store.RefreshToken{Hash: "h4", ExpiresAt: exp}, now); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("h3 after family revoked: err = %v, want ErrTokenInvalid", err)
		}
		if _, err := db.RotateRefreshToken(ctx, "nope", store.RefreshToken{Hash: "h5", ExpiresAt: exp}, now); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("unknown token: err = %v, want ErrTokenInvalid", err)
		}

		// Expiry.
		if err := db.CreateSession(ctx, store.Session{ID: "s2", UserID: a.ID}, store.RefreshToken{Hash: "e1", ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RotateRefreshToken(ctx, "e1", store.RefreshToken{Hash: "e2", ExpiresAt: exp}, now.Add(2*time.Minute)); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("expired token: err = %v, want ErrTokenInvalid", err)
		}

		// Logout of one session; then revoke all.
		for _, id := range []string{"s3", "s4", "s5"} {
			if err := db.CreateSession(ctx, store.Session{ID: id, UserID: a.ID}, store.RefreshToken{Hash: "t" + id, ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		if s, err := db.SessionByRefreshToken(ctx, "ts3"); err != nil || s.ID != "s3" || !s.RevokedAt.IsZero() {
			t.Errorf("SessionByRefreshToken(ts3) = %+v, %v", s, err)
		}
		if _, err := db.SessionByRefreshToken(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SessionByRefreshToken(nope) err = %v", err)
		}
		if err := db.RevokeSession(ctx, "s3", "logout"); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeSession(ctx, "s3", "logout"); err != nil {
			t.Errorf("second revoke: %v", err)
		}
		if _, err := db.RotateRefreshToken(ctx, "ts3", store.RefreshToken{Hash: "x3", ExpiresAt: exp}, now); !errors.Is(err, store.ErrTokenInvalid) {
			t.Errorf("logged-out token: err = %v, want ErrTokenInvalid", err)
		}
		n, err := db.RevokeUserSessions(ctx, a.ID, "password_changed")
		if err != nil || n != 3 { // s2, s4, s5
			t.Errorf("RevokeUserSessions = %d, %v; want 3", n, err)
		}
		if _, err := db.Session(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Session(nope) err = %v", err)
		}
	})
}

func TestSigningKeys(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if ks, err := db.SigningKeys(ctx); err != nil || len(ks) != 0 {
			t.Fatalf("empty store keys = %v, %v", ks, err)
		}
		secret := []byte{0, 1, 2, 0xff, 0xfe}
		if err := db.AddSigningKey(ctx, store.SigningKey{ID: "k1", Secret: secret, CreatedAt: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddSigningKey(ctx, store.SigningKey{ID: "k2", Secret: []byte("two")}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddSigningKey(ctx, store.SigningKey{ID: "k2", Secret: []byte("dup")}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate kid: err = %v", err)
		}
		ks, err := db.SigningKeys(ctx)
		if err != nil || len(ks) != 2 {
			t.Fatalf("keys = %v, %v", ks, err)
		}
		if ks[0].ID != "k2" || !ks[0].RetiredAt.IsZero() || ks[1].ID != "k1" || ks[1].RetiredAt.IsZero() || !bytes.Equal(ks[1].Secret, secret) {
			t.Errorf("keys = %+v; want k2 active, k1 retired with its secret intact", ks)
		}
	})
}

// Two racing uses of one refresh token: one wins, the other is a reuse
// and revokes the session (the winner's new token dies with it).
func TestConcurrentRotation(t *testing.T) {
	withStore(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		a := mustAccount(t, db, "race", 0)
		exp := time.Now().Add(time.Hour)
		if err := db.CreateSession(ctx, store.Session{ID: "rs", UserID: a.ID}, store.RefreshToken{Hash: "r0", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = db.RotateRefreshToken(ctx, "r0", store.RefreshToken{Hash: fmt.Sprintf("r1-%d", i), ExpiresAt: exp}, time.Now())
			})
		}
		wg.Wait()
		ok, reused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrTokenReused), errors.Is(err, store.ErrTokenInvalid):
				reused++
			default:
				t.Errorf("rotation: %v", err)
			}
		}
		if ok != 1 || reused != 3 {
			t.Errorf("%d rotations won and %d were refused, want 1 and 3", ok, reused)
		}
		if s, _ := db.Session(ctx, "rs"); s.RevokedAt.IsZero() {
			t.Error("session survived a racing reuse")
		}
	})
}
