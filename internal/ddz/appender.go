package ddz

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/store"
)

// maxBatch bounds the events of one shared commit.
const maxBatch = 512

// appender writes the logs of every table with shared commits: while one
// transaction is being committed the next tables' events queue up and go
// out together in the following one (group commit). Each table still
// waits for its own events to be durable before it announces them.
//
// The store has one writer, so the appender also runs the other writes of
// the tables (creating and settling games) as jobs, each only when no log
// events are waiting: a burst of settlements cannot delay the next
// action's announcement by more than one job.
type appender struct {
	st      Store
	reqs    chan appendReq
	jobs    chan job
	stopped chan struct{} // closed when run returns
}

type job struct {
	f    func(ctx context.Context) error
	done chan error
	sc   trace.SpanContext // the caller's span, while tracing
}

type appendReq struct {
	evs  []store.Event
	done chan error
	sc   trace.SpanContext // the caller's span, while tracing
}

func newAppender(st Store) *appender {
	return &appender{st: st, reqs: make(chan appendReq, 4096), jobs: make(chan job, 4096), stopped: make(chan struct{})}
}

var errAppenderStopped = errors.New("ddz: game log writer stopped")

// run commits batches until ctx ends; Service.Run owns it.
func (a *appender) run(ctx context.Context) {
	defer close(a.stopped)
	// A write in progress finishes even when ctx ends: tables waiting on
	// it must not see a shutdown as a failed write (and cancel their game).
	wctx := context.WithoutCancel(ctx)
	batch := make([]appendReq, 0, 64)
	for {
		var r appendReq
		select { // log events first
		case r = <-a.reqs:
		default:
			select {
			case <-ctx.Done():
				return
			case r = <-a.reqs:
			case j := <-a.jobs:
				j.done <- j.f(withSpanContext(wctx, j.sc))
				continue
			}
		}
		batch = append(batch[:0], r)
		n := len(r.evs)
	drain:
		for n < maxBatch {
			select {
			case r := <-a.reqs:
				batch = append(batch, r)
				n += len(r.evs)
			default:
				break drain
			}
		}
		a.flush(wctx, batch, n)
	}
}

// flush commits one batch. If the shared commit fails, each table's
// events are retried alone so that one bad table cannot fail the others.
func (a *appender) flush(ctx context.Context, batch []appendReq, n int) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if observe.Tracing() {
		if parent, links, ok := commitLinks(batch); ok {
			var span trace.Span
			ctx, span = ddzTracer().Start(withSpanContext(ctx, parent), "ddz log commit", trace.WithLinks(links...),
				trace.WithAttributes(attribute.Int("lordgame.tables", len(batch)), attribute.Int("lordgame.events", n)))
			defer span.End()
		}
	}
	evs := make([]store.Event, 0, n)
	for _, r := range batch {
		evs = append(evs, r.evs...)
	}
	err := a.st.AppendEvents(ctx, evs)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			r.done <- a.st.AppendEvents(ctx, r.evs)
		}
		return
	}
	for _, r := range batch {
		r.done <- err
	}
}

// append writes evs and returns once they are committed.
func (a *appender) append(ctx context.Context, evs []store.Event) error {
	r := appendReq{evs: evs, done: make(chan error, 1)}
	if observe.Tracing() {
		r.sc = trace.SpanContextFromContext(ctx)
	}
	select {
	case a.reqs <- r:
	case <-a.stopped:
		return errAppenderStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-a.stopped:
		select {
		case err := <-r.done: // committed just before the writer stopped
			return err
		default:
			return errAppenderStopped
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do runs f on the writer goroutine, after any waiting log events, and
// returns its error.
func (a *appender) do(ctx context.Context, f func(ctx context.Context) error) error {
	j := job{f: f, done: make(chan error, 1)}
	if observe.Tracing() {
		j.sc = trace.SpanContextFromContext(ctx)
	}
	select {
	case a.jobs <- j:
	case <-a.stopped:
		return errAppenderStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-a.stopped:
		select {
		case err := <-j.done:
			return err
		default:
			return errAppenderStopped
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}
