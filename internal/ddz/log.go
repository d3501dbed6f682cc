package ddz

import (
	"encoding/json"
	"fmt"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"
)

// Kinds of log entries the service writes besides the engine's events.
const (
	kindOptions  = "options"  // first entry: the table options and mode
	kindTimeout  = "timeout"  // the timer ran out for seat; its action follows
	kindAutoplay = "autoplay" // value 1: seat entered auto-play, 0: left it
	kindOnline   = "online"   // value 1: seat's player connected, 0: left
	kindCancel   = "cancel"   // the game was cancelled; nothing moved
	// kindPaused is pushed, never logged: the log cannot be written now.
	kindPaused = "paused"
)

// record is one entry of a game's log: an engine event or one of the
// service's own kinds.
type record struct {
	Kind  string     `json:"kind"`
	Seat  int        `json:"seat"`
	Value int        `json:"value,omitempty"`
	Event *ddz.Event `json:"event,omitempty"`
	// Options is set on the options entry.
	Options *tableOptions `json:"options,omitempty"`
	Reason  string        `json:"reason,omitempty"`
	// By is set on an action the server made for a player's seat:
	// byTimeout (the turn timer ran out) or byAuto (auto-play).
	By string `json:"by,omitempty"`
}

// Who made an action for a player's seat (record.By).
const (
	byTimeout = "timeout"
	byAuto    = "auto"
)

// reasonLeft marks the autoplay entry of a player who left the table
// (ddz.leave): the seat plays on auto-play to the end for its player.
const reasonLeft = "left"

// tableOptions is what a table was created with; replaying needs it.
type tableOptions struct {
	Rules ddz.Options `json:"rules"`
	Mode  string      `json:"mode"`
	Stake int64       `json:"stake"`
	// Seed is the deal seed (also in the game record), so that the log
	// alone replays the game.
	Seed int64 `json:"seed"`
}

func engineRecord(e ddz.Event) record {
	return record{Kind: string(e.Kind), Seat: e.Seat, Value: e.Value, Event: &e}
}

func (rc record) storeEvent(gameID int64, seq uint64) (store.Event, error) {
	b, err := json.Marshal(rc)
	if err != nil {
		return store.Event{}, err
	}
	return store.Event{GameID: gameID, Seq: int64(seq), Kind: rc.Kind, Payload: b}, nil
}

// wire is the record as a ddz.event push, without turn information.
func (rc record) wire(gameID string, seq uint64) *pb.DdzEvent {
	if rc.Event != nil {
		ev := wireEvent(gameID, seq, *rc.Event)
		ev.TimedOut, ev.Auto = rc.By == byTimeout, rc.By == byAuto
		return ev
	}
	return &pb.DdzEvent{GameId: gameID, Seq: seq, Kind: rc.Kind, Seat: int32(rc.Seat), Value: int32(rc.Value)}
}

// decodeLog reads a stored log back into records.
func decodeLog(evs []store.Event) ([]record, error) {
	out := make([]record, 0, len(evs))
	for i, e := range evs {
		var rc record
		if err := json.Unmarshal(e.Payload, &rc); err != nil {
			return nil, fmt.Errorf("log entry %d: %w", i, err)
		}
		if int64(i+1) != e.Seq {
			return nil, fmt.Errorf("log entry %d has seq %d", i, e.Seq)
		}
		out = append(out, rc)
	}
	return out, nil
}

// replay rebuilds the engine game from a decoded log. The first entry must
// be the options.
func replay(seed int64, log []record) (*ddz.Game, tableOptions, error) {
	if len(log) == 0 || log[0].Options == nil {
		return nil, tableOptions{}, fmt.Errorf("log does not start with the options")
	}
	opts := *log[0].Options
	var actions []ddz.Event
	for _, rc := range log {
		if rc.Event != nil && rc.Event.Kind.IsAction() {
			actions = append(actions, *rc.Event)
		}
	}
	g, err := ddz.Replay(opts.Rules, ddz.SeedFromUint64(uint64(seed)), actions)
	return g, opts, err
}
