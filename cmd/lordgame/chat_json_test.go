package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// TestChatPushJSONNames: in WebSocket JSON mode the chat pushes use the
// proto field names (conversation_id, sender_id), like every response and
// the examples of docs/protocol-chat.md; the browser client reads them so.
func TestChatPushJSONNames(t *testing.T) {
	s, _, _ := startServer(t, "-chat-rate-world", "100/1s")
	wsURL := "ws://" + s.HTTPAddr() + "/ws"
	ta, _ := guest(t, s.HTTPAddr(), "chat-json-device-aaaa")
	tb, ub := guest(t, s.HTTPAddr(), "chat-json-device-bbbb")
	a, err := client.Dial(t.Context(), wsURL, client.Options{Token: ta, Codec: "json"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Dial(t.Context(), wsURL, client.Options{Token: tb, Codec: "json"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan client.Push, 16)
	for _, route := range []string{"chat.msg", "chat.receipt"} {
		b.On(route, func(p client.Push) { got <- p })
		a.On(route, func(p client.Push) { got <- p })
	}
	var inbox pb.ChatInboxResp
	if err := a.Request(t.Context(), "chat.inbox", &pb.ChatInboxReq{}, &inbox); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		what string
		send func() error
		want []string
	}{
		{"private message", func() error {
			return a.Request(t.Context(), "chat.send", &pb.ChatSendReq{ToUserId: ub, ClientId: "j1", Text: "hi"}, &pb.ChatSendResp{})
		}, []string{`"conversation_id"`, `"sender_id"`, `"conversation_kind"`, `"created_ms"`}},
		{"world message", func() error {
			return a.Request(t.Context(), "chat.send", &pb.ChatSendReq{ConversationId: inbox.World.Id, ClientId: "j2", Text: "hi all"}, &pb.ChatSendResp{})
		}, []string{`"conversation_id"`, `"sender_id"`, `"client_id"`}},
	}
	for _, c := range cases {
		if err := c.send(); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		select {
		case p := <-got:
			body := string(p.Body)
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s push %s: no %s in %s", c.what, p.Route, w, body)
				}
			}
			if strings.Contains(body, "conversationId") || strings.Contains(body, "senderId") {
				t.Errorf("%s push %s has JSON (camelCase) names: %s", c.what, p.Route, body)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no push", c.what)
		}
	}
}
