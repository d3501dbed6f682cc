package ddzclient

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lordgame/lordgame/client"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/session"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// stubTable is a gateway whose ddz.state always answers snap and whose
// action routes report what they were sent.
func stubTable(t *testing.T, snap *pb.DdzSnapshot) (*client.Client, <-chan string) {
	t.Helper()
	acted := make(chan string, 16)
	r := gateway.NewRouter()
	gateway.Handle(r, "ddz.state", 306, func(context.Context, *session.Session, *pb.DdzStateReq) (*pb.DdzSnapshot, error) {
		return snap, nil
	}, gateway.Public())
	gateway.Handle(r, "ddz.bid", 301, func(_ context.Context, _ *session.Session, req *pb.DdzBidReq) (*pb.DdzActionResp, error) {
		acted <- "bid"
		return &pb.DdzActionResp{}, nil
	}, gateway.Public())
	gateway.Handle(r, "ddz.pass", 303, func(context.Context, *session.Session, *pb.DdzPassReq) (*pb.DdzActionResp, error) {
		acted <- "pass"
		return &pb.DdzActionResp{}, nil
	}, gateway.Public())
	for name, id := range map[string]uint16{"ddz.snapshot": 350, "ddz.event": 351, "ddz.result": 352, "match.status": 250} {
		r.PushRoute(name, id)
	}
	gw, err := gateway.New(gateway.DefaultConfig(), r, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(gw)
	t.Cleanup(hs.Close)
	c, err := client.Dial(t.Context(), "ws://"+strings.TrimPrefix(hs.URL, "http://")+"/ws", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, acted
}

// TestPlayActsAfterAnIrrelevantLastPush: the player's turn comes in a
// snapshot followed by a push that changes nothing (a match status, an
// event of another game). Play must still act once the queue is empty:
// nothing more arrives until it does.
// handFaces are the physical cards of the stub tables' hand.
const handFaces = "3S 3H 4C 5D 6S 7H 8C 9D 10S JH QC KD AS AH 2C 2D BJ"

func TestPlayActsAfterAnIrrelevantLastPush(t *testing.T) {
	snap := &pb.DdzSnapshot{
		GameId: "g1", Seat: 0, Phase: "bidding", Deal: 1, Turn: 0, Landlord: -1, Seq: 3,
		Hand:      strings.Fields("3 3 4 5 6 7 8 9 10 J Q K A A 2 2 BJ"),
		HandFaces: strings.Fields(handFaces),
		Seats:     []*pb.DdzSeat{{Seat: 0, Cards: 17}, {Seat: 1, Cards: 17}, {Seat: 2, Cards: 17}},
	}
	for name, trailing := range map[string]push{
		"match status":          {route: "match.status", st: &pb.MatchStatus{}},
		"another game's event":  {route: "ddz.event", ev: &pb.DdzEvent{GameId: "g0", Seq: 9, Turn: 1}},
		"an event already held": {route: "ddz.event", ev: &pb.DdzEvent{GameId: "g1", Seq: 3, Turn: 1, Kind: "bid"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, acted := stubTable(t, snap)
			p := New(c, 0)
			p.pushes <- push{route: "ddz.snapshot", snap: snap}
			p.pushes <- trailing
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { _, err := p.Play(ctx); done <- err }()
			select {
			case a := <-acted:
				if a != "bid" && a != "pass" {
					t.Errorf("acted %q while bidding", a)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("the player never acted on its turn")
			}
			cancel()
			<-done
			if v := p.Violations(); len(v) > 0 {
				t.Errorf("violations: %v", v)
			}
		})
	}
}

// TestPlayEventsBeforeTheSnapshot: an answer to ddz.state can be overtaken
// by the events that happened after it was taken. The player keeps them
// and applies those the snapshot does not hold: here the event that gives
// it the turn arrives first, then the older snapshot.
func TestPlayEventsBeforeTheSnapshot(t *testing.T) {
	hand := strings.Fields("3 3 4 5 6 7 8 9 10 J Q K A A 2 2 BJ")
	faces := strings.Fields(handFaces)
	older := &pb.DdzSnapshot{
		GameId: "g1", Seat: 0, Phase: "bidding", Deal: 1, Turn: 2, Landlord: -1, Seq: 2, Hand: hand, HandFaces: faces,
		Seats: []*pb.DdzSeat{{Seat: 0, Cards: 17}, {Seat: 1, Cards: 17}, {Seat: 2, Cards: 17}},
	}
	newer := &pb.DdzSnapshot{
		GameId: "g1", Seat: 0, Phase: "bidding", Deal: 1, Turn: 0, Landlord: -1, Seq: 3, Hand: hand, HandFaces: faces,
		Seats: older.Seats,
	}
	c, acted := stubTable(t, newer)
	p := New(c, 0)
	p.pushes <- push{route: "ddz.event", ev: &pb.DdzEvent{GameId: "g1", Seq: 3, Kind: "bid", Seat: 2, Value: 0, Turn: 0}}
	p.pushes <- push{route: "ddz.snapshot", snap: older}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := p.Play(ctx); done <- err }()
	select {
	case <-acted:
	case <-time.After(3 * time.Second):
		t.Fatal("the player never acted on the turn the early event gave it")
	}
	cancel()
	<-done
	if v := p.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

// TestPlayResultBeforeTheSnapshot: the hand ends while the player's
// ddz.state is on its way; the result push overtakes the answer. Play
// returns that result once the snapshot names the game.
func TestPlayResultBeforeTheSnapshot(t *testing.T) {
	over := &pb.DdzSnapshot{GameId: "g1", Seat: 0, Phase: "over", Deal: 1, Turn: -1, Landlord: 1, Seq: 40,
		Hand:  strings.Fields("3 4 5 6 7"),
		Seats: []*pb.DdzSeat{{Seat: 0, Cards: 5}, {Seat: 1, Cards: 0}, {Seat: 2, Cards: 3}}}
	c, _ := stubTable(t, over)
	p := New(c, 0)
	p.Stake = 1
	res := &pb.DdzResult{GameId: "g1", Landlord: 1, LandlordWon: true, Winner: 1, BaseStake: 1,
		Scores: []int64{-2, 4, -2}, Coins: []int64{-2, 4, -2}}
	p.pushes <- push{route: "ddz.result", res: res}
	p.pushes <- push{route: "ddz.snapshot", snap: over}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	got, err := p.Play(ctx)
	if err != nil || got != res {
		t.Fatalf("Play = %v, %v; want the result that came first", got, err)
	}
	if v := p.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
