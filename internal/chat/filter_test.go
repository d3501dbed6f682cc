package chat

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

func TestWordsMask(t *testing.T) {
	w := NewWords([]string{"shit", "Bad", "坏蛋", "he", "hers", "", "ǅx"})
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"hello", "**llo"},
		{"oh SHIT, nice", "oh ****, nice"},
		{"so bAd", "so ***"},
		{"你是坏蛋吗", "你是**吗"},
		{"ushers", "us****"}, // he and hers overlap: all of both masked
		{"thehe", "t****"},
		{"clean text", "clean text"},
		{"badbad", "******"},
		{"ǆX", "**"}, // title-case and lower-case fold the same
		{"émoji 😀 bad", "émoji 😀 ***"},
	} {
		if got := w.Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if NewWords(nil).Mask("bad") != "bad" || (*Words)(nil).Mask("x") != "x" {
		t.Error("an empty list masks nothing")
	}
}

func TestWordsConcurrent(t *testing.T) {
	w := NewWords([]string{"bad", "worse"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if got := w.Mask("bad and worse"); got != "*** and *****" {
					t.Errorf("got %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestParseWords(t *testing.T) {
	ws, err := ParseWords(strings.NewReader("# comment\n  bad  \n\nworse\r\n#x\n坏蛋\n"))
	if err != nil || strings.Join(ws, ",") != "bad,worse,坏蛋" {
		t.Fatalf("ParseWords = %q, %v", ws, err)
	}
	for _, in := range []string{"ok\n\xff\xfe\n", strings.Repeat("x", 65) + "\n", strings.Repeat("y", 5000)} {
		if _, err := ParseWords(strings.NewReader(in)); err == nil {
			t.Errorf("ParseWords(%.20q...) accepted", in)
		}
	}
}

// wordFile writes content as a word list in a folder of the test's own
// and loads it.
func wordFile(t *testing.T, content string) (*WordFile, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := LoadWordFile(path, discard())
	if err != nil {
		t.Fatal(err)
	}
	return f, path
}

func TestWordFileReload(t *testing.T) {
	f, path := wordFile(t, "bad\n")
	f.PollEvery = 20 * time.Millisecond
	loads := make(chan int, 10)
	f.reloaded = func(n int) { loads <- n }
	if f.Mask("bad ugly") != "*** ugly" {
		t.Fatal("first list not applied")
	}
	ctx := t.Context()
	done := make(chan struct{})
	go func() { f.Watch(ctx); close(done) }()
	// A change of size is seen by the poll.
	if err := os.WriteFile(path, []byte("bad\nugly\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-loads:
		if n != 2 {
			t.Fatalf("reloaded %d words", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the changed file was not reloaded")
	}
	if f.Mask("bad ugly") != "*** ****" {
		t.Fatal("new list not applied")
	}
	// A broken file keeps the list in force.
	if err := os.WriteFile(path, []byte("\xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if f.Mask("ugly") != "****" {
		t.Fatal("a broken file replaced the list")
	}
	_ = done
}

// A SIGHUP reloads the file even when its size and time say it did not
// change (the poll would not see it), and a broken file on SIGHUP keeps
// the list in force. The signal comes through watch's channel: the test
// process gets no real signal.
func TestWordFileSIGHUP(t *testing.T) {
	f, path := wordFile(t, "bad\n")
	f.PollEvery = time.Hour // the poll never runs: only the signal reloads
	loads := make(chan int, 10)
	f.reloaded = func(n int) { loads <- n }
	// Same size, same time: only a forced load sees the new word.
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("ugh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	hup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { f.watch(ctx, hup); close(done) }()
	defer func() { cancel(); <-done }()
	send := func() {
		t.Helper()
		select {
		case hup <- syscall.SIGHUP:
		case <-time.After(10 * time.Second):
			t.Fatal("watch does not take the signal")
		}
	}
	send()
	select {
	case n := <-loads:
		if n != 1 {
			t.Fatalf("reloaded %d words, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not reload the file")
	}
	if got := f.Mask("bad ugh"); got != "bad ***" {
		t.Fatalf("after SIGHUP: Mask = %q, want the new list only", got)
	}
	// A broken file: the list in force stays.
	if err := os.WriteFile(path, []byte("\xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	send()
	send() // the second is taken once the first has been handled
	select {
	case n := <-loads:
		t.Fatalf("a broken file was loaded (%d words)", n)
	default:
	}
	if got := f.Mask("bad ugh"); got != "bad ***" {
		t.Fatalf("a broken file on SIGHUP changed the list: %q", got)
	}
}

// Watch itself listens for SIGHUP while it runs (signal.Notify): the
// real signal reaches it, and the test process, which has the handler
// installed for exactly that long, does not die of it.
func TestWordFileWatchSIGHUP(t *testing.T) {
	f, _ := wordFile(t, "bad\n")
	f.PollEvery = time.Hour
	loads := make(chan int, 10)
	f.reloaded = func(n int) { loads <- n }
	// A handler of the test's own stays installed across Watch's start
	// and stop, so that no SIGHUP can ever take the default action
	// (ending the process), whatever the timing.
	guard := make(chan os.Signal, 10)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { f.Watch(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// Watch's own Notify may not have run yet: signal until it reloads.
	deadline := time.After(10 * time.Second)
	for {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-loads:
			return
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("Watch did not reload on SIGHUP")
		}
	}
}

func FuzzWords(f *testing.F) {
	f.Add("bad\nworse\n", "so bad, worse")
	f.Add("坏\n", "你坏")
	f.Add("#x\n\n", "")
	f.Fuzz(func(t *testing.T, list, text string) {
		ws, err := ParseWords(strings.NewReader(list))
		if err != nil {
			return
		}
		out := NewWords(ws).Mask(text)
		if utf8.ValidString(text) && utf8.RuneCountInString(out) != utf8.RuneCountInString(text) {
			t.Fatalf("Mask changed the length: %q -> %q", text, out)
		}
		for i, r := range []rune(out) {
			if r != '*' && r != []rune(text)[i] && utf8.ValidString(text) {
				t.Fatalf("Mask changed a character it did not mask: %q -> %q", text, out)
			}
		}
	})
}

func FuzzParseRate(f *testing.F) {
	f.Add("1/2s")
	f.Add("10/1m")
	f.Add("x/y")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r.Burst < 1 || r.Window <= 0 {
			t.Fatalf("ParseRate(%q) = %+v", s, r)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %+v, %v", s, back, err)
		}
	})
}
