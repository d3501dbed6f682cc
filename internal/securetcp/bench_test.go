package securetcp

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/lordgame/lordgame/internal/transport"
)

// BenchmarkSealFrame is the server's sending cost per frame: encode a TCP
// frame into a reused buffer and seal it in place.
func BenchmarkSealFrame(b *testing.B) {
	for _, size := range []int{16, 256, 4096} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			cs, _ := benchPair(b)
			body := bytes.Repeat([]byte{1}, size)
			buf := make([]byte, 0, transport.HeaderTCP+size+Overhead)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				frame := transport.AppendTCP(buf[:0], &transport.Frame{Kind: transport.KindPush, Route: 650, Body: body})
				if _, err := cs.Seal.Seal(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenFrame is the receiving cost: read a sealed record from a
// buffered stream, authenticate and decrypt it in the read buffer.
func BenchmarkOpenFrame(b *testing.B) {
	for _, size := range []int{16, 256, 4096} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			cs, ss := benchPair(b)
			body := bytes.Repeat([]byte{1}, size)
			const batch = 1024
			var stream []byte
			for range batch {
				r, err := cs.Seal.Seal(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: body}))
				if err != nil {
					b.Fatal(err)
				}
				stream = append(stream, r...)
			}
			src := bytes.NewReader(stream)
			br := bufio.NewReaderSize(src, 8192)
			r := Reader{R: br, MaxBody: 1 << 16, Open: ss.Open, Borrow: true}
			buf := make([]byte, 0, size+MinRecord)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == batch { // a new stream sealed from counter 0 under new keys
					b.StopTimer()
					cs, ss = benchPair(b)
					stream = stream[:0]
					for range batch {
						rec, _ := cs.Seal.Seal(transport.AppendTCP(nil, &transport.Frame{Kind: transport.KindRequest, Route: 2, Seq: 1, Body: body}))
						stream = append(stream, rec...)
					}
					src.Reset(stream)
					br.Reset(src)
					r.Open = ss.Open
					i = 0
					b.StartTimer()
				}
				if _, err := r.Next(buf); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkKeyExchange is the CPU one encrypted connection costs to set up
// (both halves: X25519 twice on each side, one Ed25519 signature and its
// verification).
func BenchmarkKeyExchange(b *testing.B) {
	_, id, _ := ed25519.GenerateKey(rand.Reader)
	pub := id.Public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		c, _ := NewClient(rand.Reader)
		body, _, err := Accept(rand.Reader, id, c.Hello())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Finish(body, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPair(b *testing.B) (client, server *Session) {
	_, id, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := NewClient(rand.Reader)
	body, ss, err := Accept(rand.Reader, id, c.Hello())
	if err != nil {
		b.Fatal(err)
	}
	cs, err := c.Finish(body, nil)
	if err != nil {
		b.Fatal(err)
	}
	return cs, ss
}
