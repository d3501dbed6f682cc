package chat

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Spans of the chat service (observe.Tracing; docs/ops.md, "Traces"): one
// per request of the chat.*, group.*, friend.* and presence.* routes,
// named after its route ("chat send", "chat history", "group kick",
// "friend accept", "presence get" …), a child of the route's span. Each
// carries the user (lordgame.user_id) and what the request is about: the
// conversation (lordgame.conversation_id, lordgame.conversation_kind), the
// message (lordgame.message_seq), the group (lordgame.group_id), the other
// user (lordgame.target_user_id); a failed request records its error.
//
// The store's spans of a request are its children. The message a send
// stores goes through the write batcher (store.ChatBatcher), which commits
// several senders' messages in one transaction: its "chat batch commit"
// span is under the first traced sender's "chat send" and links the other
// senders' spans. A Dou Dizhu table's line (ddz.chat) is stored by the
// table writer after the answer; its store spans are under the span the
// table had when it posted the line (PostTable's ctx).
//
// The spans are opened by the Service's exported methods (Send, Group,
// Friend …, each a shell around its untraced body: send, group, friend …)
// and, for presence.*, by the routes (RegisterPresence). With traces off
// each costs one atomic load.

func chatTracer() trace.Tracer { return observe.Tracer("chat") }

// Attribute keys of the chat spans.
const (
	attrUser     = "lordgame.user_id"
	attrConv     = "lordgame.conversation_id"
	attrConvKind = "lordgame.conversation_kind"
	attrSeq      = "lordgame.message_seq"
	attrGroup    = "lordgame.group_id"
	attrTarget   = "lordgame.target_user_id"
)

// startSpan starts the span of one request of user; call it only while
// observe.Tracing().
func startSpan(ctx context.Context, name string, user int64, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return chatTracer().Start(ctx, name, trace.WithAttributes(append(attrs, attribute.Int64(attrUser, user))...))
}

// endSpan records err (nil: none) on span and ends it.
func endSpan(span trace.Span, err error) {
	observe.SpanError(span, err)
	span.End()
}

// given is kvs without the ids that are zero (not given in the request).
func given(kvs ...attribute.KeyValue) []attribute.KeyValue {
	out := kvs[:0]
	for _, kv := range kvs {
		if kv.Value.Type() != attribute.INT64 || kv.Value.AsInt64() != 0 {
			out = append(out, kv)
		}
	}
	return out
}

// messageAttrs are the conversation and sequence number of m (nil: none).
func messageAttrs(m *pb.ChatMessage) []attribute.KeyValue {
	if m == nil {
		return nil
	}
	return []attribute.KeyValue{attribute.Int64(attrConv, m.ConversationId),
		attribute.String(attrConvKind, m.ConversationKind), attribute.Int64(attrSeq, m.Seq)}
}

// convAttrs are the id and kind of c (nil: none).
func convAttrs(c *pb.ChatConversation) []attribute.KeyValue {
	if c == nil {
		return nil
	}
	return []attribute.KeyValue{attribute.Int64(attrConv, c.Id), attribute.String(attrConvKind, c.Kind)}
}
