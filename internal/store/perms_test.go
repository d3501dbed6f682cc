package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestDataPermissions: the data folder is 0700 and the database with its
// -wal and -shm files 0600, whether new or left looser by an older version.
func TestDataPermissions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"new folder", func(*testing.T, string) {}},
		{"existing loose files", func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(t.Context(), "", dir)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			for _, f := range []string{store.DefaultFile, store.DefaultFile + "-wal", store.DefaultFile + "-shm"} {
				p := filepath.Join(dir, f)
				if err := os.WriteFile(p, nil, 0o644); err != nil && !os.IsExist(err) {
					t.Fatal(err)
				}
				if err := os.Chmod(p, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tc.prepare(t, dir)
			db, err := store.Open(t.Context(), "", dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// A write makes SQLite create its -wal and -shm files.
			if err := db.AddSigningKey(t.Context(), store.SigningKey{ID: "perm-test", Secret: []byte("0123456789abcdef0123456789abcdef")}); err != nil {
				t.Fatal(err)
			}
			if m := mode(t, dir); m != 0o700 {
				t.Errorf("data folder mode = %o, want 700", m)
			}
			for _, f := range []string{store.DefaultFile, store.DefaultFile + "-wal", store.DefaultFile + "-shm"} {
				p := filepath.Join(dir, f)
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s: %v", f, err)
					continue
				}
				if m := mode(t, p); m != 0o600 {
					t.Errorf("%s mode = %o, want 600", f, m)
				}
			}
		})
	}
}
