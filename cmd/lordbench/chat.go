package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// chat: -receivers members of the world conversation plus -senders, who
// each send a world message every 1/-rate seconds for -duration (open
// loop: latency is counted from when each message was due, so a server
// that falls behind is charged for the queue it builds). Every receiver
// tracks the messages it got by the sender's client id: a message seen
// twice is a duplicate, one never seen by the end of the drain is lost.
// Expected is every message the server accepted times every receiver
// (the sender of a message is not one of its receivers). With -anonymous
// the clients connect without logging in, to drive the bare broadcast
// server of bench/wsecho (-broadcast) with the same load.

type chatReport struct {
	Scenario      string            `json:"scenario"`
	Targets       []string          `json:"targets"`
	Receivers     int               `json:"receivers"`
	ReceiversUp   int               `json:"receivers_connected"`
	Senders       int               `json:"senders"`
	SendersUp     int               `json:"senders_connected"`
	RatePerSender float64           `json:"rate_per_sender"`
	DurationS     float64           `json:"duration_s"`
	Sent          uint64            `json:"sent"`
	Accepted      uint64            `json:"accepted"`
	Expected      uint64            `json:"expected"`
	Delivered     uint64            `json:"delivered"`
	Lost          uint64            `json:"lost"`
	Duplicates    uint64            `json:"duplicates"`
	Errors        uint64            `json:"errors"`
	ErrorsByCode  map[string]uint64 `json:"errors_by_code"`
	P50ms         float64           `json:"p50_ms"`
	P90ms         float64           `json:"p90_ms"`
	P99ms         float64           `json:"p99_ms"`
	MaxMs         float64           `json:"max_ms"`
	ServerCPUs    float64           `json:"server_cpu_s,omitempty"`
	ServerCores   float64           `json:"server_cpu_cores,omitempty"`
	// CPUPerDelivered is the servers' CPU time over the measured window
	// divided by the messages delivered, in microseconds.
	CPUPerDelivered float64 `json:"server_cpu_us_per_delivered,omitempty"`
	ServerRSSMB     float64 `json:"server_rss_mb,omitempty"`
	CPUError        string  `json:"cpu_error,omitempty"`
	FirstError      string  `json:"first_error,omitempty"`
}

// chatRun is the shared state of one run.
type chatRun struct {
	o    options
	tag  string // prefix of this run's client ids
	hist histogram
	errs errorCounts
	due  sync.Map // client id → time.Time the message was due
	sent atomic.Uint64
	acc  atomic.Uint64
	got  atomic.Uint64
	dups atomic.Uint64
	// retries counts the -missed sends refused for their rate and sent again.
	retries atomic.Uint64
	mu      sync.Mutex
	first   string
}

// chatReceiver is what one receiver has seen, by client id.
type chatReceiver struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

