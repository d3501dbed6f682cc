package transport_test

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata/")

func mustMarshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// goldenFrames are the frames documented in docs/protocol.md.
var goldenFrames = []struct {
	name  string
	frame transport.Frame
}{
	{"handshake", transport.Frame{Kind: transport.KindHandshake, Body: mustMarshal(&pb.Handshake{Version: 1, Codec: "protobuf"})}},
	{"echo_request", transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: mustMarshal(&pb.Echo{Text: "hi"})}},
	{"echo_response", transport.Frame{Kind: transport.KindResponse, Route: 2, Seq: 1, Body: mustMarshal(&pb.Echo{Text: "hi"})}},
	{"error_response", transport.Frame{Kind: transport.KindResponse, Flags: transport.FlagError, Route: 999, Seq: 7,
		Body: mustMarshal(&pb.Error{Code: pb.Code_CODE_NOT_FOUND, Message: "unknown route id 999"})}},
	{"heartbeat", transport.Frame{Kind: transport.KindHeartbeat}},
	{"push", transport.Frame{Kind: transport.KindPush, Route: 54, Body: mustMarshal(&pb.Echo{Data: []byte{1, 2, 3}})}},
	{"kick", transport.Frame{Kind: transport.KindKick, Body: mustMarshal(&pb.Kick{Reason: "server_shutdown", Message: "bye"})}},
}

// readHex reads a golden file: hex digits, whitespace and #-comments ignored.
func readHex(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func writeHex(t *testing.T, path string, b []byte, hdr int) {
	t.Helper()
	var s strings.Builder
	s.WriteString("# golden frame: header, then body (go test -run Golden -update rewrites it)\n")
	s.WriteString(hex.EncodeToString(b[:hdr]) + "\n")
	if len(b) > hdr {
		s.WriteString(hex.EncodeToString(b[hdr:]) + "\n")
	}
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenFrames(t *testing.T) {
	for _, g := range goldenFrames {
		t.Run(g.name, func(t *testing.T) {
			tcpPath := filepath.Join("testdata", g.name+".tcp.hex")
			wsPath := filepath.Join("testdata", g.name+".ws.hex")
			tcp := transport.AppendTCP(nil, &g.frame)
			ws := transport.AppendWS(nil, &g.frame)
			if *update {
				writeHex(t, tcpPath, tcp, transport.HeaderTCP)
				writeHex(t, wsPath, ws, transport.HeaderWS)
			}
			wantTCP, wantWS := readHex(t, tcpPath), readHex(t, wsPath)
			if !bytes.Equal(tcp, wantTCP) {
				t.Errorf("TCP encoding\n got %x\nwant %x", tcp, wantTCP)
			}
			if !bytes.Equal(ws, wantWS) {
				t.Errorf("WS encoding\n got %x\nwant %x", ws, wantWS)
			}
			f, err := transport.DecodeTCP(wantTCP, transport.DefaultMaxFrameBytes)
			if err != nil {
				t.Fatal(err)
			}
			if again := transport.AppendTCP(nil, &f); !bytes.Equal(again, wantTCP) {
				t.Errorf("TCP decode/encode is not the identity: %x", again)
			}
			f, err = transport.DecodeWS(wantWS, transport.DefaultMaxFrameBytes)
			if err != nil {
				t.Fatal(err)
			}
			if again := transport.AppendWS(nil, &f); !bytes.Equal(again, wantWS) {
				t.Errorf("WS decode/encode is not the identity: %x", again)
			}
			r := transport.TCPReader{R: bytes.NewReader(wantTCP), MaxBody: 1 << 16}
			if f2, err := r.Next(nil); err != nil || f2.Seq != g.frame.Seq || !bytes.Equal(f2.Body, g.frame.Body) {
				t.Errorf("TCPReader: %+v, %v", f2, err)
			}
		})
	}
}

func TestWorkedExample(t *testing.T) {
	// The example in docs/protocol.md: sys.echo request, seq 1, text "hi".
	want, _ := hex.DecodeString("00000004" + "03000002" + "00000001" + "12026869")
	got := transport.AppendTCP(nil, &goldenFrames[1].frame)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
}
