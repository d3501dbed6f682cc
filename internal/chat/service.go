package chat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/lordgame/lordgame/internal/observe"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Push route names.
const (
	RouteMsg     = "chat.msg"
	RouteRead    = "chat.receipt"
	RouteFriend  = "friend.event"
	worldKey     = "world"
	syncMax      = 200
	cursorsMax   = 100
	clientIDMax  = 64
	groupNameMax = 32
	maxMute      = 30 * 24 * time.Hour
)

// Errors of the chat layer (the store's errors pass through as they are).
var (
	ErrEmpty        = status.RuleError(status.BadRequest, "chat_empty", "the message is empty")
	ErrTooLong      = status.RuleError(status.BadRequest, "chat_too_long", "the message is too long")
	ErrBadUTF8      = status.RuleError(status.BadRequest, "chat_invalid_utf8", "the text is not valid UTF-8")
	ErrBadKind      = status.RuleError(status.BadRequest, "chat_bad_kind", "unknown message or conversation kind")
	ErrBadPhrase    = status.RuleError(status.BadRequest, "chat_bad_phrase", "no such quick phrase")
	ErrBadClientID  = status.RuleError(status.BadRequest, "chat_bad_client_id", "client_id is required: 1 to 64 bytes")
	ErrTooMany      = status.RuleError(status.BadRequest, "chat_too_many", "too many items in one request")
	ErrRateLimited  = status.RuleError(status.RateLimited, "chat_rate_limited", "too many messages; wait a moment")
	ErrBadName      = status.RuleError(status.BadRequest, "group_bad_name", "a group name is 1 to 32 characters")
	ErrBadSize      = status.RuleError(status.BadRequest, "group_bad_size", "a group holds 2 to the server's maximum members")
	ErrInviteOnly   = status.RuleError(status.Forbidden, "group_invite_only", "this group is invite-only")
	ErrUserNotFound = status.RuleError(status.NotFound, "user_not_found", "no such user")
	ErrNoTarget     = status.RuleError(status.BadRequest, "chat_no_target", "name a conversation_id or a to_user_id")
)

// Masker masks unwanted words (nil: none are).
type Masker interface{ Mask(string) string }

// Service is the chat layer of a node. Every node runs it against the
// shared store; pushes go through the Fanout. Run owns the retention
// loop; Close stops the write batcher.
type Service struct {
	cfg   Config
	db    *store.DB
	batch *store.ChatBatcher
	out   Fanout
	// presence, when set (NewPresence), gives friend.list and
	// group.members their statuses; without it they say online or
	// offline from the fan-out.
	presence *Presence
	metrics  atomic.Pointer[metricsBox]
	words    atomic.Pointer[maskerBox]
	log      *slog.Logger
	now      func() time.Time

	worldMu sync.Mutex
	worldID int64

	nameC nameCache // senders' names for their messages (names.go)

	limMu  sync.Mutex
	limits map[limitKey]*window

	tableMu sync.Mutex
	tables  map[string]int64 // table key -> conversation id (members added)
	// tableQ carries the tables' lines to the writer Run starts, in
	// order; full: the line is not kept (PostTable says so).
	tableQ chan tableLine
}

type tableLine struct {
	table   string
	players []int64
	sender  int64
	phrase  uint32
	text    string
	// sc is the span of what the table was doing (invalid: none): the
	// writer's store spans go under it.
	sc trace.SpanContext
}

type maskerBox struct{ m Masker }

// Metrics counts the messages the service accepts, by conversation kind
// (world, table, private, group). *observe.Game satisfies it.
type Metrics interface{ ChatMessage(channel string) }

type metricsBox struct{ m Metrics }

// SetMetrics sets where accepted messages are counted.
func (s *Service) SetMetrics(m Metrics) { s.metrics.Store(&metricsBox{m}) }

type limitKey struct {
	user int64
	kind string
}

// New builds the service on db with fan-out out.
func New(cfg Config, db *store.DB, out Fanout, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: db, out: out, log: log, now: time.Now,
		batch:  store.NewChatBatcher(db, cfg.QueueLen, cfg.MaxBatch),
		limits: map[limitKey]*window{}, tables: map[string]int64{}, tableQ: make(chan tableLine, 1024)}, nil
}

// Config is the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// SetMasker sets the word filter applied to messages, group names and
// display names (names also when they are read: convPB, names).
func (s *Service) SetMasker(m Masker) { s.words.Store(&maskerBox{m}) }

// Mask applies the word filter.
func (s *Service) Mask(text string) string { return s.mask(text) }

func (s *Service) mask(text string) string {
	if b := s.words.Load(); b != nil && b.m != nil {
		return b.m.Mask(text)
	}
	return text
}

// Close stops the write batcher after writing what is queued.
func (s *Service) Close() { s.batch.Close() }

