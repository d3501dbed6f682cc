package session

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/securetcp"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Mode is how frames travel on a connection.
type Mode uint8

// Connection modes.
const (
	ModeTCP    Mode = iota + 1 // length-prefixed binary frames
	ModeWS                     // WebSocket binary messages, protobuf bodies
	ModeWSText                 // WebSocket text messages, JSON envelopes
)

func (m Mode) String() string {
	switch m {
	case ModeTCP:
		return "tcp"
	case ModeWS:
		return "ws"
	case ModeWSText:
		return "ws-json"
	}
	return "unknown"
}

// Transport names the listener a session came from ("tcp" or "ws").
func (m Mode) Transport() string {
	if m == ModeTCP {
		return "tcp"
	}
	return "ws"
}

// Handler receives a session's frames. The body of f is valid only during
// the call. Serve calls HandleFrame from the session's reader goroutine, one
// frame at a time.
type Handler interface {
	HandleFrame(s *Session, f *transport.Frame)
	// Closed is called once, from the reader goroutine, after the
	// connection has closed.
	Closed(s *Session)
}

// Close reasons sent in the Kick frame and counted in metrics.
const (
	ReasonServerShutdown   = "server_shutdown"
	ReasonSlowConsumer     = "slow_consumer"
	ReasonRateLimited      = "rate_limited"
	ReasonHeartbeatTimeout = "heartbeat_timeout"
	ReasonHandshakeTimeout = "handshake_timeout"
	ReasonLoggedElsewhere  = "logged_in_elsewhere"
	ReasonBanned           = "banned"
	ReasonProtocolError    = "protocol_error"
	ReasonKicked           = "kicked"
	ReasonClientClosed     = "client_closed"
	ReasonReadError        = "read_error"
	ReasonWriteError       = "write_error"
	ReasonTooManyInFlight  = "too_many_in_flight"
)

// ErrClosed is returned by Send on a closed session.
var ErrClosed = errors.New("session: closed")

// ErrQueueFull is returned by Send when the send queue overflowed; the
// session is closed with reason slow_consumer.
var ErrQueueFull = errors.New("session: send queue full")

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// tryState is what tryWrite's callback writes and how far it got.
type tryState struct {
	b   []byte
	n   int
	err error
}

type outFrame struct {
	b      []byte
	pooled *[]byte
}

// Session is one client connection.
type Session struct {
	id     string
	conn   net.Conn
	mode   Mode
	cfg    *Config
	remote string
	start  time.Time

	counters Counters
	refusal  string
	strikeAt time.Time

	userID    atomic.Int64
	roles     atomic.Pointer[[]string]
	inFlight  atomic.Int32
	strikes   atomic.Int32
	handshake atomic.Bool
	// inHandler is true while the reader runs HandleFrame: Respond then
	// leaves the reply for the reader to write itself.
	inHandler atomic.Bool

	// reader state (reader goroutine only)
	br     *bufio.Reader
	tokens bucket
	// last is when the previous message left the leaky bucket.
	last time.Time
	// routeRate holds the buckets of routes with limits of their own
	// (AllowRoute).
	routeRate map[uint16]*bucket
	// readBy is the read deadline last set, readHS whether it was set
	// after the handshake (setReadDeadline).
	readBy time.Time
	readHS bool
	// frame is the frame being handled (handle).
	frame transport.Frame
	// writeBy is the write deadline last set; only the one writer at a
	// time touches it (writeBatch).
	writeBy time.Time

	// Encrypted TCP (package securetcp): identity is the server's key,
	// offered when set; after a key exchange the reader opens with opener
	// and the one writer at a time seals with sealer (set before anything
	// is queued, so no lock is needed to read it).
	identity  ed25519.PrivateKey
	sealer    *securetcp.Sealer
	opener    *securetcp.Opener
	encrypted atomic.Bool
	// raw is conn's file descriptor when conn is a socket of this process
	// (nil otherwise, and over TLS): SendShared writes to it without
	// waiting (tryWrite).
	raw syscall.RawConn
	// writeFD and tw are tryWrite's callback and its state (the one
	// writer at a time).
	writeFD func(fd uintptr) bool
	tw      tryState
	// lingering is set once the writer has ended a Close with the end of
	// stream instead of closing the socket (shutdownWrite).
	lingering atomic.Bool

	mu    sync.Mutex
	queue []outFrame
	// spare is the backing array of the last batch written, kept by the
	// writer (writeBatch) so that steady request/response traffic does not
	// allocate a queue per response.
	spare       []outFrame
	writing     bool
	closing     bool
	closed      bool
	closeReason string
	// drained, when not nil, is closed by the writer when it takes the
	// queue: the reader waits on it in waitQueue.
	drained chan struct{}
	props   map[string]any
	onDrop  func(reason string)
}

