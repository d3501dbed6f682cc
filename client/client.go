package client

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/securetcp"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Options configure a Client. The zero value works: protobuf codec, no
// token, no reconnect.
type Options struct {
	// Token is an access token from the /v1/auth API (optional).
	Token string
	// Codec is "protobuf" (default) or "json" (WebSocket text frames only).
	Codec string
	// Reconnect makes the client redial after a lost connection, with
	// exponential backoff between MinBackoff and MaxBackoff plus jitter.
	Reconnect  bool
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// DialTimeout bounds the dial and the handshake (default 10 s).
	DialTimeout time.Duration
	// TLSConfig configures TLS for wss:// and tls:// targets (nil: the
	// system roots and the target's host name).
	TLSConfig *tls.Config
	// OnState is told about connection state changes (from the client's
	// goroutines; keep it quick).
	OnState func(State)
	// Handlers are push handlers registered before the first frame is
	// read, as On would register them: pushes the server sends right
	// after the handshake (the table snapshot of a reconnect, for one)
	// arrive before Dial returns and would find no handler set with On.
	Handlers map[string]func(Push)
	// Name is sent as Handshake.client.
	Name string
	// MaxFrameBytes bounds frames read from the server (default 1 MiB).
	MaxFrameBytes int
	// ResumeToken, from another client's ResumeToken, takes that session
	// over (on any gateway of the same cluster) instead of starting one.
	ResumeToken string
	// Fallbacks are more gateways of the same cluster (same scheme as the
	// target). With Reconnect, each attempt after a lost connection goes
	// to the next address in turn, target first, resuming the session
	// there: a gateway that shuts down does not strand its clients.
	Fallbacks []string
	// Encrypt negotiates an encrypted connection on a tcp:// target
	// (docs/protocol.md, "Encrypted TCP"): a key exchange before the
	// handshake, then every frame sealed. Setting ServerKey implies it.
	Encrypt bool
	// ServerKey pins the server's Ed25519 identity key (32 bytes, from
	// `lordgame keys identity` or GET /v1/gateways): a server that signs
	// with another key is refused (securetcp.ErrPin). Without it an
	// encrypted connection accepts whatever key the server shows: that
	// stops eavesdropping and tampering but not an active impostor.
	ServerKey ed25519.PublicKey
}

// State is the connection state reported to Options.OnState.
type State int

// Connection states.
const (
	StateConnected State = iota + 1
	StateDisconnected
	StateReconnecting
	StateClosed
)

func (s State) String() string {
	return [...]string{"", "connected", "disconnected", "reconnecting", "closed"}[s]
}

// Error is an error response from the server.
type Error struct {
	Code    string // one of the protocol's codes, e.g. "not_found"
	Message string
	Rule    string
}

func (e *Error) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Rule, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Kicked is returned for requests when the server closed the session on purpose.
type Kicked struct{ Reason, Message string }

func (k *Kicked) Error() string { return "kicked: " + k.Reason + ": " + k.Message }

// ErrClosed is returned after Close.
var ErrClosed = errors.New("client: closed")

// ErrDisconnected is returned for requests cut off by a lost connection.
var ErrDisconnected = errors.New("client: disconnected")

// Push is a server push.
type Push struct {
	Route string
	Body  []byte
	json  bool
}

// Decode decodes the push body into msg.
func (p Push) Decode(msg proto.Message) error {
	if p.json {
		return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(p.Body, msg)
	}
	return proto.Unmarshal(p.Body, msg)
}

type result struct {
	body []byte
	err  error
}

// conn is one live connection.
type conn struct {
	// seal and open are set after a key exchange (Options.Encrypt).
	seal   *securetcp.Sealer
	open   *securetcp.Opener
	nc     net.Conn
	r      io.Reader
	isWS   bool
	json   bool
	wmu    sync.Mutex
	wbuf   []byte
	done   chan struct{}
	closed atomic.Bool
	kick   atomic.Pointer[Kicked]
}

