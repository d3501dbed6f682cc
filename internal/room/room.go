package room

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/proto"
)

// Game is the logic a Room drives. Every method runs on the room goroutine,
// one at a time, so a Game keeps its state in plain fields.
type Game interface {
	// Start runs once, first, when the room starts.
	Start(r *Room)
	// Handle applies one message from the player in seat and returns the
	// reply for the caller of Do.
	Handle(r *Room, seat int, msg any) (any, error)
	// Timeout runs when the timer armed with SetTimer fires.
	Timeout(r *Room)
	// Presence tells the game that seat's player connected or left.
	Presence(r *Room, seat int, online bool)
}

// Pusher delivers a message to a user's connection, wherever it is. The
// gateway satisfies it. A user who is not connected is not an error the
// room cares about: Push errors are counted, not returned to the game.
type Pusher interface {
	PushUser(userID int64, route string, msg proto.Message) error
}

// MultiPusher is a Pusher that can send one message to several users at
// once: encoded once, and in a cluster one message per gateway instead of
// one per user. Broadcast uses it for the seats that get the same message.
// Its error means that some of the users could not be reached.
type MultiPusher interface {
	Pusher
	PushUsers(userIDs []int64, route string, msg proto.Message) error
}

// ContextPusher is a Pusher that takes the context a push belongs to (a
// request's, so that the push is part of its trace). The gateway's mesh
// satisfies it; a Room uses it while SetContext holds a context.
type ContextPusher interface {
	PushUserContext(ctx context.Context, userID int64, route string, msg proto.Message) error
	PushUsersContext(ctx context.Context, userIDs []int64, route string, msg proto.Message) error
}

// Errors returned by Do.
var (
	ErrClosed  = errors.New("room: closed")
	ErrBusy    = errors.New("room: inbox full")
	ErrNoSeat  = errors.New("room: no such seat")
	ErrStopped = errors.New("room: stopped")
)

// InboxSize bounds the room's inbox: a room that falls this far behind
// refuses new messages (ErrBusy) rather than letting callers pile up.
const InboxSize = 64

// Room is one authoritative game room.
type Room struct {
	id     int64
	seats  []int64 // user id per seat; 0 or negative for a bot
	game   Game
	push   Pusher
	inbox  chan func()
	done   chan struct{}
	closed bool // set on the room goroutine by Close

	timer    *time.Timer
	deadline time.Time
	pushErrs int
	ctx      context.Context // of the pushes, set by SetContext (nil: none)
}

// New returns a room for game with one user id per seat (0 or negative
// for seats without a connection, such as bots). Start it with Run.
func New(id int64, seats []int64, g Game, p Pusher) *Room {
	return &Room{
		id:    id,
		seats: append([]int64(nil), seats...),
		game:  g,
		push:  p,
		inbox: make(chan func(), InboxSize),
		done:  make(chan struct{}),
	}
}

// ID is the room id given to New.
func (r *Room) ID() int64 { return r.id }

// Seats returns the user id of every seat.
func (r *Room) Seats() []int64 { return append([]int64(nil), r.seats...) }

// Seat returns the seat of userID, or -1.
func (r *Room) Seat(userID int64) int {
	if userID <= 0 {
		return -1
	}
	for s, u := range r.seats {
		if u == userID {
			return s
		}
	}
	return -1
}

// Done is closed once Run has returned.
func (r *Room) Done() <-chan struct{} { return r.done }

// Run owns the room: it starts the game, then serves the inbox and the
// timer until the game calls Close or ctx ends. It returns nil after Close
// and the context's cause otherwise.
func (r *Room) Run(ctx context.Context) error {
	defer close(r.done)
	r.timer = time.NewTimer(time.Hour)
	r.timer.Stop()
	defer r.timer.Stop()
	r.game.Start(r)
	for !r.closed {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case f := <-r.inbox:
			f()
		case <-r.timer.C:
			r.deadline = time.Time{}
			r.game.Timeout(r)
		}
	}
	return nil
}

