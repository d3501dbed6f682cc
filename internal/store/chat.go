package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/status"
)

// Conversation kinds.
const (
	ConvWorld   = "world"
	ConvTable   = "table"
	ConvPrivate = "private"
	ConvGroup   = "group"
)

// Member roles, strongest first.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Message kinds. Recall and delete are events of their own in the
// conversation's sequence (RefSeq names the message they tombstone), so a
// client that syncs after a seq learns about them like any other message.
const (
	MsgText   = "text"
	MsgPhrase = "phrase"
	MsgSystem = "system"
	MsgRecall = "recall"
	MsgDelete = "delete"
)

// Chat errors. Each names the rule that was broken.
var (
	ErrConvNotFound = status.RuleError(status.NotFound, "conversation_not_found", "no such conversation")
	ErrNotMember    = status.RuleError(status.Forbidden, "not_member", "you are not a member of this conversation")
	// ErrTargetNotMember: the user a moderator acts on is not a member.
	ErrTargetNotMember = status.RuleError(status.Forbidden, "not_member", "that user is not a member of this group")
	ErrMuted           = status.RuleError(status.Forbidden, "muted", "you are muted in this conversation")
	ErrBlocked         = status.RuleError(status.Forbidden, "blocked", "this user does not accept messages or requests from you")
	ErrDisbanded       = status.RuleError(status.NotFound, "group_disbanded", "the group was disbanded")
	// ErrNotReplay answers a ReplayOnly message whose client id is new.
	ErrNotReplay      = errors.New("store: not a replay of an earlier message")
	ErrGroupFull      = status.RuleError(status.Conflict, "group_full", "the group is full")
	ErrAlreadyMember  = status.RuleError(status.Conflict, "already_member", "already a member")
	ErrNotAdmin       = status.RuleError(status.Forbidden, "not_admin", "only the owner or an admin may do this")
	ErrNotOwner       = status.RuleError(status.Forbidden, "not_owner", "only the owner may do this")
	ErrOwnerLeave     = status.RuleError(status.Conflict, "owner_cannot_leave", "the owner must disband the group or hand it over first")
	ErrMsgNotFound    = status.RuleError(status.NotFound, "message_not_found", "no such message")
	ErrRecallForeign  = status.RuleError(status.Forbidden, "recall_not_sender", "only the sender may recall a message")
	ErrRecallLate     = status.RuleError(status.Conflict, "recall_too_late", "the recall window has passed")
	ErrTooManyGroups  = status.RuleError(status.Conflict, "max_groups", "you are in too many groups")
	ErrTooManyFriends = status.RuleError(status.Conflict, "max_friends", "too many friends")
	ErrAlreadyFriends = status.RuleError(status.Conflict, "already_friends", "already friends")
	ErrNoRequest      = status.RuleError(status.NotFound, "no_friend_request", "no such friend request")
	ErrSelf           = status.RuleError(status.BadRequest, "self", "not possible with yourself")
)

// Conversation is one chat conversation.
type Conversation struct {
	ID          int64
	Kind        string
	Key         string // world, table:<id>, private:<a>:<b>; "" for groups
	Name        string
	OwnerID     int64
	Open        bool
	MaxMembers  int
	LastSeq     int64
	CreatedAt   time.Time
	DisbandedAt time.Time
}

// Member is one member of a conversation.
type Member struct {
	ConversationID int64
	UserID         int64
	Role           string
	ReadSeq        int64
	MutedUntil     time.Time
	JoinedAt       time.Time
}

// Message is one stored message.
type Message struct {
	ConversationID int64
	Seq            int64
	SenderID       int64
	Kind           string
	Body           string
	ClientID       string
	RefSeq         int64
	CreatedAt      time.Time
	// RecalledAt is set on a tombstone (its Body is empty); RecalledBy is
	// the sender (recall) or the admin who deleted it.
	RecalledAt time.Time
	RecalledBy int64
}

// NewMessage is a message to append.
type NewMessage struct {
	ConversationID int64
	SenderID       int64
	Kind           string
	Body           string
	// ClientID makes the send idempotent per sender and conversation: a
	// second send with the same id returns the first message.
	ClientID string
	// Authorized skips the membership check (world and table
	// conversations, whose membership the caller decides).
	Authorized bool
	// ReplayOnly stores nothing: the send succeeds only as a replay of
	// an earlier one with the same ClientID, and is ErrNotReplay
	// otherwise (a sender over its rate may still have a lost answer
	// repeated).
	ReplayOnly bool
}

// SendResult is the outcome of one NewMessage of a batch.
type SendResult struct {
	Message Message
	// Replayed is true when the client id was already used: Message is the
	// original.
	Replayed bool
	Err      error
}

// InboxEntry is one conversation of a user's inbox.
type InboxEntry struct {
	Conversation Conversation
	Member       Member
	Unread       int64
	Last         *Message
	// Peer is the other member of a private conversation.
	Peer int64
}

// Friend states.
const (
	FriendAccepted   = "accepted"
	FriendPendingIn  = "pending_in"  // they asked me
	FriendPendingOut = "pending_out" // I asked them
)

