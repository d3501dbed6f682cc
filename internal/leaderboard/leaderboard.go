package leaderboard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Board names a ranking: what is ranked.
type Board string

const (
	// Rating ranks by the player's rating after their latest settled game in the period.
	Rating Board = "rating"
	// Coins ranks by the sum of coins won (or lost) in settled games in the period.
	Coins Board = "coins"
)

// Period names the window a ranking covers.
type Period string

const (
	AllTime Period = "all"
	Weekly  Period = "week"
	Daily   Period = "day"
)

// ErrUnknownBoard is returned for a board or period name that is not one of the constants.
var ErrUnknownBoard = errors.New("leaderboard: unknown board or period")

// ParseBoard checks board and period names from the wire.
func ParseBoard(board, period string) (Board, Period, error) {
	b, p := Board(board), Period(period)
	if b != Rating && b != Coins {
		return "", "", fmt.Errorf("%w: board %q", ErrUnknownBoard, board)
	}
	if p != AllTime && p != Weekly && p != Daily {
		return "", "", fmt.Errorf("%w: period %q", ErrUnknownBoard, period)
	}
	return b, p, nil
}

// Result is one player's outcome of a settled game.
type Result struct {
	Player string
	Rating int64 // rating after the game
	Coins  int64 // coins won (negative when lost)
}

// Entry is one row of a ranking. Rank starts at 1.
type Entry struct {
	Rank   int
	Player string
	Score  int64
}

// Store keeps the rankings. Implementations: Memory (one node) and Redis (shared by a cluster).
type Store interface {
	// Record applies the results of one settled game at time at.
	Record(ctx context.Context, at time.Time, results []Result) error
	// Top returns the first n entries of a ranking for the period containing at.
	Top(ctx context.Context, b Board, p Period, at time.Time, n int) ([]Entry, error)
	// Around returns the player's entry with up to radius entries above and below it;
	// empty when the player is not ranked.
	Around(ctx context.Context, b Board, p Period, at time.Time, player string, radius int) ([]Entry, error)
}

// Clock turns a time into period keys in a fixed time zone, so that weekly and daily rankings
// reset at local midnight (weeks start on Monday, ISO 8601).
type Clock struct {
	Loc *time.Location
}

// NewClock loads the named zone ("Asia/Shanghai" when empty).
func NewClock(zone string) (Clock, error) {
	if zone == "" {
		zone = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Clock{}, fmt.Errorf("leaderboard: time zone: %w", err)
	}
	return Clock{Loc: loc}, nil
}

// Key names the ranking of board b for the period containing at, e.g. "coins:day:2026-12-02".
func (c Clock) Key(b Board, p Period, at time.Time) string {
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	t := at.In(loc)
	switch p {
	case Weekly:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%s:week:%04d-W%02d", b, y, w)
	case Daily:
		return fmt.Sprintf("%s:day:%s", b, t.Format("2006-01-02"))
	default:
		return fmt.Sprintf("%s:all", b)
	}
}

// periods lists every period a result counts toward.
var periods = []Period{AllTime, Weekly, Daily}
