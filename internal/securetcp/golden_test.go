package securetcp

import (
	"bufio"
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

var update = flag.Bool("update", false, "rewrite testdata/v1.vectors from the code")

const vectorFile = "v1.vectors"

// seq returns n bytes counting up from start: the fixed inputs of the
// worked example in docs/protocol.md.
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// vectorInputs are the fixed keys and nonces of the golden vectors.
type vectorInputs struct {
	clientPriv, clientNonce, serverPriv, serverNonce, identitySeed []byte
}

func fixedInputs() vectorInputs {
	return vectorInputs{
		clientPriv:   seq(0x00, 32),
		clientNonce:  seq(0x60, 16),
		serverPriv:   seq(0x20, 32),
		serverNonce:  seq(0x70, 16),
		identitySeed: seq(0x40, 32),
	}
}

// vector is one run of the exchange and three sealed frames, as name →
// bytes, in the order the file lists them.
type vector struct {
	names  []string
	values map[string][]byte
}

func (v *vector) add(name string, b []byte) {
	v.names = append(v.names, name)
	v.values[name] = append([]byte(nil), b...)
}

// The frames sealed in the vectors: the client's handshake and a sys.echo
// request ("hi", the worked example of §2), and the server's heartbeat.
func plainFrames(t testing.TB) (hs, echo, beat []byte) {
	body, err := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf"})
	if err != nil {
		t.Fatal(err)
	}
	hs = transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHandshake, Body: body})
	echo = transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: []byte{0x12, 0x02, 'h', 'i'}})
	beat = transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindHeartbeat})
	return hs, echo, beat
}

func computeVector(t testing.TB, in vectorInputs) (*vector, *Session, *Session) {
	t.Helper()
	v := &vector{values: map[string][]byte{}}
	v.add("client_ephemeral_private", in.clientPriv)
	v.add("client_nonce", in.clientNonce)
	v.add("server_ephemeral_private", in.serverPriv)
	v.add("server_nonce", in.serverNonce)
	v.add("identity_seed", in.identitySeed)
	identity := ed25519.NewKeyFromSeed(in.identitySeed)
	v.add("identity_public", identity.Public().(ed25519.PublicKey))

	c, err := NewClient(bytes.NewReader(append(append([]byte(nil), in.clientPriv...), in.clientNonce...)))
	if err != nil {
		t.Fatal(err)
	}
	v.add("client_hello_frame", AppendFrame(nil, c.Hello()))
	sbody, ss, err := Accept(bytes.NewReader(append(append([]byte(nil), in.serverPriv...), in.serverNonce...)), identity, c.Hello())
	if err != nil {
		t.Fatal(err)
	}
	v.add("server_hello_frame", AppendFrame(nil, sbody))
	cs, err := c.Finish(sbody, identity.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := ecdh.X25519().NewPrivateKey(in.serverPriv)
	cpub, _ := ecdh.X25519().NewPublicKey(c.Hello()[1:33])
	shared, err := sp.ECDH(cpub)
	if err != nil {
		t.Fatal(err)
	}
	v.add("shared_secret", shared)
	c2s, s2c, th, err := deriveKeys(shared, c.Hello(), sbody)
	if err != nil {
		t.Fatal(err)
	}
	v.add("transcript_hash", th)
	v.add("key_client_to_server", c2s)
	v.add("key_server_to_client", s2c)

	hs, echo, beat := plainFrames(t)
	v.add("c2s_0_plain", hs)
	r, err := cs.Seal.Seal(append([]byte(nil), hs...))
	if err != nil {
		t.Fatal(err)
	}
	v.add("c2s_0_sealed", r)
	v.add("c2s_1_plain", echo)
	if r, err = cs.Seal.Seal(append([]byte(nil), echo...)); err != nil {
		t.Fatal(err)
	}
	v.add("c2s_1_sealed", r)
	v.add("s2c_0_plain", beat)
	if r, err = ss.Seal.Seal(append([]byte(nil), beat...)); err != nil {
		t.Fatal(err)
	}
	v.add("s2c_0_sealed", r)
	return v, cs, ss
}

func (v *vector) format() []byte {
	var b strings.Builder
	b.WriteString("# LordGame encrypted TCP, key exchange version 1: golden vectors.\n")
	b.WriteString("# Inputs first (fixed instead of random), then every value derived from them.\n")
	b.WriteString("# Checked by TestGoldenVectors; regenerate with go test ./internal/securetcp -run TestGoldenVectors -update\n")
	for _, n := range v.names {
		fmt.Fprintf(&b, "%s: %s\n", n, hex.EncodeToString(v.values[n]))
	}
	return []byte(b.String())
}

func parseVectors(t testing.TB, raw []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("bad vector line %q", line)
		}
		b, err := hex.DecodeString(strings.TrimSpace(val))
		if err != nil {
			t.Fatalf("vector %s: %v", name, err)
		}
		out[name] = b
	}
	return out
}

func readVectors(t testing.TB) map[string][]byte {
	raw, err := os.ReadFile(filepath.Join("testdata", vectorFile))
	if err != nil {
		t.Fatal(err)
	}
	return parseVectors(t, raw)
}

// TestGoldenVectors derives everything from the fixed inputs and compares
// it, byte for byte, with testdata/v1.vectors (the values docs/protocol.md
// quotes), then opens the sealed frames with the other side's keys.
func TestGoldenVectors(t *testing.T) {
	v, cs, ss := computeVector(t, fixedInputs())
	path := filepath.Join("testdata", vectorFile)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, v.format(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readVectors(t)
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(want) != len(v.names) {
		t.Errorf("file has %d vectors, code %d", len(want), len(v.names))
	}
	for _, n := range v.names {
		if !bytes.Equal(v.values[n], want[n]) {
			t.Errorf("%s:\n got  %x\n want %x", n, v.values[n], want[n])
		}
	}
	// The server opens the client's records, the client the server's.
	for _, rec := range []struct{ name, plain string }{{"c2s_0_sealed", "c2s_0_plain"}, {"c2s_1_sealed", "c2s_1_plain"}} {
		r := want[rec.name]
		p, err := ss.Open.Open(r[:4], append([]byte(nil), r[4:]...))
		if err != nil {
			t.Fatalf("%s: %v", rec.name, err)
		}
		if !bytes.Equal(p, want[rec.plain][4:]) {
			t.Fatalf("%s opens to %x", rec.name, p)
		}
	}
	r := want["s2c_0_sealed"]
	p, err := cs.Open.Open(r[:4], append([]byte(nil), r[4:]...))
	if err != nil || !bytes.Equal(p, want["s2c_0_plain"][4:]) {
		t.Fatalf("s2c_0: %x, %v", p, err)
	}
}
