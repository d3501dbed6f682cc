package cluster

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"
)

// Bus is how services call and notify each other. Each method is the NATS
// operation of the same name, so an in-process server and an external NATS
// cluster are interchangeable behind it. Payloads are opaque bytes; the Bus
// keeps no reference to data after a call returns.
//
// Only the owner of a Bus (cmd/lordgame, or a test) calls Close.
type Bus interface {
	// Publish sends data to every subscriber of subject and to one member
	// of each queue group on it, without waiting for delivery. Messages
	// from one publisher to one subscriber arrive in the order published.
	Publish(ctx context.Context, subject string, data []byte) error
	// PublishMsg is Publish with headers.
	PublishMsg(ctx context.Context, subject string, hdr Header, data []byte) error
	// Request sends data to subject and returns the first reply. It fails
	// with ErrNoResponders when nobody subscribes to subject and with
	// ErrTimeout when ctx's deadline (or, without one, the configured
	// request timeout) passes first.
	Request(ctx context.Context, subject string, data []byte) ([]byte, error)
	// RequestMsg is Request with headers both ways: it returns the whole
	// reply message.
	RequestMsg(ctx context.Context, subject string, hdr Header, data []byte) (*Msg, error)
	// Subscribe calls h for each message on subject, which may hold the
	// wildcards "*" (one token) and ">" (the rest). With queue == "" every
	// subscriber gets every message; subscribers sharing a non-empty queue
	// form a group that gets each message once, at a random member.
	Subscribe(subject, queue string, h Handler) (Subscription, error)
	// Close drains the bus: it stops deliveries, waits for running
	// handlers, flushes what was published and releases the connection.
	// Later calls return ErrClosed; Close itself may be called again.
	Close() error
}

// Handler handles one message. The handlers of one subscription run one at
// a time in arrival order; ctx ends when the bus shuts down. A handler must
// not call Close on its own bus.
type Handler func(ctx context.Context, m *Msg)

// Subscription is one registered Handler.
type Subscription interface {
	// Unsubscribe stops deliveries to the handler. A call that is already
	// running finishes. Unsubscribe is idempotent, and a no-op once the
	// bus is closed.
	Unsubscribe() error
}

// Msg is one message delivered to a Handler. The handler may keep Data.
type Msg struct {
	// Subject is the subject the message was published on (never a
	// wildcard).
	Subject string
	// Reply is where the requester waits for an answer, empty when the
	// message was published rather than requested. Respond sends to it;
	// a handler that answers later may Publish to it instead.
	Reply string
	// Data is the payload.
	Data []byte
	// Header holds the message's headers; nil when it has none.
	Header Header

	replier replier
}

// replier sends a reply on behalf of a Msg; each Bus implementation sets it.
type replier interface {
	publishReply(subject string, hdr Header, data []byte) error
}

// Header is a message's headers: NATS headers, keys canonical as in
// net/http (Set and Get canonicalise them).
type Header = nats.Header

// NewMsg makes a message delivered by another mechanism than Subscribe (a
// NATS micro endpoint): respond answers it.
func NewMsg(subject, reply string, hdr Header, data []byte, respond func(hdr Header, data []byte) error) *Msg {
	return &Msg{Subject: subject, Reply: reply, Header: hdr, Data: data, replier: replyFunc(respond)}
}

type replyFunc func(hdr Header, data []byte) error

func (f replyFunc) publishReply(_ string, hdr Header, data []byte) error { return f(hdr, data) }

// Respond answers a request. It returns ErrNoReply when the message was
// published, not requested.
func (m *Msg) Respond(data []byte) error {
	if m.Reply == "" {
		return ErrNoReply
	}
	return m.replier.publishReply(m.Reply, nil, data)
}

// RespondMsg answers a request with headers.
func (m *Msg) RespondMsg(hdr Header, data []byte) error {
	if m.Reply == "" {
		return ErrNoReply
	}
	return m.replier.publishReply(m.Reply, hdr, data)
}

// Errors returned, wrapped, by Bus implementations; test with errors.Is.
var (
	// ErrNoResponders means a request's subject has no subscriber.
	ErrNoResponders = errors.New("cluster: no responders")
	// ErrTimeout means no reply came before the deadline. When the
	// deadline was ctx's, the error also matches context.DeadlineExceeded.
	ErrTimeout = errors.New("cluster: timeout")
	// ErrDisconnected means the connection to NATS is down (it is being
	// re-established): a request fails at once instead of waiting for its
	// deadline.
	ErrDisconnected = errors.New("cluster: disconnected from NATS")
	// ErrClosed means the bus is closed or closing.
	ErrClosed = errors.New("cluster: closed")
	// ErrBadSubject means a subject or queue name is empty or malformed,
	// or a wildcard was used where only a concrete subject is allowed.
	ErrBadSubject = errors.New("cluster: bad subject")
	// ErrNoReply means Respond was called on a message without a reply
	// subject.
	ErrNoReply = errors.New("cluster: message has no reply subject")
)
