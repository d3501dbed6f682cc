package observe

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
	"gopkg.in/natefinch/lumberjack.v2"
)

// LogFile is where logs go when LogConfig.File is set, and how the file
// rotates.
type LogFile struct {
	// Path is the log file; empty logs to the process's standard error.
	Path string `yaml:"path"`
	// MaxSizeMB rotates the file once it reaches this many megabytes.
	MaxSizeMB int `yaml:"max_size_mb"`
	// MaxAge deletes rotated files older than this (whole days, rounded
	// up); 0 keeps them regardless of age.
	MaxAge time.Duration `yaml:"max_age"`
	// MaxBackups is how many rotated files are kept; 0 keeps them all
	// (as far as MaxAge allows).
	MaxBackups int `yaml:"max_backups"`
	// Compress gzips rotated files.
	Compress bool `yaml:"compress"`
}

// DefaultLogFile rotates at 100 MB and keeps 10 files of at most 30 days.
func DefaultLogFile() LogFile {
	return LogFile{MaxSizeMB: 100, MaxAge: 30 * 24 * time.Hour, MaxBackups: 10}
}

// Validate checks the rotation settings and that the file's folder exists
// and is writable (the file itself is created on the first line).
func (f LogFile) Validate() error {
	switch {
	case f.MaxSizeMB < 1:
		return fmt.Errorf("observe: log max_size_mb must be at least 1 (got %d)", f.MaxSizeMB)
	case f.MaxAge < 0:
		return fmt.Errorf("observe: log max_age must not be negative (got %s)", f.MaxAge)
	case f.MaxBackups < 0:
		return fmt.Errorf("observe: log max_backups must not be negative (got %d)", f.MaxBackups)
	}
	if f.Path == "" {
		return nil
	}
	return CheckLogPath(f.Path)
}

// CheckLogPath checks that path can be a log file: its folder exists and
// is writable, and the path is not a folder.
func CheckLogPath(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%q is a folder, want a file", path)
	} else if err == nil && unix.Access(path, unix.W_OK) != nil {
		return fmt.Errorf("%q is not writable", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("folder %q does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%q is not a folder", dir)
	case unix.Access(dir, unix.W_OK|unix.X_OK) != nil:
		return fmt.Errorf("folder %q is not writable", dir)
	}
	return nil
}

// LogOutput is where the logger writes: fallback (standard error) when no
// file is set, else the rotating file. close flushes nothing (every line
// is written through) and closes the file.
//
// Rotation is gopkg.in/natefinch/lumberjack.v2: it renames the full file
// to name-<time>.ext and removes the files past MaxBackups and MaxAge in
// a goroutine of its own, which lives as long as the process (one per
// log file; the server opens one).
func LogOutput(c LogConfig, fallback io.Writer) (w io.Writer, close func() error, err error) {
	f := c.File
	if f.Path == "" {
		return fallback, func() error { return nil }, nil
	}
	if err := f.Validate(); err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	l := &lumberjack.Logger{
		Filename:   f.Path,
		MaxSize:    f.MaxSizeMB,
		MaxAge:     days(f.MaxAge),
		MaxBackups: f.MaxBackups,
		LocalTime:  false,
		Compress:   f.Compress,
	}
	// Open now, so a file that cannot be created fails the start rather
	// than the first log line.
	if _, err := l.Write(nil); err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	return l, l.Close, nil
}

// days rounds d up to whole days (lumberjack's unit).
func days(d time.Duration) int {
	const day = 24 * time.Hour
	return int((d + day - 1) / day)
}
