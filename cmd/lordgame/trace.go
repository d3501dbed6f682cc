package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/observe"
)

// Traces (docs/ops.md, "Traces"): OTLP over HTTP to -otlp-endpoint; off
// when it is empty.

func bindTrace(fs *flag.FlagSet, c *observe.TraceConfig) {
	fs.StringVar(&c.Endpoint, "otlp-endpoint", c.Endpoint, "OpenTelemetry collector for traces, OTLP over HTTP: host:port (plain HTTP) or an http(s):// URL; empty: no traces")
	fs.Float64Var(&c.Sample, "trace-sample", c.Sample, "fraction of new traces recorded, 0-1 (a request with a sampled parent is always recorded)")
}

func traceFlagChecks() []flagCheck {
	return []flagCheck{
		{"otlp-endpoint", func(c *Config) error {
			tc := observe.DefaultTraceConfig()
			tc.Endpoint = c.Trace.Endpoint
			if err := tc.Validate(); err != nil {
				return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "trace: "))
			}
			return nil
		}},
		{"trace-sample", func(c *Config) error {
			if s := c.Trace.Sample; !(s >= 0 && s <= 1) {
				return fmt.Errorf("must be between 0 and 1 (got %v)", s)
			}
			return nil
		}},
	}
}

// startTracing installs the exporter of this node's spans; the flush at
// close waits at most 5 s for the collector.
func (s *server) startTracing(ctx context.Context, node string) error {
	stop, err := observe.StartTracing(ctx, s.cfg.Trace, node, version)
	if err != nil {
		return err
	}
	if s.cfg.Trace.Endpoint != "" {
		s.log.Info("exporting traces", "otlp_endpoint", s.cfg.Trace.Endpoint, "sample", s.cfg.Trace.Sample)
	}
	s.closers = append(s.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			s.log.Warn("trace export flush", "err", err)
		}
	})
	return nil
}
