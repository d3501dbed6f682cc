package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS is a Bus on a NATS connection: to a nats-server embedded in this
// process (Embedded) or to an external server or cluster (Connect).
type NATS struct {
	cfg      Config
	log      *slog.Logger
	nc       *nats.Conn
	srv      *server.Server // the embedded server; nil with an external NATS
	storeDir string         // the embedded server's JetStream folder, removed at Close
	js       jetstream.JetStream

	connClosed chan struct{} // closed once nats.go reports the connection closed
	closedOnce sync.Once
	closing    atomic.Bool // set when Close starts; Request and Subscribe refuse
	closeOnce  sync.Once
	closeErr   error

	// handlerCtx is passed to every Handler and is cancelled once the
	// connection has closed. It lives in the struct, against the usual
	// rule, because nats.go calls handlers from its own goroutines.
	handlerCtx     context.Context
	cancelHandlers context.CancelFunc

	hookMu      sync.Mutex
	onReconnect []func() // guarded by hookMu
	// inflight holds every request waiting for its answer (keys
	// *pending).
	inflight sync.Map

	mu      sync.RWMutex
	stopped bool           // guarded by mu: no handler may start
	running sync.WaitGroup // handlers running; Add only under mu.RLock with !stopped
}

var _ Bus = (*NATS)(nil)

// New returns the bus cfg describes: Connect to cfg.URL, or Embedded when
// it is empty.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*NATS, error) {
	if cfg.URL == "" {
		return Embedded(ctx, cfg, log)
	}
	return Connect(ctx, cfg.URL, cfg, log)
}

// Embedded starts a nats-server inside this process and connects to it
// without a socket. The server listens only when cfg.Listen is set. Close
// (or Run) shuts the server down with the connection.
func Embedded(ctx context.Context, cfg Config, log *slog.Logger) (*NATS, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cluster: start embedded server: %w", err)
	}
	// JetStream keeps the cluster's KV buckets (membership, presence,
	// leases); they are all in memory, so the store folder stays empty.
	storeDir, err := os.MkdirTemp("", "lordgame-nats-")
	if err != nil {
		return nil, fmt.Errorf("cluster: start embedded server: %w", err)
	}
	opts := &server.Options{DontListen: true, NoSigs: true, NoLog: true, JetStream: true, StoreDir: storeDir}
	if cfg.Listen != "" {
		host, port, err := splitListen(cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.DontListen, opts.Host, opts.Port = false, host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		_ = os.RemoveAll(storeDir)
		return nil, fmt.Errorf("cluster: start embedded server: %w", err)
	}
	srv.SetLogger(serverLog{log.With("component", "nats-server")}, false, false)
	srv.Start()
	stop := func() { srv.Shutdown(); srv.WaitForShutdown(); _ = os.RemoveAll(storeDir) }
	if !srv.ReadyForConnections(connectTimeout(ctx, cfg.ConnectTimeout)) {
		stop()
		return nil, errors.New("cluster: embedded server not ready in time")
	}
	n, err := dial(ctx, cfg, log, "", nats.InProcessServer(srv))
	if err != nil {
		stop()
		return nil, err
	}
	n.srv, n.storeDir = srv, storeDir
	log.Info("cluster bus started", "embedded", true, "listen", n.ClientURL())
	return n, nil
}

// Connect connects to the external NATS at url (comma-separated for a
// cluster). cfg.URL and cfg.Listen are ignored. While the server is
// unreachable the connection keeps reconnecting; Requests fail meanwhile.
func Connect(ctx context.Context, url string, cfg Config, log *slog.Logger) (*NATS, error) {
	cfg.URL, cfg.Listen = url, ""
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cluster: connect: %w", err)
	}
	n, err := dial(ctx, cfg, log, url)
	if err != nil {
		return nil, err
	}
	log.Info("cluster bus started", "embedded", false, "url", n.nc.ConnectedUrlRedacted())
	return n, nil
}

func dial(ctx context.Context, cfg Config, log *slog.Logger, url string, extra ...nats.Option) (*NATS, error) {
	n := &NATS{cfg: cfg, log: log, connClosed: make(chan struct{})}
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.Timeout(connectTimeout(ctx, cfg.ConnectTimeout)),
		nats.DrainTimeout(cfg.DrainTimeout),
		nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) {
			n.closedOnce.Do(func() { close(n.connClosed) })
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil && !n.closing.Load() {
				log.Warn("cluster disconnected", "err", err)
			}
			n.failInFlight()
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("cluster reconnected", "url", c.ConnectedUrlRedacted())
			n.hookMu.Lock()
			hooks := n.onReconnect
			n.hookMu.Unlock()
			for _, h := range hooks {
				h()
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			subject := ""
			if s != nil {
				subject = s.Subject
			}
			log.Warn("cluster async error", "subject", subject, "err", err)
		}),
	}
	nc, err := nats.Connect(url, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect: %w", err)
	}
	n.nc = nc
	if n.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	n.handlerCtx, n.cancelHandlers = context.WithCancel(context.WithoutCancel(ctx))
	return n, nil
}

