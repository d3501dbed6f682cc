package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/securetcp"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestTCPIdentity: the identity key is created once under -data with mode
// 0600, `lordgame identity` prints its public half, GET /v1/gateways shows
// it, and a client pinning it talks encrypted; -tcp-require-encryption
// refuses plain TCP.
func TestTCPIdentity(t *testing.T) {
	data := t.TempDir()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"identity", "-data", data}, env(nil), &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	printed := strings.TrimSpace(out.String())
	st, err := os.Stat(filepath.Join(data, identityFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	s, _, _ := startServer(t, "-data", data, "-tcp-require-encryption")
	resp, err := http.Get("http://" + s.HTTPAddr() + "/v1/gateways")
	if err != nil {
		t.Fatal(err)
	}
	var gw struct {
		TCPIdentity string `json:"tcp_identity"`
	}
	err = json.NewDecoder(resp.Body).Decode(&gw)
	resp.Body.Close()
	if err != nil || gw.TCPIdentity != printed {
		t.Fatalf("/v1/gateways tcp_identity %q (%v), printed %q: the server did not keep the key", gw.TCPIdentity, err, printed)
	}
	pin, err := hex.DecodeString(printed)
	if err != nil || len(pin) != ed25519.PublicKeySize {
		t.Fatalf("printed key %q", printed)
	}
	tcp := "tcp://" + s.TCPAddr()
	c, err := client.Dial(t.Context(), tcp, client.Options{ServerKey: pin})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var e pb.Echo
	if err := c.Request(t.Context(), "sys.echo", &pb.Echo{Text: "sealed"}, &e); err != nil || e.Text != "sealed" {
		t.Fatalf("echo %q %v", e.Text, err)
	}
	_, err = client.Dial(t.Context(), tcp, client.Options{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Rule != "encryption_required" {
		t.Fatalf("plain client: %v", err)
	}
	other := make([]byte, ed25519.PublicKeySize)
	if _, err := client.Dial(t.Context(), tcp, client.Options{ServerKey: other}); !errors.Is(err, securetcp.ErrPin) {
		t.Fatalf("wrong pin: %v", err)
	}
}

func TestTCPIdentityFileChecks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id.pem")
	k1, created, err := loadIdentity(path)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	k2, created, err := loadIdentity(path)
	if err != nil || created || !k1.Equal(k2) {
		t.Fatalf("second load: %v created=%v same=%v", err, created, k1.Equal(k2))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadIdentity(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	_ = os.WriteFile(bad, []byte("not a key"), 0o600)
	if _, _, err := loadIdentity(bad); err == nil {
		t.Fatal("garbage key accepted")
	}
}
