package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/internal/store"
)

// TestKeysRotateCommand: `lordgame keys rotate` adds a key with a new kid
// and keeps the old one (retired) for verification; with the key from the
// environment it refuses and says why.
func TestKeysRotateCommand(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	for range 2 {
		out.Reset()
		if err := run(t.Context(), []string{"keys", "rotate", "-data", dir}, env(nil), &out, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "is active") {
			t.Errorf("keys rotate printed %q", out.String())
		}
	}
	db, err := store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := db.SigningKeys(t.Context())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID == keys[1].ID || !keys[0].RetiredAt.IsZero() || keys[1].RetiredAt.IsZero() {
		t.Errorf("after two rotations: %+v, want a new active key and the old one retired", keys)
	}
	if !strings.Contains(out.String(), keys[0].ID) {
		t.Errorf("output %q does not name the new kid %s", out.String(), keys[0].ID)
	}
	err = run(t.Context(), []string{"keys", "rotate", "-data", dir}, env(map[string]string{"LORDGAME_AUTH_SIGNING_KEY": strings.Repeat("x", 32)}), &out, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "LORDGAME_AUTH_SIGNING_KEY") {
		t.Errorf("rotate with an environment key: %v", err)
	}
	if err := run(t.Context(), []string{"keys", "spin"}, env(nil), &out, io.Discard, nil); err == nil {
		t.Error("bad keys command accepted")
	}
}
