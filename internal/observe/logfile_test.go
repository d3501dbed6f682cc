package observe

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogFileValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := DefaultLogFile()
	tests := []struct {
		name string
		mod  func(*LogFile)
		want string // "" = valid
	}{
		{"defaults, no file", func(*LogFile) {}, ""},
		{"file in a folder", func(f *LogFile) { f.Path = filepath.Join(dir, "lordgame.log") }, ""},
		{"existing file", func(f *LogFile) { f.Path = file }, ""},
		{"missing folder", func(f *LogFile) { f.Path = filepath.Join(dir, "nope", "x.log") }, "does not exist"},
		{"under a file", func(f *LogFile) { f.Path = filepath.Join(file, "x.log") }, "is not a folder"},
		{"a folder", func(f *LogFile) { f.Path = dir }, "is a folder"},
		{"size", func(f *LogFile) { f.MaxSizeMB = 0 }, "max_size_mb"},
		{"age", func(f *LogFile) { f.MaxAge = -time.Hour }, "max_age"},
		{"backups", func(f *LogFile) { f.MaxBackups = -1 }, "max_backups"},
	}
	for _, tt := range tests {
		f := ok
		tt.mod(&f)
		err := f.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
	if got := days(0); got != 0 {
		t.Errorf("days(0) = %d", got)
	}
	if got := days(25 * time.Hour); got != 2 {
		t.Errorf("days(25h) = %d", got)
	}
}

// TestLogRotation: the file rotates at its size and at most MaxBackups
// rotated files are kept; the lines are JSON (a file is no terminal).
func TestLogRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lordgame.log")
	c := DefaultLogConfig()
	c.File = LogFile{Path: path, MaxSizeMB: 1, MaxBackups: 2}
	w, closeLog, err := LogOutput(c, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the log file is not created at start: %v", err)
	}
	log := NewLogger(w, c)
	pad := strings.Repeat("x", 1000)
	for i := range 5000 { // ~5 MB: four or five rotations
		log.Info("line", "i", i, "pad", pad)
	}
	backups := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "lordgame-*.log"))
		return m
	}
	// Old files are removed by lumberjack's own goroutine after a rotation.
	deadline := time.Now().Add(20 * time.Second)
	for len(backups()) != 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if b := backups(); len(b) != 2 {
		t.Fatalf("rotated files %q, want 2", b)
	}
	for _, f := range append(backups(), path) {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over the 1 MB limit", f, st.Size())
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if !bytes.HasPrefix(first, []byte(`{"time":`)) {
		t.Errorf("log file line %.80q is not JSON", first)
	}
	if !bytes.Contains(b, []byte(`"i":4999`)) {
		t.Error("the last line is not in the current file")
	}
}

func TestLogOutputFallback(t *testing.T) {
	var buf bytes.Buffer
	w, closeLog, err := LogOutput(DefaultLogConfig(), &buf)
	if err != nil || w != &buf || closeLog() != nil {
		t.Fatalf("no file: %v %v", w, err)
	}
	c := DefaultLogConfig()
	c.File.Path = filepath.Join(t.TempDir(), "no", "such", "dir.log")
	if _, _, err := LogOutput(c, &buf); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
}