// Run applies the retention bounds every PruneEvery and writes the
// tables' lines until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { // the table writer: ends with ctx, waited for below
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case l := <-s.tableQ:
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if l.sc.IsValid() {
					wctx = trace.ContextWithSpanContext(wctx, l.sc)
				}
				var err error
				if l.phrase == 0 && l.text == "" {
					_, err = s.tableConv(wctx, l.table, l.players)
				} else {
					_, err = s.TableSay(wctx, l.table, l.players, l.sender, l.phrase, l.text)
				}
				if err != nil && ctx.Err() == nil {
					s.log.Warn("chat: table line not kept", "table", l.table, "err", err)
				}
				cancel()
			}
		}
	}()
	defer func() { <-done }()
	t := time.NewTicker(s.cfg.PruneEvery)
	defer t.Stop()
	for {
		s.prune(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Service) prune(ctx context.Context) {
	now := s.now()
	for _, b := range []struct {
		kind string
		keep int
		age  time.Duration
	}{{store.ConvWorld, s.cfg.WorldKeep, s.cfg.WorldAge}, {store.ConvTable, s.cfg.TableKeep, s.cfg.TableAge}} {
		older := time.Time{}
		if b.age > 0 {
			older = now.Add(-b.age)
		}
		if _, err := s.db.PruneMessages(ctx, b.kind, b.keep, older); err != nil && ctx.Err() == nil {
			s.log.Warn("chat: prune", "kind", b.kind, "err", err)
		}
	}
	s.limMu.Lock()
	for k, w := range s.limits {
		if w.idle(now, s.cfg.Rates[k.kind].Window) {
			delete(s.limits, k)
		}
	}
	s.limMu.Unlock()
}

// World is the world conversation, as it is now.
func (s *Service) World(ctx context.Context) (store.Conversation, error) {
	s.worldMu.Lock()
	id := s.worldID
	s.worldMu.Unlock()
	if id != 0 {
		return s.db.Conversation(ctx, id)
	}
	c, err := s.db.Channel(ctx, store.ConvWorld, worldKey, "world")
	if err != nil {
		return c, err
	}
	s.worldMu.Lock()
	s.worldID = c.ID
	s.worldMu.Unlock()
	return c, nil
}

// allow applies the rate of a conversation kind to user.
func (s *Service) allow(user int64, kind string) (time.Time, bool) {
	r := s.cfg.Rates[kind]
	s.limMu.Lock()
	defer s.limMu.Unlock()
	k := limitKey{user, kind}
	w := s.limits[k]
	if w == nil {
		w = &window{}
		s.limits[k] = w
	}
	now := s.now()
	return now, w.allow(now, r.Burst, r.Window)
}

// giveBack returns the place allow took at at: the send stored nothing.
func (s *Service) giveBack(user int64, kind string, at time.Time) {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	if w := s.limits[limitKey{user, kind}]; w != nil {
		if i := slices.IndexFunc(w.sent, func(t time.Time) bool { return t.Equal(at) }); i >= 0 {
			w.sent = slices.Delete(w.sent, i, i+1)
		}
	}
}

// window is a sliding window of send times.
type window struct{ sent []time.Time }

func (w *window) allow(now time.Time, burst int, d time.Duration) bool {
	keep := w.sent[:0]
	for _, t := range w.sent {
		if now.Sub(t) < d {
			keep = append(keep, t)
		}
	}
	w.sent = keep
	if len(w.sent) >= burst {
		return false
	}
	w.sent = append(w.sent, now)
	return true
}

func (w *window) idle(now time.Time, d time.Duration) bool {
	return len(w.sent) == 0 || now.Sub(w.sent[len(w.sent)-1]) >= d
}

// access loads a conversation the user may read: the world, or one the
// user is a member of. It returns the membership (zero for the world).
func (s *Service) access(ctx context.Context, user, convID int64) (store.Conversation, store.Member, error) {
	c, err := s.db.Conversation(ctx, convID)
	if err != nil {
		return c, store.Member{}, err
	}
	if c.Kind == store.ConvWorld {
		return c, store.Member{}, nil
	}
	m, err := s.db.Member(ctx, convID, user)
	return c, m, err
}

// ---- messages ----

// SendReq is one message to send.
type SendReq struct {
	ConversationID int64
	ToUser         int64
	ClientID       string
	Kind           string
	Text           string
	Phrase         uint32
}

// Send validates, stores and pushes one message.
func (s *Service) Send(ctx context.Context, user int64, r SendReq) (*pb.ChatMessage, bool, error) {
	if !observe.Tracing() {
		return s.send(ctx, user, r)
	}
	ctx, span := startSpan(ctx, "chat send", user, given(attribute.Int64(attrConv, r.ConversationID), attribute.Int64(attrTarget, r.ToUser))...)
	m, replayed, err := s.send(ctx, user, r)
	if m != nil {
		span.SetAttributes(append(messageAttrs(m), attribute.Bool("lordgame.replayed", replayed))...)
	}
	endSpan(span, err)
	return m, replayed, err
}

// send is Send without its span.
func (s *Service) send(ctx context.Context, user int64, r SendReq) (*pb.ChatMessage, bool, error) {
	if r.ClientID == "" || len(r.ClientID) > clientIDMax || !utf8.ValidString(r.ClientID) {
		return nil, false, ErrBadClientID
	}
	body, kind, err := s.content(r.Kind, r.Text, r.Phrase)
	if err != nil {
		return nil, false, err
	}
	var c store.Conversation
	switch {
	case r.ConversationID != 0:
		c, err = s.db.Conversation(ctx, r.ConversationID)
	case r.ToUser != 0:
		if r.ToUser == user {
			return nil, false, store.ErrSelf
		}
		if err := s.userExists(ctx, r.ToUser); err != nil {
			return nil, false, err
		}
		// Refused before the conversation is made, as chat.open does: a
		// blocked sender must not leave an empty conversation in the
		// blocker's inbox.
		if b, err := s.db.Blocked(ctx, r.ToUser, user); err != nil {
			return nil, false, err
		} else if b {
			return nil, false, store.ErrBlocked
		}
		c, err = s.db.PrivateConversation(ctx, user, r.ToUser)
	default:
		return nil, false, ErrNoTarget
	}
	if err != nil {
		return nil, false, err
	}
	// The rate counts messages stored: a sender over it may still have a
	// lost answer repeated (the send is then only looked up), and a send
	// refused or replayed gives its place back.
	at, allowed := s.allow(user, c.Kind)
	nm := store.NewMessage{ConversationID: c.ID, SenderID: user, Kind: kind, Body: body, ClientID: r.ClientID,
		Authorized: c.Kind == store.ConvWorld, ReplayOnly: !allowed}
	res := s.batch.Send(ctx, nm)
	if allowed && (res.Err != nil || res.Replayed) {
		s.giveBack(user, c.Kind, at)
	}
	if errors.Is(res.Err, store.ErrNotReplay) {
		return nil, false, ErrRateLimited
	}
	if res.Err != nil {
		return nil, false, res.Err
	}
	msg := s.toPB(res.Message, c.Kind)
	msg.SenderName = s.senderName(ctx, user)
	if !res.Replayed {
		if b := s.metrics.Load(); b != nil && b.m != nil {
			b.m.ChatMessage(c.Kind)
		}
		s.fanout(ctx, c, user, msg)
	}
	return msg, res.Replayed, nil
}

// content validates a message's kind and text and returns what is stored.
func (s *Service) content(kind, text string, phrase uint32) (string, string, error) {
	switch kind {
	case "", store.MsgText:
		if !utf8.ValidString(text) {
			return "", "", ErrBadUTF8
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return "", "", ErrEmpty
		}
		if utf8.RuneCountInString(text) > s.cfg.MaxRunes {
			return "", "", ErrTooLong
		}
		return s.mask(text), store.MsgText, nil
	case store.MsgPhrase, "emote":
		if phrase == 0 || int(phrase) > len(s.cfg.Phrases) || text != "" {
			return "", "", ErrBadPhrase
		}
		return strconv.Itoa(int(phrase)), store.MsgPhrase, nil
	}
	return "", "", ErrBadKind
}

func (s *Service) userExists(ctx context.Context, id int64) error {
	if _, err := s.db.Account(ctx, id); errors.Is(err, store.ErrNotFound) {
		return ErrUserNotFound
	} else if err != nil {
		return err
	}
	return nil
}

// fanout pushes a message or event of c to its members online (the world:
// everyone), leaving out the sender and, for a sender's message in a
// shared conversation, those who block the sender.
func (s *Service) fanout(ctx context.Context, c store.Conversation, sender int64, msg *pb.ChatMessage) {
	s.fanoutTo(ctx, c, sender, msg, nil)
}

func (s *Service) fanoutTo(ctx context.Context, c store.Conversation, sender int64, msg *pb.ChatMessage, extra []int64) {
	except := []int64{sender}
	if c.Kind != store.ConvPrivate && (msg.Kind == store.MsgText || msg.Kind == store.MsgPhrase) {
		by, err := s.db.BlockedBy(ctx, sender)
		if err != nil {
			s.log.Warn("chat: blocked-by", "err", err)
		}
		except = append(except, by...)
	}
	var err error
	if c.Kind == store.ConvWorld {
		err = s.out.Push(ctx, RouteMsg, msg, nil, true, except)
	} else {
		var ms []store.Member
		ms, err = s.db.Members(ctx, c.ID)
		if err == nil {
			users := extra
			for _, m := range ms {
				users = append(users, m.UserID)
			}
			err = s.out.Push(ctx, RouteMsg, msg, users, false, except)
		}
	}
	if err != nil {
		// The message is stored: members get it with their next sync.
		s.log.Warn("chat: fan-out", "conversation", c.ID, "seq", msg.Seq, "err", err)
	}
}

func (s *Service) toPB(m store.Message, convKind string) *pb.ChatMessage {
	out := &pb.ChatMessage{ConversationId: m.ConversationID, Seq: m.Seq, SenderId: m.SenderID, Kind: m.Kind,
		Text: m.Body, ClientId: m.ClientID, RefSeq: m.RefSeq, CreatedMs: m.CreatedAt.UnixMilli(), ConversationKind: convKind}
	if !m.RecalledAt.IsZero() {
		out.RecalledMs, out.RecalledBy, out.Text = m.RecalledAt.UnixMilli(), m.RecalledBy, ""
	}
	if m.Kind == store.MsgPhrase && out.RecalledMs == 0 {
		if n, err := strconv.Atoi(m.Body); err == nil && n >= 1 {
			out.Phrase = uint32(n)
			out.Text = ""
			if n <= len(s.cfg.Phrases) {
				out.Text = s.cfg.Phrases[n-1]
			}
		}
	}
	return out
}

// convPB is c as member m sees it. A group's name goes through the word
// filter again on every answer, as display names do: a word added to the
// list after the group was made is masked from then on.
func (s *Service) convPB(c store.Conversation, m store.Member, peer int64) *pb.ChatConversation {
	name := c.Name
	if c.Kind == store.ConvGroup {
		name = s.mask(name)
	}
	return &pb.ChatConversation{Id: c.ID, Kind: c.Kind, Name: name, LastSeq: c.LastSeq, PeerId: peer, OwnerId: c.OwnerID,
		Open: c.Open, MaxMembers: uint32(c.MaxMembers), Disbanded: !c.DisbandedAt.IsZero(), Role: m.Role, ReadSeq: m.ReadSeq,
		MutedUntilMs: msOf(m.MutedUntil)}
}

func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Open finds the world, the private conversation with peer or the table
// conversation tableID of a table the user plays at.
func (s *Service) Open(ctx context.Context, user int64, kind string, peer int64, tableID string) (*pb.ChatConversation, error) {
	if !observe.Tracing() {
		return s.open(ctx, user, kind, peer, tableID)
	}
	ctx, span := startSpan(ctx, "chat open", user, given(attribute.String(attrConvKind, kind), attribute.Int64(attrTarget, peer))...)
	if tableID != "" {
		span.SetAttributes(attribute.String("lordgame.table_id", tableID))
	}
	c, err := s.open(ctx, user, kind, peer, tableID)
	span.SetAttributes(convAttrs(c)...)
	endSpan(span, err)
	return c, err
}

// open is Open without its span.
func (s *Service) open(ctx context.Context, user int64, kind string, peer int64, tableID string) (*pb.ChatConversation, error) {
	switch kind {
	case store.ConvWorld:
		c, err := s.World(ctx)
		if err != nil {
			return nil, err
		}
		return s.convPB(c, store.Member{}, 0), nil
	case store.ConvPrivate:
		if peer == user {
			return nil, store.ErrSelf
		}
		if err := s.userExists(ctx, peer); err != nil {
			return nil, err
		}
		if b, err := s.db.Blocked(ctx, peer, user); err != nil {
			return nil, err
		} else if b {
			return nil, store.ErrBlocked
		}
		c, err := s.db.PrivateConversation(ctx, user, peer)
		if err != nil {
			return nil, err
		}
		m, err := s.db.Member(ctx, c.ID, user)
		if err != nil {
			return nil, err
		}
		out := s.convPB(c, m, peer)
		out.PeerName = s.names(ctx, []int64{peer})[peer]
		return out, nil
	case store.ConvTable:
		if tableID == "" {
			return nil, store.ErrConvNotFound
		}
		c, err := s.db.Channel(ctx, store.ConvTable, tableKey(tableID), "")
		if err != nil {
			return nil, err
		}
		m, err := s.db.Member(ctx, c.ID, user)
		if errors.Is(err, store.ErrNotMember) {
			return nil, store.ErrConvNotFound
		} else if err != nil {
			return nil, err
		}
		return s.convPB(c, m, 0), nil
	}
	return nil, ErrBadKind
}

// hidden is the set of senders whose messages user does not see in world,
// table and group conversations.
func (s *Service) hidden(ctx context.Context, user int64) (map[int64]bool, error) {
	bs, err := s.db.Blocks(ctx, user)
	if err != nil {
		return nil, err
	}
	return setOf(bs), nil
}

func visible(c store.Conversation, hide map[int64]bool, m store.Message) bool {
	if c.Kind == store.ConvPrivate || m.Kind == store.MsgRecall || m.Kind == store.MsgDelete || m.Kind == store.MsgSystem {
		return true
	}
	return !hide[m.SenderID]
}

// Sync returns, for each cursor, what came after it.
func (s *Service) Sync(ctx context.Context, user int64, cursors []*pb.ChatSyncCursor, limit int) ([]*pb.ChatSyncBatch, error) {
	if !observe.Tracing() {
		return s.sync(ctx, user, cursors, limit)
	}
	ctx, span := startSpan(ctx, "chat sync", user, attribute.Int("lordgame.cursors", len(cursors)))
	if len(cursors) == 1 {
		span.SetAttributes(attribute.Int64(attrConv, cursors[0].GetConversationId()))
	}
	bs, err := s.sync(ctx, user, cursors, limit)
	endSpan(span, err)
	return bs, err
}

// sync is Sync without its span.
func (s *Service) sync(ctx context.Context, user int64, cursors []*pb.ChatSyncCursor, limit int) ([]*pb.ChatSyncBatch, error) {
	if len(cursors) > cursorsMax {
		return nil, ErrTooMany
	}
	if limit <= 0 || limit > syncMax {
		limit = syncMax
	}
	hide, err := s.hidden(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.ChatSyncBatch, 0, len(cursors))
	for _, cur := range cursors {
		c, _, err := s.access(ctx, user, cur.ConversationId)
		if err != nil {
			return nil, err
		}
		after := max(cur.AfterSeq, 0)
		ms, err := s.db.MessagesAfter(ctx, c.ID, after, limit+1)
		if err != nil {
			return nil, err
		}
		b := &pb.ChatSyncBatch{ConversationId: c.ID, NextSeq: after, LastSeq: c.LastSeq}
		if len(ms) > limit {
			ms, b.HasMore = ms[:limit], true
		}
		for _, m := range ms {
			b.NextSeq = m.Seq
			if visible(c, hide, m) {
				b.Messages = append(b.Messages, s.toPB(m, c.Kind))
			}
		}
		if !b.HasMore {
			// Nothing after: the client is at the conversation's end
			// (messages hidden from it or pruned included).
			b.NextSeq = max(b.NextSeq, c.LastSeq)
		}
		out = append(out, b)
	}
	var all []*pb.ChatMessage
	for _, b := range out {
		all = append(all, b.Messages...)
	}
	s.nameMessages(ctx, all...)
	return out, nil
}

// History returns a page of older messages.
func (s *Service) History(ctx context.Context, user, convID, before int64, limit int) ([]*pb.ChatMessage, int64, error) {
	if !observe.Tracing() {
		return s.history(ctx, user, convID, before, limit)
	}
	ctx, span := startSpan(ctx, "chat history", user, given(attribute.Int64(attrConv, convID), attribute.Int64("lordgame.before_seq", before))...)
	ms, next, err := s.history(ctx, user, convID, before, limit)
	endSpan(span, err)
	return ms, next, err
}

// history is History without its span.
func (s *Service) history(ctx context.Context, user, convID, before int64, limit int) ([]*pb.ChatMessage, int64, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, syncMax)
	c, _, err := s.access(ctx, user, convID)
	if err != nil {
		return nil, 0, err
	}
	hide, err := s.hidden(ctx, user)
	if err != nil {
		return nil, 0, err
	}
	ms, err := s.db.MessagesBefore(ctx, c.ID, before, limit)
	if err != nil {
		return nil, 0, err
	}
	var out []*pb.ChatMessage
	for _, m := range ms {
		if visible(c, hide, m) {
			out = append(out, s.toPB(m, c.Kind))
		}
	}
	s.nameMessages(ctx, out...)
	var next int64
	if len(ms) == limit && ms[0].Seq > 1 {
		next = ms[0].Seq
	}
	return out, next, nil
}

