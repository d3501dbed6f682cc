package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// chat -missed N: the reliable sync of docs/protocol-chat.md measured end
// to end. The receivers drop their connections; the senders then store N
// messages in a conversation every receiver belongs to (-missed-in group,
// the default: one open group of all the clients; private: N private
// messages to each receiver, spread over one private conversation per
// sender; world: the world conversation, which keeps the newest 1,000 by
// default); then every receiver reconnects at once as a client would after
// a drop: the resume token of its old session with its access token (or,
// with -missed-fresh, the access token alone: a new session), chat.inbox,
// and chat.sync from what it held for every conversation it shows (the
// inbox's, and the world) until no batch has more. The time of a receiver
// runs from the moment it starts to dial to the moment it holds every
// missed message. A missed message a receiver does not hold after its sync
// is lost; one it is given twice (a client id or a seq seen again, or a
// seq at or below the cursor it asked after) is a duplicate.

type chatMissedReport struct {
	Scenario     string   `json:"scenario"`
	Mode         string   `json:"mode"`
	Targets      []string `json:"targets"`
	Conversation string   `json:"conversation"`
	Receivers    int      `json:"receivers"`
	ReceiversUp  int      `json:"receivers_connected"`
	Senders      int      `json:"senders"`
	SendersUp    int      `json:"senders_connected"`
	// Missed is the messages each receiver missed (asked for).
	Missed   int     `json:"missed"`
	Sent     uint64  `json:"sent"`
	Accepted uint64  `json:"accepted"`
	SendS    float64 `json:"send_s"`
	// SendRetries is the sends refused for their rate (or a full store
	// queue) and sent again.
	SendRetries uint64 `json:"send_retries"`
	// Back is the receivers that reconnected, Resumed those whose old
	// session came back through its resume token (the same session id).
	Back    int  `json:"resync_receivers"`
	Resumed int  `json:"resync_resumed"`
	Fresh   bool `json:"fresh_login"`
	// Expected is the accepted missed messages summed over the receivers
	// (one that did not come back loses all of its own); ResyncMessages
	// how many of them they held after their sync.
	Expected       uint64 `json:"expected"`
	ResyncMessages uint64 `json:"resync_messages"`
	Lost           uint64 `json:"lost"`
	Duplicates     uint64 `json:"duplicates"`
	// ResyncMs is the slowest receiver's time from reconnecting to
	// holding every missed message, ResyncP50ms the median receiver's
	// (of the receivers that held them all: any other shows as lost); ConnectMs the slowest dial and
	// handshake, InboxMs the slowest chat.inbox.
	ResyncMs    float64 `json:"resync_ms"`
	ResyncP50ms float64 `json:"resync_p50_ms"`
	ConnectMs   float64 `json:"resync_connect_ms"`
	InboxMs     float64 `json:"resync_inbox_ms"`
	// SyncCalls is the chat.sync requests of the receiver that made the
	// most; Pushes the chat.msg pushes of missed messages the receivers got
	// after reconnecting (the senders were done by then: a stale push).
	SyncCalls    int               `json:"resync_sync_calls"`
	Pushes       uint64            `json:"resync_pushes"`
	Errors       uint64            `json:"errors"`
	ErrorsByCode map[string]uint64 `json:"errors_by_code"`
	FirstError   string            `json:"first_error,omitempty"`
}

// missedReceiver is one receiver across its disconnect.
type missedReceiver struct {
	idx    int // client index: target idx mod len(targets)
	uid    int64
	token  string
	resume string
	sid    string          // the session id before the drop
	held   map[int64]int64 // conversation → seq held before the drop
	// want is the client ids of the messages sent to it while away.
	mu   sync.Mutex
	want map[string]struct{}

	// after the reconnect
	c        *client.Client
	resumed  bool
	took     time.Duration // reconnect → holding every missed message
	connect  time.Duration
	inbox    time.Duration
	calls    int
	got      int // missed messages held
	dups     int
	pushes   atomic.Uint64
	complete bool
}

func (r *missedReceiver) expect(id string) {
	r.mu.Lock()
	r.want[id] = struct{}{}
	r.mu.Unlock()
}

// missedSend is one message of the send phase.
type missedSend struct {
	id   string
	conv int64 // 0: a private message to to
	to   int64
	rcv  *missedReceiver // nil: every receiver
}

