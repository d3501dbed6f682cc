package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Game states.
const (
	GameRunning   = "running"
	GameFinished  = "finished"
	GameCancelled = "cancelled"
)

// Player is one seat of a game. UserID 0 (or negative) is a bot: it has no
// wallet and no stats.
type Player struct {
	Seat   int
	UserID int64
}

// NewGame describes a game to record.
type NewGame struct {
	ID      int64
	Mode    string
	Seed    int64
	Players []Player
	// Epoch is the owner epoch the game starts with (0: unfenced).
	Epoch int64
}

// Event is one entry of a game's log.
type Event struct {
	GameID    int64
	Seq       int64
	Kind      string
	Payload   json.RawMessage
	CreatedAt time.Time
	// Epoch, when not 0, fences the write: it must be the game's owner
	// epoch (FenceGame), or the write fails with ErrFenced.
	Epoch int64 `json:"-"`
}

// ErrFenced means the game's owner epoch is newer than the writer's: another
// node has taken the game over.
var ErrFenced = errors.New("store: the game belongs to a newer owner")

// SeatResult is what one seat gets from a settlement.
type SeatResult struct {
	Seat int
	Win  bool
	// Coins is the requested change of the seat's balance. A loss larger
	// than the balance is capped at the balance (balances never go
	// negative); Applied says what really moved.
	Coins   int64
	Applied int64
	// Rating is added to the seat's rating.
	Rating int64
	// BalanceAfter and RatingAfter are filled in by SettleGame.
	BalanceAfter int64
	RatingAfter  int64
}

// Settlement is the outcome of a finished game.
type Settlement struct {
	GameID       int64
	LandlordSeat int
	Multiplier   int64
	Spring       bool
	Seats        []SeatResult
	// Detail is free-form JSON kept with the game (final hands, bids...).
	Detail json.RawMessage `json:",omitempty"`
	// Replayed is true when the game had already been settled and this is
	// the first result, returned again.
	Replayed bool `json:"-"`
	// Plan, when set, computes Seats inside the settlement transaction from
	// the balances and ratings read there (wallet rows locked on
	// PostgreSQL), so stakes and caps never rest on values read before
	// the transaction. It may be called more than once if the
	// transaction is retried; it must be a pure function of its input.
	Plan func(PlanInput) []SeatResult `json:"-"`
}

// PlanInput is what Settlement.Plan sees, per seat: the user (<= 0 for a
// bot), the coin balance and the rating as of inside the transaction.
type PlanInput struct {
	Users   [3]int64
	Balance [3]int64
	Rating  [3]int64
}

// GameRecord is a stored game.
type GameRecord struct {
	ID         int64
	Mode       string
	Seed       int64
	State      string
	Players    []Player
	CreatedAt  time.Time
	EndedAt    time.Time
	Settlement *Settlement // set once finished
}

// Stats are one user's game statistics.
type Stats struct {
	UserID         int64
	Rating         int64
	Games          int64
	Wins           int64
	LandlordGames  int64
	LandlordWins   int64
	FarmerGames    int64
	FarmerWins     int64
	Springs        int64
	BestMultiplier int64
}

// Games stores game records, their event logs and settlements.
type Games interface {
	CreateGame(ctx context.Context, g NewGame) error
	AppendEvent(ctx context.Context, e Event) error
	Events(ctx context.Context, gameID int64) ([]Event, error)
	UnfinishedGames(ctx context.Context) ([]GameRecord, error)
	CancelGame(ctx context.Context, gameID int64) error
	SettleGame(ctx context.Context, s Settlement) (Settlement, error)
	Game(ctx context.Context, gameID int64) (GameRecord, error)
	Stats(ctx context.Context, userID int64) (Stats, error)
}

var _ Games = (*DB)(nil)

// DefaultRating is the rating of a user who has not played.
const DefaultRating = 1500

