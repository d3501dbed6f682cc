package securetcp

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"testing"
)

// The fuzz targets start from the golden vectors (testdata/v1.vectors).

// FuzzAccept: the server's decoder of a client hello never panics, and
// anything it accepts is a well-formed 49-byte version-1 hello.
func FuzzAccept(f *testing.F) {
	v := readVectors(f)
	f.Add(v["client_hello_frame"][12:])
	f.Add([]byte{2})
	identity := ed25519.NewKeyFromSeed(v["identity_seed"])
	rnd := append(append([]byte(nil), v["server_ephemeral_private"]...), v["server_nonce"]...)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, s, err := Accept(bytes.NewReader(rnd), identity, body)
		if err != nil {
			return
		}
		if len(body) != ClientHelloSize || body[0] != Version || len(out) != ServerHelloSize || s == nil {
			t.Fatalf("accepted %x", body)
		}
	})
}

// FuzzReadFrame: the key exchange frame reader never panics and never
// returns a key exchange body larger than asked for.
func FuzzReadFrame(f *testing.F) {
	v := readVectors(f)
	f.Add(v["client_hello_frame"])
	f.Add(v["server_hello_frame"])
	f.Add(v["c2s_0_plain"])
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ReadFrame(bytes.NewReader(b), ServerHelloSize)
		if err == nil && fr.Kind == Kind && len(fr.Body) > ServerHelloSize {
			t.Fatalf("body of %d bytes", len(fr.Body))
		}
	})
}

// FuzzFinish: the client's check of a server hello never panics, and only
// the exact golden answer passes the pinned identity's signature check.
func FuzzFinish(f *testing.F) {
	v := readVectors(f)
	good := v["server_hello_frame"][12:]
	f.Add(good)
	pin := ed25519.PublicKey(v["identity_public"])
	rnd := append(append([]byte(nil), v["client_ephemeral_private"]...), v["client_nonce"]...)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := NewClient(bytes.NewReader(rnd))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Finish(body, pin); err == nil && !bytes.Equal(body, good) {
			t.Fatalf("accepted a server hello that is not the signed one: %x", body)
		}
	})
}

// FuzzOpen feeds a byte stream to the record reader under the golden
// client-to-server key: it never panics, and it opens exactly the golden
// records, in order.
func FuzzOpen(f *testing.F) {
	v := readVectors(f)
	f.Add(v["c2s_0_sealed"])
	f.Add(append(append([]byte(nil), v["c2s_0_sealed"]...), v["c2s_1_sealed"]...))
	f.Add(v["c2s_1_sealed"])
	f.Add(v["s2c_0_sealed"])
	plain := [][]byte{v["c2s_0_plain"][4:], v["c2s_1_plain"][4:]}
	f.Fuzz(func(t *testing.T, stream []byte) {
		_, _, ss := computeVectorQuiet(t)
		r := Reader{R: bufio.NewReaderSize(bytes.NewReader(stream), 64), MaxBody: 1 << 10, Open: ss.Open, Borrow: true}
		for i := 0; ; i++ {
			fr, err := r.Next(nil)
			if err != nil {
				return
			}
			if i >= len(plain) {
				t.Fatalf("record %d opened: only two were sealed", i)
			}
			got := append([]byte{byte(fr.Kind), fr.Flags, byte(fr.Route >> 8), byte(fr.Route), byte(fr.Seq >> 24), byte(fr.Seq >> 16), byte(fr.Seq >> 8), byte(fr.Seq)}, fr.Body...)
			if !bytes.Equal(got, plain[i]) {
				t.Fatalf("record %d opened to %x", i, got)
			}
		}
	})
}

func computeVectorQuiet(t *testing.T) (*vector, *Session, *Session) {
	return computeVector(t, fixedInputs())
}