// connectTimeout is d, or less when ctx ends sooner.
func connectTimeout(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			return max(left, time.Millisecond)
		}
	}
	return d
}

// failInFlight ends every request waiting for an answer with
// ErrDisconnected (the connection dropped).
func (n *NATS) failInFlight() {
	n.inflight.Range(func(k, _ any) bool {
		k.(*pending).end(ErrDisconnected)
		return true
	})
}

// OnReconnect registers f, called (on a nats.go goroutine; keep it quick)
// each time the connection is re-established after a loss.
func (n *NATS) OnReconnect(f func()) {
	n.hookMu.Lock()
	n.onReconnect = append(n.onReconnect, f)
	n.hookMu.Unlock()
}

// Prefix is the prefix of every subject and bucket of this bus.
func (n *NATS) Prefix() string { return n.cfg.Prefix }

// ClientURL is where other processes reach the embedded server, or "" when
// it does not listen or the NATS is external.
func (n *NATS) ClientURL() string {
	if n.srv == nil || n.cfg.Listen == "" {
		return ""
	}
	return n.srv.ClientURL()
}

// Publish implements Bus. It works while the bus drains, so that running
// handlers can still answer, and fails with ErrClosed after.
func (n *NATS) Publish(ctx context.Context, subject string, data []byte) error {
	return n.PublishMsg(ctx, subject, nil, data)
}

// PublishMsg implements Bus.
func (n *NATS) PublishMsg(ctx context.Context, subject string, hdr Header, data []byte) error {
	if !validSubject(subject, false) {
		return fmt.Errorf("publish %q: %w", subject, ErrBadSubject)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	if err := n.publish(subject, hdr, data); err != nil {
		return fmt.Errorf("publish %s: %w", subject, mapErr(err))
	}
	return nil
}

// Request implements Bus.
func (n *NATS) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	m, err := n.RequestMsg(ctx, subject, nil, data)
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

// RequestMsg implements Bus.
func (n *NATS) RequestMsg(ctx context.Context, subject string, hdr Header, data []byte) (*Msg, error) {
	return n.RequestMsgTo(ctx, subject, hdr, data, "", 0)
}

// pending is a request waiting for its answer: EndRequests and a dropped
// connection end it with a cause (the first one given wins).
type pending struct {
	cancel context.CancelFunc
	tag    string
	cause  atomic.Pointer[error]
}

func (p *pending) end(cause error) {
	if p.cause.CompareAndSwap(nil, &cause) {
		p.cancel()
	}
}

// RequestMsgTo is RequestMsg for a request tagged with what it waits on
// (the node it was sent to, say: EndRequests ends the requests of a tag
// with a cause), waiting at most maxWait when that is shorter than ctx's
// deadline (0: no bound of its own). One context per request carries the
// deadline and every way it can end early: this is on every forwarded
// call.
func (n *NATS) RequestMsgTo(ctx context.Context, subject string, hdr Header, data []byte, tag string, maxWait time.Duration) (*Msg, error) {
	if !validSubject(subject, false) {
		return nil, fmt.Errorf("request %q: %w", subject, ErrBadSubject)
	}
	if n.closing.Load() {
		return nil, fmt.Errorf("request %s: %w", subject, ErrClosed)
	}
	if !n.nc.IsConnected() {
		return nil, fmt.Errorf("request %s: %w", subject, ErrDisconnected)
	}
	p := &pending{tag: tag}
	dl, has := ctx.Deadline()
	if !has && (maxWait <= 0 || maxWait > n.cfg.RequestTimeout) {
		maxWait = n.cfg.RequestTimeout
	}
	if maxWait > 0 && (!has || time.Until(dl) > maxWait) {
		ctx, p.cancel = context.WithTimeout(ctx, maxWait)
	} else {
		ctx, p.cancel = context.WithCancel(ctx)
	}
	defer p.cancel()
	// A request in flight when the connection drops fails at once: its
	// answer, if any, is lost with the connection.
	n.inflight.Store(p, struct{}{})
	defer n.inflight.Delete(p)
	var m *nats.Msg
	var err error
	if hdr == nil {
		m, err = n.nc.RequestWithContext(ctx, subject, data)
	} else {
		m, err = n.nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: subject, Header: hdr, Data: data})
	}
	if err != nil {
		if cause := p.cause.Load(); cause != nil {
			return nil, fmt.Errorf("request %s: %w", subject, *cause)
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			if errors.Is(ctxErr, context.DeadlineExceeded) {
				return nil, fmt.Errorf("request %s: %w (%w)", subject, ErrTimeout, ctxErr)
			}
			return nil, fmt.Errorf("request %s: %w", subject, ctxErr)
		}
		return nil, fmt.Errorf("request %s: %w", subject, mapErr(err))
	}
	return &Msg{Subject: m.Subject, Data: m.Data, Header: m.Header}, nil
}

// EndRequests ends at once, with cause, every request in flight whose tag
// (RequestMsgTo) gone reports: those waiting on a node that left, say.
func (n *NATS) EndRequests(gone func(tag string) bool, cause error) {
	n.inflight.Range(func(k, _ any) bool {
		if p := k.(*pending); p.tag != "" && gone(p.tag) {
			p.end(cause)
		}
		return true
	})
}

