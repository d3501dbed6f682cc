package world

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ZinxConfig is the demo listener's connection policy.
type ZinxConfig struct {
	// IdleTimeout closes a connection that sends nothing for this long
	// (the demo's clients have no heartbeat; a moving player sends ten
	// frames a second).
	IdleTimeout time.Duration
	// FrameTimeout is how long the rest of a frame may take once its
	// first byte arrived.
	FrameTimeout time.Duration
	// WriteTimeout closes a connection whose write takes longer.
	WriteTimeout time.Duration
	// MaxFrameBytes bounds a client frame's body.
	MaxFrameBytes int
	// MaxConns bounds the demo connections.
	MaxConns int
	// Rate is the frames per second a connection may send on average, and
	// Burst how many above it at once; a flood closes the connection.
	Rate  float64
	Burst int
}

// DefaultZinxConfig is the demo listener's default policy.
func DefaultZinxConfig() ZinxConfig {
	return ZinxConfig{IdleTimeout: 2 * time.Minute, FrameTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		MaxFrameBytes: 4096, MaxConns: 20000, Rate: 100, Burst: 200}
}

// Validate checks the policy.
func (c ZinxConfig) Validate() error {
	if c.IdleTimeout <= 0 || c.FrameTimeout <= 0 || c.WriteTimeout <= 0 {
		return errors.New("world: zinx timeouts must be positive")
	}
	if c.MaxFrameBytes < 64 || c.MaxFrameBytes > 1<<20 {
		return fmt.Errorf("world: zinx max frame bytes %d not in 64..1MiB", c.MaxFrameBytes)
	}
	if c.MaxConns < 1 || !(c.Rate > 0) || c.Burst < 1 {
		return errors.New("world: zinx max conns, rate and burst must be positive")
	}
	return nil
}

// Reasons a demo connection closes (the keys of ZinxStats.Closed).
const (
	ZinxCloseEOF       = "eof"             // the client closed
	ZinxCloseIdle      = "idle"            // nothing received for IdleTimeout
	ZinxCloseTooLarge  = "frame_too_large" // a body over MaxFrameBytes
	ZinxCloseUnknown   = "unknown_msg"     // a msgID clients do not send
	ZinxCloseBadBody   = "bad_body"        // a body that is not its message
	ZinxCloseFlood     = "flood"           // more frames than Rate/Burst allow
	ZinxCloseWrite     = "write_error"     // a write failed or timed out
	ZinxCloseRead      = "read_error"      // a read failed mid-frame
	ZinxCloseFull      = "world_full"      // the world or listener is full
	ZinxCloseShutdown  = "shutdown"        // the server is stopping
	ZinxCloseWorldGone = "world_stopped"   // the world stopped
)

var zinxReasons = []string{ZinxCloseEOF, ZinxCloseIdle, ZinxCloseTooLarge, ZinxCloseUnknown, ZinxCloseBadBody,
	ZinxCloseFlood, ZinxCloseWrite, ZinxCloseRead, ZinxCloseFull, ZinxCloseShutdown, ZinxCloseWorldGone}

// ZinxStats are the demo listener's counters.
type ZinxStats struct {
	Conns            int64
	Accepted         uint64
	FramesIn         uint64
	Moves, Chats     uint64
	RefusedMoves     uint64 // off the map or too fast (the world's rules)
	RefusedChats     uint64 // invalid or over the rate
	DroppedChats     uint64 // not sent: the receiver's queue was full
	Writes, BytesOut uint64
	Closed           map[string]uint64 // by reason (the ZinxClose* constants)
}

// Zinx serves the Zinx MMO demo's protocol: every connection is a player
// in the world, seen by and seeing native players.
type Zinx struct {
	w   *World
	cfg ZinxConfig
	log *slog.Logger

	mu    sync.Mutex
	conns map[*zinxConn]struct{}

	st struct {
		conns                    atomic.Int64
		accepted, framesIn       atomic.Uint64
		moves, chats             atomic.Uint64
		refusedMoves, refusedCht atomic.Uint64
		droppedChats             atomic.Uint64
		writes, bytesOut         atomic.Uint64
		closed                   [16]atomic.Uint64 // index in zinxReasons
	}
}