// Friend is one entry of a friends list.
type Friend struct {
	UserID int64
	State  string
	Since  time.Time
}

// Chat stores conversations, members, messages, friends and blocks.
type Chat interface {
	Channel(ctx context.Context, kind, key, name string) (Conversation, error)
	PrivateConversation(ctx context.Context, a, b int64) (Conversation, error)
	Conversation(ctx context.Context, id int64) (Conversation, error)
	CreateGroup(ctx context.Context, owner int64, name string, open bool, maxMembers, maxGroups int) (Conversation, error)
	JoinGroup(ctx context.Context, convID, userID int64, maxGroups int) (Member, error)
	LeaveGroup(ctx context.Context, convID, userID int64) error
	KickMember(ctx context.Context, convID, by, target int64) error
	SetRole(ctx context.Context, convID, by, target int64, role string) error
	MuteMember(ctx context.Context, convID, by, target int64, until time.Time) error
	DisbandGroup(ctx context.Context, convID, by int64) error
	RenameGroup(ctx context.Context, convID, by int64, name string, open bool) error
	Member(ctx context.Context, convID, userID int64) (Member, error)
	Members(ctx context.Context, convID int64) ([]Member, error)
	CountGroups(ctx context.Context, userID int64) (int, error)
	SendMessages(ctx context.Context, msgs []NewMessage) []SendResult
	RecallMessage(ctx context.Context, convID, seq, by int64, window time.Duration) (Message, error)
	DeleteMessage(ctx context.Context, convID, seq, by int64) (Message, error)
	MessagesAfter(ctx context.Context, convID, after int64, limit int) ([]Message, error)
	MessagesBefore(ctx context.Context, convID, before int64, limit int) ([]Message, error)
	MarkRead(ctx context.Context, convID, userID, seq int64) (read int64, moved bool, err error)
	ReadCount(ctx context.Context, convID, seq int64) (int64, error)
	Inbox(ctx context.Context, userID int64) ([]InboxEntry, error)
	PruneMessages(ctx context.Context, kind string, keepLast int, olderThan time.Time) (int64, error)
	RequestFriend(ctx context.Context, from, to int64, maxFriends int) (string, error)
	AcceptFriend(ctx context.Context, userID, from int64, maxFriends int) error
	DeclineFriend(ctx context.Context, userID, from int64) error
	RemoveFriend(ctx context.Context, userID, other int64) (bool, error)
	Friends(ctx context.Context, userID int64) ([]Friend, error)
	Block(ctx context.Context, userID, target int64) error
	Unblock(ctx context.Context, userID, target int64) error
	Blocks(ctx context.Context, userID int64) ([]int64, error)
	Blocked(ctx context.Context, blocker, target int64) (bool, error)
}

var _ Chat = (*DB)(nil)

const convCols = "id, kind, conv_key, name, owner_id, open, max_members, last_seq, created_at, disbanded_at"

func scanConv(r row) (Conversation, error) {
	var c Conversation
	var open, maxm, created, disb int64
	if err := r.Scan(&c.ID, &c.Kind, &c.Key, &c.Name, &c.OwnerID, &open, &maxm, &c.LastSeq, &created, &disb); err != nil {
		return c, err
	}
	c.Open, c.MaxMembers, c.CreatedAt, c.DisbandedAt = open != 0, int(maxm), fromMS(created), fromMS(disb)
	return c, nil
}

const memberCols = "conversation_id, user_id, role, read_seq, muted_until, joined_at"

func scanMember(r row) (Member, error) {
	var m Member
	var muted, joined int64
	if err := r.Scan(&m.ConversationID, &m.UserID, &m.Role, &m.ReadSeq, &muted, &joined); err != nil {
		return m, err
	}
	m.MutedUntil, m.JoinedAt = fromMS(muted), fromMS(joined)
	return m, nil
}

const msgCols = "conversation_id, seq, sender_id, kind, body, client_id, ref_seq, created_at, recalled_at, recalled_by"