// Inbox is the user's conversations with unread counts.
func (s *Service) Inbox(ctx context.Context, user int64) (*pb.ChatInboxResp, error) {
	if !observe.Tracing() {
		return s.inbox(ctx, user)
	}
	ctx, span := startSpan(ctx, "chat inbox", user)
	in, err := s.inbox(ctx, user)
	span.SetAttributes(attribute.Int("lordgame.conversations", len(in.GetEntries())))
	endSpan(span, err)
	return in, err
}

// inbox is Inbox without its span.
func (s *Service) inbox(ctx context.Context, user int64) (*pb.ChatInboxResp, error) {
	es, err := s.db.Inbox(ctx, user)
	if err != nil {
		return nil, err
	}
	out := &pb.ChatInboxResp{}
	var ids []int64
	var lasts []*pb.ChatMessage
	for _, e := range es {
		ie := &pb.ChatInboxEntry{Conversation: s.convPB(e.Conversation, e.Member, e.Peer), Unread: e.Unread}
		if e.Last != nil {
			ie.Last = s.toPB(*e.Last, e.Conversation.Kind)
			lasts = append(lasts, ie.Last)
		}
		ids = append(ids, e.Peer)
		out.Entries = append(out.Entries, ie)
		out.TotalUnread += e.Unread
	}
	if ids = messageIDs(ids, lasts); len(ids) > 0 {
		nm := s.names(ctx, ids)
		nameFrom(nm, lasts)
		for _, ie := range out.Entries {
			if p := ie.Conversation.PeerId; p != 0 {
				ie.Conversation.PeerName = nm[p]
			}
		}
	}
	w, err := s.World(ctx)
	if err != nil {
		return nil, err
	}
	out.World = s.convPB(w, store.Member{}, 0)
	return out, nil
}