// NewZinx returns the demo protocol's server for w.
func NewZinx(w *World, cfg ZinxConfig, log *slog.Logger) (*Zinx, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Zinx{w: w, cfg: cfg, log: log, conns: map[*zinxConn]struct{}{}}, nil
}

// Stats returns the counters.
func (z *Zinx) Stats() ZinxStats {
	s := ZinxStats{Conns: z.st.conns.Load(), Accepted: z.st.accepted.Load(), FramesIn: z.st.framesIn.Load(),
		Moves: z.st.moves.Load(), Chats: z.st.chats.Load(), RefusedMoves: z.st.refusedMoves.Load(),
		RefusedChats: z.st.refusedCht.Load(), DroppedChats: z.st.droppedChats.Load(),
		Writes: z.st.writes.Load(), BytesOut: z.st.bytesOut.Load(), Closed: map[string]uint64{}}
	for i, r := range zinxReasons {
		s.Closed[r] = z.st.closed[i].Load()
	}
	return s
}

func (z *Zinx) countClose(reason string) {
	for i, r := range zinxReasons {
		if r == reason {
			z.st.closed[i].Add(1)
			return
		}
	}
}

// Serve accepts demo connections on ln until ctx ends, then closes ln and
// every connection and returns once their goroutines have exited.
func (z *Zinx) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var err error
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				var ne net.Error
				if errors.As(aerr, &ne) && ne.Timeout() {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				err = fmt.Errorf("world: zinx accept: %w", aerr)
			}
			break
		}
		z.st.accepted.Add(1)
		zc := newZinxConn(z, c)
		z.mu.Lock()
		full := len(z.conns) >= z.cfg.MaxConns
		if !full {
			z.conns[zc] = struct{}{}
		}
		z.mu.Unlock()
		if full {
			z.countClose(ZinxCloseFull)
			_ = c.Close()
			continue
		}
		wg.Go(func() { zc.run(ctx) })
	}
	_ = ln.Close()
	z.mu.Lock()
	for zc := range z.conns {
		zc.close(ZinxCloseShutdown)
	}
	z.mu.Unlock()
	wg.Wait()
	return err
}

// zinxConn is one demo connection: its reader runs on the connection's
// goroutine, its writer on a second one it owns.
type zinxConn struct {
	z  *Zinx
	c  net.Conn
	id int32

	mu      sync.Mutex
	queue   [][]byte
	started bool // the hello (1, 200 Tp 2, 202) is queued
	closed  bool
	reason  string
	wake    chan struct{} // cap 1: the writer has work
	done    chan struct{} // closed by close

	// zone goroutine (Send) only
	known map[int32]struct{}
	seen  map[int32]struct{}
}

var zinxBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func newZinxConn(z *Zinx, c net.Conn) *zinxConn {
	return &zinxConn{z: z, c: c, wake: make(chan struct{}, 1), done: make(chan struct{}), known: map[int32]struct{}{}}
}

// close records the first reason and closes the socket, which ends the
// reader and the writer.
func (zc *zinxConn) close(reason string) {
	zc.mu.Lock()
	if zc.closed {
		zc.mu.Unlock()
		return
	}
	zc.closed, zc.reason = true, reason
	close(zc.done)
	zc.mu.Unlock()
	_ = zc.c.Close()
}

func (zc *zinxConn) run(ctx context.Context) {
	z := zc.z
	z.st.conns.Add(1)
	defer func() {
		z.mu.Lock()
		delete(z.conns, zc)
		z.mu.Unlock()
		z.st.conns.Add(-1)
	}()
	var wg sync.WaitGroup
	wg.Go(zc.writeLoop)
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { zc.close(ZinxCloseShutdown) })
	defer stop()
	e, err := z.w.Enter(0, "", zc)
	if err != nil {
		reason := ZinxCloseFull
		if errors.Is(err, ErrStopped) {
			reason = ZinxCloseWorldGone
		}
		zc.close(reason)
		z.countClose(reason)
		return
	}
	zc.id = e.ID
	reason := zc.readLoop()
	zc.close(reason)
	zc.mu.Lock()
	reason = zc.reason
	zc.mu.Unlock()
	z.countClose(reason)
	z.w.Disconnect(zc.id, zc)
	z.log.Debug("zinx connection closed", "player_id", zc.id, "reason", reason)
}

