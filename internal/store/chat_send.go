package store

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Sending a batch of messages in one transaction takes a fixed number of
// statements, whatever the batch holds: the conversations, the earlier
// messages with the same client ids, the senders' memberships and the
// blocks of private conversations are each read with one query per chunk
// of the batch, the conversations' sequence numbers are advanced by one
// UPDATE ... FROM (VALUES ...), the rows go in with multi-row INSERTs and
// the senders' read markers move with one more UPDATE. One statement per
// message (the plain way) costs a database round trip each, which is what
// bounds the stored messages per second on PostgreSQL.

// sendChunk bounds the tuples of one lookup (3 parameters each, well
// under both dialects' limits).
const sendChunk = 100

// pairValue is one (conversation, user) row of a VALUES list; the casts
// type PostgreSQL's parameters, which a VALUES list leaves unknown.
const pairValue = "(CAST(? AS BIGINT), CAST(? AS BIGINT))"

type clientKey struct {
	conv, sender int64
	client       string
}

type convSender [2]int64

// sendLookups is what a batch needs to know before it may number anything.
type sendLookups struct {
	convs   map[int64]Conversation
	dups    map[clientKey]Message
	members map[convSender]Member
	blocked map[convSender]bool // private conversation, sender: the other side blocks the sender
}

func sendTx(ctx context.Context, q querier, msgs []NewMessage, res []SendResult, now time.Time) error {
	lk, err := lookupSend(ctx, q, msgs)
	if err != nil {
		return err
	}
	seen := map[clientKey]int{} // client id -> index of the first message with it
	var order []int64           // conversations in first-seen order
	accepted := map[int64][]int{}
	for i, m := range msgs {
		c, ok := lk.convs[m.ConversationID]
		switch {
		case !ok:
			res[i].Err = ErrConvNotFound
			continue
		case !c.DisbandedAt.IsZero():
			res[i].Err = ErrDisbanded
			continue
		}
		if m.ClientID != "" {
			k := clientKey{m.ConversationID, m.SenderID, m.ClientID}
			if j, ok := seen[k]; ok {
				res[i].Err = errDupInBatch(j)
				continue
			}
			if old, ok := lk.dups[k]; ok {
				res[i] = SendResult{Message: old, Replayed: true}
				continue
			}
			if m.ReplayOnly {
				res[i].Err = ErrNotReplay
				continue
			}
			seen[k] = i
		} else if m.ReplayOnly {
			res[i].Err = ErrNotReplay
			continue
		}
		if !m.Authorized && m.Kind != MsgSystem {
			if e := lk.mayPost(c, m.SenderID, now); e != nil {
				res[i].Err = e
				continue
			}
		}
		if len(accepted[m.ConversationID]) == 0 {
			order = append(order, m.ConversationID)
		}
		accepted[m.ConversationID] = append(accepted[m.ConversationID], i)
	}
	return finishSend(ctx, q, msgs, res, now, order, accepted)
}

// mayPost is the rule a sender breaks by posting in c (nil: none).
func (lk *sendLookups) mayPost(c Conversation, sender int64, now time.Time) error {
	mem, ok := lk.members[convSender{c.ID, sender}]
	if !ok {
		return ErrNotMember
	}
	if !mem.MutedUntil.IsZero() && mem.MutedUntil.After(now) {
		return ErrMuted
	}
	if c.Kind == ConvPrivate && lk.blocked[convSender{c.ID, sender}] {
		return ErrBlocked
	}
	return nil
}

