package transport_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gobwas/ws"

	"github.com/lordgame/lordgame/internal/transport"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		tcp  []byte
		want error
	}{
		{"empty", nil, transport.ErrShortFrame},
		{"short header", []byte{0, 0, 0, 0, 3}, transport.ErrShortFrame},
		{"too large", []byte{0, 1, 0, 1, 3, 0, 0, 1, 0, 0, 0, 1}, transport.ErrFrameTooLarge},
		{"bad kind", []byte{0, 0, 0, 0, 9, 0, 0, 1, 0, 0, 0, 1}, transport.ErrBadKind},
		{"kind zero", []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, transport.ErrBadKind},
		{"body shorter than length", []byte{0, 0, 0, 5, 3, 0, 0, 1, 0, 0, 0, 1, 1}, transport.ErrShortFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := transport.DecodeTCP(tt.tcp, 1024); !errors.Is(err, tt.want) {
				t.Errorf("DecodeTCP(%x) = %v, want %v", tt.tcp, err, tt.want)
			}
		})
	}
	r := transport.TCPReader{R: bytes.NewReader([]byte{0, 0, 0, 5, 3, 0, 0, 1, 0, 0, 0, 1, 1})}
	r.MaxBody = 1024
	if _, err := r.Next(nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: %v, want unexpected EOF", err)
	}
	if _, err := transport.DecodeWS([]byte{3, 0, 0}, 1024); !errors.Is(err, transport.ErrShortFrame) {
		t.Errorf("short WS message: %v", err)
	}
	if _, err := transport.DecodeJSON([]byte(`{"kind":"request"`), 1024); !errors.Is(err, transport.ErrBadJSON) {
		t.Errorf("broken JSON: %v", err)
	}
	if _, err := transport.DecodeJSON([]byte(`{"kind":"bogus"}`), 1024); !errors.Is(err, transport.ErrBadKind) {
		t.Errorf("unknown JSON kind: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	f := transport.Frame{Kind: transport.KindRequest, Seq: 12, RouteName: "sys.echo", Body: []byte(`{"text":"hi"}`)}
	b := transport.AppendJSON(nil, &f)
	if string(b) != `{"kind":"request","seq":12,"route":"sys.echo","body":{"text":"hi"}}` {
		t.Fatalf("AppendJSON = %s", b)
	}
	g, err := transport.DecodeJSON(b, 1024)
	if err != nil || g.Seq != 12 || g.RouteName != "sys.echo" || string(g.Body) != `{"text":"hi"}` || g.Kind != transport.KindRequest {
		t.Fatalf("DecodeJSON = %+v, %v", g, err)
	}
	e := transport.Frame{Kind: transport.KindResponse, Flags: transport.FlagError, Seq: 3, Body: []byte(`{"code":"not_found"}`)}
	if s := string(transport.AppendJSON(nil, &e)); s != `{"kind":"response","seq":3,"error":{"code":"not_found"}}` {
		t.Fatalf("error JSON = %s", s)
	}
}

func TestWSReaderFragmentsAndControl(t *testing.T) {
	var buf bytes.Buffer
	mask := [4]byte{1, 2, 3, 4}
	write := func(h ws.Header, p []byte) {
		h.Masked, h.Mask, h.Length = true, mask, int64(len(p))
		_ = ws.WriteHeader(&buf, h)
		c := append([]byte(nil), p...)
		ws.Cipher(c, mask, 0)
		buf.Write(c)
	}
	write(ws.Header{OpCode: ws.OpBinary}, []byte("hel"))
	write(ws.Header{Fin: true, OpCode: ws.OpPing}, []byte("p"))
	write(ws.Header{Fin: true, OpCode: ws.OpContinuation}, []byte("lo"))
	r := transport.WSReader{R: &buf, MaxBody: 100}
	op, p, err := r.Next(make([]byte, 0, 64))
	if err != nil || op != ws.OpPing || string(p) != "p" {
		t.Fatalf("control frame inside a fragmented message: %v %q %v", op, p, err)
	}
	// The message interrupted by the ping continues.
	op, p, err = r.Next(make([]byte, 0, 64))
	if err != nil || op != ws.OpBinary || string(p) != "hello" {
		t.Fatalf("message around a ping: %v %q %v", op, p, err)
	}
	buf.Reset()
	write(ws.Header{OpCode: ws.OpText}, []byte("ab"))
	write(ws.Header{Fin: true, OpCode: ws.OpContinuation}, []byte("cd"))
	op, p, err = r.Next(make([]byte, 0, 64))
	if err != nil || op != ws.OpText || string(p) != "abcd" {
		t.Fatalf("fragmented text: %v %q %v", op, p, err)
	}
	buf.Reset()
	write(ws.Header{Fin: true, OpCode: ws.OpBinary}, make([]byte, 101))
	if _, _, err := r.Next(nil); !errors.Is(err, transport.ErrFrameTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	buf.Reset()
	write(ws.Header{Fin: true, OpCode: ws.OpContinuation}, []byte("x"))
	if _, _, err := r.Next(nil); !errors.Is(err, transport.ErrWSProtocol) {
		t.Fatalf("continuation first: %v", err)
	}
}