// Client is a connection to a LordGame server.
type Client struct {
	target  *url.URL   // the address dialled now (guarded by mu after Dial)
	targets []*url.URL // target and the fallbacks
	opts    Options

	mu        sync.Mutex
	cur       *conn
	pending   map[uint32]chan result
	seq       uint32
	routes    map[string]uint16
	serverKey ed25519.PublicKey
	names     map[uint16]string
	handlers  map[string][]func(Push)
	sessionID string
	userID    string
	resume    string
	kicked    *Kicked // why the server closed the last connection
	conns     uint64  // connections made (handshakes completed)
	heartbeat time.Duration
	missed    int

	closed chan struct{}
	ctx    context.Context // cancelled by Close; bounds reconnect attempts
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup
}

// Dial connects to target (ws://host:port/ws, wss://…, tcp://host:port, or
// tls://host:port for the TCP gateway under TLS) and performs the
// handshake.
func Dial(ctx context.Context, target string, opts Options) (*Client, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("client: target: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss", "tcp", "tls":
	default:
		return nil, fmt.Errorf("client: target scheme %q: want ws, wss, tcp or tls", u.Scheme)
	}
	if opts.Codec == "" {
		opts.Codec = "protobuf"
	}
	if (opts.Encrypt || opts.ServerKey != nil) && u.Scheme != "tcp" && u.Scheme != "tls" {
		return nil, errors.New("client: Encrypt and ServerKey are for tcp:// targets (WebSocket is encrypted by TLS: use wss://)")
	}
	if opts.ServerKey != nil && len(opts.ServerKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("client: ServerKey is %d bytes, want %d", len(opts.ServerKey), ed25519.PublicKeySize)
	}
	if opts.Codec == "json" && (u.Scheme == "tcp" || u.Scheme == "tls") {
		return nil, errors.New("client: json codec needs a WebSocket target")
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = 1 << 20
	}
	targets := []*url.URL{u}
	for _, f := range opts.Fallbacks {
		fu, err := url.Parse(f)
		if err != nil || fu.Scheme != u.Scheme {
			return nil, fmt.Errorf("client: fallback %q: want a %s:// address", f, u.Scheme)
		}
		targets = append(targets, fu)
	}
	c := &Client{
		target: u, targets: targets, opts: opts,
		pending:  map[uint32]chan result{},
		handlers: map[string][]func(Push){},
		closed:   make(chan struct{}),
		resume:   opts.ResumeToken,
	}
	for route, fn := range opts.Handlers {
		c.handlers[route] = append(c.handlers[route], fn)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.connect(ctx); err != nil {
		c.cancel()
		return nil, err
	}
	return c, nil
}

// SessionID is the server's id for the current session.
func (c *Client) SessionID() string { c.mu.Lock(); defer c.mu.Unlock(); return c.sessionID }

// Connections counts the connections the client has made: it grows by one
// at each reconnect. Pushes sent while the client was away are lost, so a
// change tells a caller to expect a gap before the server's next snapshot.
func (c *Client) Connections() uint64 { c.mu.Lock(); defer c.mu.Unlock(); return c.conns }

// Target is the address the client dials now.
func (c *Client) Target() string { c.mu.Lock(); defer c.mu.Unlock(); return c.target.Redacted() }

// next moves to the following address of target and fallbacks.
func (c *Client) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range c.targets {
		if t == c.target {
			c.target = c.targets[(i+1)%len(c.targets)]
			return
		}
	}
}

// Kicked is the reason the server gave when it last closed the
// connection, nil when it never did.
func (c *Client) Kicked() *Kicked { c.mu.Lock(); defer c.mu.Unlock(); return c.kicked }

// ResumeToken is the token that resumes this session on a new connection
// (Options.ResumeToken).
func (c *Client) ResumeToken() string { c.mu.Lock(); defer c.mu.Unlock(); return c.resume }

// UserID is the authenticated user id ("" when anonymous).
func (c *Client) UserID() string { c.mu.Lock(); defer c.mu.Unlock(); return c.userID }

// RouteID returns the numeric id of a route from the server's route table.
func (c *Client) RouteID(name string) (uint16, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.routes[name]
	return id, ok
}