// New wraps conn. br, when not nil, holds bytes already read from conn
// (after an HTTP upgrade). onDrop, when not nil, is told why the session
// closed, once.
func New(id string, conn net.Conn, br *bufio.Reader, mode Mode, cfg *Config, onDrop func(reason string)) *Session {
	s := &Session{id: id, conn: conn, mode: mode, cfg: cfg, start: time.Now(), onDrop: onDrop}
	var src io.Reader = conn
	if br != nil && br.Buffered() > 0 {
		pre := make([]byte, br.Buffered())
		_, _ = io.ReadFull(br, pre)
		src = io.MultiReader(&bytesReader{b: pre}, conn)
	}
	s.br = bufio.NewReaderSize(src, readBuffer)
	if a := conn.RemoteAddr(); a != nil {
		s.remote = a.String()
	}
	s.tokens = newBucket(cfg.RateBurst)
	if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.raw = rc
		}
	}
	return s
}

type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// ID is the session id given to the client in the handshake answer.
func (s *Session) ID() string { return s.id }

// Mode is how frames travel on this connection.
func (s *Session) Mode() Mode { return s.mode }

// SetMode switches a WebSocket session to JSON text mode; the gateway calls
// it during the handshake only.
func (s *Session) SetMode(m Mode) { s.mode = m }

// RemoteAddr is the client's address: the socket peer's "host:port", or
// what SetRemoteAddr set.
func (s *Session) RemoteAddr() string { return s.remote }

// SetRemoteAddr replaces the socket peer's address with the client's, when
// a trusted proxy said who the client is. Call it before Serve.
func (s *Session) SetRemoteAddr(addr string) { s.remote = addr }

// Started is when the connection was accepted.
func (s *Session) Started() time.Time { return s.start }

// UserID is the authenticated user, 0 for an anonymous session.
func (s *Session) UserID() int64 { return s.userID.Load() }

// Roles are the authenticated user's roles.
func (s *Session) Roles() []string {
	if r := s.roles.Load(); r != nil {
		return *r
	}
	return nil
}

// HasRole reports whether the user has role.
func (s *Session) HasRole(role string) bool {
	for _, r := range s.Roles() {
		if r == role {
			return true
		}
	}
	return false
}

// Bind attaches an authenticated user to the session.
func (s *Session) Bind(userID int64, roles []string) {
	s.roles.Store(&roles)
	s.userID.Store(userID)
}

// Handshaken reports whether the handshake completed.
func (s *Session) Handshaken() bool { return s.handshake.Load() }

// MarkHandshaken records that the handshake completed; the read deadline
// becomes the heartbeat idle timeout from then on.
func (s *Session) MarkHandshaken() { s.handshake.Store(true) }

// Set stores a session property.
func (s *Session) Set(key string, v any) {
	s.mu.Lock()
	if s.props == nil {
		s.props = make(map[string]any, 2)
	}
	s.props[key] = v
	s.mu.Unlock()
}

// Get returns a session property.
func (s *Session) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.props[key]
	return v, ok
}

// AcquireInFlight reserves a request slot; false when MaxInFlight are busy.
func (s *Session) AcquireInFlight() bool {
	if s.inFlight.Add(1) > int32(s.cfg.MaxInFlight) {
		s.inFlight.Add(-1)
		return false
	}
	return true
}

// ReleaseInFlight frees a slot taken by AcquireInFlight.
func (s *Session) ReleaseInFlight() { s.inFlight.Add(-1) }

// Allow takes one message from the connection's rate limit (reader
// goroutine only) and reports whether it may be handled. With the token
// bucket it takes a token; with the leaky bucket it waits until the
// message's turn (at most 1/RatePerSecond after the previous one) and is
// always true.
func (s *Session) Allow(now time.Time) bool {
	if s.cfg.RateAlgorithm == RateLeaky {
		s.leak(now)
		return true
	}
	return s.tokens.take(now, s.cfg.RatePerSecond, s.cfg.RateBurst)
}

// leak waits for the next slot of the leaky bucket: s.last is when the
// previous message left it.
func (s *Session) leak(now time.Time) {
	gap := time.Duration(float64(time.Second) / s.cfg.RatePerSecond)
	next := s.last.Add(gap)
	if next.After(now) {
		time.Sleep(next.Sub(now))
		now = next
	}
	s.last = now
}

// bucket is a token bucket: tokens refill at a rate up to a burst.
type bucket struct {
	tokens float64
	last   time.Time
}

func newBucket(burst int) bucket { return bucket{tokens: float64(burst)} }

// take refills the bucket for the time since the last call and takes a
// token if there is one.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * rate
		if max := float64(burst); b.tokens > max {
			b.tokens = max
		}
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// AllowRoute takes one message from the connection's own token bucket for
// a route with a limit of its own (rate per second, burst), beside the
// connection-wide one (reader goroutine only). The buckets are made on a
// route's first use, so an idle session keeps none.
func (s *Session) AllowRoute(route uint16, now time.Time, rate float64, burst int) bool {
	b := s.routeRate[route]
	if b == nil {
		if s.routeRate == nil {
			s.routeRate = make(map[uint16]*bucket, 1)
		}
		nb := newBucket(burst)
		b = &nb
		s.routeRate[route] = b
	}
	return b.take(now, rate, burst)
}

