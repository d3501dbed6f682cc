package observe

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// LogConfig chooses the log format and level.
type LogConfig struct {
	// Format is "auto" (text on a terminal, JSON otherwise), "text" or "json".
	Format string `yaml:"format"`
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// File, when its path is set, is the rotating log file that replaces
	// standard error.
	File LogFile `yaml:"file"`
	// Access logs one line per HTTP request (see AccessLog).
	Access bool `yaml:"access"`
}

// DefaultLogConfig is auto format at info level on standard error, with
// the HTTP access log.
func DefaultLogConfig() LogConfig {
	return LogConfig{Format: "auto", Level: "info", File: DefaultLogFile(), Access: true}
}

// Validate rejects unknown formats and levels.
func (c LogConfig) Validate() error {
	switch c.Format {
	case "auto", "text", "json":
	default:
		return fmt.Errorf("observe: log format %q: want auto, text or json", c.Format)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Level)); err != nil {
		return fmt.Errorf("observe: log level %q: want debug, info, warn or error", c.Level)
	}
	return c.File.Validate()
}

// NewLogger builds the logger for w (usually os.Stderr).
func NewLogger(w io.Writer, c LogConfig) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(strings.ToUpper(c.Level)))
	opts := &slog.HandlerOptions{Level: lvl}
	text := c.Format == "text"
	if c.Format == "auto" {
		text = isTerminal(w)
	}
	if text {
		return slog.New(WithTraceIDs(slog.NewTextHandler(w, opts)))
	}
	return slog.New(WithTraceIDs(slog.NewJSONHandler(w, opts)))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