// Read moves the user's read marker; a private peer is told.
func (s *Service) Read(ctx context.Context, user, convID, seq int64) (*pb.ChatReadResp, error) {
	if !observe.Tracing() {
		return s.read(ctx, user, convID, seq)
	}
	ctx, span := startSpan(ctx, "chat read", user, attribute.Int64(attrConv, convID), attribute.Int64(attrSeq, seq))
	r, err := s.read(ctx, user, convID, seq)
	endSpan(span, err)
	return r, err
}

// read is Read without its span.
func (s *Service) read(ctx context.Context, user, convID, seq int64) (*pb.ChatReadResp, error) {
	c, _, err := s.access(ctx, user, convID)
	if err != nil {
		return nil, err
	}
	if c.Kind == store.ConvWorld {
		return nil, store.ErrNotMember
	}
	read, moved, err := s.db.MarkRead(ctx, convID, user, seq)
	if err != nil {
		return nil, err
	}
	if c.Kind == store.ConvPrivate && moved { // the peer hears of a marker that moved, once
		if ms, err := s.db.Members(ctx, convID); err == nil {
			var peers []int64
			for _, m := range ms {
				if m.UserID != user {
					peers = append(peers, m.UserID)
				}
			}
			if err := s.out.Push(ctx, RouteRead, &pb.ChatReadReceipt{ConversationId: convID, UserId: user, ReadSeq: read}, peers, false, nil); err != nil {
				s.log.Warn("chat: read receipt", "err", err)
			}
		}
	}
	resp := &pb.ChatReadResp{ReadSeq: read}
	if in, err := s.db.Inbox(ctx, user); err == nil {
		for _, e := range in {
			resp.TotalUnread += e.Unread
			if e.Conversation.ID == convID {
				resp.Unread = e.Unread
			}
		}
	}
	return resp, nil
}