// Strike counts a rate-limit violation (reader goroutine only) and reports
// whether the session has used up its strikes. Strikes older than ten
// seconds are forgotten, so only a sustained flood closes the connection.
func (s *Session) Strike(now time.Time) bool {
	if now.Sub(s.strikeAt) > 10*time.Second {
		s.strikeAt = now
		s.strikes.Store(0)
	}
	return int(s.strikes.Add(1)) >= s.cfg.RateStrikes
}

// Counter is the part of a Prometheus counter the writer uses.
type Counter interface{ Add(float64) }

// Counters receive the writer's frame and byte counts.
type Counters struct{ FramesOut, BytesOut Counter }

// SetCounters installs output counters; call before Serve.
func (s *Session) SetCounters(c Counters) { s.counters = c }

// SetIdentity offers encryption on a TCP session: a client whose first
// frame is a key exchange gets the server's ephemeral key signed with key
// (package securetcp). Call it before Serve.
func (s *Session) SetIdentity(key ed25519.PrivateKey) { s.identity = key }

// Encrypted reports whether the connection completed a key exchange: every
// frame after it is sealed.
func (s *Session) Encrypted() bool { return s.encrypted.Load() }

// SetRefusal marks a connection that is over a limit: its handshake will be
// refused with this reason. Call before Serve.
func (s *Session) SetRefusal(reason string) { s.refusal = reason }

// Refusal is the reason set by SetRefusal.
func (s *Session) Refusal() string { return s.refusal }

// SetID replaces the session id (a resumed session takes its old id back);
// only before the handshake completes.
func (s *Session) SetID(id string) {
	if !s.Handshaken() {
		s.id = id
	}
}

// CloseReason is why the session closed ("" while open).
func (s *Session) CloseReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeReason
}

// Serve runs the read loop until the connection closes, handing every
// frame to h, then calls h.Closed. It is the session's one long-lived
// goroutine.
func (s *Session) Serve(h Handler) {
	err := s.readLoop(h)
	var ne net.Error
	if errors.Is(err, errClosing) || s.isClosing() && errors.As(err, &ne) && ne.Timeout() {
		// Close was called (the writer wakes a reader blocked in a read
		// once the last frame is out): let the writer drain, then linger.
		s.waitWriter()
		h.Closed(s)
		s.linger()
		return
	}
	defer s.linger()
	defer h.Closed(s)
	reason := ReasonReadError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, errClientClose):
		reason = ReasonClientClosed
	case errors.As(err, &ne) && ne.Timeout():
		reason = ReasonHeartbeatTimeout
		if !s.Handshaken() {
			reason = ReasonHandshakeTimeout
		}
	case errors.Is(err, transport.ErrFrameTooLarge), errors.Is(err, transport.ErrBadKind),
		errors.Is(err, transport.ErrShortFrame), errors.Is(err, transport.ErrWSProtocol),
		errors.Is(err, transport.ErrBadJSON), errors.Is(err, io.ErrUnexpectedEOF),
		isSecureError(err):
		reason = ReasonProtocolError
	}
	if reason == ReasonProtocolError || reason == ReasonHeartbeatTimeout || reason == ReasonHandshakeTimeout {
		msg := protocolMessage(err, reason)
		if reason == ReasonHandshakeTimeout {
			msg = "no complete handshake within " + s.cfg.HandshakeTimeout.String()
		}
		s.Close(reason, msg)
	} else {
		s.abort(reason)
	}
	// Wait for the writer so that the last frames (a kick) get out, bounded
	// by the write timeout the writer applies.
	s.waitWriter()
}