func runChat(ctx context.Context, o options, live *liveLine) (report, error) {
	if o.Missed > 0 {
		return runChatMissed(ctx, o, live)
	}
	if o.Receivers < 1 || o.Senders < 1 {
		return nil, fmt.Errorf("chat needs -receivers and -senders of at least 1 (got %d and %d)", o.Receivers, o.Senders)
	}
	rate := o.Rate
	if rate == 0 {
		rate = 1
	}
	run := &chatRun{o: o, tag: "lb" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-"}
	rep := &chatReport{Scenario: "chat", Targets: o.targetNames(), Receivers: o.Receivers, Senders: o.Senders, RatePerSender: rate}

	total := o.Receivers + o.Senders
	clients, _ := run.connect(ctx, total, live)
	var up []*client.Client
	for _, c := range clients {
		if c != nil {
			up = append(up, c)
		}
	}
	defer closeAll(up, o.Dialers)
	var receivers []*chatReceiver
	var senders []*client.Client
	for i, c := range clients {
		if c == nil {
			continue
		}
		if i < o.Senders {
			senders = append(senders, c)
			continue
		}
		r := &chatReceiver{seen: make(map[string]struct{})}
		receivers = append(receivers, r)
		c.On("chat.msg", func(p client.Push) { run.receive(r, p) })
	}
	rep.SendersUp, rep.ReceiversUp = len(senders), len(receivers)
	if len(senders) == 0 || len(receivers) == 0 {
		return nil, fmt.Errorf("%d senders and %d receivers connected to %s: %s", len(senders), len(receivers), strings.Join(rep.Targets, ", "), run.first)
	}
	world, err := run.worldID(ctx, senders[0])
	if err != nil {
		return nil, err
	}

	srvs := o.servers()
	cpu := startCPU(ctx, srvs, false)
	var rss float64 // peak of the summed RSS, written by the ticker only
	start := time.Now()
	sendCtx, stopSend := context.WithTimeout(ctx, o.Duration)
	defer stopSend()
	tickCtx, stopTicker := context.WithCancel(ctx)
	defer stopTicker()
	tick := ticker(tickCtx, func(el time.Duration) {
		sum, all := 0.0, true
		for _, s := range srvs {
			m, err := s.mem().sample(ctx)
			all = all && err == nil
			sum += m.RSSBytes
		}
		if all {
			rss = max(rss, sum)
		}
		live.printf("chat %4.0fs  sent %d  delivered %d/%d  p99 %6.2f ms  errors %d",
			el.Seconds(), run.sent.Load(), run.got.Load(), run.acc.Load()*uint64(len(receivers)), ms(run.hist.Quantile(0.99)), run.errs.total())
	})
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	for i, c := range senders {
		// Spread the senders over one interval so they do not send in
		// lockstep.
		offset := interval * time.Duration(i) / time.Duration(len(senders))
		wg.Go(func() { run.sendLoop(sendCtx, c, i, world, start.Add(offset), interval) })
	}
	wg.Wait()
	sendEnd := time.Now()
	// Drain: wait until every expected message arrived, at most 10 s.
	expected := func() uint64 { return run.acc.Load() * uint64(len(receivers)) }
	for deadline := time.Now().Add(10 * time.Second); run.got.Load() < expected() && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	uses := cpu.stop(ctx)
	stopTicker()
	<-tick
	live.end()

	rep.DurationS = sendEnd.Sub(start).Seconds()
	rep.Sent, rep.Accepted = run.sent.Load(), run.acc.Load()
	rep.Expected = expected()
	rep.Duplicates = run.dups.Load()
	rep.Delivered = run.got.Load()
	if rep.Delivered < rep.Expected {
		rep.Lost = rep.Expected - rep.Delivered
	}
	rep.P50ms, rep.P90ms, rep.P99ms, rep.MaxMs = ms(run.hist.Quantile(0.5)), ms(run.hist.Quantile(0.9)), ms(run.hist.Quantile(0.99)), ms(run.hist.Max())
	rep.ErrorsByCode = run.errs.snapshot()
	for _, n := range rep.ErrorsByCode {
		rep.Errors += n
	}
	if s, ok := totalCPU(uses); ok {
		rep.ServerCPUs, rep.ServerCores = s, s/elapsed.Seconds()
		if rep.Delivered > 0 {
			rep.CPUPerDelivered = s * 1e6 / float64(rep.Delivered)
		}
	} else {
		for _, u := range uses {
			if u.err != nil {
				rep.CPUError = u.err.Error()
				break
			}
		}
	}
	rep.ServerRSSMB = rss / (1 << 20)
	run.mu.Lock()
	rep.FirstError = run.first
	run.mu.Unlock()
	return rep, nil
}

// connect logs in (unless -anonymous) and connects n clients, client i to
// target i mod len(targets); a client that failed is nil. tokens[i] is
// client i's access token.
func (run *chatRun) connect(ctx context.Context, n int, live *liveLine) (out []*client.Client, tokens []string) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	out, tokens = make([]*client.Client, n), make([]string, n)
	var next, up atomic.Int64
	var wg sync.WaitGroup
	rampCtx, cancel := context.WithCancel(ctx)
	tick := ticker(rampCtx, func(el time.Duration) {
		live.printf("login %4.0fs  %d/%d connected", el.Seconds(), up.Load(), n)
	})
	for range min(run.o.Dialers, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t := i % len(run.o.Targets)
				opts := client.Options{Name: "lordbench-chat"}
				if !run.o.Anonymous {
					tok, err := guestToken(ctx, hc, apiBase(run.o, t), run.tag+"d"+strconv.Itoa(i))
					if err != nil {
						run.fail("login", err)
						continue
					}
					opts.Token = tok
				}
				c, err := client.Dial(ctx, run.o.Targets[t].String(), run.o.withSecurity(t, opts))
				if err != nil {
					run.fail("dial", err)
					continue
				}
				out[i], tokens[i] = c, opts.Token
				up.Add(1)
			}
		})
	}
	wg.Wait()
	cancel()
	<-tick
	live.end()
	return out, tokens
}

