package auth

import (
	"testing"
)

// BenchmarkHashPassword is one argon2id hash with DefaultArgon2: the cost
// of a registration, a login or a password change.
func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hashPassword("correct horse battery", DefaultArgon2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkLogin is a full password login with DefaultArgon2 on SQLite:
// lookup, argon2id check, session and refresh token insert, JWT signing.
// Run with -cpu 1 for logins/s per core.
func BenchmarkLogin(b *testing.B) {
	f := newBenchFixture(b, DefaultArgon2)
	if _, err := f.svc.Register(b.Context(), "bench", "correct horse battery", ""); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.Login(b.Context(), "bench", "correct horse battery", "192.0.2.1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkVerifyAccessToken is the signature and claims check alone.
func BenchmarkVerifyAccessToken(b *testing.B) {
	f := newBenchFixture(b, cheapArgon2)
	tk, err := f.svc.Register(b.Context(), "bench", "correct horse battery", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.svc.parseAccess(b.Context(), tk.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate is what a handshake costs: verification plus the
// session and ban lookups on SQLite.
func BenchmarkAuthenticate(b *testing.B) {
	f := newBenchFixture(b, cheapArgon2)
	tk, err := f.svc.Register(b.Context(), "bench", "correct horse battery", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Authenticate(b.Context(), tk.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