// Subscribe implements Bus.
func (n *NATS) Subscribe(subject, queue string, h Handler) (Subscription, error) {
	if !validSubject(subject, true) || strings.ContainsAny(queue, " \t\r\n") {
		return nil, fmt.Errorf("subscribe %q queue %q: %w", subject, queue, ErrBadSubject)
	}
	if n.closing.Load() {
		return nil, fmt.Errorf("subscribe %s: %w", subject, ErrClosed)
	}
	s, err := n.nc.QueueSubscribe(subject, queue, func(m *nats.Msg) { n.deliver(h, m) })
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, mapErr(err))
	}
	return subscription{s}, nil
}

// deliver runs h unless the bus has stopped, counting it as running so
// that Close can wait for it.
func (n *NATS) deliver(h Handler, m *nats.Msg) {
	n.deliverMsg(h, &Msg{Subject: m.Subject, Reply: m.Reply, Data: m.Data, Header: m.Header, replier: n})
}

// deliverMsg runs h on msg unless the bus has stopped.
func (n *NATS) deliverMsg(h Handler, msg *Msg) {
	n.mu.RLock()
	if n.stopped {
		n.mu.RUnlock()
		return
	}
	n.running.Add(1)
	n.mu.RUnlock()
	defer n.running.Done()
	h(n.handlerCtx, msg)
}

func (n *NATS) publishReply(subject string, hdr Header, data []byte) error {
	if err := n.publish(subject, hdr, data); err != nil {
		return fmt.Errorf("respond: %w", mapErr(err))
	}
	return nil
}

// publish sends one message, with headers only when there are some (a
// message without them is smaller and cheaper to parse).
func (n *NATS) publish(subject string, hdr Header, data []byte) error {
	if hdr == nil {
		return n.nc.Publish(subject, data)
	}
	return n.nc.PublishMsg(&nats.Msg{Subject: subject, Header: hdr, Data: data})
}

// Run blocks until ctx ends, then closes the bus like Close. It returns
// early, with an error wrapping ErrClosed, if the connection closes without
// Close being called, and returns nil when Close was called elsewhere.
func (n *NATS) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return n.Close()
	case <-n.connClosed:
		requested := n.closing.Load()
		err := n.Close()
		if !requested {
			return errors.Join(fmt.Errorf("cluster: connection lost: %w", ErrClosed), err)
		}
		return nil
	}
}

// Close drains the bus and returns once every goroutine it started has
// stopped: subscriptions stop taking messages, running handlers finish
// (those still running after Config.DrainTimeout see their ctx cancelled
// and are waited for), pending publishes are flushed, the connection closes
// and the embedded server shuts down. Concurrent and repeated calls wait
// for the first and return its result.
func (n *NATS) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown() })
	return n.closeErr
}

func (n *NATS) shutdown() error {
	n.closing.Store(true)
	var errs []error
	if err := n.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		errs = append(errs, fmt.Errorf("cluster: drain: %w", err))
		n.nc.Close()
	}
	// nats.go closes the connection itself after DrainTimeout; the margin
	// only guards against that never happening.
	t := time.NewTimer(n.cfg.DrainTimeout + time.Second)
	select {
	case <-n.connClosed:
	case <-t.C:
		errs = append(errs, errors.New("cluster: drain timed out"))
		n.nc.Close()
		<-n.connClosed
	}
	t.Stop()

	n.mu.Lock()
	n.stopped = true
	n.mu.Unlock()
	n.cancelHandlers()
	n.running.Wait()

	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		_ = os.RemoveAll(n.storeDir)
	}
	n.log.Info("cluster bus closed")
	return errors.Join(errs...)
}

// subscription adapts a NATS subscription to the Subscription contract.
type subscription struct{ s *nats.Subscription }

func (s subscription) Unsubscribe() error {
	err := s.s.Unsubscribe()
	switch {
	case err == nil,
		errors.Is(err, nats.ErrBadSubscription), // already unsubscribed
		errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionDraining): // the drain unsubscribes it
		return nil
	}
	return fmt.Errorf("unsubscribe %s: %w", s.s.Subject, mapErr(err))
}

// mapErr turns nats.go errors into this package's sentinels.
func mapErr(err error) error {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ErrNoResponders
	case errors.Is(err, nats.ErrTimeout):
		return ErrTimeout
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return ErrClosed
	case errors.Is(err, nats.ErrBadSubject), errors.Is(err, nats.ErrBadQueueName):
		return ErrBadSubject
	}
	return err
}

// serverLog sends the embedded server's log lines to slog. Its notices
// (startup banners) go to Debug, so that an ordinary start stays quiet.
type serverLog struct{ log *slog.Logger }

func (l serverLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLog) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLog) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLog) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

const flushTimeout = 5 * time.Second

// Flush waits (at most flushTimeout) until the NATS server has processed everything this
// connection sent so far (its subscriptions included).
func (n *NATS) Flush(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := n.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("cluster: flush: %w", err)
	}
	return nil
}