// worldID asks the server for the world conversation (the bare broadcast
// server has one conversation, 1).
func (run *chatRun) worldID(ctx context.Context, c *client.Client) (int64, error) {
	if run.o.Anonymous {
		return 1, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var in pb.ChatInboxResp
	if err := c.Request(rctx, "chat.inbox", &pb.ChatInboxReq{}, &in); err != nil {
		return 0, fmt.Errorf("chat.inbox: %w", err)
	}
	if in.World == nil || in.World.Id == 0 {
		return 0, fmt.Errorf("chat.inbox named no world conversation")
	}
	return in.World.Id, nil
}

// sendLoop sends a world message every interval from first until ctx
// ends. The text carries nothing the receivers need: they find when it
// was due by its client id.
func (run *chatRun) sendLoop(ctx context.Context, c *client.Client, sender int, world int64, first time.Time, interval time.Duration) {
	for n, due := 0, first; ; n, due = n+1, due.Add(interval) {
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		} else if ctx.Err() != nil {
			return
		}
		id := run.tag + strconv.Itoa(sender) + "-" + strconv.Itoa(n)
		run.due.Store(id, due)
		run.sent.Add(1)
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Request(rctx, "chat.send", &pb.ChatSendReq{ConversationId: world, ClientId: id, Text: "lordbench " + id}, &pb.ChatSendResp{})
		cancel()
		if err != nil {
			run.fail("send", err)
			continue
		}
		run.acc.Add(1)
	}
}

// receive counts one chat.msg push of a receiver.
func (run *chatRun) receive(r *chatReceiver, p client.Push) {
	now := time.Now()
	var m pb.ChatMessage
	if err := p.Decode(&m); err != nil {
		run.fail("decode", err)
		return
	}
	if !strings.HasPrefix(m.ClientId, run.tag) {
		return // someone else's message
	}
	r.mu.Lock()
	_, dup := r.seen[m.ClientId]
	if !dup {
		r.seen[m.ClientId] = struct{}{}
	}
	r.mu.Unlock()
	if dup {
		run.dups.Add(1)
		return
	}
	run.got.Add(1)
	if v, ok := run.due.Load(m.ClientId); ok {
		run.hist.Record(now.Sub(v.(time.Time)))
	}
}

func (run *chatRun) fail(what string, err error) {
	run.errs.add(what + ":" + errorCode(err))
	run.mu.Lock()
	if run.first == "" {
		run.first = what + ": " + err.Error()
	}
	run.mu.Unlock()
}

func (r *chatReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "scenario   chat  %s  %d senders × %.2f msg/s\n", targetsLine(r.Targets), r.Senders, r.RatePerSender)
	fmt.Fprintf(w, "clients    %d/%d receivers and %d/%d senders connected\n", r.ReceiversUp, r.Receivers, r.SendersUp, r.Senders)
	fmt.Fprintf(w, "messages   %d sent, %d accepted in %.1fs\n", r.Sent, r.Accepted, r.DurationS)
	fmt.Fprintf(w, "delivery   %d/%d delivered  lost %d  duplicates %d\n", r.Delivered, r.Expected, r.Lost, r.Duplicates)
	fmt.Fprintf(w, "latency    p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n", r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	switch {
	case r.ServerCPUs > 0:
		fmt.Fprintf(w, "server     cpu %.2f s (%.2f cores)  %.2f µs per delivered message  peak rss %.0f MiB\n", r.ServerCPUs, r.ServerCores, r.CPUPerDelivered, r.ServerRSSMB)
	case r.CPUError != "":
		fmt.Fprintf(w, "server     cpu unknown: %s\n", r.CPUError)
	}
	writeErrors(w, r.Errors, r.ErrorsByCode)
	if r.FirstError != "" {
		fmt.Fprintf(w, "           first error: %s\n", strings.TrimSpace(r.FirstError))
	}
}
