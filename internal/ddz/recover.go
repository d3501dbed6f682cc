package ddz

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/lordgame/lordgame/internal/match"
	"github.com/lordgame/lordgame/internal/status"
	"github.com/lordgame/lordgame/internal/store"
	"github.com/lordgame/lordgame/proto/gen/pb"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
)

// Recover handles the games a previous process left running (in a
// cluster, only those no live node owns: Directory.Adopt): a game whose
// log ends with its end is settled (at most once: SettleGame is
// idempotent); a game in progress is rebuilt from its log and waits, paused,
// for its players (Config.Grace); a log that cannot be replayed is
// cancelled with no coins moved. Call it once before serving, with Run
// already running (settlements go through its writer).
func (s *Service) Recover(ctx context.Context) (resumed, settledN, cancelled int, err error) {
	games, err := s.st.UnfinishedGames(ctx)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("ddz: recover: %w", err)
	}
	for _, rec := range games {
		if s.dir != nil {
			mine, err := s.dir.Adopt(ctx, rec.ID)
			if err != nil {
				return resumed, settledN, cancelled, fmt.Errorf("ddz: recover: adopt %d: %w", rec.ID, err)
			}
			if !mine {
				continue // a live node runs it
			}
		}
		t, err := s.restore(ctx, rec)
		switch {
		case err != nil:
			s.log.Warn("unfinished game cancelled", "room_id", rec.ID, "err", err)
			if cerr := s.st.CancelGame(ctx, rec.ID); cerr != nil {
				return resumed, settledN, cancelled, fmt.Errorf("ddz: recover: cancel %d: %w", rec.ID, cerr)
			}
			cancelled++
		case t.g.Phase() == ddz.PhaseOver:
			res, _ := t.g.Result()
			if _, err := s.settle(ctx, t.id, t.mode, t.users, res); err != nil {
				return resumed, settledN, cancelled, fmt.Errorf("ddz: recover: settle %d: %w", rec.ID, err)
			}
			settledN++
		default:
			if !s.seat(ctx, t) {
				_ = s.st.CancelGame(ctx, rec.ID)
				cancelled++
				continue
			}
			s.start(ctx, t)
			resumed++
		}
	}
	if len(games) > 0 {
		s.log.Info("unfinished games recovered", "resumed", resumed, "settled", settledN, "cancelled", cancelled)
	}
	return resumed, settledN, cancelled, nil
}

// restore rebuilds a table from its stored log.
func (s *Service) restore(ctx context.Context, rec store.GameRecord) (*table, error) {
	evs, err := s.st.Events(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	log, err := decodeLog(evs)
	if err != nil {
		return nil, err
	}
	g, opts, err := replay(rec.Seed, log)
	if err != nil {
		return nil, err
	}
	mode, ok := s.modes[opts.Mode]
	if !ok {
		mode = match.Mode{Name: opts.Mode, Stake: opts.Stake}
	}
	mode.Stake = opts.Stake // the stake the game started with
	t := s.newTable(rec.ID, rec.Seed, mode)
	t.opts, t.g, t.restored, t.seq = opts.Rules, g, true, uint64(len(log))
	if len(rec.Players) != 3 {
		return nil, errors.New("not three players")
	}
	for _, p := range rec.Players {
		t.users[p.Seat] = p.UserID
		if p.UserID <= 0 {
			t.bots[p.Seat] = s.newBot()
			t.names[p.Seat] = fmt.Sprintf("Bot %d", p.Seat+1)
		}
	}
	for i, rc := range log {
		switch {
		case rc.Event != nil:
			t.seqs = append(t.seqs, uint64(i+1))
		case rc.Kind == kindAutoplay:
			t.auto[rc.Seat] = rc.Value == 1
		}
	}
	return t, nil
}

// GameRecord returns a finished or cancelled game to one of its players.
func (s *Service) GameRecord(ctx context.Context, userID int64, gameID string) (*pb.DdzGameRecord, error) {
	id, err := strconv.ParseInt(gameID, 10, 64)
	if err != nil {
		return nil, status.New(status.NotFound, "no such game")
	}
	rec, err := s.st.Game(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, status.New(status.NotFound, "no such game")
	}
	if err != nil {
		return nil, err
	}
	out := &pb.DdzGameRecord{GameId: gameID, Mode: rec.Mode, State: rec.State, Seed: strconv.FormatUint(uint64(rec.Seed), 10),
		CreatedAtMs: rec.CreatedAt.UnixMilli()}
	if !rec.EndedAt.IsZero() {
		out.EndedAtMs = rec.EndedAt.UnixMilli()
	}
	member := false
	users := [3]int64{}
	for _, p := range rec.Players {
		out.Players = append(out.Players, formatID(max(p.UserID, 0)))
		if p.Seat >= 0 && p.Seat < 3 {
			users[p.Seat] = p.UserID
		}
		member = member || p.UserID == userID
	}
	if !member {
		return nil, status.New(status.NotFound, "no such game")
	}
	if rec.State == store.GameRunning {
		return nil, ErrGameRunning
	}
	evs, err := s.st.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	log, err := decodeLog(evs)
	if err != nil {
		return nil, err
	}
	for i, rc := range log {
		if rc.Kind == kindOptions {
			out.OptionsJson = string(mustJSON(rc.Options.Rules))
			continue
		}
		out.Events = append(out.Events, rc.wire(gameID, uint64(i+1)))
	}
	if rec.State == store.GameFinished && rec.Settlement != nil {
		out.Result = recordResult(gameID, rec.Seed, log, rec.Settlement)
	}
	return out, nil
}

// recordResult is the stored settlement in wire form, with the hand's
// breakdown recomputed from the log.
func recordResult(gameID string, seed int64, log []record, sm *store.Settlement) *pb.DdzResult {
	var coins, rating [3]int64
	for _, sr := range sm.Seats {
		if sr.Seat >= 0 && sr.Seat < 3 {
			coins[sr.Seat], rating[sr.Seat] = sr.Applied, sr.Rating
		}
	}
	g, _, err := replay(seed, log)
	if err != nil {
		return &pb.DdzResult{GameId: gameID, Landlord: int32(sm.LandlordSeat), Multiplier: uint32(sm.Multiplier), Coins: coins[:], Rating: rating[:]}
	}
	res, _ := g.Result()
	return wireResult(gameID, res, coins, rating)
}
