package chat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Limits of a word list.
const (
	maxWords    = 100_000
	maxWordRune = 64
)

// Words masks the words of a list wherever they occur in a text, ignoring
// case (Unicode simple lower case): every character (rune) of a match
// becomes '*'. Overlapping matches are all masked. It is an Aho-Corasick
// automaton (a DFA) built once; Mask is safe for concurrent use and runs
// in time linear in the text, whatever the list's size.
type Words struct {
	ac ahocorasick.AhoCorasick
	n  int
}

// NewWords builds the automaton of words (empty ones are skipped).
func NewWords(words []string) *Words {
	var pats []string
	for _, w := range words {
		if f := fold(w); f != "" {
			pats = append(pats, f)
		}
	}
	if len(pats) == 0 {
		return &Words{}
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch, DFA: true})
	return &Words{ac: b.Build(pats), n: len(pats)}
}

// Len is the number of words.
func (w *Words) Len() int { return w.n }

// fold lower-cases s rune by rune.
func fold(s string) string {
	return strings.Map(unicode.ToLower, s)
}

// Mask implements Masker.
func (w *Words) Mask(text string) string {
	if w == nil || w.n == 0 || text == "" {
		return text
	}
	// The folded text, and for each of its bytes the index of the rune
	// of text it came from: a match's bytes map back to whole runes.
	folded := make([]byte, 0, len(text))
	owner := make([]int32, 0, len(text))
	runes := 0
	for _, r := range text {
		folded = utf8.AppendRune(folded, unicode.ToLower(r))
		for len(owner) < len(folded) {
			owner = append(owner, int32(runes))
		}
		runes++
	}
	var masked []bool
	it := w.ac.IterOverlappingByte(folded)
	for m := it.Next(); m != nil; m = it.Next() {
		if m.End() <= m.Start() {
			continue
		}
		if masked == nil {
			masked = make([]bool, runes)
		}
		for i := owner[m.Start()]; i <= owner[m.End()-1]; i++ {
			masked[i] = true
		}
	}
	if masked == nil {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	i := 0
	for _, r := range text {
		if masked[i] {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

// ParseWords reads a word list: one word (or phrase) a line, surrounding
// space trimmed; empty lines and lines starting with # are skipped. A
// line that is not UTF-8 or longer than 64 characters, or more than
// 100,000 words, is an error naming the line.
func ParseWords(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	var out []string
	for line := 1; sc.Scan(); line++ {
		w := strings.TrimSpace(sc.Text())
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		if !utf8.ValidString(w) {
			return nil, fmt.Errorf("line %d: not UTF-8", line)
		}
		if utf8.RuneCountInString(w) > maxWordRune {
			return nil, fmt.Errorf("line %d: longer than %d characters", line, maxWordRune)
		}
		if len(out) == maxWords {
			return nil, fmt.Errorf("line %d: more than %d words", line, maxWords)
		}
		out = append(out, w)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("a line is longer than 4096 bytes")
		}
		return nil, err
	}
	return out, nil
}

// WordFile is a word list loaded from a file and loaded again when the
// file changes (checked every PollEvery) or the process gets SIGHUP. A
// file that cannot be read or parsed keeps the list in force.
type WordFile struct {
	path string
	log  *slog.Logger
	cur  atomic.Pointer[Words]
	mod  time.Time
	size int64
	// PollEvery is how often the file's size and time are checked.
	PollEvery time.Duration
	// reloaded, when set, is told after each successful load (tests).
	reloaded func(n int)
}

// LoadWordFile loads path once; Watch keeps it current.
func LoadWordFile(path string, log *slog.Logger) (*WordFile, error) {
	f := &WordFile{path: path, log: log, PollEvery: 2 * time.Second}
	if err := f.load(); err != nil {
		return nil, err
	}
	return f, nil
}

// Mask implements Masker with the list in force.
func (f *WordFile) Mask(s string) string { return f.cur.Load().Mask(s) }

// Len is the number of words in force.
func (f *WordFile) Len() int { return f.cur.Load().Len() }

func (f *WordFile) load() error {
	fh, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("chat words: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("chat words: %w", err)
	}
	ws, err := ParseWords(fh)
	if err != nil {
		return fmt.Errorf("chat words %s: %w", f.path, err)
	}
	f.cur.Store(NewWords(ws))
	f.mod, f.size = st.ModTime(), st.Size()
	if f.reloaded != nil {
		f.reloaded(len(ws))
	}
	return nil
}

// Watch reloads the file on change and on SIGHUP until ctx ends.
func (f *WordFile) Watch(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	f.watch(ctx, hup)
}

// watch is Watch with the SIGHUPs coming from hup: each one reloads the
// file whether or not its size and time changed.
func (f *WordFile) watch(ctx context.Context, hup <-chan os.Signal) {
	t := time.NewTicker(f.PollEvery)
	defer t.Stop()
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-hup:
			force = true
		case <-t.C:
		}
		if !force {
			st, err := os.Stat(f.path)
			if err != nil || (st.ModTime().Equal(f.mod) && st.Size() == f.size) {
				continue
			}
		}
		if err := f.load(); err != nil {
			f.log.Warn("chat: word list not reloaded; the previous list stays", "err", err)
			continue
		}
		f.log.Info("chat: word list loaded", "path", f.path, "words", f.Len())
	}
}