// readLoop reads and applies frames until the connection fails; it
// returns the reason.
func (zc *zinxConn) readLoop() string {
	z := zc.z
	br := bufio.NewReaderSize(zc.c, 1024)
	var (
		buf    []byte
		req    zinxRequest
		tokens = float64(z.cfg.Burst)
		last   = time.Now()
	)
	for {
		_ = zc.c.SetReadDeadline(time.Now().Add(z.cfg.IdleTimeout))
		if _, err := br.Peek(1); err != nil {
			return readReason(err, true)
		}
		_ = zc.c.SetReadDeadline(time.Now().Add(z.cfg.FrameTimeout))
		id, body, nb, err := readZinxFrame(br, buf, z.cfg.MaxFrameBytes)
		buf = nb
		if err != nil {
			if errors.Is(err, ErrZinxTooLarge) {
				return ZinxCloseTooLarge
			}
			return readReason(err, false)
		}
		z.st.framesIn.Add(1)
		now := time.Now()
		tokens = min(float64(z.cfg.Burst), tokens+now.Sub(last).Seconds()*z.cfg.Rate)
		last = now
		if tokens < 1 {
			return ZinxCloseFlood
		}
		tokens--
		if err := decodeZinx(id, body, &req); err != nil {
			if errors.Is(err, ErrZinxUnknown) {
				return ZinxCloseUnknown
			}
			return ZinxCloseBadBody
		}
		switch id {
		case ZinxMove:
			z.st.moves.Add(1)
			p := &req.Pos
			if err := z.w.Move(zc.id, p.X, p.Y, p.Z, p.V); err != nil {
				if errors.Is(err, ErrNotInWorld) || errors.Is(err, ErrStopped) {
					return ZinxCloseWorldGone
				}
				z.st.refusedMoves.Add(1)
			}
		case ZinxTalk:
			z.st.chats.Add(1)
			ctx, cancel := context.WithTimeout(context.Background(), z.cfg.FrameTimeout)
			err := z.w.Chat(ctx, zc.id, req.Talk)
			cancel()
			if err != nil {
				z.st.refusedCht.Add(1)
			}
		}
	}
}

func readReason(err error, between bool) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		if between {
			return ZinxCloseIdle
		}
		return ZinxCloseRead
	case between && errors.Is(err, io.EOF):
		return ZinxCloseEOF
	case errors.Is(err, net.ErrClosed):
		return ZinxCloseShutdown // closed by us; close kept the first reason
	default:
		return ZinxCloseRead
	}
}

// writeLoop writes what is queued, everything waiting in one write.
func (zc *zinxConn) writeLoop() {
	z := zc.z
	var bufs net.Buffers
	var owned [][]byte
	for {
		select {
		case <-zc.done:
			return
		case <-zc.wake:
		}
		zc.mu.Lock()
		owned = append(owned[:0], zc.queue...)
		zc.queue = zc.queue[:0]
		zc.mu.Unlock()
		if len(owned) == 0 {
			continue
		}
		bufs = append(bufs[:0], owned...)
		n := 0
		for _, b := range owned {
			n += len(b)
		}
		_ = zc.c.SetWriteDeadline(time.Now().Add(z.cfg.WriteTimeout))
		_, err := bufs.WriteTo(zc.c)
		for i, b := range owned {
			b = b[:0]
			zinxBufs.Put(&b)
			owned[i] = nil
		}
		if err != nil {
			zc.close(ZinxCloseWrite)
			return
		}
		z.st.writes.Add(1)
		z.st.bytesOut.Add(uint64(n))
	}
}

