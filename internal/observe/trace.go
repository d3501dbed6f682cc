package observe

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Traces: an HTTP request is a server span (TraceHTTP), the gateway opens
// a span per realtime request (the route), a forwarded call a client span
// whose context travels in the NATS message headers (W3C traceparent), the
// serving node a server span under it; the services (the Dou Dizhu tables,
// the matcher, chat, the MMO world, the admin API's actions) open spans
// for what they do, a push to another gateway carries its trace context
// in its headers too, and the store opens a span per statement and
// transaction. With no exporter configured nothing is recorded and the hot
// paths skip the span calls entirely (Tracing reports false). docs/ops.md,
// "Traces", lists the spans.

// TraceConfig configures trace export.
type TraceConfig struct {
	// Endpoint is the OTLP/HTTP collector (host:port or an http(s) URL);
	// empty: no traces.
	Endpoint string `yaml:"otlp_endpoint"`
	// Insecure sends plain HTTP to a host:port endpoint (the default;
	// an https:// URL uses TLS).
	Insecure bool `yaml:"otlp_insecure"`
	// Sample is the fraction of new traces recorded (0-1); a request that
	// arrives with a sampled parent is always recorded.
	Sample float64 `yaml:"trace_sample"`
}

// DefaultTraceConfig records every trace once an endpoint is set.
func DefaultTraceConfig() TraceConfig { return TraceConfig{Insecure: true, Sample: 1} }

// Validate checks the endpoint and the ratio.
func (c TraceConfig) Validate() error {
	if c.Sample < 0 || c.Sample > 1 {
		return fmt.Errorf("trace: trace_sample must be between 0 and 1 (got %v)", c.Sample)
	}
	if c.Endpoint == "" {
		return nil
	}
	if _, err := otlpOptions(c); err != nil {
		return err
	}
	return nil
}

func otlpOptions(c TraceConfig) ([]otlptracehttp.Option, error) {
	if strings.Contains(c.Endpoint, "://") {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("trace: otlp_endpoint %q: want host:port or an http(s) URL", c.Endpoint)
		}
		return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(c.Endpoint)}, nil
	}
	if !strings.Contains(c.Endpoint, ":") || strings.ContainsAny(c.Endpoint, "/ ") {
		return nil, fmt.Errorf("trace: otlp_endpoint %q: want host:port or an http(s) URL", c.Endpoint)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(c.Endpoint)}
	if c.Insecure {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	return opts, nil
}

var tracing atomic.Bool

// Tracing reports whether spans are recorded: callers on hot paths skip
// span work when it is false.
func Tracing() bool { return tracing.Load() }

// Propagator carries trace context across NATS hops (W3C traceparent and
// tracestate).
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Tracer is the tracer of one part of the server ("gateway", "store" …),
// from the provider installed now (take it per span, not once: the global
// provider's first installation would otherwise stick to it).
func Tracer(part string) trace.Tracer { return otel.Tracer("github.com/lordgame/lordgame/" + part) }

// StartTracing installs a tracer provider exporting over OTLP/HTTP to
// c.Endpoint, for a node named service.instance.id = node. It returns the
// function that flushes and stops it. With no endpoint it does nothing.
func StartTracing(ctx context.Context, c TraceConfig, node, version string) (stop func(context.Context) error, err error) {
	if c.Endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	opts, err := otlpOptions(c)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, append(opts, otlptracehttp.WithTimeout(10*time.Second))...)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	return InstallTracer(sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithMaxQueueSize(4096)), c.Sample, node, version), nil
}

// InstallTracer makes sp receive the spans (tests pass an in-memory
// exporter's processor). The returned stop flushes and uninstalls it.
func InstallTracer(sp sdktrace.SpanProcessor, sample float64, node, version string) func(context.Context) error {
	res := resource.NewSchemaless(
		attribute.String("service.name", "lordgame"),
		attribute.String("service.instance.id", node),
		attribute.String("service.version", version),
	)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(sp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(sample))),
	)
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator)
	tracing.Store(true)
	return func(ctx context.Context) error {
		tracing.Store(false)
		otel.SetTracerProvider(prev)
		return tp.Shutdown(ctx)
	}
}

// SpanError marks span failed with err (nil: nothing).
func SpanError(span trace.Span, err error) {
	if err == nil {
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// traceHandler adds trace_id and span_id to every record logged with a
// context that carries a recording span.
type traceHandler struct{ slog.Handler }

// WithTraceIDs wraps h so that log lines written with a context
// (InfoContext …) inside a span carry its trace and span ids.
func WithTraceIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(traceHandler); ok {
		return h
	}
	return traceHandler{h}
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(as)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}