// lookupSend reads everything the checks of a batch need.
func lookupSend(ctx context.Context, q querier, msgs []NewMessage) (*sendLookups, error) {
	lk := &sendLookups{convs: map[int64]Conversation{}, dups: map[clientKey]Message{},
		members: map[convSender]Member{}, blocked: map[convSender]bool{}}
	var convIDs []int64
	seenConv := map[int64]bool{}
	var keys []clientKey
	seenKey := map[clientKey]bool{}
	for _, m := range msgs {
		if !seenConv[m.ConversationID] {
			seenConv[m.ConversationID] = true
			convIDs = append(convIDs, m.ConversationID)
		}
		if k := (clientKey{m.ConversationID, m.SenderID, m.ClientID}); m.ClientID != "" && !seenKey[k] {
			seenKey[k] = true
			keys = append(keys, k)
		}
	}
	for part := range chunks(convIDs, sendChunk) {
		err := eachRow(ctx, q, "SELECT "+convCols+" FROM chat_conversations WHERE id IN ("+placeholders(len(part), "?")+")", int64Args(part), func(r row) error {
			c, err := scanConv(r)
			lk.convs[c.ID] = c
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	for part := range chunks(keys, sendChunk) {
		args := make([]any, 0, 3*len(part))
		for _, k := range part {
			args = append(args, k.conv, k.sender, k.client)
		}
		// A row-value IN over VALUES is planned as one probe of the
		// client index per key; an OR of the same terms cost SQLite a
		// multi-index OR plan, and most of a batch's time in preparing it.
		err := eachRow(ctx, q, "SELECT "+msgCols+" FROM chat_messages WHERE client_id <> '' AND (conversation_id, sender_id, client_id) IN (VALUES "+
			placeholders(len(part), "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT))")+")", args, func(r row) error {
			m, err := scanMsg(r)
			lk.dups[clientKey{m.ConversationID, m.SenderID, m.ClientID}] = m
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	// Memberships and blocks of the senders who must be checked, in
	// conversations that exist.
	var pairs, private []convSender
	seenPair := map[convSender]bool{}
	for _, m := range msgs {
		c, ok := lk.convs[m.ConversationID]
		p := convSender{m.ConversationID, m.SenderID}
		if !ok || m.Authorized || m.Kind == MsgSystem || seenPair[p] {
			continue
		}
		seenPair[p] = true
		pairs = append(pairs, p)
		if c.Kind == ConvPrivate {
			private = append(private, p)
		}
	}
	for part := range chunks(pairs, sendChunk) {
		err := eachRow(ctx, q, "SELECT "+memberCols+" FROM chat_members WHERE (conversation_id, user_id) IN (VALUES "+
			placeholders(len(part), pairValue)+")", pairArgs(part), func(r row) error {
			mem, err := scanMember(r)
			lk.members[convSender{mem.ConversationID, mem.UserID}] = mem
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	for part := range chunks(private, sendChunk) {
		err := eachRow(ctx, q, `SELECT DISTINCT m.conversation_id, b.blocked_id FROM chat_blocks b JOIN chat_members m ON m.user_id = b.user_id WHERE (m.conversation_id, b.blocked_id) IN (VALUES `+
			placeholders(len(part), pairValue)+")", pairArgs(part), func(r row) error {
			var p convSender
			err := r.Scan(&p[0], &p[1])
			lk.blocked[p] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return lk, nil
}

// finishSend numbers and inserts the accepted messages of a batch.
func finishSend(ctx context.Context, q querier, msgs []NewMessage, res []SendResult, now time.Time, order []int64, accepted map[int64][]int) error {
	// Advance every conversation's last_seq by its messages at once.
	last := map[int64]int64{}
	for part := range chunks(order, sendChunk) {
		args := make([]any, 0, 2*len(part))
		for _, cid := range part {
			args = append(args, cid, len(accepted[cid]))
		}
		err := eachRow(ctx, q, "UPDATE chat_conversations SET last_seq = last_seq + v.column2 FROM (VALUES "+
			placeholders(len(part), "(CAST(? AS BIGINT), CAST(? AS BIGINT))")+") AS v WHERE chat_conversations.id = v.column1 RETURNING chat_conversations.id, chat_conversations.last_seq",
			args, func(r row) error {
				var id, seq int64
				err := r.Scan(&id, &seq)
				last[id] = seq
				return err
			})
		if err != nil {
			return err
		}
	}
	var rowsOut []Message
	for _, cid := range order {
		idx := accepted[cid]
		l, ok := last[cid]
		if !ok {
			return errors.New("chat send: conversation vanished while numbering")
		}
		first := l - int64(len(idx)) + 1
		for k, i := range idx {
			m := msgs[i]
			msg := Message{ConversationID: cid, Seq: first + int64(k), SenderID: m.SenderID, Kind: m.Kind, Body: m.Body, ClientID: m.ClientID, CreatedAt: time.UnixMilli(ms(now)).UTC()}
			res[i] = SendResult{Message: msg}
			rowsOut = append(rowsOut, msg)
		}
	}
	for part := range chunks(rowsOut, chatRowsPerInsert) {
		if err := insertMessages(ctx, q, part); err != nil {
			return err
		}
	}
	// A sender has read its own conversation up to its message.
	top := map[convSender]int64{}
	var readers []convSender
	for _, cid := range order {
		for _, i := range accepted[cid] {
			p := convSender{cid, msgs[i].SenderID}
			if _, ok := top[p]; !ok {
				readers = append(readers, p)
			}
			top[p] = max(top[p], res[i].Message.Seq)
		}
	}
	for part := range chunks(readers, sendChunk) {
		args := make([]any, 0, 3*len(part))
		for _, p := range part {
			args = append(args, p[0], p[1], top[p])
		}
		if _, err := q.exec(ctx, "UPDATE chat_members SET read_seq = v.column3 FROM (VALUES "+
			placeholders(len(part), "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))")+
			") AS v WHERE chat_members.conversation_id = v.column1 AND chat_members.user_id = v.column2 AND chat_members.read_seq < v.column3", args...); err != nil {
			return err
		}
	}
	// Messages of a batch that repeat an earlier client id of the same
	// batch get the earlier one's result.
	for i := range res {
		var d dupInBatch
		if errors.As(res[i].Err, &d) {
			res[i] = res[int(d)]
			if res[i].Err == nil {
				res[i].Replayed = true
			}
		}
	}
	return nil
}

// chunks yields s in pieces of at most n.
func chunks[T any](s []T, n int) func(yield func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// placeholders repeats one tuple n times, joined by sep (default ", ").
func placeholders(n int, tuple string, sep ...string) string {
	j := ", "
	if len(sep) > 0 {
		j = sep[0]
	}
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(j)
		}
		b.WriteString(tuple)
	}
	return b.String()
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func pairArgs(ps []convSender) []any {
	out := make([]any, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p[0], p[1])
	}
	return out
}

// eachRow runs a query and calls fn for each row.
func eachRow(ctx context.Context, q querier, query string, args []any, fn func(row) error) error {
	rs, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := fn(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}