// enqueue queues b (a pooled buffer) unless the connection is closed or
// limit buffers are waiting; it reports whether it did.
func (zc *zinxConn) enqueue(b []byte, limit int, hello bool) bool {
	zc.mu.Lock()
	if zc.closed || len(zc.queue) >= limit || !hello && !zc.started {
		zc.mu.Unlock()
		return false
	}
	if hello {
		zc.started = true
	}
	zc.queue = append(zc.queue, b)
	zc.mu.Unlock()
	select {
	case zc.wake <- struct{}{}:
	default:
	}
	return true
}

func (zc *zinxConn) queued() int {
	zc.mu.Lock()
	defer zc.mu.Unlock()
	return len(zc.queue)
}

// Codec is the demo protocol's.
func (zc *zinxConn) Codec() Codec { return ZinxCodec }

// Send writes one tick's update as one buffer: leaves (201), appearances
// (200 Tp 2), then the moves in view (200 Tp 4). The first update after
// connect is the hello: 1 with the id, 200 Tp 2 with the start position,
// 202 with the players in view. A later reset (the connection fell
// behind) is turned into the difference with what the client knows.
func (zc *zinxConn) Send(u *Update) bool {
	behind := zc.z.w.cfg.Behind
	if zc.queued() >= behind {
		return false
	}
	bp := zinxBufs.Get().(*[]byte)
	b := (*bp)[:0]
	zc.mu.Lock()
	hello := !zc.started
	zc.mu.Unlock()
	switch {
	case hello:
		b = appendZinxPID(b, ZinxSyncPID, u.Self.ID)
		b = appendZinxBroadCast(b, ZinxTpAppear, &u.Self)
		b = appendZinxPlayers(b, u.Entered)
		clear(zc.known)
		for i := range u.Entered {
			zc.known[u.Entered[i].ID] = struct{}{}
		}
	case u.Reset:
		if zc.seen == nil {
			zc.seen = map[int32]struct{}{}
		}
		clear(zc.seen)
		for i := range u.Entered {
			zc.seen[u.Entered[i].ID] = struct{}{}
		}
		for id := range zc.known {
			if _, ok := zc.seen[id]; !ok {
				b = appendZinxPID(b, ZinxGone, id)
				delete(zc.known, id)
			}
		}
		for i := range u.Entered {
			e := &u.Entered[i]
			tp := int32(ZinxTpAppear)
			if _, ok := zc.known[e.ID]; ok {
				tp = ZinxTpMove
			}
			b = appendZinxBroadCast(b, tp, e)
			zc.known[e.ID] = struct{}{}
		}
	default:
		for _, id := range u.Left {
			if _, ok := zc.known[id]; ok {
				b = appendZinxPID(b, ZinxGone, id)
				delete(zc.known, id)
			}
		}
		for i := range u.Entered {
			b = appendZinxBroadCast(b, ZinxTpAppear, &u.Entered[i])
			zc.known[u.Entered[i].ID] = struct{}{}
		}
	}
	for _, m := range u.Moved {
		b = append(b, m...)
	}
	*bp = b
	if len(b) == 0 {
		zinxBufs.Put(bp)
		return true
	}
	if !zc.enqueue(b, behind, hello) {
		zinxBufs.Put(bp)
		return false
	}
	return true
}

// Chat sends a world chat message as 200 Tp 1. A connection that is
// behind does not get it (counted).
func (zc *zinxConn) Chat(m ChatMessage) {
	bp := zinxBufs.Get().(*[]byte)
	b := appendZinxChat((*bp)[:0], m.From, m.Text)
	*bp = b
	if !zc.enqueue(b, 2*zc.z.w.cfg.Behind, false) {
		zinxBufs.Put(bp)
		zc.z.st.droppedChats.Add(1)
	}
}

// ZinxCloseReasons lists every reason a demo connection closes for.
func ZinxCloseReasons() []string { return append([]string(nil), zinxReasons...) }