// SetToken changes the access token used by later reconnects.
func (c *Client) SetToken(tok string) { c.mu.Lock(); c.opts.Token = tok; c.mu.Unlock() }

// On registers fn for pushes on route. fn runs on the reader goroutine.
// Pushes that arrive before On is called are dropped: register handlers
// for pushes sent on connect in Options.Handlers.
func (c *Client) On(route string, fn func(Push)) {
	c.mu.Lock()
	c.handlers[route] = append(c.handlers[route], fn)
	c.mu.Unlock()
}

func (c *Client) state(s State) {
	if c.opts.OnState != nil {
		c.opts.OnState(s)
	}
}

func (c *Client) dial(ctx context.Context) (*conn, error) {
	d := net.Dialer{Timeout: c.opts.DialTimeout}
	c.mu.Lock()
	target := c.target
	c.mu.Unlock()
	switch target.Scheme {
	case "tcp", "tls":
		var nc net.Conn
		var err error
		if target.Scheme == "tls" {
			td := tls.Dialer{NetDialer: &d, Config: c.opts.TLSConfig}
			nc, err = td.DialContext(ctx, "tcp", target.Host)
		} else {
			nc, err = d.DialContext(ctx, "tcp", target.Host)
		}
		if err != nil {
			return nil, err
		}
		return &conn{nc: nc, r: bufio.NewReaderSize(nc, 4096), done: make(chan struct{})}, nil
	}
	wd := ws.Dialer{Timeout: c.opts.DialTimeout, TLSConfig: c.opts.TLSConfig}
	nc, br, _, err := wd.Dial(ctx, target.String())
	if err != nil {
		return nil, err
	}
	var r io.Reader = nc
	if br != nil {
		r = io.MultiReader(br, nc)
	}
	return &conn{nc: nc, r: bufio.NewReaderSize(r, 4096), isWS: true, json: c.opts.Codec == "json", done: make(chan struct{})}, nil
}

// connect dials and hands shakes once.
func (c *Client) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	cn, err := c.dial(ctx)
	if err != nil {
		return fmt.Errorf("client: dial %s: %w", c.Target(), err)
	}
	c.mu.Lock()
	hs := &pb.Handshake{Version: 1, Codec: c.opts.Codec, Token: c.opts.Token, ResumeToken: c.resume, Client: c.opts.Name}
	c.mu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		_ = cn.nc.SetDeadline(dl)
	}
	if !cn.isWS && (c.opts.Encrypt || c.opts.ServerKey != nil) {
		if err := c.keyExchange(cn); err != nil {
			_ = cn.nc.Close()
			return err
		}
	}
	if err := cn.write(transport.Frame{Kind: transport.KindHandshake}, hs, ""); err != nil {
		_ = cn.nc.Close()
		return fmt.Errorf("client: handshake: %w", err)
	}
	f, err := cn.read(c.opts.MaxFrameBytes)
	if err != nil {
		_ = cn.nc.Close()
		return fmt.Errorf("client: handshake: %w", err)
	}
	if f.Kind != transport.KindHandshakeAck {
		_ = cn.nc.Close()
		return fmt.Errorf("client: handshake: server answered %s", f.Kind)
	}
	if f.Flags&transport.FlagError != 0 {
		_ = cn.nc.Close()
		return cn.decodeError(f.Body)
	}
	var ack pb.HandshakeAck
	if err := cn.decode(f.Body, &ack); err != nil {
		_ = cn.nc.Close()
		return fmt.Errorf("client: handshake ack: %w", err)
	}
	_ = cn.nc.SetDeadline(time.Time{})
	c.mu.Lock()
	c.cur = cn
	c.sessionID, c.userID, c.resume = ack.SessionId, ack.UserId, ack.ResumeToken
	c.conns++
	c.heartbeat = time.Duration(ack.HeartbeatMs) * time.Millisecond
	c.missed = int(ack.MissedHeartbeats)
	if c.heartbeat <= 0 {
		c.heartbeat = 15 * time.Second
	}
	if c.missed <= 0 {
		c.missed = 3
	}
	c.routes = make(map[string]uint16, len(ack.Routes))
	c.names = make(map[uint16]string, len(ack.Routes))
	for _, r := range ack.Routes {
		c.routes[r.Name] = uint16(r.Id)
		c.names[uint16(r.Id)] = r.Name
	}
	c.mu.Unlock()
	c.wg.Add(2)
	go c.readLoop(cn)  // stops when the connection closes; Close waits
	go c.heartLoop(cn) // stops when cn.done closes; Close waits
	c.state(StateConnected)
	return nil
}

