package ddz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/room"
	"github.com/lordgame/lordgame/internal/status"
)

// ErrNoTable means no running table of this node has the id.
var ErrNoTable = status.New(status.NotFound, "no such running table on this node")

// TableInfo is a running table as the admin console shows it.
type TableInfo struct {
	ID    int64     `json:"id,string"`
	Game  string    `json:"game_id"`
	Mode  string    `json:"mode"`
	Users UserIDs   `json:"users"`
	Names [3]string `json:"names"`
	// Phase is "starting" before the room runs, then bidding, playing or
	// over.
	Phase    string `json:"phase"`
	Paused   bool   `json:"paused"`
	Restored bool   `json:"restored"`
	// Stalled: the table's log cannot be written (the database does not
	// answer) and it waits, paused, for the write to land.
	Stalled bool `json:"stalled"`
}

// UserIDs are the user ids of a table's seats (0: a bot). In JSON they are
// strings, like every 64-bit id of the API (a JavaScript number loses
// precision above 2^53); numbers are read too.
type UserIDs [3]int64

// MarshalJSON implements json.Marshaler.
func (u UserIDs) MarshalJSON() ([]byte, error) {
	var s [3]string
	for i, id := range u {
		s[i] = strconv.FormatInt(id, 10)
	}
	return json.Marshal(s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (u *UserIDs) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw) != len(u) {
		return fmt.Errorf("users: %d ids, want %d", len(raw), len(u))
	}
	for i, r := range raw {
		id, err := strconv.ParseInt(strings.Trim(string(r), `"`), 10, 64)
		if err != nil {
			return fmt.Errorf("users: %s is not an id", r)
		}
		u[i] = id
	}
	return nil
}

// LiveTables lists the running tables of this node, oldest id first. The
// phase of each is read on its room goroutine; a room that does not answer
// before ctx ends is listed without it.
func (s *Service) LiveTables(ctx context.Context) []TableInfo {
	var out []TableInfo
	for _, t := range s.liveTables() {
		// The names are set on the room goroutine when it starts: read
		// there, like the phase.
		info := TableInfo{ID: t.id, Game: t.gid, Mode: t.mode.Name, Users: UserIDs(t.users), Phase: "starting"}
		s.mu.Lock()
		r := t.room
		s.mu.Unlock()
		if r != nil {
			got := make(chan TableInfo, 1)
			if err := r.Post(func() {
				in := info
				in.Paused, in.Restored, in.Names, in.Stalled = t.paused, t.restored, t.names, t.stalled()
				if t.g != nil {
					in.Phase = t.g.Phase().String()
				}
				got <- in
			}); err == nil {
				select {
				case info = <-got:
				case <-ctx.Done():
				}
			}
		}
		out = append(out, info)
	}
	return out
}

func (s *Service) liveTables() []*table {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*table]bool{}
	var ts []*table
	for _, t := range s.byUser {
		if !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *table) int {
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	return ts
}

// CancelTable cancels the running table id of this node, as a crash with
// nobody coming back would: the game is recorded cancelled, the players
// hear a cancel event and are free. Coins move only when a hand settles,
// so a cancelled hand leaves every balance as it was before the deal: the
// stakes are refunded by never being taken. It returns once the table is
// closed, or with ctx's error.
func (s *Service) CancelTable(ctx context.Context, id int64) error {
	var t *table
	for _, lt := range s.liveTables() {
		if lt.id == id {
			t = lt
		}
	}
	if t == nil {
		return ErrNoTable
	}
	s.mu.Lock()
	r := t.room
	s.mu.Unlock()
	if r == nil {
		return status.New(status.Unavailable, "table is starting: try again")
	}
	err := r.Post(func() {
		t.log.Info("table cancelled by an admin")
		t.abort(r, "admin")
	})
	if errors.Is(err, room.ErrClosed) {
		return ErrNoTable
	}
	if err != nil {
		return status.Errorf(status.Unavailable, "table busy: %v", err)
	}
	select {
	case <-r.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
		return status.New(status.Unavailable, "table did not close in time")
	}
}