// Receipts counts the readers of messages.
func (s *Service) Receipts(ctx context.Context, user, convID int64, seqs []int64) ([]int64, error) {
	if !observe.Tracing() {
		return s.receipts(ctx, user, convID, seqs)
	}
	ctx, span := startSpan(ctx, "chat receipts", user, attribute.Int64(attrConv, convID), attribute.Int("lordgame.messages", len(seqs)))
	n, err := s.receipts(ctx, user, convID, seqs)
	endSpan(span, err)
	return n, err
}

// receipts is Receipts without its span.
func (s *Service) receipts(ctx context.Context, user, convID int64, seqs []int64) ([]int64, error) {
	if len(seqs) > cursorsMax {
		return nil, ErrTooMany
	}
	c, _, err := s.access(ctx, user, convID)
	if err != nil {
		return nil, err
	}
	if c.Kind == store.ConvWorld {
		return nil, store.ErrNotMember
	}
	out := make([]int64, len(seqs))
	for i, q := range seqs {
		if out[i], err = s.db.ReadCount(ctx, convID, q); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Recall lets the sender recall its message.
func (s *Service) Recall(ctx context.Context, user, convID, seq int64) (*pb.ChatMessage, error) {
	if !observe.Tracing() {
		return s.recall(ctx, user, convID, seq)
	}
	ctx, span := startSpan(ctx, "chat recall", user, attribute.Int64(attrConv, convID), attribute.Int64(attrSeq, seq))
	ev, err := s.recall(ctx, user, convID, seq)
	if ev != nil {
		span.SetAttributes(attribute.String(attrConvKind, ev.ConversationKind))
	}
	endSpan(span, err)
	return ev, err
}

// recall is Recall without its span.
func (s *Service) recall(ctx context.Context, user, convID, seq int64) (*pb.ChatMessage, error) {
	c, _, err := s.access(ctx, user, convID)
	if err != nil {
		return nil, err
	}
	ev, err := s.db.RecallMessage(ctx, convID, seq, user, s.cfg.RecallWindow)
	if err != nil {
		return nil, err
	}
	msg := s.toPB(ev, c.Kind)
	s.nameMessages(ctx, msg)
	s.fanout(ctx, c, user, msg)
	return msg, nil
}

// Delete is an operator's or a group admin's removal of a message.
func (s *Service) Delete(ctx context.Context, user int64, operator bool, convID, seq int64) (*pb.ChatMessage, error) {
	if !observe.Tracing() {
		return s.delete(ctx, user, operator, convID, seq)
	}
	ctx, span := startSpan(ctx, "chat delete", user, attribute.Int64(attrConv, convID), attribute.Int64(attrSeq, seq),
		attribute.Bool("lordgame.operator", operator))
	ev, err := s.delete(ctx, user, operator, convID, seq)
	if ev != nil {
		span.SetAttributes(attribute.String(attrConvKind, ev.ConversationKind))
	}
	endSpan(span, err)
	return ev, err
}

// delete is Delete without its span.
func (s *Service) delete(ctx context.Context, user int64, operator bool, convID, seq int64) (*pb.ChatMessage, error) {
	c, err := s.db.Conversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if !operator {
		m, err := s.db.Member(ctx, convID, user)
		if err != nil || c.Kind != store.ConvGroup || (m.Role != store.RoleOwner && m.Role != store.RoleAdmin) {
			return nil, store.ErrNotAdmin
		}
	}
	ev, err := s.db.DeleteMessage(ctx, convID, seq, user)
	if err != nil {
		return nil, err
	}
	msg := s.toPB(ev, c.Kind)
	s.nameMessages(ctx, msg)
	s.fanout(ctx, c, user, msg)
	return msg, nil
}

// ---- tables ----

func tableKey(id string) string { return "table:" + id }

// PostTable queues a table line for TableSay without blocking; false
// when the queue is full. ctx is what the table is doing (its span, when
// traced, is the parent of the line's store spans); it does not bound the
// write, which happens later.
func (s *Service) PostTable(ctx context.Context, table string, players []int64, sender int64, phrase uint32, text string) bool {
	select {
	case s.tableQ <- tableLine{table, players, sender, phrase, text, trace.SpanContextFromContext(ctx)}:
		return true
	default:
		return false
	}
}

// TableSay stores a table message (already validated and filtered by the
// table) in the table's conversation, whose members are the players, and
// pushes it to the players on chat.msg. It returns the stored message.
func (s *Service) TableSay(ctx context.Context, tableID string, players []int64, sender int64, phrase uint32, text string) (*pb.ChatMessage, error) {
	id, err := s.tableConv(ctx, tableID, players)
	if err != nil {
		return nil, err
	}
	kind, body := store.MsgText, text
	if phrase > 0 {
		kind, body = store.MsgPhrase, strconv.Itoa(int(phrase))
	}
	res := s.batch.Send(ctx, store.NewMessage{ConversationID: id, SenderID: sender, Kind: kind, Body: body})
	if res.Err != nil {
		return nil, res.Err
	}
	c := store.Conversation{ID: id, Kind: store.ConvTable}
	msg := s.toPB(res.Message, store.ConvTable)
	msg.SenderName = s.senderName(ctx, sender)
	s.fanout(ctx, c, sender, msg)
	return msg, nil
}

// tableConv is the conversation of a table with its players as members.
func (s *Service) tableConv(ctx context.Context, tableID string, players []int64) (int64, error) {
	key := tableKey(tableID)
	s.tableMu.Lock()
	id, ok := s.tables[key]
	s.tableMu.Unlock()
	if ok {
		return id, nil
	}
	c, err := s.db.Channel(ctx, store.ConvTable, key, "")
	if err != nil {
		return 0, err
	}
	if err := s.db.AddMembers(ctx, c.ID, players); err != nil {
		return 0, err
	}
	s.tableMu.Lock()
	if len(s.tables) >= 10000 { // a bound: forget all, they are re-added cheaply
		clear(s.tables)
	}
	s.tables[key] = c.ID
	s.tableMu.Unlock()
	return c.ID, nil
}

// ---- groups ----

func (s *Service) groupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || name == "" || utf8.RuneCountInString(name) > groupNameMax || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }) {
		return "", ErrBadName
	}
	return s.mask(name), nil
}