func isSecureError(err error) bool {
	for _, e := range []error{securetcp.ErrBadHello, securetcp.ErrVersion, securetcp.ErrBadKey, securetcp.ErrOpen,
		securetcp.ErrShortRecord, securetcp.ErrTooLarge, securetcp.ErrExhausted, errKeyExchangeRefused} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func protocolMessage(err error, reason string) string {
	if reason == ReasonProtocolError && err != nil {
		return err.Error()
	}
	return reason
}

var (
	errClientClose = errors.New("session: client sent close")
	errClosing     = errors.New("session: closing")
	// errKeyExchangeRefused: the key exchange was answered with an error
	// HANDSHAKE_ACK (an unsupported version).
	errKeyExchangeRefused = errors.New("session: key exchange refused")
)

// readBuffer is the size of each session's read buffer: a frame header and
// a small message arrive in one read from the socket, and the reader hands
// them to the handler without copying them.
const readBuffer = 512

// deadlineSlack bounds how stale a connection deadline may get before it is
// set again. Setting a deadline re-arms a runtime timer, so the reader and
// the writer do it at most once per slack (deadlineSlack, or a quarter of
// the timeout when that is shorter) instead of once per frame, and set it
// that much further out: a timeout fires between the configured time and
// the slack after it, never before.
const deadlineSlack = time.Second

func (s *Session) setReadDeadline() {
	hs := s.Handshaken()
	now := time.Now()
	if !hs {
		// Before the handshake the deadline is exact and set once: it
		// counts from the accept, not from the last byte (a handshake sent
		// a byte at a time gains nothing).
		if s.readBy.IsZero() {
			s.readBy = s.start.Add(s.cfg.HandshakeTimeout)
			_ = s.conn.SetReadDeadline(s.readBy)
		}
		return
	}
	d := s.cfg.IdleTimeout()
	slack := min(deadlineSlack, d/4)
	if hs == s.readHS && s.readBy.Sub(now) >= d {
		return // set less than slack ago
	}
	s.readHS = hs
	s.readBy = now.Add(d + slack)
	_ = s.conn.SetReadDeadline(s.readBy)
}

// writeOne writes b (the writer): at once and with no deadline when the
// socket takes all of it (tryWrite), else the rest with the write deadline.
func (s *Session) writeOne(b []byte) (int, error) {
	s.clearStaleDeadline()
	n, ok, err := s.tryWrite(b)
	if err != nil || (ok && n == len(b)) {
		return n, err
	}
	s.setWriteDeadline()
	m, err := s.conn.Write(b[n:])
	return n + m, err
}

// clearStaleDeadline clears a write deadline set by setWriteDeadline that
// has passed (the writer): it would refuse the next write, which tryWrite
// does without waiting and so without a deadline; setWriteDeadline sets a
// new one before any write that may wait.
func (s *Session) clearStaleDeadline() {
	if s.raw != nil && !s.writeBy.IsZero() && !time.Now().Before(s.writeBy) {
		_ = s.conn.SetWriteDeadline(time.Time{})
		s.writeBy = time.Time{}
	}
}

// setWriteDeadline bounds the coming write (see deadlineSlack).
func (s *Session) setWriteDeadline() {
	now := time.Now()
	if s.writeBy.Sub(now) >= s.cfg.WriteTimeout {
		return
	}
	s.writeBy = now.Add(s.cfg.WriteTimeout + min(deadlineSlack, s.cfg.WriteTimeout/4))
	_ = s.conn.SetWriteDeadline(s.writeBy)
}

func (s *Session) readLoop(h Handler) error {
	if s.mode == ModeTCP && s.identity != nil {
		s.setReadDeadline()
		p, err := s.br.Peek(transport.HeaderTCP)
		if err != nil {
			return err
		}
		if transport.Kind(p[4]) == securetcp.Kind {
			if err := s.keyExchange(); err != nil {
				return err
			}
			r := securetcp.Reader{R: s.br, MaxBody: s.cfg.MaxFrameBytes, Open: s.opener, Borrow: true}
			for {
				s.setReadDeadline()
				f, err := r.Next(nil) // opened in s.br's buffer, or allocated when larger
				if err != nil {
					return err
				}
				if !s.handle(h, f) {
					return errClosing
				}
			}
		}
	}
	if s.mode == ModeTCP {
		r := transport.TCPReader{R: s.br, MaxBody: s.cfg.MaxFrameBytes, Borrow: true}
		for {
			s.setReadDeadline()
			f, err := r.Next(nil) // the body is in s.br's buffer, or allocated when larger
			if err != nil {
				return err
			}
			if !s.handle(h, f) {
				return errClosing
			}
		}
	}
	r := transport.WSReader{R: s.br, MaxBody: s.cfg.MaxFrameBytes + transport.HeaderWS, Borrow: true}
	for {
		s.setReadDeadline()
		op, msg, err := r.Next(nil) // the payload is in s.br's buffer, or allocated when larger
		if err != nil {
			return err
		}
		var f transport.Frame
		switch op {
		case ws.OpBinary:
			if s.mode == ModeWSText && s.Handshaken() {
				err = transport.ErrBadJSON
				break
			}
			f, err = transport.DecodeWS(msg, s.cfg.MaxFrameBytes)
		case ws.OpText:
			if s.mode == ModeWS && s.Handshaken() {
				err = transport.ErrBadKind
				break
			}
			f, err = transport.DecodeJSON(msg, s.cfg.MaxFrameBytes)
			if err == nil && !s.Handshaken() {
				s.mode = ModeWSText
			}
		case ws.OpPing:
			s.enqueueRaw(transport.AppendWSHeader(nil, ws.OpPong, len(msg)), msg)
			continue
		case ws.OpPong:
			continue
		case ws.OpClose:
			return errClientClose
		default:
			err = transport.ErrWSProtocol
		}
		if err != nil {
			return err
		}
		if !s.handle(h, f) {
			return errClosing
		}
	}
}

// keyExchangeMax bounds the client's key exchange frame body: a version-1
// hello is 49 bytes; a larger one is read (to answer a newer version
// plainly) but never more than this.
const keyExchangeMax = 256

// keyExchange answers the client's key exchange frame (the reader saw its
// kind) with the signed server half and switches the connection to sealed
// records. Nothing is queued yet, so the reader writes the answer itself.
func (s *Session) keyExchange() error {
	f, err := securetcp.ReadFrame(s.br, keyExchangeMax)
	if err != nil {
		return err
	}
	body, keys, err := securetcp.Accept(rand.Reader, s.identity, f.Body)
	if errors.Is(err, securetcp.ErrVersion) {
		_ = s.SendError(transport.KindHandshakeAck, 0, "", 0, &pb.Error{Code: pb.Code_CODE_BAD_REQUEST,
			Message: "key exchange version not supported: this server speaks 1", Rule: "unsupported_encryption"})
		return errKeyExchangeRefused
	}
	if err != nil {
		return err
	}
	s.setWriteDeadline()
	if _, err := s.conn.Write(securetcp.AppendFrame(nil, body)); err != nil {
		return err
	}
	s.sealer, s.opener = keys.Seal, keys.Open
	s.encrypted.Store(true)
	return nil
}

// handle runs h on one frame, then writes the replies h queued with
// Respond from this goroutine: a request answered inline costs no writer
// goroutine (spawning, scheduling and parking one per response was a tenth
// of the server's CPU time in the rpc benchmark).
//
// It reports whether the reader goes on: a frame that arrives once the
// session is closing is not handled (it is read only so that the close is
// orderly, see linger), and neither is anything after a frame whose
// handler closed the session.
func (s *Session) handle(h Handler, f transport.Frame) bool {
	if s.isClosing() {
		return false
	}
	s.frame = f // in the session, not on the heap per frame: h sees a pointer
	s.inHandler.Store(true)
	h.HandleFrame(s, &s.frame)
	s.inHandler.Store(false)
	s.frame = transport.Frame{}
	s.flushReplies()
	return !s.isClosing()
}

// flushReplies writes queued frames on the reader goroutine when no writer
// is running. It writes at most two batches (the reply, then whatever
// arrived meanwhile); if frames keep coming, a writer goroutine takes over
// so that the reader gets back to reading.
func (s *Session) flushReplies() {
	s.mu.Lock()
	if s.writing {
		busy := len(s.queue) >= max(1, s.cfg.SendQueue/2)
		s.mu.Unlock()
		if busy {
			s.waitQueue()
		}
		return
	}
	if len(s.queue) == 0 {
		s.mu.Unlock()
		return
	}
	s.writing = true
	s.mu.Unlock()
	for range 2 {
		if !s.writeBatch() {
			return
		}
	}
	// Owned by the session like any writer: it exits when the queue is
	// empty or the connection fails; Serve waits for it.
	go s.writeLoop()
}

// waitQueue holds the reader while the writer goroutine has half the send
// queue or more still to write (flushReplies): a client that pipelines
// requests faster than its answers are written is slowed down (the reader
// stops reading) instead of having its own answers overflow the queue and
// being closed as a slow consumer. The wait is bounded by WriteTimeout;
// a client that reads nothing still fills the queue and is closed.
func (s *Session) waitQueue() {
	var timeout <-chan time.Time
	for {
		s.mu.Lock()
		if !s.writing || s.closed || len(s.queue) < max(1, s.cfg.SendQueue/2) {
			s.mu.Unlock()
			return
		}
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		ch := s.drained
		s.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(s.cfg.WriteTimeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ch:
		case <-timeout:
			return
		}
	}
}

// wakeDrained tells a waiting reader (waitQueue) that the queue changed;
// s.mu is held.
func (s *Session) wakeDrained() {
	if s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
}

func (s *Session) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing || s.closed
}