// Do hands msg from the player in seat to the game and waits for its
// reply. It fails with ErrClosed once the room has stopped and ErrBusy
// when the inbox is full.
func (r *Room) Do(ctx context.Context, seat int, msg any) (any, error) {
	if seat < 0 || seat >= len(r.seats) {
		return nil, ErrNoSeat
	}
	type reply struct {
		v   any
		err error
	}
	ch := make(chan reply, 1)
	if err := r.post(func() {
		v, err := r.game.Handle(r, seat, msg)
		ch <- reply{v, err}
	}); err != nil {
		return nil, err
	}
	select {
	case rep := <-ch:
		return rep.v, rep.err
	case <-r.done:
		select { // the reply may have been the room's last act
		case rep := <-ch:
			return rep.v, rep.err
		default:
			return nil, ErrClosed
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Post runs f on the room goroutine without waiting. It is how other
// components (a matchmaker, an admin tool) reach into a running room.
func (r *Room) Post(f func()) error { return r.post(f) }

func (r *Room) post(f func()) error {
	select {
	case <-r.done:
		return ErrClosed
	default:
	}
	select {
	case r.inbox <- f:
		return nil
	case <-r.done:
		return ErrClosed
	default:
		return ErrBusy
	}
}

// Presence tells the game, on the room goroutine, that the player of
// userID connected or left. It is a no-op for users not seated here.
func (r *Room) Presence(userID int64, online bool) error {
	seat := r.Seat(userID)
	if seat < 0 {
		return ErrNoSeat
	}
	return r.post(func() { r.game.Presence(r, seat, online) })
}

// The methods below are for the Game: call them only on the room
// goroutine (from Start, Handle, Timeout or Presence).

// SetTimer arms the room's single timer to fire after d, replacing any
// earlier one. Game.Timeout runs when it fires.
func (r *Room) SetTimer(d time.Duration) {
	r.StopTimer()
	r.deadline = time.Now().Add(d)
	r.timer.Reset(d)
}

// StopTimer disarms the timer.
func (r *Room) StopTimer() {
	if !r.timer.Stop() {
		select { // drain a tick that fired but was not yet received
		case <-r.timer.C:
		default:
		}
	}
	r.deadline = time.Time{}
}

// Deadline is when the armed timer fires; zero when none is armed.
func (r *Room) Deadline() time.Time { return r.deadline }

// SetContext makes ctx the context of the game's pushes from now on, for
// a ContextPusher (nil: none). Call it on the room goroutine: a game sets
// the context of the request it serves (its trace) and clears it after.
func (r *Room) SetContext(ctx context.Context) { r.ctx = ctx }

// Push sends msg on route to the player in seat. Seats without a user
// (bots) are skipped.
func (r *Room) Push(seat int, route string, msg proto.Message) {
	if seat < 0 || seat >= len(r.seats) || r.seats[seat] <= 0 || r.push == nil {
		return
	}
	if err := r.pushUser(r.push, r.seats[seat], route, msg); err != nil {
		r.pushErrs++
	}
}

func (r *Room) pushUser(p Pusher, uid int64, route string, msg proto.Message) error {
	if r.ctx != nil {
		if cp, ok := p.(ContextPusher); ok {
			return cp.PushUserContext(r.ctx, uid, route, msg)
		}
	}
	return p.PushUser(uid, route, msg)
}

func (r *Room) pushUsers(p MultiPusher, uids []int64, route string, msg proto.Message) error {
	if r.ctx != nil {
		if cp, ok := p.(ContextPusher); ok {
			return cp.PushUsersContext(r.ctx, uids, route, msg)
		}
	}
	return p.PushUsers(uids, route, msg)
}

// Broadcast sends to every seat the message that msg builds for it, so a
// game can give each seat its own view of one event. Seats for which msg
// returns the same message (the same pointer) get it in one push when the
// Pusher is a MultiPusher.
func (r *Room) Broadcast(route string, msg func(seat int) proto.Message) {
	mp, multi := r.push.(MultiPusher)
	if !multi {
		for s := range r.seats {
			if r.seats[s] > 0 {
				if m := msg(s); m != nil {
					r.Push(s, route, m)
				}
			}
		}
		return
	}
	var (
		msgs [8]proto.Message // per seat; tables have few seats
		per  []proto.Message
	)
	if len(r.seats) <= len(msgs) {
		per = msgs[:len(r.seats)]
	} else {
		per = make([]proto.Message, len(r.seats))
	}
	for s := range r.seats {
		if r.seats[s] > 0 {
			per[s] = msg(s)
		}
	}
	var ids [8]int64
	for s, m := range per {
		if m == nil {
			continue
		}
		group := ids[:0]
		for t := s; t < len(per); t++ {
			if per[t] == m {
				group = append(group, r.seats[t])
				per[t] = nil
			}
		}
		var err error
		if len(group) == 1 {
			err = r.pushUser(mp, group[0], route, m)
		} else {
			err = r.pushUsers(mp, group, route, m)
		}
		if err != nil {
			r.pushErrs++
		}
	}
}

// PushErrors counts pushes that could not be delivered (player offline).
func (r *Room) PushErrors() int { return r.pushErrs }

// Close stops the room after the current call returns. Later Do and Post
// calls fail with ErrClosed.
func (r *Room) Close() {
	r.closed = true
	r.StopTimer()
}
