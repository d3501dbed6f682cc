package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store/pgtest"
)

// TestChatMissed drives chat -missed through the real server (gateway,
// chat service and store, over WebSocket): receivers that were offline
// while 1,000 messages were stored in a conversation of theirs reconnect,
// sync as docs/protocol-chat.md says, and hold every one exactly once: in
// a group, in private conversations made while they were away, in the
// world, by resume and by a fresh login; on SQLite and, with
// LORDGAME_TEST_POSTGRES, on PostgreSQL. It checks correctness only: the
// times are logged, not asserted.
func TestChatMissed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real server")
	}
	bin := filepath.Join(t.TempDir(), "lordgame")
	if out, err := exec.Command("go", "build", "-o", bin, "../lordgame").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Loose send limits: the run measures the resync, not the senders.
	loose := []string{"-chat-rate-group", "100000/1s", "-chat-rate-private", "100000/1s", "-chat-rate-world", "100000/1s", "-route-limits", "chat.send=100000/s:100000"}
	backends := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(*testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"-db", benchPostgresDSN(t)} }},
	}
	cases := []struct {
		name                string
		receivers, senders  int
		in                  string
		fresh               bool
		perReceiverMessages bool // private: each receiver gets its own 1,000
	}{
		{name: "group resume", receivers: 3, senders: 2, in: "group"},
		{name: "private fresh login", receivers: 2, senders: 2, in: "private", fresh: true, perReceiverMessages: true},
		{name: "world resume", receivers: 2, senders: 1, in: "world"},
	}
	const missed = 1000
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			extra := be.args(t)
			addr, metrics, logs := startLordgame(t, bin, append(loose, extra...)...)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					args := []string{"-target", "ws://" + addr + "/ws", "-metrics", metrics, "-missed", "1000", "-missed-in", c.in,
						"-receivers", strconv.Itoa(c.receivers), "-senders", strconv.Itoa(c.senders)}
					if c.fresh {
						args = append(args, "-missed-fresh")
					}
					rep := missedBench(t, args...)
					sent := uint64(missed)
					if c.perReceiverMessages {
						sent *= uint64(c.receivers)
					}
					// The server answers at most 200 messages per
					// conversation and chat.sync: 1,000 take 5 calls, or
					// 3 for 500 in each of two private conversations.
					perConv := missed
					if c.perReceiverMessages {
						perConv = missed / c.senders
					}
					calls := (perConv + 199) / 200
					resumed := c.receivers
					if c.fresh {
						resumed = 0
					}
					if rep.ReceiversUp != c.receivers || rep.SendersUp != c.senders || rep.Back != c.receivers ||
						rep.Sent != sent || rep.Accepted != sent || rep.Errors != 0 ||
						rep.Expected != uint64(missed*c.receivers) || rep.ResyncMessages != rep.Expected ||
						rep.Lost != 0 || rep.Duplicates != 0 || rep.Resumed != resumed ||
						rep.SyncCalls < calls || rep.ResyncMs <= 0 || rep.Conversation != c.in {
						t.Fatalf("report %+v\nserver log:\n%s", rep, logs.String())
					}
					t.Logf("%d receivers × %d missed (%s): every one held once after %.1f ms (p50 %.1f ms, %d chat.sync calls)",
						c.receivers, missed, c.in, rep.ResyncMs, rep.ResyncP50ms, rep.SyncCalls)
				})
			}
		})
	}
	t.Run("flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"-missed", "10", "-anonymous"},
			{"-missed", "10", "-missed-in", "table"},
			{"-missed", "10", "-receivers", "499", "-senders", "2"},
			{"-missed", "-1"},
		} {
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := run(ctx, append([]string{"-scenario", "chat", "-target", "ws://127.0.0.1:1/ws"}, args...), &out, &errOut)
			cancel()
			if err == nil {
				t.Errorf("%q: no error", args)
			}
		}
	})
}

// missedBench runs chat -missed and decodes its report, checking the keys
// the docs promise.
func missedBench(t *testing.T, args ...string) chatMissedReport {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, append([]string{"-scenario", "chat", "-json"}, args...), &out, &errOut); err != nil {
		t.Fatalf("lordbench: %v\n%s", err, errOut.String())
	}
	var rep chatMissedReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	var keys map[string]any
	_ = json.Unmarshal(out.Bytes(), &keys)
	for _, k := range []string{"mode", "missed", "expected", "resync_messages", "lost", "duplicates", "resync_ms", "resync_p50_ms", "resync_resumed", "errors"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("report lacks %q: %s", k, out.String())
		}
	}
	return rep
}

// benchPostgresDSN gives the test a schema of its own on the machine's
// PostgreSQL (LORDGAME_TEST_POSTGRES) and drops it afterwards.
func benchPostgresDSN(t *testing.T) string {
	t.Helper()
	return pgtest.DSN(t, "lgbench")
}
