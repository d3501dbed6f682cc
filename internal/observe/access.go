package observe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceHTTP opens a server span per HTTP request while traces are
// recorded (Tracing), continuing the trace of a W3C traceparent header:
// "HTTP METHOD", renamed "HTTP PATTERN" once the mux has matched the
// route, with the method, path and status. It is separate from AccessLog
// so that traces do not depend on the access log; put it outside AccessLog
// so that the access log line carries the span's trace and span ids. With
// traces off it costs one atomic load per request.
func TraceHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Tracing() {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w}
		ctx := Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := Tracer("http").Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		r = r.WithContext(ctx)
		defer func() {
			if r.Pattern != "" {
				span.SetName("HTTP " + r.Pattern)
			}
			span.SetAttributes(attribute.Int("http.response.status_code", max(rec.status, 200)))
			if rec.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rec.status))
			}
			span.End()
		}()
		next.ServeHTTP(rec, r)
	})
}

// AccessLog logs one line per HTTP request through log, after the handler
// returns: method, path (never the query, which may carry a token),
// status, duration, bytes written, and the client address client gives
// (the peer, or the client a trusted proxy forwarded). A WebSocket upgrade
// logs status 101 when the connection is handed over. Health probes and
// metric scrapes (quiet paths) log at debug level so that they do not
// drown the rest; everything else at info, 5xx at warn.
func AccessLog(log *slog.Logger, client func(*http.Request) string, quiet map[string]bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			lvl := slog.LevelInfo
			switch {
			case status >= 500:
				lvl = slog.LevelWarn
			case quiet[r.URL.Path]:
				lvl = slog.LevelDebug
			}
			ctx := r.Context()
			if !log.Enabled(ctx, lvl) {
				return
			}
			log.LogAttrs(ctx, lvl, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", rec.bytes),
				slog.String("client", client(r)),
				slog.String("proto", r.Proto))
		}()
		next.ServeHTTP(rec, r)
	})
}

// recorder notes the status and the body size. It passes Hijack and Flush
// through, and Unwrap lets http.ResponseController reach the rest.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (a WebSocket upgrade). The status
// the new owner answers with is read from the first bytes it writes
// through the returned buffered writer ("HTTP/1.1 101 ..." or a refusal);
// the connection itself is returned untouched.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("observe: the response writer cannot be hijacked")
	}
	c, rw, err := h.Hijack()
	if err != nil {
		return c, rw, err
	}
	sniff := &statusSniffer{w: c, rec: r}
	return c, bufio.NewReadWriter(rw.Reader, bufio.NewWriterSize(sniff, rw.Writer.Size())), nil
}

// statusSniffer takes the status code from an HTTP/1.x status line
// written to a hijacked connection.
type statusSniffer struct {
	w    io.Writer
	rec  *recorder
	head []byte
	done bool
}

func (s *statusSniffer) Write(b []byte) (int, error) {
	if !s.done {
		s.head = append(s.head, b[:min(len(b), 16-len(s.head))]...)
		// "HTTP/1.1 101 " is 13 bytes.
		if len(s.head) >= 12 {
			s.done = true
			if code, err := strconv.Atoi(string(s.head[9:12])); err == nil && bytes.HasPrefix(s.head, []byte("HTTP/1.")) {
				if s.rec.status == 0 {
					s.rec.status = code
				}
			}
			s.head = nil
		}
	}
	n, err := s.w.Write(b)
	s.rec.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