// keyExchange runs the encrypted TCP key exchange on a fresh connection.
// A server that refuses answers a plain HANDSHAKE_ACK error instead.
func (c *Client) keyExchange(cn *conn) error {
	kx, err := securetcp.NewClient(rand.Reader)
	if err != nil {
		return err
	}
	if _, err := cn.nc.Write(securetcp.AppendFrame(nil, kx.Hello())); err != nil {
		return fmt.Errorf("client: key exchange: %w", err)
	}
	f, err := securetcp.ReadFrame(cn.r, securetcp.ServerHelloSize)
	if err != nil {
		return fmt.Errorf("client: key exchange: %w", err)
	}
	if f.Kind != securetcp.Kind {
		if f.Kind == transport.KindHandshakeAck && f.Flags&transport.FlagError != 0 {
			return cn.decodeError(f.Body)
		}
		return fmt.Errorf("client: key exchange: server answered %s", f.Kind)
	}
	keys, err := kx.Finish(f.Body, c.opts.ServerKey)
	if err != nil {
		return fmt.Errorf("client: key exchange: %w", err)
	}
	cn.seal, cn.open = keys.Seal, keys.Open
	c.mu.Lock()
	c.serverKey = keys.Identity
	c.mu.Unlock()
	return nil
}

// ServerIdentity is the Ed25519 identity key the server signed the last
// encrypted connection's key exchange with (nil when not encrypted).
func (c *Client) ServerIdentity() ed25519.PublicKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverKey
}

// Request sends req on route and decodes the response into resp. An error
// response is returned as *Error.
func (c *Client) Request(ctx context.Context, route string, req, resp proto.Message) error {
	ch := make(chan result, 1)
	c.mu.Lock()
	cn := c.cur
	if cn == nil {
		c.mu.Unlock()
		if c.isClosed() {
			return ErrClosed
		}
		return ErrDisconnected
	}
	id, ok := c.routes[route]
	if !ok {
		c.mu.Unlock()
		return &Error{Code: "not_found", Message: "route " + route + " is not in the server's route table"}
	}
	c.seq++
	if c.seq == 0 {
		c.seq = 1
	}
	seq := c.seq
	c.pending[seq] = ch
	c.mu.Unlock()
	if err := cn.write(transport.Frame{Kind: transport.KindRequest, Route: id, Seq: seq}, req, route); err != nil {
		c.forget(seq)
		return cn.sendError(route, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		if resp == nil {
			return nil
		}
		if err := cn.decode(r.body, resp); err != nil {
			return fmt.Errorf("client: decode %s response: %w", route, err)
		}
		return nil
	case <-ctx.Done():
		c.forget(seq)
		return ctx.Err()
	}
}

func (c *Client) forget(seq uint32) {
	c.mu.Lock()
	delete(c.pending, seq)
	c.mu.Unlock()
}

// Notify sends a one-way message on route.
func (c *Client) Notify(route string, msg proto.Message) error {
	c.mu.Lock()
	cn := c.cur
	id, ok := c.routes[route]
	c.mu.Unlock()
	if cn == nil {
		return ErrDisconnected
	}
	if !ok {
		return &Error{Code: "not_found", Message: "route " + route + " is not in the server's route table"}
	}
	if err := cn.write(transport.Frame{Kind: transport.KindNotify, Route: id}, msg, route); err != nil {
		return cn.sendError(route, err)
	}
	return nil
}

// encodeError is a message that could not be marshalled: nothing was sent
// and the connection is fine.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return "encode: " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// sendError reports a failed write. A message that did not encode leaves
// the connection as it is; any other failure means the connection is gone
// (often the server closed it an instant before, with a kick that says
// why), so the caller gets what a request cut off by it would get: the
// Kicked reason, or ErrDisconnected wrapping the socket error.
func (cn *conn) sendError(route string, err error) error {
	var ee *encodeError
	if errors.As(err, &ee) {
		return fmt.Errorf("client: send %s: %w", route, ee)
	}
	cn.close()
	if k := cn.kick.Load(); k != nil {
		return k
	}
	return fmt.Errorf("client: send %s: %w (%v)", route, ErrDisconnected, err)
}

func (c *Client) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Close closes the connection and stops reconnecting; it waits for the
// client's goroutines.
func (c *Client) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.cancel()
		c.mu.Lock()
		cn := c.cur
		c.mu.Unlock()
		if cn != nil {
			cn.close()
		}
	})
	c.wg.Wait()
	c.state(StateClosed)
	return nil
}

