// Command wsecho is the bare gobwas/ws reference for lordbench: one
// goroutine per connection, the low-level gobwas/ws read/write loop of the
// library's README, and just enough of the LordGame wire protocol for
// lordbench to drive it unchanged. It answers the handshake with a fixed
// HandshakeAck naming only sys.echo (id 2), answers heartbeats, and echoes
// every request body back as the response with the same route and seq.
// There is no router, no session, no limits: it is what the library costs
// on its own.
//
//	go run ./bench/wsecho -addr 127.0.0.1:9080
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Frame kinds of the LordGame 8-byte header (kind, flags, route u16, seq u32).
const (
	kindHandshake    = 1
	kindHandshakeAck = 2
	kindRequest      = 3
	kindResponse     = 4
	kindHeartbeat    = 7
	header           = 8
	maxMessage       = 1 << 20
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9080", "listen address (any path upgrades)")
	flag.Parse()
	ack, err := proto.Marshal(&pb.HandshakeAck{
		SessionId: "wsecho", HeartbeatMs: 15000, MissedHeartbeats: 3, Version: 1,
		Routes: []*pb.Route{{Name: "sys.echo", Id: 2}},
	})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsecho:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "wsecho listening on", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			fmt.Fprintln(os.Stderr, "wsecho:", err)
			os.Exit(1)
		}
		go serve(conn, ack) // ends when the peer goes away; the process is killed to stop
	}
}

func serve(conn net.Conn, ack []byte) {
	defer conn.Close()
	if _, err := ws.Upgrade(conn); err != nil {
		return
	}
	var out []byte
	for {
		h, err := ws.ReadHeader(conn)
		if err != nil || h.Length > maxMessage {
			return
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(conn, payload); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(payload, h.Mask, 0)
		}
		switch {
		case h.OpCode == ws.OpClose:
			return
		case h.OpCode == ws.OpPing:
			out = frame(out[:0], ws.OpPong, payload)
		case h.OpCode != ws.OpBinary || len(payload) < header:
			continue
		case payload[0] == kindHandshake:
			out = frame(out[:0], ws.OpBinary, append([]byte{kindHandshakeAck, 0, 0, 0, 0, 0, 0, 0}, ack...))
		case payload[0] == kindHeartbeat:
			out = frame(out[:0], ws.OpBinary, payload[:header])
		case payload[0] == kindRequest:
			payload[0] = kindResponse // same flags, route, seq and body
			out = frame(out[:0], ws.OpBinary, payload)
		default:
			continue
		}
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}

// frame appends one unmasked, final WebSocket frame.
func frame(dst []byte, op ws.OpCode, payload []byte) []byte {
	w := appender{dst}
	_ = ws.WriteHeader(&w, ws.Header{Fin: true, OpCode: op, Length: int64(len(payload))})
	return append(w.b, payload...)
}

type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) { a.b = append(a.b, p...); return len(p), nil }
