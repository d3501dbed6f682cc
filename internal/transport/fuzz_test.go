package transport_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

func seedGolden(f *testing.F, suffix string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*."+suffix+".hex"))
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(hexBody(raw))
	}
}

func hexBody(raw []byte) []byte {
	var out []byte
	var hi = -1
	comment := false
	for _, c := range raw {
		switch {
		case c == '#':
			comment = true
		case c == '\n':
			comment = false
		case comment:
		default:
			v := -1
			switch {
			case c >= '0' && c <= '9':
				v = int(c - '0')
			case c >= 'a' && c <= 'f':
				v = int(c-'a') + 10
			}
			if v < 0 {
				continue
			}
			if hi < 0 {
				hi = v
			} else {
				out = append(out, byte(hi<<4|v))
				hi = -1
			}
		}
	}
	return out
}

func FuzzDecodeTCP(f *testing.F) {
	seedGolden(f, "tcp")
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := transport.DecodeTCP(b, 1<<12)
		if err != nil {
			return
		}
		if again := transport.AppendTCP(nil, &fr); !bytes.Equal(again, b) {
			t.Fatalf("decode/encode not identity: %x vs %x", again, b)
		}
		r := transport.TCPReader{R: bytes.NewReader(b), MaxBody: 1 << 12}
		if _, err := r.Next(nil); err != nil {
			t.Fatalf("reader disagrees with DecodeTCP: %v", err)
		}
	})
}

// FuzzTCPReaderStream reads a stream of frames twice: copying each body,
// and borrowing it from a small bufio.Reader as a session does. Both must
// see the same frames and end with the same error.
func FuzzTCPReaderStream(f *testing.F) {
	seedGolden(f, "tcp")
	f.Fuzz(func(t *testing.T, b []byte) {
		r := transport.TCPReader{R: bytes.NewReader(b), MaxBody: 1 << 12}
		br := transport.TCPReader{R: bufio.NewReaderSize(bytes.NewReader(b), 16), MaxBody: 1 << 12, Borrow: true}
		for i := 0; i < 64; i++ {
			fr, err := r.Next(make([]byte, 0, 16))
			fb, errB := br.Next(nil)
			if !errors.Is(errB, err) && !errors.Is(err, errB) {
				t.Fatalf("frame %d: copying reader: %v, borrowing reader: %v", i, err, errB)
			}
			if err != nil {
				return
			}
			if len(fr.Body) > 1<<12 || !fr.Kind.Valid() {
				t.Fatalf("accepted bad frame %+v", fr)
			}
			if fr.Kind != fb.Kind || fr.Seq != fb.Seq || fr.Route != fb.Route || !bytes.Equal(fr.Body, fb.Body) {
				t.Fatalf("frame %d: copying reader %+v, borrowing reader %+v", i, fr, fb)
			}
		}
	})
}

func FuzzDecodeWS(f *testing.F) {
	seedGolden(f, "ws")
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := transport.DecodeWS(b, 1<<12)
		if err != nil {
			return
		}
		if again := transport.AppendWS(nil, &fr); !bytes.Equal(again, b) {
			t.Fatalf("decode/encode not identity")
		}
	})
}

func FuzzWSReader(f *testing.F) {
	f.Add(transport.AppendWSMasked(nil, 2, []byte{3, 0, 0, 2, 0, 0, 0, 1}, [4]byte{9, 8, 7, 6}))
	f.Add(transport.AppendWSMasked(nil, 1, []byte(`{"kind":"heartbeat"}`), [4]byte{1, 2, 3, 4}))
	f.Add([]byte{0x01, 0x82, 1, 2, 3, 4, 5, 6, 0x80, 0x81, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		// The same stream read copying, and borrowing from a small
		// bufio.Reader as a session does: the same messages, the same end.
		r := transport.WSReader{R: bytes.NewReader(b), MaxBody: 1 << 12}
		br := transport.WSReader{R: bufio.NewReaderSize(bytes.NewReader(b), 16), MaxBody: 1 << 12, Borrow: true}
		for i := 0; i < 16; i++ {
			op, p, err := r.Next(make([]byte, 0, 32))
			opB, pB, errB := br.Next(nil)
			if !errors.Is(errB, err) && !errors.Is(err, errB) {
				t.Fatalf("message %d: copying reader: %v, borrowing reader: %v", i, err, errB)
			}
			if err != nil {
				return
			}
			if len(p) > 1<<12 {
				t.Fatalf("message of %d bytes over the limit", len(p))
			}
			if op != opB || !bytes.Equal(p, pB) {
				t.Fatalf("message %d: copying reader %v %x, borrowing reader %v %x", i, op, p, opB, pB)
			}
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"kind":"handshake","body":{"version":1,"codec":"json"}}`))
	f.Add([]byte(`{"kind":"request","seq":1,"route":"sys.echo","body":{"text":"hi"}}`))
	f.Add([]byte(`{"kind":"heartbeat"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := transport.DecodeJSON(b, 1<<12)
		if err != nil {
			return
		}
		if !fr.Kind.Valid() {
			t.Fatalf("invalid kind accepted")
		}
		if _, err := transport.DecodeJSON(transport.AppendJSON(nil, &fr), 1<<13); err != nil {
			t.Fatalf("re-encoded envelope does not decode: %v", err)
		}
	})
}

// FuzzHandshake feeds the handshake body decoder (protobuf) arbitrary bytes.
func FuzzHandshake(f *testing.F) {
	b, _ := proto.Marshal(&pb.Handshake{Version: 1, Codec: "protobuf", Token: "x.y.z", ResumeToken: "abc"})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var hs pb.Handshake
		if err := proto.Unmarshal(b, &hs); err != nil {
			return
		}
		again, err := proto.Marshal(&hs)
		if err != nil {
			t.Fatal(err)
		}
		var hs2 pb.Handshake
		if err := proto.Unmarshal(again, &hs2); err != nil || !proto.Equal(&hs, &hs2) {
			t.Fatalf("handshake does not round-trip: %v", err)
		}
	})
}
