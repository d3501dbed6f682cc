// Command tcpecho is the bare TCP reference for lordbench: a length-prefixed
// echo server, one goroutine per connection, plain net.Conn reads and
// writes, and just enough of the LordGame wire protocol for lordbench to
// drive it unchanged. A frame is a 4-byte big-endian body length, the
// 8-byte header (kind, flags, route u16, seq u32) and the body. It answers
// the handshake with a fixed HandshakeAck naming only sys.echo (id 2),
// answers heartbeats, and echoes every request body back as the response
// with the same route and seq. There is no router, no session, no limits.
//
//	go run ./bench/tcpecho -addr 127.0.0.1:9070
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/proto/gen/pb"
)

const (
	kindHandshake    = 1
	kindHandshakeAck = 2
	kindRequest      = 3
	kindResponse     = 4
	kindHeartbeat    = 7
	header           = 4 + 8
	maxBody          = 1 << 20
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9070", "listen address")
	flag.Parse()
	body, err := proto.Marshal(&pb.HandshakeAck{
		SessionId: "tcpecho", HeartbeatMs: 15000, MissedHeartbeats: 3, Version: 1,
		Routes: []*pb.Route{{Name: "sys.echo", Id: 2}},
	})
	if err != nil {
		panic(err)
	}
	ack := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	ack = append(ack, kindHandshakeAck, 0, 0, 0, 0, 0, 0, 0)
	ack = append(ack, body...)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpecho:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "tcpecho listening on", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			fmt.Fprintln(os.Stderr, "tcpecho:", err)
			os.Exit(1)
		}
		go serve(conn, ack) // ends when the peer goes away; the process is killed to stop
	}
}

func serve(conn net.Conn, ack []byte) {
	defer conn.Close()
	var hdr [header]byte
	for {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n > maxBody {
			return
		}
		frame := make([]byte, header+int(n))
		copy(frame, hdr[:])
		if _, err := io.ReadFull(conn, frame[header:]); err != nil {
			return
		}
		var out []byte
		switch frame[4] {
		case kindHandshake:
			out = ack
		case kindHeartbeat:
			out = frame[:header]
			binary.BigEndian.PutUint32(out, 0)
		case kindRequest:
			frame[4] = kindResponse // same flags, route, seq and body
			out = frame
		default:
			continue
		}
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}
