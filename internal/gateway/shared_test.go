package gateway_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/internal/transport"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestSharedPushes: one frame built per connection mode and sent with
// SendShared to a session of each transport (an encrypted TCP session gets
// its own sealed copy) arrives intact, once per send, in order, and the
// shared bytes are left as they were.
func TestSharedPushes(t *testing.T) {
	ts := start(t, nil, nil)
	rt := ts.gw.Router().LookupName("test.push")
	if rt == nil {
		t.Fatal("no test.push route")
	}
	uids := map[string]int64{"ws": 17, "ws-json": 18, "tcp": 19, "tcp-enc": 20}
	for name, tg := range targets(ts) {
		t.Run(name, func(t *testing.T) {
			opt := tg.opt
			uid := uids[name]
			opt.Token = "user-" + strconv.FormatInt(uid, 10)
			c := dial(t, tg.url, opt)
			got := make(chan string, 8)
			c.On("test.push", func(p client.Push) {
				var e pb.Echo
				if err := p.Decode(&e); err != nil {
					got <- "decode: " + err.Error()
					return
				}
				got <- e.Text
			})
			var s *session.Session
			for deadline := time.Now().Add(5 * time.Second); s == nil && time.Now().Before(deadline); s = ts.gw.UserSession(uid) {
				time.Sleep(time.Millisecond)
			}
			if s == nil {
				t.Fatal("no session")
			}
			wires := make([][]byte, 3)
			for i := range wires {
				msg := &pb.Echo{Text: name + string(rune('a'+i))}
				body, _ := proto.Marshal(msg)
				if s.Mode() == session.ModeWSText {
					body, _ = protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
				}
				wires[i] = session.AppendFrame(nil, s.Mode(), &transport.Frame{Kind: transport.KindPush, Route: rt.ID, RouteName: rt.Name, Body: body})
			}
			keep := make([][]byte, len(wires))
			for i, w := range wires {
				keep[i] = append([]byte(nil), w...)
				if err := s.SendShared(w); err != nil {
					t.Fatal(err)
				}
			}
			for i := range wires {
				select {
				case text := <-got:
					if want := name + string(rune('a'+i)); text != want {
						t.Fatalf("push %d = %q, want %q", i, text, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("push %d did not arrive", i)
				}
			}
			for i := range wires {
				if !bytes.Equal(wires[i], keep[i]) {
					t.Fatalf("frame %d was changed by the send", i)
				}
			}
		})
	}
}