func scanMsg(r row) (Message, error) {
	var m Message
	var created, recalled int64
	if err := r.Scan(&m.ConversationID, &m.Seq, &m.SenderID, &m.Kind, &m.Body, &m.ClientID, &m.RefSeq, &created, &recalled, &m.RecalledBy); err != nil {
		return m, err
	}
	m.CreatedAt, m.RecalledAt = fromMS(created), fromMS(recalled)
	return m, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func wrap(op string, err error) error {
	var se *status.Error
	if err == nil || errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// Channel returns the world or table conversation named key, creating it.
func (db *DB) Channel(ctx context.Context, kind, key, name string) (Conversation, error) {
	if kind != ConvWorld && kind != ConvTable || key == "" {
		return Conversation{}, status.RuleError(status.BadRequest, "bad_channel", "a channel is a world or table conversation with a key")
	}
	return db.keyed(ctx, kind, key, name, nil)
}

// keyed gets or creates the conversation with a unique key; members, when
// given, join a new one.
func (db *DB) keyed(ctx context.Context, kind, key, name string, members []int64) (Conversation, error) {
	get := func() (Conversation, error) {
		return scanConv(db.b.queryRow(ctx, "SELECT "+convCols+" FROM chat_conversations WHERE conv_key = ?", key))
	}
	c, err := get()
	if err == nil {
		return c, nil
	}
	if !isNoRows(err) {
		return c, wrap("conversation", err)
	}
	now := ms(db.now())
	err = db.b.tx(ctx, func(q querier) error {
		var id int64
		if err := q.queryRow(ctx, "INSERT INTO chat_conversations (kind, conv_key, name, created_at) VALUES (?, ?, ?, ?) RETURNING id", kind, key, name, now).Scan(&id); err != nil {
			return err
		}
		for _, u := range members {
			if _, err := q.exec(ctx, "INSERT INTO chat_members (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)", id, u, RoleMember, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !isUnique(err) {
		return Conversation{}, wrap("create conversation", err)
	}
	c, err = get()
	return c, wrap("conversation", err)
}

// PrivateConversation returns the 1:1 conversation of a and b, creating it.
func (db *DB) PrivateConversation(ctx context.Context, a, b int64) (Conversation, error) {
	if a == b {
		return Conversation{}, ErrSelf
	}
	lo, hi := min(a, b), max(a, b)
	return db.keyed(ctx, ConvPrivate, fmt.Sprintf("private:%d:%d", lo, hi), "", []int64{lo, hi})
}

// Conversation returns one conversation.
func (db *DB) Conversation(ctx context.Context, id int64) (Conversation, error) {
	c, err := scanConv(db.b.queryRow(ctx, "SELECT "+convCols+" FROM chat_conversations WHERE id = ?", id))
	if isNoRows(err) {
		return c, ErrConvNotFound
	}
	return c, wrap("conversation", err)
}

func countGroups(ctx context.Context, q querier, userID int64) (int, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM chat_members m JOIN chat_conversations c ON c.id = m.conversation_id
		WHERE m.user_id = ? AND c.kind = 'group' AND c.disbanded_at = 0`, userID).Scan(&n)
	return int(n), err
}

// CountGroups is how many live groups userID is a member of.
func (db *DB) CountGroups(ctx context.Context, userID int64) (int, error) {
	n, err := countGroups(ctx, db.b, userID)
	return n, wrap("count groups", err)
}

// CreateGroup creates a group owned by owner. maxGroups (0: no limit)
// bounds how many groups the owner may be in.
func (db *DB) CreateGroup(ctx context.Context, owner int64, name string, open bool, maxMembers, maxGroups int) (Conversation, error) {
	now := ms(db.now())
	var id int64
	err := db.b.tx(ctx, func(q querier) error {
		if maxGroups > 0 {
			n, err := countGroups(ctx, q, owner)
			if err != nil {
				return err
			}
			if n >= maxGroups {
				return ErrTooManyGroups
			}
		}
		if err := q.queryRow(ctx, "INSERT INTO chat_conversations (kind, name, owner_id, open, max_members, created_at) VALUES ('group', ?, ?, ?, ?, ?) RETURNING id",
			name, owner, b2i(open), maxMembers, now).Scan(&id); err != nil {
			return err
		}
		_, err := q.exec(ctx, "INSERT INTO chat_members (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)", id, owner, RoleOwner, now)
		return err
	})
	if err != nil {
		return Conversation{}, wrap("create group", err)
	}
	return db.Conversation(ctx, id)
}

// liveGroup loads a group that is not disbanded, in q.
func liveGroup(ctx context.Context, q querier, convID int64) (Conversation, error) {
	c, err := scanConv(q.queryRow(ctx, "SELECT "+convCols+" FROM chat_conversations WHERE id = ?", convID))
	switch {
	case isNoRows(err):
		return c, ErrConvNotFound
	case err != nil:
		return c, err
	case c.Kind != ConvGroup:
		return c, ErrConvNotFound
	case !c.DisbandedAt.IsZero():
		return c, ErrDisbanded
	}
	return c, nil
}

func memberIn(ctx context.Context, q querier, convID, userID int64) (Member, error) {
	m, err := scanMember(q.queryRow(ctx, "SELECT "+memberCols+" FROM chat_members WHERE conversation_id = ? AND user_id = ?", convID, userID))
	if isNoRows(err) {
		return m, ErrNotMember
	}
	return m, err
}

// JoinGroup adds userID to a group as a member, refusing a full group.
// Whether the user may join (open group or invitation) is the caller's
// decision.
func (db *DB) JoinGroup(ctx context.Context, convID, userID int64, maxGroups int) (Member, error) {
	now := ms(db.now())
	err := db.b.tx(ctx, func(q querier) error {
		// Taking the group's row lock orders concurrent joins, so the
		// size check below cannot be passed by two joins at once.
		if _, err := q.exec(ctx, "UPDATE chat_conversations SET last_seq = last_seq WHERE id = ?", convID); err != nil {
			return err
		}
		c, err := liveGroup(ctx, q, convID)
		if err != nil {
			return err
		}
		if _, err := memberIn(ctx, q, convID, userID); err == nil {
			return ErrAlreadyMember
		} else if !errors.Is(err, ErrNotMember) {
			return err
		}
		var n int64
		if err := q.queryRow(ctx, "SELECT COUNT(*) FROM chat_members WHERE conversation_id = ?", convID).Scan(&n); err != nil {
			return err
		}
		if c.MaxMembers > 0 && n >= int64(c.MaxMembers) {
			return ErrGroupFull
		}
		if maxGroups > 0 {
			g, err := countGroups(ctx, q, userID)
			if err != nil {
				return err
			}
			if g >= maxGroups {
				return ErrTooManyGroups
			}
		}
		// A new member has read everything before it joined.
		_, err = q.exec(ctx, "INSERT INTO chat_members (conversation_id, user_id, role, read_seq, joined_at) VALUES (?, ?, ?, ?, ?)", convID, userID, RoleMember, c.LastSeq, now)
		return err
	})
	if err != nil {
		return Member{}, wrap("join group", err)
	}
	return db.Member(ctx, convID, userID)
}

// LeaveGroup removes userID from a group. The owner cannot leave.
func (db *DB) LeaveGroup(ctx context.Context, convID, userID int64) error {
	return wrap("leave group", db.b.tx(ctx, func(q querier) error {
		if _, err := liveGroup(ctx, q, convID); err != nil {
			return err
		}
		m, err := memberIn(ctx, q, convID, userID)
		if err != nil {
			return err
		}
		if m.Role == RoleOwner {
			return ErrOwnerLeave
		}
		_, err = q.exec(ctx, "DELETE FROM chat_members WHERE conversation_id = ? AND user_id = ?", convID, userID)
		return err
	}))
}

func rank(role string) int {
	switch role {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// moderate checks that by may act on target in a live group: by is owner
// or admin and outranks target.
func moderate(ctx context.Context, q querier, convID, by, target int64) (Member, Member, error) {
	if _, err := liveGroup(ctx, q, convID); err != nil {
		return Member{}, Member{}, err
	}
	if by == target {
		return Member{}, Member{}, ErrSelf
	}
	mb, err := memberIn(ctx, q, convID, by)
	if errors.Is(err, ErrNotMember) {
		return mb, Member{}, ErrNotAdmin
	} else if err != nil {
		return mb, Member{}, err
	}
	if rank(mb.Role) < rank(RoleAdmin) {
		return mb, Member{}, ErrNotAdmin
	}
	mt, err := memberIn(ctx, q, convID, target)
	if errors.Is(err, ErrNotMember) {
		return mb, mt, ErrTargetNotMember
	} else if err != nil {
		return mb, mt, err
	}
	if rank(mt.Role) >= rank(mb.Role) {
		return mb, mt, ErrNotOwner
	}
	return mb, mt, nil
}

// KickMember removes target from a group; by must outrank target.
func (db *DB) KickMember(ctx context.Context, convID, by, target int64) error {
	return wrap("kick", db.b.tx(ctx, func(q querier) error {
		if _, _, err := moderate(ctx, q, convID, by, target); err != nil {
			return err
		}
		_, err := q.exec(ctx, "DELETE FROM chat_members WHERE conversation_id = ? AND user_id = ?", convID, target)
		return err
	}))
}

// MuteMember mutes target until the given time (zero: unmute).
func (db *DB) MuteMember(ctx context.Context, convID, by, target int64, until time.Time) error {
	return wrap("mute", db.b.tx(ctx, func(q querier) error {
		if _, _, err := moderate(ctx, q, convID, by, target); err != nil {
			return err
		}
		_, err := q.exec(ctx, "UPDATE chat_members SET muted_until = ? WHERE conversation_id = ? AND user_id = ?", ms(until), convID, target)
		return err
	}))
}

// SetRole makes target an admin or a member; only the owner may. Giving
// RoleOwner hands the group over: by becomes an admin.
func (db *DB) SetRole(ctx context.Context, convID, by, target int64, role string) error {
	if role != RoleAdmin && role != RoleMember && role != RoleOwner {
		return status.RuleError(status.BadRequest, "bad_role", "role must be owner, admin or member")
	}
	return wrap("set role", db.b.tx(ctx, func(q querier) error {
		mb, _, err := moderate(ctx, q, convID, by, target)
		if err != nil {
			return err
		}
		if mb.Role != RoleOwner {
			return ErrNotOwner
		}
		if _, err := q.exec(ctx, "UPDATE chat_members SET role = ? WHERE conversation_id = ? AND user_id = ?", role, convID, target); err != nil {
			return err
		}
		if role == RoleOwner {
			if _, err := q.exec(ctx, "UPDATE chat_members SET role = ? WHERE conversation_id = ? AND user_id = ?", RoleAdmin, convID, by); err != nil {
				return err
			}
			_, err = q.exec(ctx, "UPDATE chat_conversations SET owner_id = ? WHERE id = ?", target, convID)
		}
		return err
	}))
}

// DisbandGroup ends a group; only its owner may. Its history stays
// readable to former members; nobody can send or join any more.
func (db *DB) DisbandGroup(ctx context.Context, convID, by int64) error {
	now := ms(db.now())
	return wrap("disband", db.b.tx(ctx, func(q querier) error {
		c, err := liveGroup(ctx, q, convID)
		if err != nil {
			return err
		}
		if c.OwnerID != by {
			return ErrNotOwner
		}
		_, err = q.exec(ctx, "UPDATE chat_conversations SET disbanded_at = ? WHERE id = ?", now, convID)
		return err
	}))
}

// RenameGroup changes a group's name and openness; owner or admin.
func (db *DB) RenameGroup(ctx context.Context, convID, by int64, name string, open bool) error {
	return wrap("rename group", db.b.tx(ctx, func(q querier) error {
		if _, err := liveGroup(ctx, q, convID); err != nil {
			return err
		}
		m, err := memberIn(ctx, q, convID, by)
		if err != nil {
			return err
		}
		if rank(m.Role) < rank(RoleAdmin) {
			return ErrNotAdmin
		}
		_, err = q.exec(ctx, "UPDATE chat_conversations SET name = ?, open = ? WHERE id = ?", name, b2i(open), convID)
		return err
	}))
}

// Member returns one membership (ErrNotMember if none).
func (db *DB) Member(ctx context.Context, convID, userID int64) (Member, error) {
	m, err := memberIn(ctx, db.b, convID, userID)
	return m, wrap("member", err)
}

// Members lists a conversation's members, owner and admins first.
func (db *DB) Members(ctx context.Context, convID int64) ([]Member, error) {
	rs, err := db.b.query(ctx, "SELECT "+memberCols+" FROM chat_members WHERE conversation_id = ? ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, joined_at, user_id", convID)
	if err != nil {
		return nil, wrap("members", err)
	}
	defer rs.Close()
	var out []Member
	for rs.Next() {
		m, err := scanMember(rs)
		if err != nil {
			return nil, wrap("members", err)
		}
		out = append(out, m)
	}
	return out, wrap("members", rs.Err())
}

// SendMessages appends messages, of one or many conversations, in one
// transaction: each conversation's counter is raised once by the number of
// its accepted messages and the messages take the numbers in between, so
// seqs are strictly increasing without gaps. A message that breaks a rule
// gets its error in its result and is not stored; the others are. A
// client id already used by the sender in the conversation returns the
// stored message (Replayed) and stores nothing.
func (db *DB) SendMessages(ctx context.Context, msgs []NewMessage) []SendResult {
	res := make([]SendResult, len(msgs))
	if len(msgs) == 0 {
		return res
	}
	now := db.now()
	err := db.b.tx(ctx, func(q querier) error {
		for i := range res {
			res[i] = SendResult{}
		}
		return sendTx(ctx, q, msgs, res, now)
	})
	if err != nil {
		for i := range res {
			if res[i].Err == nil {
				res[i] = SendResult{Err: wrap("send", err)}
			}
		}
	}
	return res
}

type dupInBatch int

func (d dupInBatch) Error() string { return "duplicate client id in batch" }

func errDupInBatch(i int) error { return dupInBatch(i) }

// chatRowsPerInsert keeps one statement's parameters (8 a row) under both
// dialects' limits.
const chatRowsPerInsert = 100

func insertMessages(ctx context.Context, q querier, ms []Message) error {
	var b strings.Builder
	b.WriteString("INSERT INTO chat_messages (conversation_id, seq, sender_id, kind, body, client_id, ref_seq, created_at) VALUES ")
	args := make([]any, 0, 8*len(ms))
	for i, m := range ms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, m.ConversationID, m.Seq, m.SenderID, m.Kind, m.Body, m.ClientID, m.RefSeq, m.CreatedAt.UnixMilli())
	}
	_, err := q.exec(ctx, b.String(), args...)
	return err
}

// tombstone empties message seq of convID and appends an event of kind
// (recall or delete) that refers to it, in one transaction. check decides
// whether by may do it.
func (db *DB) tombstone(ctx context.Context, convID, seq, by int64, kind string, check func(q querier, m Message) error) (Message, error) {
	now := db.now()
	var ev Message
	err := db.b.tx(ctx, func(q querier) error {
		m, err := scanMsg(q.queryRow(ctx, "SELECT "+msgCols+" FROM chat_messages WHERE conversation_id = ? AND seq = ?", convID, seq))
		if isNoRows(err) {
			return ErrMsgNotFound
		} else if err != nil {
			return err
		}
		if m.Kind == MsgRecall || m.Kind == MsgDelete {
			return ErrMsgNotFound
		}
		if err := check(q, m); err != nil {
			return err
		}
		if !m.RecalledAt.IsZero() {
			// Already a tombstone: return its event again.
			ev, err = scanMsg(q.queryRow(ctx, "SELECT "+msgCols+" FROM chat_messages WHERE conversation_id = ? AND ref_seq = ? AND kind IN ('recall', 'delete') ORDER BY seq LIMIT 1", convID, seq))
			return err
		}
		if _, err := q.exec(ctx, "UPDATE chat_messages SET body = '', recalled_at = ?, recalled_by = ? WHERE conversation_id = ? AND seq = ?", ms(now), by, convID, seq); err != nil {
			return err
		}
		var last int64
		if err := q.queryRow(ctx, "UPDATE chat_conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq", convID).Scan(&last); err != nil {
			return err
		}
		ev = Message{ConversationID: convID, Seq: last, SenderID: by, Kind: kind, RefSeq: seq, CreatedAt: time.UnixMilli(ms(now)).UTC()}
		return insertMessages(ctx, q, []Message{ev})
	})
	return ev, wrap(kind, err)
}

// RecallMessage lets the sender recall its message within window: the
// message becomes a tombstone and a recall event (returned) is appended.
func (db *DB) RecallMessage(ctx context.Context, convID, seq, by int64, window time.Duration) (Message, error) {
	now := db.now()
	return db.tombstone(ctx, convID, seq, by, MsgRecall, func(q querier, m Message) error {
		if m.SenderID != by {
			return ErrRecallForeign
		}
		if m.RecalledAt.IsZero() && now.Sub(m.CreatedAt) > window {
			return ErrRecallLate
		}
		return nil
	})
}

// DeleteMessage is an admin's removal of any message; the caller decides
// who is an admin (group owner/admin or an operator).
func (db *DB) DeleteMessage(ctx context.Context, convID, seq, by int64) (Message, error) {
	return db.tombstone(ctx, convID, seq, by, MsgDelete, func(querier, Message) error { return nil })
}

func (db *DB) messages(ctx context.Context, q string, args ...any) ([]Message, error) {
	rs, err := db.b.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Message
	for rs.Next() {
		m, err := scanMsg(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rs.Err()
}

// MessagesAfter returns up to limit messages with seq > after, oldest first.
func (db *DB) MessagesAfter(ctx context.Context, convID, after int64, limit int) ([]Message, error) {
	out, err := db.messages(ctx, "SELECT "+msgCols+" FROM chat_messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?", convID, after, limit)
	return out, wrap("messages after", err)
}

// MessagesBefore returns up to limit messages with seq < before (0: the
// newest), oldest first: a page of history going backwards.
func (db *DB) MessagesBefore(ctx context.Context, convID, before int64, limit int) ([]Message, error) {
	if before <= 0 {
		before = 1 << 62
	}
	out, err := db.messages(ctx, "SELECT "+msgCols+" FROM chat_messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?", convID, before, limit)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, wrap("messages before", err)
}

// MarkRead moves userID's read marker in convID forward to seq (never
// back, never past the last message) and returns the marker and whether
// it moved.
func (db *DB) MarkRead(ctx context.Context, convID, userID, seq int64) (int64, bool, error) {
	var read, n int64
	err := db.b.tx(ctx, func(q querier) error {
		var err error
		if n, err = q.exec(ctx, `UPDATE chat_members SET read_seq = (SELECT CASE WHEN ? < last_seq THEN ? ELSE last_seq END FROM chat_conversations WHERE id = ?)
			WHERE conversation_id = ? AND user_id = ?
			AND read_seq < (SELECT CASE WHEN ? < last_seq THEN ? ELSE last_seq END FROM chat_conversations WHERE id = ?)`,
			seq, seq, convID, convID, userID, seq, seq, convID); err != nil {
			return err
		}
		m, err := memberIn(ctx, q, convID, userID)
		read = m.ReadSeq
		return err
	})
	return read, n > 0, wrap("mark read", err)
}

// ReadCount is how many members other than the sender have read message seq.
func (db *DB) ReadCount(ctx context.Context, convID, seq int64) (int64, error) {
	var n int64
	err := db.b.queryRow(ctx, `SELECT COUNT(*) FROM chat_members WHERE conversation_id = ? AND read_seq >= ?
		AND user_id <> (SELECT sender_id FROM chat_messages WHERE conversation_id = ? AND seq = ?)`, convID, seq, convID, seq).Scan(&n)
	return n, wrap("read count", err)
}

// notHiddenFrom leaves out of an inbox query (message x, member m,
// conversation c) the group messages of senders m blocked, as sync and
// history hide them (group events excepted).
const notHiddenFrom = `
				AND NOT (c.kind = 'group' AND x.kind <> 'system' AND x.sender_id IN (SELECT b.blocked_id FROM chat_blocks b WHERE b.user_id = m.user_id))`

// Inbox lists userID's private and group conversations, the most recent
// first, each with its unread count (messages of others after the read
// marker, recall and delete events and the group messages of senders
// userID blocked not counted) and last message (of the same).
func (db *DB) Inbox(ctx context.Context, userID int64) ([]InboxEntry, error) {
	rs, err := db.b.query(ctx, `SELECT c.id, c.kind, c.conv_key, c.name, c.owner_id, c.open, c.max_members, c.last_seq, c.created_at, c.disbanded_at,
			m.conversation_id, m.user_id, m.role, m.read_seq, m.muted_until, m.joined_at,
			(SELECT COUNT(*) FROM chat_messages x WHERE x.conversation_id = c.id AND x.seq > m.read_seq AND x.sender_id <> m.user_id
				AND x.kind NOT IN ('recall', 'delete') AND x.recalled_at = 0`+notHiddenFrom+`),
			COALESCE((SELECT MAX(x.seq) FROM chat_messages x WHERE x.conversation_id = c.id AND x.kind NOT IN ('recall', 'delete')`+notHiddenFrom+`), 0),
			COALESCE((SELECT o.user_id FROM chat_members o WHERE o.conversation_id = c.id AND o.user_id <> m.user_id AND c.kind = 'private' LIMIT 1), 0)
		FROM chat_members m JOIN chat_conversations c ON c.id = m.conversation_id
		WHERE m.user_id = ? AND c.kind IN ('private', 'group')
		ORDER BY c.last_seq DESC, c.id DESC`, userID)
	if err != nil {
		return nil, wrap("inbox", err)
	}
	var out []InboxEntry
	var lasts []int64
	for rs.Next() {
		var e InboxEntry
		var open, maxm, created, disb, muted, joined, last int64
		c, m := &e.Conversation, &e.Member
		if err := rs.Scan(&c.ID, &c.Kind, &c.Key, &c.Name, &c.OwnerID, &open, &maxm, &c.LastSeq, &created, &disb,
			&m.ConversationID, &m.UserID, &m.Role, &m.ReadSeq, &muted, &joined, &e.Unread, &last, &e.Peer); err != nil {
			rs.Close()
			return nil, wrap("inbox", err)
		}
		c.Open, c.MaxMembers, c.CreatedAt, c.DisbandedAt = open != 0, int(maxm), fromMS(created), fromMS(disb)
		m.MutedUntil, m.JoinedAt = fromMS(muted), fromMS(joined)
		out = append(out, e)
		lasts = append(lasts, last)
	}
	err = rs.Err()
	rs.Close()
	if err != nil {
		return nil, wrap("inbox", err)
	}
	for i := range out {
		if lasts[i] == 0 {
			continue
		}
		m, err := scanMsg(db.b.queryRow(ctx, "SELECT "+msgCols+" FROM chat_messages WHERE conversation_id = ? AND seq = ?", out[i].Conversation.ID, lasts[i]))
		if err != nil {
			return nil, wrap("inbox", err)
		}
		out[i].Last = &m
	}
	return out, nil
}

// PruneMessages bounds the retention of world or table conversations:
// messages older than olderThan, and all but the newest keepLast of each
// conversation (keepLast 0: no count bound), are removed. Their seqs are
// never reused: the counter lives on the conversation.
func (db *DB) PruneMessages(ctx context.Context, kind string, keepLast int, olderThan time.Time) (int64, error) {
	if kind != ConvWorld && kind != ConvTable {
		return 0, status.RuleError(status.BadRequest, "bad_channel", "only world and table conversations are pruned")
	}
	var total int64
	err := db.b.tx(ctx, func(q querier) error {
		n, err := q.exec(ctx, `DELETE FROM chat_messages WHERE created_at < ? AND conversation_id IN (SELECT id FROM chat_conversations WHERE kind = ?)`, ms(olderThan), kind)
		if err != nil {
			return err
		}
		total += n
		if keepLast > 0 {
			n, err = q.exec(ctx, `DELETE FROM chat_messages WHERE conversation_id IN (SELECT id FROM chat_conversations WHERE kind = ?)
				AND seq <= (SELECT c.last_seq FROM chat_conversations c WHERE c.id = chat_messages.conversation_id) - ?`, kind, keepLast)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, wrap("prune", err)
}

func countFriends(ctx context.Context, q querier, userID int64) (int, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM chat_friends WHERE user_id = ?", userID).Scan(&n)
	return int(n), err
}

func blockedTx(ctx context.Context, q querier, blocker, target int64) (bool, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM chat_blocks WHERE user_id = ? AND blocked_id = ?", blocker, target).Scan(&n)
	return n > 0, err
}

func befriend(ctx context.Context, q querier, a, b int64, maxFriends int, now int64) error {
	if maxFriends > 0 {
		for _, u := range []int64{a, b} {
			n, err := countFriends(ctx, q, u)
			if err != nil {
				return err
			}
			if n >= maxFriends {
				return ErrTooManyFriends
			}
		}
	}
	if _, err := q.exec(ctx, "DELETE FROM chat_friend_requests WHERE (from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)", a, b, b, a); err != nil {
		return err
	}
	_, err := q.exec(ctx, "INSERT INTO chat_friends (user_id, friend_id, created_at) VALUES (?, ?, ?), (?, ?, ?)", a, b, now, b, a, now)
	return err
}

// RequestFriend asks to for friendship. A request the other way already
// pending is accepted at once (state accepted); otherwise the state is
// pending_out. Asking again is idempotent.
func (db *DB) RequestFriend(ctx context.Context, from, to int64, maxFriends int) (string, error) {
	if from == to {
		return "", ErrSelf
	}
	now := ms(db.now())
	state := FriendPendingOut
	err := db.b.tx(ctx, func(q querier) error {
		if b, err := blockedTx(ctx, q, to, from); err != nil {
			return err
		} else if b {
			return ErrBlocked
		}
		var n int64
		if err := q.queryRow(ctx, "SELECT COUNT(*) FROM chat_friends WHERE user_id = ? AND friend_id = ?", from, to).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyFriends
		}
		if err := q.queryRow(ctx, "SELECT COUNT(*) FROM chat_friend_requests WHERE from_id = ? AND to_id = ?", to, from).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			state = FriendAccepted
			return befriend(ctx, q, from, to, maxFriends, now)
		}
		if maxFriends > 0 {
			c, err := countFriends(ctx, q, from)
			if err != nil {
				return err
			}
			if c >= maxFriends {
				return ErrTooManyFriends
			}
		}
		_, err := q.exec(ctx, "INSERT INTO chat_friend_requests (from_id, to_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", from, to, now)
		return err
	})
	return state, wrap("friend request", err)
}

// AcceptFriend accepts from's pending request to userID.
func (db *DB) AcceptFriend(ctx context.Context, userID, from int64, maxFriends int) error {
	now := ms(db.now())
	return wrap("accept friend", db.b.tx(ctx, func(q querier) error {
		n, err := q.exec(ctx, "DELETE FROM chat_friend_requests WHERE from_id = ? AND to_id = ?", from, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNoRequest
		}
		return befriend(ctx, q, userID, from, maxFriends, now)
	}))
}

// DeclineFriend drops from's pending request to userID.
func (db *DB) DeclineFriend(ctx context.Context, userID, from int64) error {
	n, err := db.b.exec(ctx, "DELETE FROM chat_friend_requests WHERE from_id = ? AND to_id = ?", from, userID)
	if err == nil && n == 0 {
		return ErrNoRequest
	}
	return wrap("decline friend", err)
}

// RemoveFriend ends a friendship (both directions) or withdraws userID's
// own pending request, and reports whether there was one. Removing what
// does not exist is not an error.
func (db *DB) RemoveFriend(ctx context.Context, userID, other int64) (bool, error) {
	var n int64
	err := db.b.tx(ctx, func(q querier) error {
		a, err := q.exec(ctx, "DELETE FROM chat_friends WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)", userID, other, other, userID)
		if err != nil {
			return err
		}
		b, err := q.exec(ctx, "DELETE FROM chat_friend_requests WHERE from_id = ? AND to_id = ?", userID, other)
		n = a + b
		return err
	})
	return n > 0, wrap("remove friend", err)
}

// Friends lists userID's friends and pending requests both ways.
func (db *DB) Friends(ctx context.Context, userID int64) ([]Friend, error) {
	rs, err := db.b.query(ctx, `SELECT friend_id, 'accepted', created_at FROM chat_friends WHERE user_id = ?
		UNION ALL SELECT from_id, 'pending_in', created_at FROM chat_friend_requests WHERE to_id = ?
		UNION ALL SELECT to_id, 'pending_out', created_at FROM chat_friend_requests WHERE from_id = ?
		ORDER BY 1`, userID, userID, userID)
	if err != nil {
		return nil, wrap("friends", err)
	}
	defer rs.Close()
	var out []Friend
	for rs.Next() {
		var f Friend
		var at int64
		if err := rs.Scan(&f.UserID, &f.State, &at); err != nil {
			return nil, wrap("friends", err)
		}
		f.Since = fromMS(at)
		out = append(out, f)
	}
	return out, wrap("friends", rs.Err())
}

// Block makes userID block target: it also ends their friendship and
// drops requests both ways. Blocking twice is not an error.
func (db *DB) Block(ctx context.Context, userID, target int64) error {
	if userID == target {
		return ErrSelf
	}
	now := ms(db.now())
	return wrap("block", db.b.tx(ctx, func(q querier) error {
		if _, err := q.exec(ctx, "INSERT INTO chat_blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", userID, target, now); err != nil {
			return err
		}
		if _, err := q.exec(ctx, "DELETE FROM chat_friends WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)", userID, target, target, userID); err != nil {
			return err
		}
		_, err := q.exec(ctx, "DELETE FROM chat_friend_requests WHERE (from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)", userID, target, target, userID)
		return err
	}))
}

// Unblock lifts userID's block of target.
func (db *DB) Unblock(ctx context.Context, userID, target int64) error {
	_, err := db.b.exec(ctx, "DELETE FROM chat_blocks WHERE user_id = ? AND blocked_id = ?", userID, target)
	return wrap("unblock", err)
}

// Blocks lists the users userID blocks.
func (db *DB) Blocks(ctx context.Context, userID int64) ([]int64, error) {
	rs, err := db.b.query(ctx, "SELECT blocked_id FROM chat_blocks WHERE user_id = ? ORDER BY blocked_id", userID)
	if err != nil {
		return nil, wrap("blocks", err)
	}
	defer rs.Close()
	var out []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, wrap("blocks", err)
		}
		out = append(out, id)
	}
	return out, wrap("blocks", rs.Err())
}

// Blocked reports whether blocker blocks target.
func (db *DB) Blocked(ctx context.Context, blocker, target int64) (bool, error) {
	b, err := blockedTx(ctx, db.b, blocker, target)
	return b, wrap("blocked", err)
}