// CreateGame records a new running game with its seats.
func (db *DB) CreateGame(ctx context.Context, g NewGame) error {
	now := db.now()
	err := db.b.tx(ctx, func(q querier) error {
		if _, err := q.exec(ctx, "INSERT INTO games (id, mode, seed, created_at, owner_epoch) VALUES (?, ?, ?, ?, ?)", g.ID, g.Mode, g.Seed, ms(now), g.Epoch); err != nil {
			return err
		}
		for _, p := range g.Players {
			if _, err := q.exec(ctx, "INSERT INTO game_players (game_id, seat, user_id) VALUES (?, ?, ?)", g.ID, p.Seat, p.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if isUnique(err) {
			return ErrConflict
		}
		return fmt.Errorf("store: create game: %w", err)
	}
	return nil
}

// AppendEvent appends to a game's log. A taken (game, seq) is ErrConflict,
// an unknown game ErrNotFound.
func (db *DB) AppendEvent(ctx context.Context, e Event) error {
	payload := string(e.Payload)
	if payload == "" {
		payload = "null"
	}
	n, err := db.b.exec(ctx, `INSERT INTO game_events (game_id, seq, kind, payload, created_at)
		SELECT id, CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT) FROM games WHERE id = ?`, e.Seq, e.Kind, payload, ms(db.now()), e.GameID)
	if err != nil {
		if isUnique(err) {
			return ErrConflict
		}
		return fmt.Errorf("store: append event: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Events returns a game's log in sequence order.
func (db *DB) Events(ctx context.Context, gameID int64) ([]Event, error) {
	rs, err := db.b.query(ctx, "SELECT game_id, seq, kind, payload, created_at FROM game_events WHERE game_id = ? ORDER BY seq", gameID)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rs.Close()
	var out []Event
	for rs.Next() {
		var e Event
		var payload string
		var at int64
		if err := rs.Scan(&e.GameID, &e.Seq, &e.Kind, &payload, &at); err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		e.Payload, e.CreatedAt = json.RawMessage(payload), fromMS(at)
		out = append(out, e)
	}
	return out, rs.Err()
}

// UnfinishedGames returns every running game (to restore after a crash),
// oldest first.
func (db *DB) UnfinishedGames(ctx context.Context) ([]GameRecord, error) {
	rs, err := db.b.query(ctx, "SELECT id FROM games WHERE state = ? ORDER BY id", GameRunning)
	if err != nil {
		return nil, fmt.Errorf("store: unfinished games: %w", err)
	}
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return nil, fmt.Errorf("store: unfinished games: %w", err)
		}
		ids = append(ids, id)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: unfinished games: %w", err)
	}
	out := make([]GameRecord, 0, len(ids))
	for _, id := range ids {
		g, err := db.Game(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// TakeGame raises the owner epoch of a running game and returns the new
// one: from now on, writes fenced with an older epoch fail with ErrFenced.
// A node calls it when it takes the game over. It fails with ErrGameClosed
// when the game is not running and ErrNotFound when there is no such game.
func (db *DB) TakeGame(ctx context.Context, gameID int64) (int64, error) {
	var epoch int64
	taken := false
	err := db.b.tx(ctx, func(q querier) error {
		n, err := q.exec(ctx, "UPDATE games SET owner_epoch = owner_epoch + 1 WHERE id = ? AND state = ?", gameID, GameRunning)
		if err != nil || n == 0 {
			return err
		}
		taken = true
		return q.queryRow(ctx, "SELECT owner_epoch FROM games WHERE id = ?", gameID).Scan(&epoch)
	})
	if err != nil {
		return 0, fmt.Errorf("store: take game: %w", err)
	}
	if taken {
		return epoch, nil
	}
	if _, err := db.Game(ctx, gameID); err != nil {
		return 0, err
	}
	return 0, ErrGameClosed
}

// CancelGameFenced is CancelGame for the owner of epoch: ErrFenced when a
// newer owner has the game.
func (db *DB) CancelGameFenced(ctx context.Context, gameID, epoch int64) error {
	if epoch == 0 {
		return db.CancelGame(ctx, gameID)
	}
	n, err := db.b.exec(ctx, "UPDATE games SET state = ?, ended_at = ? WHERE id = ? AND state = ? AND owner_epoch = ?", GameCancelled, ms(db.now()), gameID, GameRunning, epoch)
	if err != nil {
		return fmt.Errorf("store: cancel game: %w", err)
	}
	if n == 1 {
		return nil
	}
	g, err := db.Game(ctx, gameID)
	switch {
	case err != nil:
		return err
	case g.State == GameCancelled:
		return nil
	case g.State != GameRunning:
		return ErrGameClosed
	}
	return ErrFenced
}

// CancelGame ends a running game without moving coins. Cancelling a
// cancelled game is a no-op; a finished game is ErrGameClosed.
func (db *DB) CancelGame(ctx context.Context, gameID int64) error {
	n, err := db.b.exec(ctx, "UPDATE games SET state = ?, ended_at = ? WHERE id = ? AND state = ?", GameCancelled, ms(db.now()), gameID, GameRunning)
	if err != nil {
		return fmt.Errorf("store: cancel game: %w", err)
	}
	if n == 1 {
		return nil
	}
	g, err := db.Game(ctx, gameID)
	if err != nil {
		return err
	}
	if g.State == GameCancelled {
		return nil
	}
	return ErrGameClosed
}

// SettleGame finishes a game in one transaction: it marks the game
// finished, applies one ledger entry per seat (key "game:<id>:seat:<n>"),
// and updates each player's stats and rating. Settling a settled game
// changes nothing and returns the first result with Replayed set; a
// cancelled game is ErrGameClosed. Seats with UserID <= 0 (bots) keep no
// stats; their coins go to or come from the house (HouseBalance), which
// may go below zero.
func (db *DB) SettleGame(ctx context.Context, s Settlement) (Settlement, error) {
	now := db.now()
	var out Settlement
	err := db.b.tx(ctx, func(q querier) error {
		// The conditional UPDATE locks the game row: of two concurrent
		// settlements exactly one proceeds.
		n, err := q.exec(ctx, "UPDATE games SET state = ?, ended_at = ? WHERE id = ? AND state = ?", GameFinished, ms(now), s.GameID, GameRunning)
		if err != nil {
			return err
		}
		if n == 0 {
			return errNotRunning
		}
		players, err := gamePlayers(ctx, q, s.GameID)
		if err != nil {
			return err
		}
		// planInput locks the players' wallets in user order; the house
		// row is locked after them, so concurrent settlements always
		// take their locks in the same order.
		in, err := db.planInput(ctx, q, players)
		if err != nil {
			return err
		}
		if s.Plan != nil {
			s.Seats = s.Plan(in)
		}
		out, err = db.settleTx(ctx, q, s, players, now)
		if err != nil {
			return err
		}
		detail, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, "UPDATE games SET result = ? WHERE id = ?", string(detail), s.GameID)
		return err
	})
	if errors.Is(err, errNotRunning) {
		g, err := db.Game(ctx, s.GameID)
		if err != nil {
			return Settlement{}, err
		}
		if g.Settlement == nil {
			return Settlement{}, ErrGameClosed
		}
		first := *g.Settlement
		first.Replayed = true
		return first, nil
	}
	if err != nil {
		return Settlement{}, fmt.Errorf("store: settle game %d: %w", s.GameID, err)
	}
	return out, nil
}

var errNotRunning = errors.New("store: game not running")

// planInput reads, inside the settlement transaction, the balance and
// rating of each human seat. On PostgreSQL the wallet rows are locked in
// user order (FOR UPDATE), so no concurrent debit can change a balance
// between this read and the ledger entries; SQLite runs one writing
// transaction at a time.
func (db *DB) planInput(ctx context.Context, q querier, players map[int]int64) (PlanInput, error) {
	var in PlanInput
	for st := range 3 {
		in.Users[st] = players[st]
		in.Rating[st] = DefaultRating
	}
	seats := []int{0, 1, 2}
	sort.Slice(seats, func(i, j int) bool { return in.Users[seats[i]] < in.Users[seats[j]] })
	lock := ""
	if db.b.dialect() == "postgres" {
		lock = " FOR UPDATE"
	}
	for _, st := range seats {
		uid := in.Users[st]
		if uid <= 0 {
			continue
		}
		err := q.queryRow(ctx, "SELECT balance FROM wallets WHERE user_id = ?"+lock, uid).Scan(&in.Balance[st])
		if err != nil && !isNoRows(err) {
			return PlanInput{}, fmt.Errorf("seat %d balance: %w", st, err)
		}
		err = q.queryRow(ctx, "SELECT rating FROM user_stats WHERE user_id = ?", uid).Scan(&in.Rating[st])
		if err != nil && !isNoRows(err) {
			return PlanInput{}, fmt.Errorf("seat %d rating: %w", st, err)
		}
		if isNoRows(err) {
			in.Rating[st] = DefaultRating
		}
	}
	return in, nil
}

func (db *DB) settleTx(ctx context.Context, q querier, s Settlement, players map[int]int64, now time.Time) (Settlement, error) {
	out := s
	out.Seats = make([]SeatResult, len(s.Seats))
	for i, r := range s.Seats {
		uid, ok := players[r.Seat]
		if !ok {
			return Settlement{}, fmt.Errorf("seat %d is not in the game", r.Seat)
		}
		if uid > 0 {
			applied := r.Coins
			if applied < 0 {
				bal, err := db.balanceIn(ctx, q, uid)
				if err != nil {
					return Settlement{}, fmt.Errorf("seat %d: %w", r.Seat, err)
				}
				applied = max(applied, -bal)
			}
			e := Entry{UserID: uid, Delta: applied, Key: fmt.Sprintf("game:%d:seat:%d", s.GameID, r.Seat), Reason: "game settlement"}
			le, err := db.applyTx(ctx, q, e, now)
			if err != nil {
				return Settlement{}, fmt.Errorf("seat %d: %w", r.Seat, err)
			}
			r.Applied, r.BalanceAfter = applied, le.BalanceAfter
			r.RatingAfter, err = updateStats(ctx, q, uid, r, s)
			if err != nil {
				return Settlement{}, fmt.Errorf("seat %d: %w", r.Seat, err)
			}
		} else if r.Coins != 0 {
			// A bot seat plays for the house, which has no cap.
			if _, err := db.applyHouseTx(ctx, q, s.GameID, r.Seat, r.Coins, now); err != nil {
				return Settlement{}, fmt.Errorf("seat %d: %w", r.Seat, err)
			}
			r.Applied = r.Coins
		}
		out.Seats[i] = r
	}
	return out, nil
}

// updateStats adds one game to a player's stats and returns the new rating.
func updateStats(ctx context.Context, q querier, uid int64, r SeatResult, s Settlement) (int64, error) {
	if _, err := q.exec(ctx, "INSERT INTO user_stats (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING", uid); err != nil {
		return 0, err
	}
	landlord := r.Seat == s.LandlordSeat
	win := boolInt(r.Win)
	spring := boolInt(r.Win && s.Spring)
	best := int64(0)
	if r.Win {
		best = s.Multiplier
	}
	var rating int64
	err := q.queryRow(ctx, `UPDATE user_stats SET
			rating = rating + ?,
			games = games + 1,
			wins = wins + ?,
			landlord_games = landlord_games + ?,
			landlord_wins = landlord_wins + ?,
			farmer_games = farmer_games + ?,
			farmer_wins = farmer_wins + ?,
			springs = springs + ?,
			best_multiplier = CASE WHEN best_multiplier < ? THEN ? ELSE best_multiplier END
		WHERE user_id = ? RETURNING rating`,
		r.Rating, win, boolInt(landlord), boolInt(landlord)*win, boolInt(!landlord), boolInt(!landlord)*win, spring, best, best, uid).Scan(&rating)
	return rating, err
}

func gamePlayers(ctx context.Context, q querier, gameID int64) (map[int]int64, error) {
	rs, err := q.query(ctx, "SELECT seat, user_id FROM game_players WHERE game_id = ?", gameID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[int]int64{}
	for rs.Next() {
		var seat, uid int64
		if err := rs.Scan(&seat, &uid); err != nil {
			return nil, err
		}
		out[int(seat)] = uid
	}
	return out, rs.Err()
}

// Game returns a game with its players and, once finished, its settlement.
func (db *DB) Game(ctx context.Context, gameID int64) (GameRecord, error) {
	var g GameRecord
	var cre, end int64
	var result string
	err := db.b.queryRow(ctx, "SELECT id, mode, seed, state, created_at, ended_at, result FROM games WHERE id = ?", gameID).
		Scan(&g.ID, &g.Mode, &g.Seed, &g.State, &cre, &end, &result)
	if isNoRows(err) {
		return GameRecord{}, ErrNotFound
	}
	if err != nil {
		return GameRecord{}, fmt.Errorf("store: game: %w", err)
	}
	g.CreatedAt, g.EndedAt = fromMS(cre), fromMS(end)
	if result != "" {
		g.Settlement = new(Settlement)
		if err := json.Unmarshal([]byte(result), g.Settlement); err != nil {
			return GameRecord{}, fmt.Errorf("store: game %d result: %w", gameID, err)
		}
	}
	players, err := gamePlayers(ctx, db.b, gameID)
	if err != nil {
		return GameRecord{}, fmt.Errorf("store: game players: %w", err)
	}
	for seat, uid := range players {
		g.Players = append(g.Players, Player{Seat: seat, UserID: uid})
	}
	slices.SortFunc(g.Players, func(a, b Player) int { return a.Seat - b.Seat })
	return g, nil
}

// Stats returns a user's game statistics (zeros and the default rating for
// a user who has not played).
func (db *DB) Stats(ctx context.Context, userID int64) (Stats, error) {
	st := Stats{UserID: userID, Rating: DefaultRating}
	err := db.b.queryRow(ctx, `SELECT rating, games, wins, landlord_games, landlord_wins, farmer_games, farmer_wins, springs, best_multiplier
		FROM user_stats WHERE user_id = ?`, userID).
		Scan(&st.Rating, &st.Games, &st.Wins, &st.LandlordGames, &st.LandlordWins, &st.FarmerGames, &st.FarmerWins, &st.Springs, &st.BestMultiplier)
	if err != nil && !isNoRows(err) {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	return st, nil
}