func (s *Session) enqueueRaw(parts ...[]byte) {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	_ = s.enqueue(outFrame{b: b}, false, false)
}

// Send encodes msg in the session's codec and queues it. routeName is used
// by JSON text mode only.
func (s *Session) Send(kind transport.Kind, route uint16, routeName string, seq uint32, msg proto.Message) error {
	return s.send(kind, route, routeName, seq, msg, false)
}

// Respond queues the RESPONSE to request seq. Called from the session's
// reader goroutine during HandleFrame (a handler run inline), it leaves the
// frame for the reader to write when HandleFrame returns instead of
// starting a writer goroutine; from anywhere else it is Send.
func (s *Session) Respond(route uint16, routeName string, seq uint32, msg proto.Message) error {
	return s.send(transport.KindResponse, route, routeName, seq, msg, s.inHandler.Load())
}

func (s *Session) send(kind transport.Kind, route uint16, routeName string, seq uint32, msg proto.Message, byReader bool) error {
	f := transport.Frame{Kind: kind, Route: route, Seq: seq, RouteName: routeName}
	bp := bufPool.Get().(*[]byte)
	b, err := s.encode((*bp)[:0], &f, msg)
	if err != nil {
		bufPool.Put(bp)
		return err
	}
	*bp = b
	return s.enqueue(outFrame{b: b, pooled: bp}, false, byReader)
}

