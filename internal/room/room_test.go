package room_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// countdown is a tiny game: players add to a counter, each seat in turn,
// and a seat that does not act within the turn time loses its turn.
type countdown struct {
	turn     int
	total    int
	timeouts int
	online   [2]bool
	log      []string
}

var _ room.Game = (*countdown)(nil)

func (c *countdown) Start(r *room.Room) { r.SetTimer(10 * time.Second) }

func (c *countdown) Handle(r *room.Room, seat int, msg any) (any, error) {
	n, ok := msg.(int)
	if !ok {
		return nil, errors.New("countdown: want an int")
	}
	if seat != c.turn {
		return nil, errors.New("countdown: not your turn")
	}
	c.total += n
	c.turn = 1 - c.turn
	r.Broadcast("count", func(int) proto.Message { return &pb.Echo{Text: fmt.Sprint(c.total)} })
	if c.total >= 10 {
		r.Close()
		return c.total, nil
	}
	r.SetTimer(10 * time.Second)
	return c.total, nil
}

func (c *countdown) Timeout(r *room.Room) {
	c.timeouts++
	c.turn = 1 - c.turn
	r.SetTimer(10 * time.Second)
}

func (c *countdown) Presence(_ *room.Room, seat int, online bool) {
	c.online[seat] = online
	c.log = append(c.log, fmt.Sprintf("seat %d online=%v", seat, online))
}

type pushes struct {
	mu  sync.Mutex
	got []string
}

func (p *pushes) PushUser(uid int64, route string, msg proto.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, fmt.Sprintf("%d %s %s", uid, route, msg.(*pb.Echo).Text))
	return nil
}

func TestRoomTurnsAndPushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &countdown{}
		p := &pushes{}
		r := room.New(1, []int64{11, 0}, g, p)
		errc := make(chan error, 1)
		go func() { errc <- r.Run(t.Context()) }()

		if _, err := r.Do(t.Context(), 1, 3); err == nil {
			t.Fatal("seat 1 acted out of turn without an error")
		}
		if v, err := r.Do(t.Context(), 0, 4); err != nil || v != 4 {
			t.Fatalf("Do = %v, %v; want 4, nil", v, err)
		}
		if _, err := r.Do(t.Context(), 5, 1); !errors.Is(err, room.ErrNoSeat) {
			t.Fatalf("Do on seat 5: %v, want ErrNoSeat", err)
		}
		v, err := r.Do(t.Context(), 1, 6)
		if err != nil || v != 10 {
			t.Fatalf("Do = %v, %v; want 10, nil", v, err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("Run = %v after Close, want nil", err)
		}
		if _, err := r.Do(t.Context(), 0, 1); !errors.Is(err, room.ErrClosed) {
			t.Fatalf("Do after close: %v, want ErrClosed", err)
		}
		// Seat 1 is a bot (user 0): only user 11 gets pushes.
		want := []string{"11 count 4", "11 count 10"}
		if fmt.Sprint(p.got) != fmt.Sprint(want) {
			t.Errorf("pushes = %q, want %q", p.got, want)
		}
	})
}

func TestRoomTimerFiresInRoomGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &countdown{}
		r := room.New(2, []int64{1, 2}, g, &pushes{})
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- r.Run(ctx) }()

		time.Sleep(25 * time.Second) // two turn timers expire
		synctest.Wait()
		got, _ := r.Do(ctx, 0, 0) // after two timeouts it is seat 0's turn again
		if got != 0 {
			t.Fatalf("Do = %v, want 0", got)
		}
		var timeouts int
		_ = r.Post(func() { timeouts = g.timeouts })
		synctest.Wait()
		if timeouts != 2 {
			t.Errorf("timeouts = %d, want 2", timeouts)
		}
		if err := r.Presence(2, false); err != nil {
			t.Fatal(err)
		}
		if err := r.Presence(99, false); !errors.Is(err, room.ErrNoSeat) {
			t.Errorf("Presence of a stranger = %v, want ErrNoSeat", err)
		}
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
		if len(g.log) != 1 || g.log[0] != "seat 1 online=false" {
			t.Errorf("presence log = %q", g.log)
		}
	})
}

func TestRoomInboxFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := room.New(3, []int64{1, 2}, &countdown{}, nil)
		block := make(chan struct{})
		// Not running yet: the inbox fills up and then refuses.
		for range room.InboxSize {
			if err := r.Post(func() { <-block }); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Post(func() {}); !errors.Is(err, room.ErrBusy) {
			t.Fatalf("Post on a full inbox = %v, want ErrBusy", err)
		}
		close(block)
	})
}

// Example shows a room driving a game: the room goroutine owns the game,
// players reach it with Do, and pushes go out by user id.
func Example() {
	g := &countdown{}
	r := room.New(42, []int64{1001, 1002}, g, printer{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }() // stopped by Close below, or by cancel

	_, _ = r.Do(ctx, 0, 5)
	_, err := r.Do(ctx, 0, 5)
	fmt.Println("second move by seat 0:", err)
	total, _ := r.Do(ctx, 1, 5)
	fmt.Println("total:", total)
	<-r.Done()
	// Output:
	// push to 1001 on count: 5
	// push to 1002 on count: 5
	// second move by seat 0: countdown: not your turn
	// push to 1001 on count: 10
	// push to 1002 on count: 10
	// total: 10
}

type printer struct{}

func (printer) PushUser(uid int64, route string, msg proto.Message) error {
	fmt.Printf("push to %d on %s: %s\n", uid, route, msg.(*pb.Echo).Text)
	return nil
}

// multiPushes records PushUser and PushUsers calls apart.
type multiPushes struct {
	got  []string
	fail bool
}

func (p *multiPushes) PushUser(uid int64, route string, msg proto.Message) error {
	p.got = append(p.got, fmt.Sprintf("one %d %s", uid, msg.(*pb.Echo).Text))
	if p.fail {
		return errors.New("offline")
	}
	return nil
}

func (p *multiPushes) PushUsers(uids []int64, route string, msg proto.Message) error {
	p.got = append(p.got, fmt.Sprintf("many %v %s", uids, msg.(*pb.Echo).Text))
	if p.fail {
		return errors.New("offline")
	}
	return nil
}

func TestBroadcastGroupsSharedMessages(t *testing.T) {
	shared, own := &pb.Echo{Text: "all"}, &pb.Echo{Text: "own"}
	equal := &pb.Echo{Text: "all"} // equal content, another message: its own push
	for _, tc := range []struct {
		name  string
		multi bool
		fail  bool
		msg   func(seat int) proto.Message
		want  []string
		errs  int
	}{
		{"one message", true, false, func(int) proto.Message { return shared }, []string{"many [11 12 13] all"}, 0},
		{"one seat its own", true, false, func(s int) proto.Message {
			if s == 1 {
				return own
			}
			return shared
		}, []string{"many [11 13] all", "one 12 own"}, 0},
		{"one seat nothing", true, false, func(s int) proto.Message {
			if s == 0 {
				return nil
			}
			return shared
		}, []string{"many [12 13] all"}, 0},
		{"equal is not the same", true, false, func(s int) proto.Message {
			if s == 3 {
				return equal
			}
			return shared
		}, []string{"many [11 12] all", "one 13 all"}, 0},
		{"errors counted per push", true, true, func(s int) proto.Message {
			if s == 1 {
				return own
			}
			return shared
		}, []string{"many [11 13] all", "one 12 own"}, 2},
		{"plain pusher: one push a seat", false, true, func(int) proto.Message { return shared }, []string{"one 11 all", "one 12 all", "one 13 all"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &multiPushes{fail: tc.fail}
			var push room.Pusher = p
			if !tc.multi {
				push = onlyPusher{p}
			}
			// Seat 2 is a bot: never pushed, never asked.
			r := room.New(1, []int64{11, 12, 0, 13}, &countdown{}, push)
			r.Broadcast("count", func(s int) proto.Message {
				if s == 2 {
					t.Errorf("msg asked for the bot's seat")
				}
				return tc.msg(s)
			})
			if !slices.Equal(p.got, tc.want) {
				t.Errorf("pushes %q, want %q", p.got, tc.want)
			}
			if r.PushErrors() != tc.errs {
				t.Errorf("PushErrors = %d, want %d", r.PushErrors(), tc.errs)
			}
		})
	}
}

// onlyPusher hides PushUsers.
type onlyPusher struct{ p *multiPushes }

func (o onlyPusher) PushUser(uid int64, route string, msg proto.Message) error {
	return o.p.PushUser(uid, route, msg)
}
