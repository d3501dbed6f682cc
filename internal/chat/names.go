package chat

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Display names go with every answer and push that names a user: the
// sender of a message, the user a system event is about, the peer of a
// private conversation, group members, friends and blocked users. Fetches
// (sync, history, inbox, members, friends, open) read them from the
// accounts when the answer is made (one query per answer, nothing
// cached), so a renamed user shows under the new name on the next fetch.
// A message being sent takes its sender's name from a small cache instead
// (senderName), so that a send costs no query of its own on top of the
// batched write: a rename on this node updates it at once (NameChanged),
// one on another node shows on this node's sends within nameTTL. Names go
// through the word filter, as they do when they are set, so a word added
// to the list later is masked too.

// names returns the display names of ids (masked); ids without an
// account are left out. A failed read is logged and gives no names: the
// answer goes out with ids only rather than not at all.
func (s *Service) names(ctx context.Context, ids []int64) map[int64]string {
	out := make(map[int64]string, len(ids))
	uniq := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	for len(uniq) > 0 {
		part := uniq[:min(len(uniq), store.MaxProfiles)]
		uniq = uniq[len(part):]
		ps, err := s.db.Profiles(ctx, part)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("chat: display names", "err", err)
			}
			return out
		}
		for id, p := range ps {
			out[id] = s.mask(p.DisplayName)
		}
	}
	return out
}

// eventTarget is the user a system event is about (0: none).
func eventTarget(m *pb.ChatMessage) int64 {
	if m.Kind != store.MsgSystem || m.Text == "" {
		return 0
	}
	var ev struct {
		UserID string `json:"user_id"`
	}
	if json.Unmarshal([]byte(m.Text), &ev) != nil {
		return 0
	}
	id, _ := strconv.ParseInt(ev.UserID, 10, 64)
	return id
}

// messageIDs appends the users ms name (senders, event targets) to ids.
func messageIDs(ids []int64, ms []*pb.ChatMessage) []int64 {
	for _, m := range ms {
		if m != nil {
			ids = append(ids, m.SenderId, eventTarget(m))
		}
	}
	return ids
}

// nameFrom fills sender_name and target_name of ms from nm.
func nameFrom(nm map[int64]string, ms []*pb.ChatMessage) {
	for _, m := range ms {
		if m == nil {
			continue
		}
		m.SenderName = nm[m.SenderId]
		if t := eventTarget(m); t != 0 {
			m.TargetName = nm[t]
		}
	}
}

// nameMessages fills sender_name and target_name of ms.
func (s *Service) nameMessages(ctx context.Context, ms ...*pb.ChatMessage) {
	if ids := messageIDs(nil, ms); len(ids) > 0 {
		nameFrom(s.names(ctx, ids), ms)
	}
}

// The sender-name cache's bounds: how long a name is used before it is
// read again, and how many users it holds (full: it starts over).
const (
	nameTTL      = 5 * time.Second
	nameCacheMax = 10000
)

type cachedName struct {
	name string
	at   time.Time
}

type nameCache struct {
	mu sync.Mutex
	m  map[int64]cachedName
}

func (c *nameCache) get(uid int64, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[uid]
	if !ok || now.Sub(e.at) >= nameTTL {
		return "", false
	}
	return e.name, true
}

func (c *nameCache) put(uid int64, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= nameCacheMax {
		c.m = make(map[int64]cachedName)
	}
	c.m[uid] = cachedName{name, now}
}

// senderName is user's display name (masked) for a message it sends.
func (s *Service) senderName(ctx context.Context, user int64) string {
	now := s.now()
	if name, ok := s.nameC.get(user, now); ok {
		return name
	}
	nm := s.names(ctx, []int64{user})
	name, ok := nm[user]
	if ok {
		s.nameC.put(user, name, now)
	}
	return name
}

// NameChanged is told of a display name set on this node (the auth
// service's OnNameChange): the next message of that user carries it.
func (s *Service) NameChanged(user int64, name string) {
	s.nameC.put(user, s.mask(name), s.now())
}
