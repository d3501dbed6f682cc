package main

import (
	"flag"
	"fmt"
	"net/http"

	"github.com/lordgame/lordgame/internal/observe"
)

// bindLogFlags declares the log file and access log flags.
func bindLogFlags(fs *flag.FlagSet, l *observe.LogConfig) {
	fs.StringVar(&l.File.Path, "log-file", l.File.Path, "write logs to this file, rotated, instead of standard error (JSON unless -log-format text)")
	fs.IntVar(&l.File.MaxSizeMB, "log-max-size", l.File.MaxSizeMB, "rotate the -log-file at this size, in megabytes")
	fs.DurationVar(&l.File.MaxAge, "log-max-age", l.File.MaxAge, "delete rotated log files older than this (rounded up to whole days; 0 keeps them)")
	fs.IntVar(&l.File.MaxBackups, "log-max-backups", l.File.MaxBackups, "rotated log files kept (0 keeps all, as far as -log-max-age allows)")
	fs.BoolVar(&l.Access, "log-access", l.Access, "log every HTTP request (method, path, status, duration, bytes, client); probes and /metrics at debug level")
}

// logFlagChecks are the checks of the log flags (see flagChecks).
func logFlagChecks() []flagCheck {
	return []flagCheck{
		{"log-file", func(c *Config) error {
			if c.Log.File.Path == "" {
				return nil
			}
			return observe.CheckLogPath(c.Log.File.Path)
		}},
		atLeast("log-max-size", 1, func(c *Config) int { return c.Log.File.MaxSizeMB }),
		{"log-max-age", func(c *Config) error {
			if d := c.Log.File.MaxAge; d < 0 {
				return fmt.Errorf("must be >= 0, 0 keeps every file (got %s)", d)
			}
			return nil
		}},
		atLeast("log-max-backups", 0, func(c *Config) int { return c.Log.File.MaxBackups }),
	}
}

// quietPaths are logged at debug level by the access log: probes and
// scrapes come every few seconds and say nothing.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// httpHandler is the HTTP server's handler: the routes, behind the access
// log when it is on, behind the request spans (observe.TraceHTTP, on
// whenever traces are recorded, whether the access log is or not; outside
// it, so that the access log line carries the span's ids).
func (s *server) httpHandler() http.Handler {
	h := s.edgeHandler(s.mux())
	if s.cfg.Log.Access {
		h = observe.AccessLog(s.log, s.gw.ClientAddr, quietPaths, h)
	}
	return observe.TraceHTTP(h)
}