func (c *Client) heartLoop(cn *conn) {
	defer c.wg.Done()
	c.mu.Lock()
	iv := c.heartbeat
	c.mu.Unlock()
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-cn.done:
			return
		case <-t.C:
			if err := cn.write(transport.Frame{Kind: transport.KindHeartbeat}, nil, ""); err != nil {
				cn.close()
				return
			}
		}
	}
}

func (c *Client) readLoop(cn *conn) {
	defer c.wg.Done()
	c.mu.Lock()
	idle := c.heartbeat * time.Duration(c.missed)
	c.mu.Unlock()
	var err error
	for {
		_ = cn.nc.SetReadDeadline(time.Now().Add(idle))
		var f transport.Frame
		f, err = cn.read(c.opts.MaxFrameBytes)
		if err != nil {
			break
		}
		switch f.Kind {
		case transport.KindResponse:
			c.mu.Lock()
			ch := c.pending[f.Seq]
			delete(c.pending, f.Seq)
			c.mu.Unlock()
			if ch == nil {
				continue
			}
			if f.Flags&transport.FlagError != 0 {
				ch <- result{err: cn.decodeError(f.Body)}
			} else {
				ch <- result{body: f.Body}
			}
		case transport.KindPush:
			c.mu.Lock()
			name := f.RouteName
			if name == "" {
				name = c.names[f.Route]
			}
			hs := c.handlers[name]
			c.mu.Unlock()
			for _, h := range hs {
				h(Push{Route: name, Body: f.Body, json: cn.json})
			}
		case transport.KindKick:
			var k pb.Kick
			_ = cn.decode(f.Body, &k)
			cn.kick.Store(&Kicked{Reason: k.Reason, Message: k.Message})
		}
	}
	cn.close()
	c.mu.Lock()
	if c.cur == cn {
		c.cur = nil
	}
	if k := cn.kick.Load(); k != nil {
		c.kicked = k
	}
	fail := c.pending
	c.pending = map[uint32]chan result{}
	c.mu.Unlock()
	var perr error = ErrDisconnected
	if k := cn.kick.Load(); k != nil {
		perr = k
	}
	for _, ch := range fail {
		ch <- result{err: perr}
	}
	if c.isClosed() {
		return
	}
	c.state(StateDisconnected)
	k := cn.kick.Load()
	if c.opts.Reconnect && (k == nil || k.Reason == "server_shutdown" || k.Reason == "heartbeat_timeout") {
		c.wg.Add(1)
		go c.reconnect(k != nil && k.Reason == "server_shutdown") // stops on success or Close; Close waits
	}
}

func (c *Client) reconnect(moveOn bool) {
	defer c.wg.Done()
	delay := c.opts.MinBackoff
	for attempt := 0; ; attempt++ {
		if attempt > 0 || moveOn {
			c.next() // this gateway is going away, or did not answer
		}
		c.state(StateReconnecting)
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(delay/2)+1))
		t := time.NewTimer(delay/2 + time.Duration(j.Int64()))
		select {
		case <-c.closed:
			t.Stop()
			return
		case <-t.C:
		}
		err := c.connect(c.ctx)
		if err == nil {
			return
		}
		var e *Error
		if errors.As(err, &e) && e.Code == "bad_request" {
			return // a rejected handshake will not get better
		}
		if errors.As(err, &e) && e.Code == "unauthenticated" {
			c.mu.Lock()
			c.resume = "" // a stale resume token: start a fresh session
			c.mu.Unlock()
		}
		delay = min(delay*2, c.opts.MaxBackoff)
	}
}