func runChatMissed(ctx context.Context, o options, live *liveLine) (report, error) {
	if o.Anonymous {
		return nil, errors.New("-missed needs logged-in clients: drop -anonymous")
	}
	if o.Receivers < 1 || o.Senders < 1 {
		return nil, fmt.Errorf("chat -missed needs -receivers and -senders of at least 1 (got %d and %d)", o.Receivers, o.Senders)
	}
	switch o.MissedIn {
	case "group":
		if o.Receivers+o.Senders > 500 {
			return nil, fmt.Errorf("-missed-in group: -receivers plus -senders is %d, a group holds at most 500", o.Receivers+o.Senders)
		}
	case "private", "world":
	default:
		return nil, fmt.Errorf("-missed-in %q: want group, private or world", o.MissedIn)
	}
	run := &chatRun{o: o, tag: "lb" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-"}
	rep := &chatMissedReport{Scenario: "chat", Mode: "missed", Targets: o.targetNames(), Conversation: o.MissedIn,
		Receivers: o.Receivers, Senders: o.Senders, Missed: o.Missed, Fresh: o.MissedFresh}

	clients, tokens := run.connect(ctx, o.Senders+o.Receivers, live)
	var up []*client.Client
	for _, c := range clients {
		if c != nil {
			up = append(up, c)
		}
	}
	// Every client the run opened, the receivers' second connections
	// included, is closed at the end (closing one twice is harmless).
	var extra []*client.Client
	defer func() { closeAll(append(up, extra...), o.Dialers) }()
	var senders []*client.Client
	var rcvs []*missedReceiver
	for i, c := range clients {
		if c == nil {
			continue
		}
		if i < o.Senders {
			senders = append(senders, c)
			continue
		}
		uid, err := strconv.ParseInt(c.UserID(), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("receiver %d: user id %q: %v", i, c.UserID(), err)
		}
		rcvs = append(rcvs, &missedReceiver{idx: i, uid: uid, token: tokens[i], c: c, want: map[string]struct{}{}})
	}
	rep.SendersUp, rep.ReceiversUp = len(senders), len(rcvs)
	if len(senders) == 0 || len(rcvs) == 0 {
		return nil, fmt.Errorf("%d senders and %d receivers connected to %s: %s", len(senders), len(rcvs), strings.Join(rep.Targets, ", "), run.first)
	}

	// The conversation.
	var conv int64
	switch o.MissedIn {
	case "world":
		id, err := run.worldID(ctx, senders[0])
		if err != nil {
			return nil, err
		}
		conv = id
	case "group":
		var g pb.GroupCreateResp
		if err := request(ctx, senders[0], "group.create", &pb.GroupCreateReq{Name: "lordbench " + strings.TrimSuffix(run.tag, "-"), Open: true}, &g); err != nil {
			return nil, fmt.Errorf("group.create: %w", err)
		}
		conv = g.Group.GetId()
		members := append(append([]*client.Client(nil), senders[1:]...), clientsOf(rcvs)...)
		if err := forEach(ctx, members, o.Dialers, func(c *client.Client) error {
			return request(ctx, c, "group.join", &pb.GroupReq{ConversationId: conv}, &pb.GroupResp{})
		}); err != nil {
			return nil, fmt.Errorf("group.join: %w", err)
		}
	}

	// What each receiver holds when it drops: everything there is (it was
	// online and nothing is being sent now).
	if err := forEach(ctx, rcvs, o.Dialers, func(r *missedReceiver) error {
		var in pb.ChatInboxResp
		if err := request(ctx, r.c, "chat.inbox", &pb.ChatInboxReq{}, &in); err != nil {
			return fmt.Errorf("chat.inbox: %w", err)
		}
		r.held = map[int64]int64{}
		for _, e := range in.Entries {
			r.held[e.GetConversation().GetId()] = e.GetConversation().GetLastSeq()
		}
		if in.World != nil {
			r.held[in.World.Id] = in.World.LastSeq
		}
		r.resume, r.sid = r.c.ResumeToken(), r.c.SessionID()
		return nil
	}); err != nil {
		return nil, err
	}
	// The receivers drop their connections.
	closeAll(clientsOf(rcvs), o.Dialers)

	// The send phase: each sender sends its share in a closed loop.
	plan := make([][]missedSend, len(senders))
	total := 0
	for i := range o.Missed {
		s := i % len(senders)
		if o.MissedIn == "private" {
			for ri, r := range rcvs {
				plan[s] = append(plan[s], missedSend{id: run.tag + "p" + strconv.Itoa(ri) + "-" + strconv.Itoa(i), to: r.uid, rcv: r})
				total++
			}
			continue
		}
		plan[s] = append(plan[s], missedSend{id: run.tag + "m" + strconv.Itoa(i), conv: conv})
		total++
	}
	start := time.Now()
	tickCtx, stopTicker := context.WithCancel(ctx)
	tick := ticker(tickCtx, func(el time.Duration) {
		live.printf("missed %4.0fs  sent %d/%d  accepted %d  errors %d", el.Seconds(), run.sent.Load(), total, run.acc.Load(), run.errs.total())
	})
	var wg sync.WaitGroup
	for i, c := range senders {
		wg.Go(func() { run.sendMissed(ctx, c, plan[i], rcvs) })
	}
	wg.Wait()
	rep.SendS = time.Since(start).Seconds()
	stopTicker()
	<-tick
	live.end()
	rep.Sent, rep.Accepted, rep.SendRetries = run.sent.Load(), run.acc.Load(), run.retries.Load()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Every receiver comes back at once.
	live.printf("resync: %d receivers reconnecting", len(rcvs))
	var mu sync.Mutex
	_ = forEach(ctx, rcvs, len(rcvs), func(r *missedReceiver) error {
		run.resync(ctx, r)
		mu.Lock()
		if r.c != nil {
			extra = append(extra, r.c)
		}
		mu.Unlock()
		return nil
	})
	live.end()

	var took []time.Duration
	for _, r := range rcvs {
		// A receiver that did not come back lost what it missed.
		rep.Expected += uint64(len(r.want))
		if r.c == nil {
			continue
		}
		rep.Back++
		if r.resumed {
			rep.Resumed++
		}
		rep.ResyncMessages += uint64(r.got)
		rep.Duplicates += uint64(r.dups)
		rep.Pushes += r.pushes.Load()
		rep.SyncCalls = max(rep.SyncCalls, r.calls)
		rep.ConnectMs = max(rep.ConnectMs, ms(r.connect))
		rep.InboxMs = max(rep.InboxMs, ms(r.inbox))
		if r.complete {
			took = append(took, r.took)
		}
	}
	rep.Lost = rep.Expected - rep.ResyncMessages
	if len(took) > 0 {
		slices.Sort(took)
		rep.ResyncMs = ms(took[len(took)-1])
		rep.ResyncP50ms = ms(took[(len(took)-1)/2])
	}
	rep.ErrorsByCode = run.errs.snapshot()
	for _, n := range rep.ErrorsByCode {
		rep.Errors += n
	}
	run.mu.Lock()
	rep.FirstError = run.first
	run.mu.Unlock()
	return rep, nil
}

// sendMissed sends a sender's share, one message at a time. A send refused
// for its rate (the route's limit or the conversation kind's) or because
// the store's queue is full is sent again with the same client id after a
// second, at most 60 times: a retry is what a client does, and the server
// stores it once.
func (run *chatRun) sendMissed(ctx context.Context, c *client.Client, plan []missedSend, rcvs []*missedReceiver) {
	for _, m := range plan {
		run.sent.Add(1)
		req := &pb.ChatSendReq{ConversationId: m.conv, ToUserId: m.to, ClientId: m.id, Text: "lordbench missed " + m.id}
		var err error
		for try := 0; try < 60 && ctx.Err() == nil; try++ {
			err = request(ctx, c, "chat.send", req, &pb.ChatSendResp{})
			var e *client.Error
			if err == nil || !errors.As(err, &e) || (e.Code != "rate_limited" && e.Code != "unavailable") {
				break
			}
			run.retries.Add(1)
			sleepCtx(ctx, time.Second)
		}
		if err != nil {
			run.fail("send", err)
			continue
		}
		run.acc.Add(1)
		if m.rcv != nil {
			m.rcv.expect(m.id)
			continue
		}
		for _, r := range rcvs {
			r.expect(m.id)
		}
	}
}

// resync reconnects one receiver and syncs it as docs/protocol-chat.md
// says a client does after a reconnect.
func (run *chatRun) resync(ctx context.Context, r *missedReceiver) {
	r.c = nil
	seen := map[string]struct{}{}
	start := time.Now()
	// What it holds when it stops, whether the sync went through or not.
	defer func() {
		r.took = time.Since(start)
		r.mu.Lock()
		for id := range r.want {
			if _, ok := seen[id]; ok {
				r.got++
			}
		}
		r.complete = r.c != nil && r.got == len(r.want)
		r.mu.Unlock()
	}()
	t := r.idx % len(run.o.Targets)
	opts := client.Options{Token: r.token, Name: "lordbench-chat", Handlers: map[string]func(client.Push){
		"chat.msg": func(p client.Push) {
			var m pb.ChatMessage
			if p.Decode(&m) == nil && strings.HasPrefix(m.ClientId, run.tag) {
				r.pushes.Add(1)
			}
		},
	}}
	if !run.o.MissedFresh {
		opts.ResumeToken = r.resume
	}
	c, err := client.Dial(ctx, run.o.Targets[t].String(), run.o.withSecurity(t, opts))
	var e *client.Error
	if err != nil && opts.ResumeToken != "" && errors.As(err, &e) && e.Code == "unauthenticated" {
		// A stale resume token: a client starts a new session.
		run.errs.add("resume:" + e.Code)
		opts.ResumeToken = ""
		c, err = client.Dial(ctx, run.o.Targets[t].String(), run.o.withSecurity(t, opts))
	}
	if err != nil {
		run.fail("redial", err)
		return
	}
	r.c = c
	r.connect = time.Since(start)
	r.resumed = opts.ResumeToken != "" && c.SessionID() == r.sid

	var in pb.ChatInboxResp
	if err := request(ctx, c, "chat.inbox", &pb.ChatInboxReq{}, &in); err != nil {
		run.fail("resync inbox", err)
		return
	}
	r.inbox = time.Since(start) - r.connect
	// One cursor per conversation shown: the inbox's and the world.
	held := map[int64]int64{}
	for _, e := range in.Entries {
		held[e.GetConversation().GetId()] = r.held[e.GetConversation().GetId()] // 0 for a new one
	}
	if in.World != nil {
		held[in.World.Id] = r.held[in.World.Id]
	}
	open := slices.Sorted(func(yield func(int64) bool) {
		for id := range held {
			if !yield(id) {
				return
			}
		}
	})
	seqs := map[int64]map[int64]struct{}{}
	for len(open) > 0 && ctx.Err() == nil {
		q := &pb.ChatSyncReq{Limit: 200}
		for _, id := range open[:min(len(open), 100)] {
			q.Cursors = append(q.Cursors, &pb.ChatSyncCursor{ConversationId: id, AfterSeq: held[id]})
		}
		var resp pb.ChatSyncResp
		r.calls++
		if err := request(ctx, c, "chat.sync", q, &resp); err != nil {
			run.fail("resync sync", err)
			return
		}
		more := map[int64]bool{}
		for _, b := range resp.Batches {
			id := b.ConversationId
			if seqs[id] == nil {
				seqs[id] = map[int64]struct{}{}
			}
			for _, m := range b.Messages {
				_, again := seqs[id][m.Seq]
				if again || m.Seq <= held[id] {
					r.dups++
					continue
				}
				seqs[id][m.Seq] = struct{}{}
				if !strings.HasPrefix(m.ClientId, run.tag) {
					continue // a group event, someone else's message
				}
				if _, dup := seen[m.ClientId]; dup {
					r.dups++
					continue
				}
				seen[m.ClientId] = struct{}{}
			}
			held[id] = max(held[id], b.NextSeq)
			if b.HasMore {
				more[id] = true
			}
		}
		// The cursors asked for and not answered as having more are done;
		// those past the first 100 wait for the next call.
		open = slices.DeleteFunc(open, func(id int64) bool {
			asked := slices.ContainsFunc(q.Cursors, func(c *pb.ChatSyncCursor) bool { return c.ConversationId == id })
			return asked && !more[id]
		})
	}
}

// request is one request with a 10 s deadline.
func request(ctx context.Context, c *client.Client, route string, req, resp proto.Message) error {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.Request(rctx, route, req, resp)
}

func clientsOf(rcvs []*missedReceiver) []*client.Client {
	out := make([]*client.Client, 0, len(rcvs))
	for _, r := range rcvs {
		if r.c != nil {
			out = append(out, r.c)
		}
	}
	return out
}

// forEach runs fn for every item, n at a time, and returns the first error.
func forEach[T any](ctx context.Context, items []T, n int, fn func(T) error) error {
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range min(max(n, 1), len(items)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(items) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := fn(items[i]); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func (r *chatMissedReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario   chat -missed %d  %s  %s conversation%s\n", r.Missed, targetsLine(r.Targets), r.Conversation, map[bool]string{true: ", fresh login"}[r.Fresh])
	fmt.Fprintf(w, "clients    %d/%d receivers and %d/%d senders connected\n", r.ReceiversUp, r.Receivers, r.SendersUp, r.Senders)
	fmt.Fprintf(w, "away       %d sent, %d accepted in %.2fs while the receivers were offline (%d sent again after a rate refusal)\n", r.Sent, r.Accepted, r.SendS, r.SendRetries)
	fmt.Fprintf(w, "resync     %d receivers back (%d resumed), %d/%d missed messages held  lost %d  duplicates %d  stale pushes %d\n",
		r.Back, r.Resumed, r.ResyncMessages, r.Expected, r.Lost, r.Duplicates, r.Pushes)
	fmt.Fprintf(w, "time       reconnect → every missed message held: p50 %.1f ms  max %.1f ms  (dial and handshake max %.1f ms, chat.inbox max %.1f ms, %d chat.sync calls)\n",
		r.ResyncP50ms, r.ResyncMs, r.ConnectMs, r.InboxMs, r.SyncCalls)
	writeErrors(w, r.Errors, r.ErrorsByCode)
	if r.FirstError != "" {
		fmt.Fprintf(w, "           first error: %s\n", strings.TrimSpace(r.FirstError))
	}
}
