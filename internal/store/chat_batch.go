package store

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
)

// ErrChatBusy means the chat write queue is full: the send was not stored.
var ErrChatBusy = status.RuleError(status.Unavailable, "chat_busy", "the chat store is busy: try again")

// ChatBatcher groups concurrent sends into one transaction (group commit):
// while one batch is being written, the sends that arrive queue up and go
// in the next one. One commit for many messages is what makes thousands of
// stored messages a second possible on SQLite's single writer.
//
// On PostgreSQL, which commits many transactions at once, the sends are
// split over several writers by conversation: each conversation belongs to
// one writer, so its messages are still numbered in arrival order, and two
// transactions never lock the same conversation's rows (no waits, no
// deadlocks), while the writers' commits overlap.
type ChatBatcher struct {
	shards []*chatShard
	stop   chan struct{}
	once   sync.Once
}

// chatShard is one writer and its bounded queue.
type chatShard struct {
	db       *DB
	maxBatch int
	queue    chan *chatReq
	stop     <-chan struct{}
	done     chan struct{}
}

type chatReq struct {
	ctx  context.Context
	msg  NewMessage
	res  SendResult
	done chan struct{}
}

// pgChatWriters is the number of concurrent chat writers on PostgreSQL.
const pgChatWriters = 4

// NewChatBatcher starts a batcher with a queue of queueLen sends (full:
// ErrChatBusy) and batches of at most maxBatch messages. Close stops it.
func NewChatBatcher(db *DB, queueLen, maxBatch int) *ChatBatcher {
	n := 1
	if db.Dialect() == "postgres" {
		n = pgChatWriters
	}
	b := &ChatBatcher{stop: make(chan struct{})}
	for range n {
		sh := &chatShard{db: db, maxBatch: max(1, maxBatch), queue: make(chan *chatReq, max(1, queueLen/n)), stop: b.stop, done: make(chan struct{})}
		b.shards = append(b.shards, sh)
		go sh.run() // ends when Close closes stop
	}
	return b
}

// Send stores one message through the next batch and waits for its result.
func (b *ChatBatcher) Send(ctx context.Context, m NewMessage) SendResult {
	sh := b.shards[uint64(m.ConversationID)%uint64(len(b.shards))]
	r := &chatReq{ctx: ctx, msg: m, done: make(chan struct{})}
	select {
	case <-b.stop:
		return SendResult{Err: status.New(status.Unavailable, "chat store stopped")}
	default:
	}
	select {
	case sh.queue <- r:
	default:
		return SendResult{Err: ErrChatBusy}
	}
	select {
	case <-r.done:
		return r.res
	case <-sh.done:
		// The writer stopped; it finishes every queued request first, so
		// done is closed by now if r was taken.
		select {
		case <-r.done:
			return r.res
		default:
			return SendResult{Err: status.New(status.Unavailable, "chat store stopped")}
		}
	}
}

// Close stops the batcher after writing what is queued.
func (b *ChatBatcher) Close() {
	b.once.Do(func() { close(b.stop) })
	for _, sh := range b.shards {
		<-sh.done
	}
}

func (b *chatShard) run() {
	defer close(b.done)
	batch := make([]*chatReq, 0, b.maxBatch)
	for {
		select {
		case r := <-b.queue:
			batch = append(batch[:0], r)
		case <-b.stop:
			for {
				select {
				case r := <-b.queue:
					b.write([]*chatReq{r})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < b.maxBatch {
			select {
			case r := <-b.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.write(batch)
	}
}

func (b *chatShard) write(batch []*chatReq) {
	msgs := make([]NewMessage, 0, len(batch))
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res = SendResult{Err: status.New(status.Unavailable, "send cancelled")}
			close(r.done)
			continue
		}
		msgs = append(msgs, r.msg)
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The batch outlives any one caller's context; its span is a child of
	// the first traced sender's and links the others'.
	ctx := context.Background()
	if observe.Tracing() {
		var span trace.Span
		ctx, span = batchSpan(ctx, live)
		if span != nil {
			defer span.End()
		}
	}
	res := b.db.SendMessages(ctx, msgs)
	for i, r := range live {
		r.res = res[i]
		close(r.done)
	}
}

// batchSpan starts the span of one batch commit ("chat batch commit") under
// the first traced sender of live, linking the other traced senders; nil
// when none is traced.
func batchSpan(ctx context.Context, live []*chatReq) (context.Context, trace.Span) {
	var parent trace.SpanContext
	var links []trace.Link
	for _, r := range live {
		sc := trace.SpanContextFromContext(r.ctx)
		switch {
		case !sc.IsValid():
		case !parent.IsValid():
			parent = sc
		default:
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	if !parent.IsValid() {
		return ctx, nil
	}
	return storeTracer().Start(trace.ContextWithSpanContext(ctx, parent), "chat batch commit", trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("lordgame.messages", len(live))))
}
