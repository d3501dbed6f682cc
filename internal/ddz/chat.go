package ddz

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

var errChatInvalid = status.RuleError(status.BadRequest, "chat_invalid", "a chat message is a known phrase or a short non-empty text")

// chatLine validates a chat request and returns the message to broadcast,
// with banned words masked.
func (s *Service) chatLine(m *pb.DdzChatReq) (*pb.DdzChat, error) {
	if m.Phrase > 0 {
		if int(m.Phrase) > len(s.cfg.Phrases) || m.Text != "" {
			return nil, errChatInvalid
		}
		return &pb.DdzChat{Phrase: m.Phrase}, nil
	}
	text := strings.TrimSpace(m.Text)
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > s.cfg.ChatMaxRunes {
		return nil, errChatInvalid
	}
	text = filterWords(text, s.cfg.BannedWords)
	if tc := s.tableChat(); tc != nil {
		text = tc.Mask(text)
	}
	return &pb.DdzChat{Text: text}, nil
}

// TableChat keeps each table's chat in a chat conversation of its own
// (internal/chat): the same word filter, history, sync and the chat.msg
// push next to ddz.message.
type TableChat interface {
	// Mask applies the chat word filter.
	Mask(text string) string
	// PostTable queues a table line for its conversation without
	// blocking the table; false when the queue is full (the players got
	// the ddz.message push all the same). A line with neither phrase nor
	// text only opens the conversation (the table started). ctx carries
	// the trace of what the table is doing, not a deadline.
	PostTable(ctx context.Context, gameID string, players []int64, sender int64, phrase uint32, text string) bool
}

type tableChatBox struct{ tc TableChat }

// SetTableChat connects the tables to the chat layer.
func (s *Service) SetTableChat(tc TableChat) { s.tchat.Store(&tableChatBox{tc}) }

func (s *Service) tableChat() TableChat {
	if b := s.tchat.Load(); b != nil {
		return b.tc
	}
	return nil
}

// filterWords replaces every case-insensitive occurrence of a banned word
// by as many asterisks.
func filterWords(text string, banned []string) string {
	lower := strings.ToLower(text)
	out := []byte(text)
	for _, w := range banned {
		w = strings.ToLower(w)
		if w == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(lower[i:], w)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(w); k++ {
				out[k] = '*'
			}
			i += j + len(w)
		}
	}
	return string(out)
}

// limiter allows burst messages in any window (a sliding window).
type limiter struct{ sent []time.Time }

func (l *limiter) allow(now time.Time, burst int, window time.Duration) bool {
	keep := l.sent[:0]
	for _, t := range l.sent {
		if now.Sub(t) < window {
			keep = append(keep, t)
		}
	}
	l.sent = keep
	if len(l.sent) >= burst {
		return false
	}
	l.sent = append(l.sent, now)
	return true
}