// CreateGroup makes a group owned by user.
func (s *Service) CreateGroup(ctx context.Context, user int64, name string, maxMembers int, open bool) (*pb.ChatConversation, error) {
	if !observe.Tracing() {
		return s.createGroup(ctx, user, name, maxMembers, open)
	}
	ctx, span := startSpan(ctx, "group create", user, attribute.Bool("lordgame.open", open))
	c, err := s.createGroup(ctx, user, name, maxMembers, open)
	if c != nil {
		span.SetAttributes(attribute.Int64(attrGroup, c.Id))
	}
	endSpan(span, err)
	return c, err
}

// createGroup is CreateGroup without its span.
func (s *Service) createGroup(ctx context.Context, user int64, name string, maxMembers int, open bool) (*pb.ChatConversation, error) {
	name, err := s.groupName(name)
	if err != nil {
		return nil, err
	}
	if maxMembers == 0 {
		maxMembers = s.cfg.GroupSize
	}
	if maxMembers < 2 || maxMembers > s.cfg.GroupSize {
		return nil, ErrBadSize
	}
	c, err := s.db.CreateGroup(ctx, user, name, open, maxMembers, s.cfg.MaxGroups)
	if err != nil {
		return nil, err
	}
	m, err := s.db.Member(ctx, c.ID, user)
	if err != nil {
		return nil, err
	}
	s.system(ctx, c, user, "created", 0, nil)
	c, _ = s.db.Conversation(ctx, c.ID)
	return s.convPB(c, m, 0), nil
}

