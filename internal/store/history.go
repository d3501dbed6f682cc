package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// MaxHistoryPage is the most games one History call returns.
const MaxHistoryPage = 100

// History returns the finished and cancelled games userID played, newest
// first (by game id, which grows with time), starting below the game id
// before (0: from the newest), at most limit of them, each with its
// players and, once finished, its settlement. Running games are left out.
func (db *DB) History(ctx context.Context, userID, before int64, limit int) ([]GameRecord, error) {
	if limit <= 0 || limit > MaxHistoryPage {
		return nil, fmt.Errorf("store: history: limit %d out of 1..%d", limit, MaxHistoryPage)
	}
	q := `SELECT g.id, g.mode, g.seed, g.state, g.created_at, g.ended_at, g.result
		FROM game_players p JOIN games g ON g.id = p.game_id
		WHERE p.user_id = ? AND g.state <> ?`
	args := []any{userID, GameRunning}
	if before > 0 {
		q += " AND p.game_id < ?"
		args = append(args, before)
	}
	q += " ORDER BY p.game_id DESC LIMIT ?"
	args = append(args, limit)
	rs, err := db.b.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	var out []GameRecord
	for rs.Next() {
		var g GameRecord
		var cre, end int64
		var result string
		if err := rs.Scan(&g.ID, &g.Mode, &g.Seed, &g.State, &cre, &end, &result); err != nil {
			rs.Close()
			return nil, fmt.Errorf("store: history: %w", err)
		}
		g.CreatedAt, g.EndedAt = fromMS(cre), fromMS(end)
		if result != "" {
			g.Settlement = new(Settlement)
			if err := json.Unmarshal([]byte(result), g.Settlement); err != nil {
				rs.Close()
				return nil, fmt.Errorf("store: game %d result: %w", g.ID, err)
			}
		}
		out = append(out, g)
	}
	err = rs.Err()
	rs.Close()
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	for i := range out {
		players, err := gamePlayers(ctx, db.b, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("store: history players: %w", err)
		}
		for seat := range 3 {
			if uid, ok := players[seat]; ok {
				out[i].Players = append(out[i].Players, Player{Seat: seat, UserID: uid})
			}
		}
	}
	return out, nil
}