// SendError queues an error RESPONSE (or HANDSHAKE_ACK) for seq.
func (s *Session) SendError(kind transport.Kind, route uint16, routeName string, seq uint32, e *pb.Error) error {
	f := transport.Frame{Kind: kind, Flags: transport.FlagError, Route: route, Seq: seq, RouteName: routeName}
	bp := bufPool.Get().(*[]byte)
	var b []byte
	if s.mode == ModeWSText {
		f.Body = ErrorJSON(e)
		b = s.wrapText((*bp)[:0], &f)
	} else {
		var err error
		if b, err = s.encode((*bp)[:0], &f, e); err != nil {
			bufPool.Put(bp)
			return err
		}
	}
	*bp = b
	return s.enqueue(outFrame{b: b, pooled: bp}, false, false)
}

// SendFrame queues a frame whose body is already encoded for this
// session's codec (protobuf bytes, or JSON in text mode).
func (s *Session) SendFrame(f *transport.Frame) error {
	return s.sendFrame(f, false)
}

// RespondFrame is SendFrame for an answer to the frame being handled (a
// heartbeat): called from the reader during HandleFrame, it leaves the
// frame for the reader to write when HandleFrame returns, as Respond does,
// instead of starting a writer goroutine.
func (s *Session) RespondFrame(f *transport.Frame) error {
	return s.sendFrame(f, s.inHandler.Load())
}

func (s *Session) sendFrame(f *transport.Frame, byReader bool) error {
	bp := bufPool.Get().(*[]byte)
	b := AppendFrame((*bp)[:0], s.mode, f)
	*bp = b
	return s.enqueue(outFrame{b: b, pooled: bp}, false, byReader)
}

// AppendFrame appends f, whose body is already encoded for mode (protobuf
// bytes, or JSON in text mode), as mode puts it on the wire: what
// SendFrame queues and SendShared takes.
func AppendFrame(dst []byte, mode Mode, f *transport.Frame) []byte {
	switch mode {
	case ModeTCP:
		return transport.AppendTCP(dst, f)
	case ModeWS:
		dst = transport.AppendWSHeader(dst, ws.OpBinary, transport.HeaderWS+len(f.Body))
		return transport.AppendWS(dst, f)
	default:
		return wrapText(dst, f)
	}
}

// SendShared sends wire, a whole frame made by AppendFrame for this
// session's mode, that the caller shares between many sessions (one push
// fanned out): it is never changed or kept beyond its write, and the
// caller must not change it afterwards. When nothing is queued and no
// writer runs, the caller's goroutine writes it at once, as far as the
// socket takes it without waiting (no goroutine, no timer); the rest, or
// the whole frame when a writer is busy, is queued like any frame, behind
// what was queued before it, under the same bound and full policy.
func (s *Session) SendShared(wire []byte) error {
	if s.sealer != nil {
		// Sealed in place by the writer: the session needs its own copy.
		bp := bufPool.Get().(*[]byte)
		*bp = append((*bp)[:0], wire...)
		return s.enqueue(outFrame{b: *bp, pooled: bp}, false, false)
	}
	s.mu.Lock()
	if s.raw == nil || s.writing || len(s.queue) > 0 || s.closing || s.closed {
		s.mu.Unlock()
		return s.enqueue(outFrame{b: wire}, false, false)
	}
	s.writing = true // this goroutine is the one writer until it lets go
	s.mu.Unlock()
	s.clearStaleDeadline()
	n, ok, err := s.tryWrite(wire)
	if n > 0 && s.counters.FramesOut != nil {
		if n == len(wire) {
			s.counters.FramesOut.Add(1)
		}
		s.counters.BytesOut.Add(float64(n))
	}
	if err != nil {
		s.mu.Lock()
		s.writing = false
		s.mu.Unlock()
		s.abort(ReasonWriteError)
		return err
	}
	s.mu.Lock()
	if ok && n == len(wire) {
		if len(s.queue) == 0 && !s.closing && !s.closed {
			s.writing = false
			s.mu.Unlock()
			return nil
		}
	} else {
		// What the socket did not take goes first, before what others
		// queued meanwhile: the writer sends it with a deadline.
		rest := outFrame{b: wire[n:]}
		if !s.closed && len(s.queue) >= s.cfg.SendQueue {
			s.writing = false
			s.mu.Unlock()
			s.abort(ReasonSlowConsumer)
			return ErrQueueFull
		}
		s.queue = append(s.queue, outFrame{})
		copy(s.queue[1:], s.queue)
		s.queue[0] = rest
	}
	// Frames queued meanwhile, the rest of this one, or a Close to finish:
	// the writer goroutine takes over (owned by the session, as in enqueue).
	go s.writeLoop()
	s.mu.Unlock()
	return nil
}

func (s *Session) wrapText(dst []byte, f *transport.Frame) []byte { return wrapText(dst, f) }

func wrapText(dst []byte, f *transport.Frame) []byte {
	payload := transport.AppendJSON(nil, f)
	dst = transport.AppendWSHeader(dst, ws.OpText, len(payload))
	return append(dst, payload...)
}