func (cn *conn) close() {
	if cn.closed.CompareAndSwap(false, true) {
		close(cn.done)
		_ = cn.nc.Close()
	}
}

var maskSrc atomic.Uint32

func (cn *conn) write(f transport.Frame, msg proto.Message, route string) error {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	b := cn.wbuf[:0]
	var err error
	if msg != nil {
		if cn.json {
			f.Body, err = protojson.Marshal(msg)
		} else {
			f.Body, err = proto.Marshal(msg)
		}
		if err != nil {
			return &encodeError{err}
		}
	}
	switch {
	case cn.seal != nil:
		if b, err = cn.seal.Seal(transport.AppendTCP(b, &f)); err != nil {
			return err
		}
	case !cn.isWS:
		b = transport.AppendTCP(b, &f)
	case cn.json:
		f.RouteName = route
		f.Route = 0
		payload := transport.AppendJSON(nil, &f)
		b = transport.AppendWSMasked(b, ws.OpText, payload, mask())
	default:
		payload := transport.AppendWS(nil, &f)
		b = transport.AppendWSMasked(b, ws.OpBinary, payload, mask())
	}
	cn.wbuf = b
	_ = cn.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = cn.nc.Write(b)
	if cap(cn.wbuf) > 64<<10 {
		cn.wbuf = nil
	}
	return err
}

func mask() [4]byte {
	v := maskSrc.Add(0x9E3779B9)
	return [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}

func (cn *conn) read(maxBody int) (transport.Frame, error) {
	if cn.open != nil {
		r := securetcp.Reader{R: cn.r, MaxBody: maxBody, Open: cn.open}
		return r.Next(nil)
	}
	if !cn.isWS {
		r := transport.TCPReader{R: cn.r, MaxBody: maxBody}
		return r.Next(nil)
	}
	r := transport.WSReader{R: cn.r, MaxBody: maxBody + transport.HeaderWS}
	for {
		op, msg, err := r.Next(nil)
		if err != nil {
			return transport.Frame{}, err
		}
		switch op {
		case ws.OpBinary:
			return transport.DecodeWS(msg, maxBody)
		case ws.OpText:
			f, err := transport.DecodeJSON(msg, maxBody)
			if err != nil {
				return f, err
			}
			if f.Kind == transport.KindResponse || f.Kind == transport.KindHandshakeAck {
				var env struct {
					Error jsonRaw `json:"error"`
				}
				if jerr := jsonUnmarshal(msg, &env); jerr == nil && len(env.Error) > 0 {
					f.Flags |= transport.FlagError
					f.Body = env.Error
				}
			}
			return f, nil
		case ws.OpClose:
			return transport.Frame{}, io.EOF
		}
	}
}

func (cn *conn) decode(b []byte, msg proto.Message) error {
	if cn.json {
		if len(b) == 0 {
			return nil
		}
		return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, msg)
	}
	return proto.Unmarshal(b, msg)
}

func (cn *conn) decodeError(b []byte) error {
	if cn.json {
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Rule    string `json:"rule"`
		}
		if err := jsonUnmarshal(b, &e); err != nil {
			return fmt.Errorf("client: bad error body: %w", err)
		}
		return &Error{Code: e.Code, Message: e.Message, Rule: e.Rule}
	}
	var e pb.Error
	if err := proto.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("client: bad error body: %w", err)
	}
	return &Error{Code: codeName(e.Code), Message: e.Message, Rule: e.Rule}
}

func codeName(c pb.Code) string {
	n := []string{"", "bad_request", "unauthenticated", "forbidden", "not_found", "conflict", "rate_limited", "unavailable", "internal"}
	if int(c) > 0 && int(c) < len(n) {
		return n[c]
	}
	return "code_" + strconv.Itoa(int(c))
}
