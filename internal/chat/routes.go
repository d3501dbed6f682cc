package chat

import (
	"context"
	"time"

	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Route ids: 400–449 requests, 450–499 pushes (docs/protocol-chat.md).
const (
	IDSend          = 401
	IDOpen          = 402
	IDSync          = 403
	IDHistory       = 404
	IDInbox         = 405
	IDRead          = 406
	IDRecall        = 407
	IDDelete        = 408
	IDReceipts      = 409
	IDGroupCreate   = 410
	IDGroupJoin     = 411
	IDGroupLeave    = 412
	IDGroupKick     = 413
	IDGroupMute     = 414
	IDGroupDisband  = 415
	IDGroupRole     = 416
	IDGroupMembers  = 417
	IDGroupInvite   = 418
	IDFriendRequest = 420
	IDFriendAccept  = 421
	IDFriendDecline = 422
	IDFriendRemove  = 423
	IDFriendList    = 424
	IDFriendBlock   = 425
	IDFriendUnblock = 426
	IDMsg           = 450
	IDReadPush      = 451
	IDFriendEvent   = 452
)

// OperatorRole is the session role that may delete any message.
const OperatorRole = "admin"

// Register adds the chat.*, group.* and friend.* routes to r. They are
// served on every node (the store is shared); reads run concurrently with
// the session's other requests, sends in order.
func Register(r *gateway.Router, s *Service) {
	gateway.Handle(r, "chat.send", IDSend, func(ctx context.Context, ss *session.Session, q *pb.ChatSendReq) (*pb.ChatSendResp, error) {
		m, replayed, err := s.Send(ctx, ss.UserID(), SendReq{ConversationID: q.ConversationId, ToUser: q.ToUserId, ClientID: q.ClientId, Kind: q.Kind, Text: q.Text, Phrase: q.Phrase})
		if err != nil {
			return nil, err
		}
		return &pb.ChatSendResp{Message: m, Replayed: replayed}, nil
	})
	gateway.Handle(r, "chat.open", IDOpen, func(ctx context.Context, ss *session.Session, q *pb.ChatOpenReq) (*pb.ChatOpenResp, error) {
		c, err := s.Open(ctx, ss.UserID(), q.Kind, q.UserId, q.TableId)
		if err != nil {
			return nil, err
		}
		return &pb.ChatOpenResp{Conversation: c}, nil
	}, gateway.Concurrent())
	gateway.Handle(r, "chat.sync", IDSync, func(ctx context.Context, ss *session.Session, q *pb.ChatSyncReq) (*pb.ChatSyncResp, error) {
		bs, err := s.Sync(ctx, ss.UserID(), q.Cursors, int(q.Limit))
		if err != nil {
			return nil, err
		}
		return &pb.ChatSyncResp{Batches: bs}, nil
	}, gateway.Concurrent())
	gateway.Handle(r, "chat.history", IDHistory, func(ctx context.Context, ss *session.Session, q *pb.ChatHistoryReq) (*pb.ChatHistoryResp, error) {
		ms, next, err := s.History(ctx, ss.UserID(), q.ConversationId, q.BeforeSeq, int(q.Limit))
		if err != nil {
			return nil, err
		}
		return &pb.ChatHistoryResp{Messages: ms, NextBefore: next}, nil
	}, gateway.Concurrent())
	gateway.Handle(r, "chat.inbox", IDInbox, func(ctx context.Context, ss *session.Session, _ *pb.ChatInboxReq) (*pb.ChatInboxResp, error) {
		return s.Inbox(ctx, ss.UserID())
	}, gateway.Concurrent())
	gateway.Handle(r, "chat.read", IDRead, func(ctx context.Context, ss *session.Session, q *pb.ChatReadReq) (*pb.ChatReadResp, error) {
		return s.Read(ctx, ss.UserID(), q.ConversationId, q.Seq)
	})
	gateway.Handle(r, "chat.recall", IDRecall, func(ctx context.Context, ss *session.Session, q *pb.ChatRecallReq) (*pb.ChatRecallResp, error) {
		ev, err := s.Recall(ctx, ss.UserID(), q.ConversationId, q.Seq)
		if err != nil {
			return nil, err
		}
		return &pb.ChatRecallResp{Event: ev}, nil
	})
	gateway.Handle(r, "chat.delete", IDDelete, func(ctx context.Context, ss *session.Session, q *pb.ChatDeleteReq) (*pb.ChatDeleteResp, error) {
		ev, err := s.Delete(ctx, ss.UserID(), ss.HasRole(OperatorRole), q.ConversationId, q.Seq)
		if err != nil {
			return nil, err
		}
		return &pb.ChatDeleteResp{Event: ev}, nil
	})
	gateway.Handle(r, "chat.receipts", IDReceipts, func(ctx context.Context, ss *session.Session, q *pb.ChatReceiptsReq) (*pb.ChatReceiptsResp, error) {
		n, err := s.Receipts(ctx, ss.UserID(), q.ConversationId, q.Seqs)
		if err != nil {
			return nil, err
		}
		return &pb.ChatReceiptsResp{ReadCounts: n}, nil
	}, gateway.Concurrent())
	gateway.Handle(r, "group.create", IDGroupCreate, func(ctx context.Context, ss *session.Session, q *pb.GroupCreateReq) (*pb.GroupCreateResp, error) {
		c, err := s.CreateGroup(ctx, ss.UserID(), q.Name, int(q.MaxMembers), q.Open)
		if err != nil {
			return nil, err
		}
		return &pb.GroupCreateResp{Group: c}, nil
	})
	for _, g := range []struct {
		name string
		id   uint16
		act  GroupAction
	}{
		{"group.join", IDGroupJoin, GroupJoin},
		{"group.leave", IDGroupLeave, GroupLeave},
		{"group.kick", IDGroupKick, GroupKick},
		{"group.disband", IDGroupDisband, GroupDisband},
		{"group.invite", IDGroupInvite, GroupInvite},
	} {
		gateway.Handle(r, g.name, g.id, func(ctx context.Context, ss *session.Session, q *pb.GroupReq) (*pb.GroupResp, error) {
			return &pb.GroupResp{}, s.Group(ctx, ss.UserID(), g.act, q.ConversationId, q.UserId)
		})
	}
	gateway.Handle(r, "group.mute", IDGroupMute, func(ctx context.Context, ss *session.Session, q *pb.GroupMuteReq) (*pb.GroupResp, error) {
		return &pb.GroupResp{}, s.Mute(ctx, ss.UserID(), q.ConversationId, q.UserId, time.Duration(q.Seconds)*time.Second)
	})
	gateway.Handle(r, "group.role", IDGroupRole, func(ctx context.Context, ss *session.Session, q *pb.GroupRoleReq) (*pb.GroupResp, error) {
		return &pb.GroupResp{}, s.SetRole(ctx, ss.UserID(), q.ConversationId, q.UserId, q.Role)
	})
	gateway.Handle(r, "group.members", IDGroupMembers, func(ctx context.Context, ss *session.Session, q *pb.GroupReq) (*pb.GroupMembersResp, error) {
		return s.Members(ctx, ss.UserID(), q.ConversationId)
	}, gateway.Concurrent())
	for _, f := range []struct {
		name string
		id   uint16
		act  FriendAction
	}{
		{"friend.request", IDFriendRequest, FriendRequest},
		{"friend.accept", IDFriendAccept, FriendAccept},
		{"friend.decline", IDFriendDecline, FriendDecline},
		{"friend.remove", IDFriendRemove, FriendRemove},
		{"friend.block", IDFriendBlock, FriendBlock},
		{"friend.unblock", IDFriendUnblock, FriendUnblock},
	} {
		gateway.Handle(r, f.name, f.id, func(ctx context.Context, ss *session.Session, q *pb.FriendReq) (*pb.FriendResp, error) {
			st, err := s.Friend(ctx, ss.UserID(), f.act, q.UserId)
			if err != nil {
				return nil, err
			}
			return &pb.FriendResp{State: st}, nil
		})
	}
	gateway.Handle(r, "friend.list", IDFriendList, func(ctx context.Context, ss *session.Session, _ *pb.FriendListReq) (*pb.FriendListResp, error) {
		return s.Friends(ctx, ss.UserID())
	}, gateway.Concurrent())
	r.PushRoute(RouteMsg, IDMsg)
	r.PushRoute(RouteRead, IDReadPush)
	r.PushRoute(RouteFriend, IDFriendEvent)
}