// ErrorJSON is the JSON text mode form of an Error: lower-case code names.
func ErrorJSON(e *pb.Error) []byte {
	b := []byte(`{"code":`)
	b = appendQuote(b, CodeName(e.GetCode()))
	b = append(b, `,"message":`...)
	b = appendQuote(b, e.GetMessage())
	if e.GetRule() != "" {
		b = append(b, `,"rule":`...)
		b = appendQuote(b, e.GetRule())
	}
	return append(b, '}')
}

// CodeName is the wire name of a code ("not_found").
func CodeName(c pb.Code) string {
	switch c {
	case pb.Code_CODE_BAD_REQUEST:
		return "bad_request"
	case pb.Code_CODE_UNAUTHENTICATED:
		return "unauthenticated"
	case pb.Code_CODE_FORBIDDEN:
		return "forbidden"
	case pb.Code_CODE_NOT_FOUND:
		return "not_found"
	case pb.Code_CODE_CONFLICT:
		return "conflict"
	case pb.Code_CODE_RATE_LIMITED:
		return "rate_limited"
	case pb.Code_CODE_UNAVAILABLE:
		return "unavailable"
	default:
		return "internal"
	}
}

var jsonOpts = protojson.MarshalOptions{UseProtoNames: true}

func (s *Session) encode(dst []byte, f *transport.Frame, msg proto.Message) ([]byte, error) {
	switch s.mode {
	case ModeTCP:
		n := len(dst)
		dst = transport.AppendTCP(dst, f)
		body, err := proto.MarshalOptions{}.MarshalAppend(dst, msg)
		if err != nil {
			return nil, err
		}
		putLen(body[n:], len(body)-n-transport.HeaderTCP)
		return body, nil
	case ModeWS:
		size := proto.Size(msg)
		dst = transport.AppendWSHeader(dst, ws.OpBinary, transport.HeaderWS+size)
		dst = transport.AppendWS(dst, f)
		return proto.MarshalOptions{}.MarshalAppend(dst, msg)
	default:
		body, err := jsonOpts.Marshal(msg)
		if err != nil {
			return nil, err
		}
		f.Body = body
		return s.wrapText(dst, f), nil
	}
}

func putLen(b []byte, n int) {
	b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
}

// enqueue adds a frame to the send queue, starting the writer when it is
// not running, unless byReader says the reader will write it (flushReplies).
// A full queue closes the session (slow consumer).
func (s *Session) enqueue(o outFrame, last, byReader bool) error {
	s.mu.Lock()
	if s.closed || (s.closing && !last) {
		s.mu.Unlock()
		release(o)
		return ErrClosed
	}
	if len(s.queue) >= s.cfg.SendQueue {
		s.mu.Unlock()
		release(o)
		s.abort(ReasonSlowConsumer)
		return ErrQueueFull
	}
	s.queue = append(s.queue, o)
	if !s.writing && !byReader {
		s.writing = true
		// The writer goroutine is owned by the session: it exits when the
		// queue is empty or the connection fails; Serve waits for it.
		go s.writeLoop()
	}
	s.mu.Unlock()
	return nil
}

func release(o outFrame) {
	if o.pooled != nil && cap(*o.pooled) <= 64<<10 {
		*o.pooled = (*o.pooled)[:0]
		bufPool.Put(o.pooled)
	}
}

func (s *Session) writeLoop() {
	for s.writeBatch() {
	}
}

// writeBatch writes every queued frame. When the queue is empty or the
// session is closed it ends the writer instead (clears writing, finishes a
// Close by closing the connection) and returns false. Only the one writer
// (the goroutine, or the reader in flushReplies) calls it.
func (s *Session) writeBatch() bool {
	s.mu.Lock()
	if len(s.queue) == 0 || s.closed {
		s.wakeDrained()
		closeNow := s.closing && !s.closed
		if closeNow {
			s.closed = true
		}
		for _, o := range s.queue {
			release(o)
		}
		s.queue = nil
		if !s.closed && s.spare != nil {
			s.queue = s.spare[:0]
		}
		s.spare = nil
		if !closeNow {
			s.writing = false
			s.mu.Unlock()
			return false
		}
		s.mu.Unlock()
		s.shutdownWrite()
		s.mu.Lock()
		s.writing = false
		s.mu.Unlock()
		return false
	}
	batch := s.queue
	s.queue = nil
	s.wakeDrained()
	s.mu.Unlock()

	if s.sealer != nil {
		// Seal in queue order: the counter nonce is the record's position.
		for i := range batch {
			sealed, err := s.sealer.Seal(batch[i].b)
			if err != nil {
				for _, o := range batch {
					release(o)
				}
				s.abort(ReasonWriteError)
				return true
			}
			batch[i].b = sealed
			if batch[i].pooled != nil {
				*batch[i].pooled = sealed
			}
		}
	}
	var n int64
	var err error
	if len(batch) == 1 {
		var m int
		m, err = s.writeOne(batch[0].b)
		n = int64(m)
	} else {
		s.setWriteDeadline()
		bufs := make(net.Buffers, len(batch))
		for i, o := range batch {
			bufs[i] = o.b
		}
		n, err = bufs.WriteTo(s.conn)
	}
	if s.counters.FramesOut != nil {
		s.counters.FramesOut.Add(float64(len(batch)))
		s.counters.BytesOut.Add(float64(n))
	}
	for i, o := range batch {
		release(o)
		batch[i] = outFrame{}
	}
	if cap(batch) <= 16 {
		s.spare = batch[:0]
	}
	if err != nil {
		s.abort(ReasonWriteError)
	}
	return true
}