// system appends a system event to a group and pushes it to its members
// and extra users (one kicked or leaving).
func (s *Service) system(ctx context.Context, c store.Conversation, by int64, event string, target int64, extra []int64) {
	ev := map[string]string{"event": event, "by": strconv.FormatInt(by, 10)}
	if target != 0 {
		ev["user_id"] = strconv.FormatInt(target, 10)
	}
	b, _ := json.Marshal(ev)
	res := s.batch.Send(ctx, store.NewMessage{ConversationID: c.ID, SenderID: by, Kind: store.MsgSystem, Body: string(b), Authorized: true})
	if res.Err != nil {
		s.log.Warn("chat: system message", "conversation", c.ID, "event", event, "err", res.Err)
		return
	}
	msg := s.toPB(res.Message, c.Kind)
	s.nameMessages(ctx, msg)
	s.fanoutTo(ctx, c, 0, msg, extra)
}

// GroupAction is a group operation of GroupReq's routes.
type GroupAction string

// The group operations.
const (
	GroupJoin    GroupAction = "join"
	GroupLeave   GroupAction = "leave"
	GroupKick    GroupAction = "kick"
	GroupDisband GroupAction = "disband"
	GroupInvite  GroupAction = "invite"
)

// Group runs one group operation.
func (s *Service) Group(ctx context.Context, user int64, act GroupAction, convID, target int64) error {
	if !observe.Tracing() {
		return s.group(ctx, user, act, convID, target)
	}
	ctx, span := startSpan(ctx, "group "+string(act), user, given(attribute.Int64(attrGroup, convID), attribute.Int64(attrTarget, target))...)
	err := s.group(ctx, user, act, convID, target)
	endSpan(span, err)
	return err
}

// group is Group without its span.
func (s *Service) group(ctx context.Context, user int64, act GroupAction, convID, target int64) error {
	c, err := s.db.Conversation(ctx, convID)
	if err != nil {
		return err
	}
	if c.Kind != store.ConvGroup {
		return store.ErrConvNotFound
	}
	var extra []int64
	switch act {
	case GroupJoin:
		if !c.Open && c.DisbandedAt.IsZero() {
			if _, err := s.db.Member(ctx, convID, user); err == nil {
				return store.ErrAlreadyMember
			}
			return ErrInviteOnly
		}
		if _, err := s.db.JoinGroup(ctx, convID, user, s.cfg.MaxGroups); err != nil {
			return err
		}
		target = user
	case GroupInvite:
		m, err := s.db.Member(ctx, convID, user)
		if err != nil {
			return err
		}
		if m.Role != store.RoleOwner && m.Role != store.RoleAdmin {
			return store.ErrNotAdmin
		}
		if err := s.userExists(ctx, target); err != nil {
			return err
		}
		if b, err := s.db.Blocked(ctx, target, user); err != nil {
			return err
		} else if b {
			return store.ErrBlocked
		}
		if _, err := s.db.JoinGroup(ctx, convID, target, s.cfg.MaxGroups); err != nil {
			return err
		}
	case GroupLeave:
		if err := s.db.LeaveGroup(ctx, convID, user); err != nil {
			return err
		}
		target, extra = user, []int64{user}
	case GroupKick:
		if err := s.db.KickMember(ctx, convID, user, target); err != nil {
			return err
		}
		extra = []int64{target}
	case GroupDisband:
		// The event goes in before the group closes (a disbanded group
		// takes no message), so it is part of the sequence like any other.
		switch {
		case !c.DisbandedAt.IsZero():
			return store.ErrDisbanded
		case c.OwnerID != user:
			return store.ErrNotOwner
		}
		s.system(ctx, c, user, "disbanded", 0, nil)
		return s.db.DisbandGroup(ctx, convID, user)
	default:
		return ErrBadKind
	}
	s.system(ctx, c, user, string(act), target, extra)
	return nil
}

// Mute mutes target for d (0: unmute).
func (s *Service) Mute(ctx context.Context, user, convID, target int64, d time.Duration) error {
	if !observe.Tracing() {
		return s.mute(ctx, user, convID, target, d)
	}
	ctx, span := startSpan(ctx, "group mute", user, given(attribute.Int64(attrGroup, convID), attribute.Int64(attrTarget, target))...)
	span.SetAttributes(attribute.Int64("lordgame.seconds", int64(d/time.Second)))
	err := s.mute(ctx, user, convID, target, d)
	endSpan(span, err)
	return err
}

// mute is Mute without its span.
func (s *Service) mute(ctx context.Context, user, convID, target int64, d time.Duration) error {
	if d < 0 || d > maxMute {
		return status.RuleError(status.BadRequest, "group_bad_mute", "a mute lasts 0 seconds (unmute) to 30 days")
	}
	until := time.Time{}
	if d > 0 {
		until = s.now().Add(d)
	}
	if err := s.db.MuteMember(ctx, convID, user, target, until); err != nil {
		return err
	}
	c, err := s.db.Conversation(ctx, convID)
	if err == nil {
		ev := "muted"
		if d == 0 {
			ev = "unmuted"
		}
		s.system(ctx, c, user, ev, target, nil)
	}
	return nil
}

// SetRole changes a member's role.
func (s *Service) SetRole(ctx context.Context, user, convID, target int64, role string) error {
	if !observe.Tracing() {
		return s.setRole(ctx, user, convID, target, role)
	}
	ctx, span := startSpan(ctx, "group role", user, given(attribute.Int64(attrGroup, convID), attribute.Int64(attrTarget, target))...)
	span.SetAttributes(attribute.String("lordgame.role", role))
	err := s.setRole(ctx, user, convID, target, role)
	endSpan(span, err)
	return err
}

// setRole is SetRole without its span.
func (s *Service) setRole(ctx context.Context, user, convID, target int64, role string) error {
	if err := s.db.SetRole(ctx, convID, user, target, role); err != nil {
		return err
	}
	if c, err := s.db.Conversation(ctx, convID); err == nil {
		s.system(ctx, c, user, "role_"+role, target, nil)
	}
	return nil
}

