package store_test

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// BenchmarkChatPrivateBatched stores private messages of 100 conversations
// through the ChatBatcher from 64 concurrent senders per core (each send
// with a client id, as the service sends them) and reports stored
// messages/s and the p99 of send -> stored acknowledgement.
func BenchmarkChatPrivateBatched(b *testing.B) {
	benchBackends(b, func(b *testing.B, db *store.DB) {
		ctx := b.Context()
		convs := make([]store.Conversation, 100)
		for i := range convs {
			c, err := db.PrivateConversation(ctx, int64(2*i+1), int64(2*i+2))
			if err != nil {
				b.Fatal(err)
			}
			convs[i] = c
		}
		bt := store.NewChatBatcher(db, 8192, 256)
		defer bt.Close()
		var n atomic.Int64
		var mu sync.Mutex
		var lat []time.Duration
		b.SetParallelism(64)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var local []time.Duration
			for pb.Next() {
				k := n.Add(1)
				c := convs[k%int64(len(convs))]
				start := time.Now()
				r := bt.Send(ctx, store.NewMessage{ConversationID: c.ID, SenderID: 2*(k%int64(len(convs))) + 1, Kind: store.MsgText, Body: "hello there, how are you", ClientID: fmt.Sprintf("b%d", k)})
				local = append(local, time.Since(start))
				if r.Err != nil {
					b.Error(r.Err)
					return
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		}
	})
}

// BenchmarkChatPrivate1000 offers private messages at 1,000 a second
// (open loop: message i is due i ms after the start, latency counts from
// then) over 100 conversations through the ChatBatcher, and reports the
// p99 of due -> stored acknowledgement. Run it for a few seconds'
// worth of messages: -benchtime 5000x.
func BenchmarkChatPrivate1000(b *testing.B) {
	benchBackends(b, func(b *testing.B, db *store.DB) {
		ctx := b.Context()
		convs := make([]store.Conversation, 100)
		for i := range convs {
			c, err := db.PrivateConversation(ctx, int64(2*i+1), int64(2*i+2))
			if err != nil {
				b.Fatal(err)
			}
			convs[i] = c
		}
		bt := store.NewChatBatcher(db, 8192, 256)
		defer bt.Close()
		lat := make([]time.Duration, b.N)
		var wg sync.WaitGroup
		var failed atomic.Int64
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			due := start.Add(time.Duration(i) * time.Millisecond)
			time.Sleep(time.Until(due))
			wg.Go(func() {
				k := int64(i)
				c := convs[k%int64(len(convs))]
				r := bt.Send(ctx, store.NewMessage{ConversationID: c.ID, SenderID: 2*(k%int64(len(convs))) + 1, Kind: store.MsgText, Body: "hello there, how are you", ClientID: fmt.Sprintf("o%d", k)})
				lat[i] = time.Since(due)
				if r.Err != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d sends failed", n)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	})
}

// BenchmarkChatSync1000 reads the 1,000 messages a client missed.
func BenchmarkChatSync1000(b *testing.B) {
	benchBackends(b, func(b *testing.B, db *store.DB) {
		ctx := b.Context()
		c, _ := db.PrivateConversation(ctx, 1, 2)
		msgs := make([]store.NewMessage, 1000)
		for i := range msgs {
			msgs[i] = store.NewMessage{ConversationID: c.ID, SenderID: 1, Kind: store.MsgText, Body: "missed message"}
		}
		for _, r := range db.SendMessages(ctx, msgs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		b.ResetTimer()
		for b.Loop() {
			got, err := db.MessagesAfter(ctx, c.ID, 0, 1000)
			if err != nil || len(got) != 1000 {
				b.Fatalf("%d, %v", len(got), err)
			}
		}
	})
}
