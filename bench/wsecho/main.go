// Command wsecho is the bare gobwas/ws reference for lordbench: one
// goroutine per connection, the low-level gobwas/ws read/write loop of the
// library's README, and just enough of the LordGame wire protocol for
// lordbench to drive it unchanged. It answers the handshake with a fixed
// HandshakeAck naming only sys.echo (id 2), answers heartbeats, and echoes
// every request body back as the response with the same route and seq.
// There is no router, no session, no limits: it is what the library costs
// on its own.
//
// With -broadcast it is the bare broadcast server for lordbench -scenario
// chat -anonymous: it also names chat.send (401) and chat.msg (450), and
// answers a chat.send by giving the message the next seq of its one
// conversation and pushing it to every other connection. As in LordGame,
// the push is encoded once (protobuf body, frame header and WebSocket
// frame) and queued to a bounded send queue per connection, written by
// that connection's writer goroutine; a connection whose queue is full is
// closed.
//
//	go run ./bench/wsecho -addr 127.0.0.1:9080
//	go run ./bench/wsecho -addr 127.0.0.1:9080 -broadcast
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

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
	kindPush         = 6
	kindHeartbeat    = 7
	header           = 8
	maxMessage       = 1 << 20
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9080", "listen address (any path upgrades)")
	broadcast := flag.Bool("broadcast", false, "also serve chat.send as a broadcast to every other connection")
	flag.Parse()
	routes := []*pb.Route{{Name: "sys.echo", Id: 2}}
	if *broadcast {
		hub = &broadcaster{conns: map[*peer]struct{}{}}
		routes = append(routes, &pb.Route{Name: "chat.send", Id: routeChatSend}, &pb.Route{Name: "chat.msg", Id: routeChatMsg})
	}
	ack, err := proto.Marshal(&pb.HandshakeAck{
		SessionId: "wsecho", HeartbeatMs: 15000, MissedHeartbeats: 3, Version: 1,
		Routes: routes,
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
	var p *peer
	if hub != nil {
		p = hub.join(conn)
		defer hub.leave(p)
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
		case payload[0] == kindRequest && p != nil && binary.BigEndian.Uint16(payload[2:4]) == routeChatSend:
			resp, err := hub.send(p, payload)
			if err != nil {
				return
			}
			p.queue(resp)
			continue
		case payload[0] == kindRequest:
			payload[0] = kindResponse // same flags, route, seq and body
			out = frame(out[:0], ws.OpBinary, payload)
		default:
			continue
		}
		if p != nil { // one writer per connection: the peer's
			p.queue(append([]byte(nil), out...))
			continue
		}
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}

// Route ids of the broadcast mode (those of the LordGame server).
const (
	routeChatSend = 401
	routeChatMsg  = 450
	sendQueue     = 256 // frames queued per connection before it is closed
)

// hub is the broadcaster with -broadcast, else nil.
var hub *broadcaster

// broadcaster is the one conversation of the broadcast mode.
type broadcaster struct {
	mu    sync.Mutex
	seq   int64
	conns map[*peer]struct{}
}

// peer is one connection of the broadcast mode and its send queue.
type peer struct {
	conn net.Conn
	out  chan []byte
	id   int64
	done chan struct{}
	once sync.Once
}

var nextPeer atomic.Int64

func (b *broadcaster) join(conn net.Conn) *peer {
	p := &peer{conn: conn, out: make(chan []byte, sendQueue), id: nextPeer.Add(1), done: make(chan struct{})}
	go p.writeLoop() // ends when the peer is closed
	b.mu.Lock()
	b.conns[p] = struct{}{}
	b.mu.Unlock()
	return p
}

func (b *broadcaster) leave(p *peer) {
	b.mu.Lock()
	delete(b.conns, p)
	b.mu.Unlock()
	p.close()
}

// send stores nothing: it numbers the message, pushes it to every other
// connection (encoded once) and returns the response frame for the sender.
func (b *broadcaster) send(from *peer, req []byte) ([]byte, error) {
	var in pb.ChatSendReq
	if err := proto.Unmarshal(req[header:], &in); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	msg := &pb.ChatMessage{ConversationId: 1, Seq: b.seq, SenderId: from.id, Kind: "text", Text: in.Text,
		ClientId: in.ClientId, CreatedMs: time.Now().UnixMilli(), ConversationKind: "world"}
	body, err := proto.Marshal(msg)
	if err != nil {
		return nil, err
	}
	push := frame(nil, ws.OpBinary, append([]byte{kindPush, 0, routeChatMsg >> 8, routeChatMsg & 0xff, 0, 0, 0, 0}, body...))
	for p := range b.conns {
		if p != from {
			p.queue(push)
		}
	}
	resp, err := proto.Marshal(&pb.ChatSendResp{Message: msg})
	if err != nil {
		return nil, err
	}
	h := append([]byte(nil), req[:header]...)
	h[0] = kindResponse
	return frame(nil, ws.OpBinary, append(h, resp...)), nil
}

// queue hands a frame to the writer; a full queue closes the connection.
func (p *peer) queue(f []byte) {
	select {
	case p.out <- f:
	case <-p.done:
	default:
		p.close()
	}
}

func (p *peer) close() {
	p.once.Do(func() { close(p.done); p.conn.Close() })
}

func (p *peer) writeLoop() {
	for {
		select {
		case <-p.done:
			return
		case f := <-p.out:
			if _, err := p.conn.Write(f); err != nil {
				p.close()
				return
			}
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