// Members lists a group's members with their online status.
func (s *Service) Members(ctx context.Context, user, convID int64) (*pb.GroupMembersResp, error) {
	if !observe.Tracing() {
		return s.members(ctx, user, convID)
	}
	ctx, span := startSpan(ctx, "group members", user, attribute.Int64(attrGroup, convID))
	m, err := s.members(ctx, user, convID)
	endSpan(span, err)
	return m, err
}

// members is Members without its span.
func (s *Service) members(ctx context.Context, user, convID int64) (*pb.GroupMembersResp, error) {
	c, me, err := s.access(ctx, user, convID)
	if err != nil {
		return nil, err
	}
	if c.Kind != store.ConvGroup {
		return nil, store.ErrConvNotFound
	}
	ms, err := s.db.Members(ctx, convID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	st := s.statuses(ctx, ids)
	nm := s.names(ctx, ids)
	out := &pb.GroupMembersResp{Group: s.convPB(c, me, 0)}
	for i, m := range ms {
		out.Members = append(out.Members, &pb.ChatMember{UserId: m.UserID, Role: m.Role, ReadSeq: m.ReadSeq, MutedUntilMs: msOf(m.MutedUntil),
			Online: st[i] != StatusOffline, Status: st[i], Name: nm[m.UserID]})
	}
	return out, nil
}

// ---- friends and blocks ----

// FriendAction is one friend or block operation.
type FriendAction string

// The friend operations.
const (
	FriendRequest FriendAction = "request"
	FriendAccept  FriendAction = "accept"
	FriendDecline FriendAction = "decline"
	FriendRemove  FriendAction = "remove"
	FriendBlock   FriendAction = "block"
	FriendUnblock FriendAction = "unblock"
)

// Friend runs one friend operation and returns the friendship's state.
func (s *Service) Friend(ctx context.Context, user int64, act FriendAction, other int64) (string, error) {
	if !observe.Tracing() {
		return s.friend(ctx, user, act, other)
	}
	ctx, span := startSpan(ctx, "friend "+string(act), user, attribute.Int64(attrTarget, other))
	st, err := s.friend(ctx, user, act, other)
	if st != "" {
		span.SetAttributes(attribute.String("lordgame.friend_state", st))
	}
	endSpan(span, err)
	return st, err
}

// friend is Friend without its span.
func (s *Service) friend(ctx context.Context, user int64, act FriendAction, other int64) (string, error) {
	if other == user {
		return "", store.ErrSelf
	}
	if err := s.userExists(ctx, other); err != nil {
		return "", err
	}
	var state, event string
	var err error
	switch act {
	case FriendRequest:
		state, err = s.db.RequestFriend(ctx, user, other, s.cfg.MaxFriends)
		event = "request"
		if state == store.FriendAccepted {
			event = "accepted"
		}
	case FriendAccept:
		err = s.db.AcceptFriend(ctx, user, other, s.cfg.MaxFriends)
		state, event = store.FriendAccepted, "accepted"
	case FriendDecline:
		err, event = s.db.DeclineFriend(ctx, user, other), "declined"
	case FriendRemove:
		var removed bool
		if removed, err = s.db.RemoveFriend(ctx, user, other); err == nil && !removed {
			return "", nil // nothing to remove: nobody to tell
		}
		event = "removed"
	case FriendBlock:
		// The blocked user is not told.
		return "", s.db.Block(ctx, user, other)
	case FriendUnblock:
		return "", s.db.Unblock(ctx, user, other)
	default:
		return "", ErrBadKind
	}
	if err != nil {
		return "", err
	}
	if err := s.out.Push(ctx, RouteFriend, &pb.FriendEvent{Event: event, UserId: user}, []int64{other}, false, nil); err != nil {
		s.log.Warn("chat: friend event", "err", err)
	}
	return state, nil
}

// Friends lists friends and requests with online status, and blocks.
func (s *Service) Friends(ctx context.Context, user int64) (*pb.FriendListResp, error) {
	if !observe.Tracing() {
		return s.friends(ctx, user)
	}
	ctx, span := startSpan(ctx, "friend list", user)
	l, err := s.friends(ctx, user)
	endSpan(span, err)
	return l, err
}

// friends is Friends without its span.
func (s *Service) friends(ctx context.Context, user int64) (*pb.FriendListResp, error) {
	fs, err := s.db.Friends(ctx, user)
	if err != nil {
		return nil, err
	}
	bs, err := s.db.Blocks(ctx, user)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(fs))
	for i, f := range fs {
		ids[i] = f.UserID
	}
	st := s.statuses(ctx, ids)
	nm := s.names(ctx, append(slices.Clone(ids), bs...))
	out := &pb.FriendListResp{Blocked: bs, BlockedNames: make([]string, len(bs))}
	for i, f := range fs {
		if f.State != store.FriendAccepted {
			st[i] = StatusOffline
		}
		out.Friends = append(out.Friends, &pb.FriendEntry{UserId: f.UserID, State: f.State, SinceMs: msOf(f.Since), Online: st[i] != StatusOffline, Status: st[i], Name: nm[f.UserID]})
	}
	for i, b := range bs {
		out.BlockedNames[i] = nm[b]
	}
	slices.SortFunc(out.Friends, func(a, b *pb.FriendEntry) int { return strings.Compare(a.State, b.State) })
	return out, nil
}

// statuses is the presence status of each user: from the presence when
// there is one, else online or offline from the fan-out.
func (s *Service) statuses(ctx context.Context, ids []int64) []string {
	out := make([]string, len(ids))
	if s.presence != nil {
		for i, uid := range ids {
			out[i], _ = s.presence.Status(uid)
		}
		return out
	}
	for i, on := range s.out.Online(ctx, ids) {
		out[i] = StatusOffline
		if on {
			out[i] = StatusOnline
		}
	}
	return out
}