// shutdownWrite ends a Close once the last queued frame is written: it
// sends the end of stream (TCP FIN, TLS close_notify) but keeps reading,
// and wakes the reader, which lingers. Closing a socket outright while the
// client's frames are still unread makes the kernel answer with a reset,
// and a reset makes the client's kernel throw away what it had received
// and not yet read: the rate_limited answers and the kick of a client that
// flooded the server would never reach it.
func (s *Session) shutdownWrite() {
	if cw, ok := s.conn.(interface{ CloseWrite() error }); !ok || cw.CloseWrite() != nil {
		_ = s.conn.Close()
		return
	}
	s.lingering.Store(true)
	_ = s.conn.SetReadDeadline(time.Now())
}

// lingerTime and lingerBytes bound what a closing connection still reads,
// and throws away, before it is closed (shutdownWrite): the client has
// that long to see the end of stream and close its side.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 1 << 20
)

// linger reads and discards what the client still sends after the end of
// stream, until the client closes its side or the bounds are reached, then
// closes the connection (reader goroutine, after Closed).
func (s *Session) linger() {
	if s.lingering.Load() {
		_ = s.conn.SetReadDeadline(time.Now().Add(min(lingerTime, s.cfg.WriteTimeout)))
		_, _ = io.CopyN(io.Discard, s.conn, lingerBytes)
	}
	_ = s.conn.Close()
}

func (s *Session) waitWriter() {
	deadline := time.Now().Add(s.cfg.WriteTimeout + time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		w := s.writing
		s.mu.Unlock()
		if !w {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.abort(ReasonReadError)
}

// Close tells the client why (a KICK frame, and a WebSocket close frame),
// lets the queued frames drain, then closes the connection. The reader
// notices and ends Serve.
func (s *Session) Close(reason, message string) {
	s.mu.Lock()
	if s.closing || s.closed {
		s.mu.Unlock()
		return
	}
	s.closeReason = reason
	s.mu.Unlock()
	// Bound the drain: a client that does not read gets cut off. Set
	// before the writer can finish, whose end of stream moves the read
	// deadline to now (shutdownWrite).
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	_ = s.conn.SetReadDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if s.Handshaken() || reason == ReasonHandshakeTimeout {
		// A connection that ran out of time for its handshake is told so
		// too, in the frames it started with.
		_ = s.Send(transport.KindKick, 0, "", 0, &pb.Kick{Reason: reason, Message: message})
	}
	if s.mode != ModeTCP {
		code := ws.StatusNormalClosure
		if reason == ReasonProtocolError {
			code = ws.StatusProtocolError
		}
		body := ws.NewCloseFrameBody(code, reason)
		_ = s.enqueue(outFrame{b: append(transport.AppendWSHeader(nil, ws.OpClose, len(body)), body...)}, false, false)
	}
	s.mu.Lock()
	s.closing = true
	if !s.writing && !s.closed && len(s.queue) > 0 {
		// Replies left for the reader (Respond) still go out before the close.
		s.writing = true
		go s.writeLoop() // exits once the queue is drained and closes the connection
	}
	if !s.writing && !s.closed {
		// The writer is done already (it may have written the kick
		// before closing was set): end the stream here.
		s.closed = true
		s.mu.Unlock()
		s.shutdownWrite()
		s.report(reason)
		return
	}
	s.mu.Unlock()
	s.report(reason)
}

// abort closes the connection at once, dropping queued frames.
func (s *Session) abort(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	first := s.closeReason == ""
	if first {
		s.closeReason = reason
	}
	s.closed = true
	s.closing = true
	s.wakeDrained()
	s.mu.Unlock()
	_ = s.conn.Close()
	if first {
		s.report(reason)
	}
}

func (s *Session) report(reason string) {
	if s.onDrop != nil {
		s.onDrop(reason)
	}
}

// Detached returns a session with no connection: the caller of a request
// that another node forwarded. It carries the caller's session id, user and
// roles so that a handler sees the same *Session it would in the gateway's
// process; sends on it fail with ErrClosed (pushes go through the cluster).
func Detached(id string, userID int64, roles []string, mode Mode) *Session {
	s := &Session{id: id, mode: mode, start: time.Now(), closed: true, closing: true, closeReason: "detached"}
	s.Bind(userID, roles)
	s.handshake.Store(true)
	return s
}
