package ddz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

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
		out, err := s.recoverOne(ctx, rec, false)
		if err != nil {
			return resumed, settledN, cancelled, err
		}
		switch out {
		case recResumed:
			resumed++
		case recSettled:
			settledN++
		case recCancelled:
			cancelled++
		}
	}
	if len(games) > 0 {
		s.log.Info("unfinished games recovered", "resumed", resumed, "settled", settledN, "cancelled", cancelled)
	}
	return resumed, settledN, cancelled, nil
}

type recovered int

const (
	recSkipped recovered = iota // another node has it
	recResumed
	recSettled
	recCancelled
)

// recoverOne takes one unfinished game over: adopted (in a cluster) and
// fenced, then settled, resumed or cancelled. takeover is true when the
// game's owner died while this node runs: players who are still connected
// play on at once.
func (s *Service) recoverOne(ctx context.Context, rec store.GameRecord, takeover bool) (recovered, error) {
	var epoch int64
	if s.dir != nil {
		mine, err := s.dir.Adopt(ctx, rec.ID)
		if err != nil {
			return recSkipped, fmt.Errorf("ddz: recover: adopt %d: %w", rec.ID, err)
		}
		if !mine {
			return recSkipped, nil // a live node runs it
		}
		epoch, err = s.st.TakeGame(ctx, rec.ID)
		switch {
		case errors.Is(err, store.ErrGameClosed), errors.Is(err, store.ErrNotFound):
			s.dir.Release(ctx, rec.ID, nil)
			return recSkipped, nil
		case err != nil:
			return recSkipped, fmt.Errorf("ddz: recover: fence %d: %w", rec.ID, err)
		}
	}
	t, err := s.restore(ctx, rec)
	switch {
	case err != nil:
		s.log.Warn("unfinished game cancelled", "room_id", rec.ID, "err", err)
		if cerr := s.st.CancelGameFenced(ctx, rec.ID, epoch); cerr != nil {
			return recSkipped, fmt.Errorf("ddz: recover: cancel %d: %w", rec.ID, cerr)
		}
		s.releaseRecord(ctx, rec)
		return recCancelled, nil
	case t.g.Phase() == ddz.PhaseOver:
		res, _ := t.g.Result()
		if _, err := s.settle(ctx, t.id, epoch, t.mode, t.users, res); err != nil {
			return recSkipped, fmt.Errorf("ddz: recover: settle %d: %w", rec.ID, err)
		}
		s.releaseRecord(ctx, rec)
		return recSettled, nil
	}
	t.epoch, t.takeover = epoch, takeover
	if !s.seat(ctx, t) {
		_ = s.st.CancelGameFenced(ctx, rec.ID, epoch)
		s.releaseRecord(ctx, rec)
		return recCancelled, nil
	}
	if takeover && s.dir != nil {
		for st, u := range t.users {
			t.online[st] = u > 0 && s.dir.Online(ctx, u)
		}
		t.log.Info("table taken over", "epoch", epoch)
	}
	s.start(ctx, t)
	return recResumed, nil
}

// releaseRecord frees the cluster records of a game that is over.
func (s *Service) releaseRecord(ctx context.Context, rec store.GameRecord) {
	if s.dir == nil {
		return
	}
	users := make([]int64, 0, len(rec.Players))
	for _, p := range rec.Players {
		users = append(users, p.UserID)
	}
	s.dir.Release(ctx, rec.ID, users)
}

// RunTakeover adopts, until ctx ends, the tables of game nodes that died:
// every interval, and at once when wake fires (a node left the cluster).
// Each orphan is fenced, rebuilt from its log and played on here.
func (s *Service) RunTakeover(ctx context.Context, interval time.Duration, wake <-chan struct{}) error {
	if s.dir == nil {
		return nil
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-wake:
		}
		ids, err := s.dir.Orphans(ctx)
		if err != nil {
			continue // the bus is down: the next tick tries again
		}
		for _, id := range ids {
			rec, err := s.st.Game(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				s.dir.Release(ctx, id, nil)
				continue
			}
			if err != nil {
				break
			}
			if rec.State != store.GameRunning {
				s.releaseRecord(ctx, rec)
				continue
			}
			if _, err := s.recoverOne(ctx, rec, true); err != nil {
				s.log.Warn("take over table", "room_id", id, "err", err)
			}
		}
	}
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
			t.names[p.Seat] = seatName("", p.Seat, true)
		}
	}
	for i, rc := range log {
		switch {
		case rc.Event != nil:
			t.seqs = append(t.seqs, uint64(i+1))
			t.by = append(t.by, rc.By)
		case rc.Kind == kindAutoplay:
			t.auto[rc.Seat] = rc.Value == 1
			if rc.Reason == reasonLeft {
				t.left[rc.Seat] = true
			}
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
			// Seq 1: the table's options, which every log starts with.
			out.OptionsJson = string(mustJSON(rc.Options.Rules))
			out.Events = append(out.Events, &pb.DdzEvent{GameId: gameID, Seq: uint64(i + 1), Kind: kindOptions, Turn: -1})
			continue
		}
		out.Events = append(out.Events, rc.wire(gameID, uint64(i+1)))
	}
	if rec.State == store.GameFinished && rec.Settlement != nil {
		out.Result = recordResult(gameID, rec.Seed, log, rec.Settlement)
	}
	if out.Deals, err = dealsOf(rec.Seed, log); err != nil {
		return nil, err
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
	out := wireResult(gameID, res, coins, rating)
	if !res.Cancelled {
		out.Hands = handsOf(g)
	}
	return out
}
