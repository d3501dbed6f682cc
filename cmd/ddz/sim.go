package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	ddz "github.com/lordgame/lordgame/internal/games/doudizhu"
	"github.com/lordgame/lordgame/internal/games/doudizhu/bot"
)

// simConfig holds the flags of ddz sim.
type simConfig struct {
	games   int
	seed    uint64
	bots    [3]bot.Level
	rotate  bool
	bidding ddz.BidMode
}

func parseSim(args []string) (simConfig, error) {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	games := fs.Int("games", 1000, "number of hands to play")
	seed := fs.Uint64("seed", 1, "seed of the first hand; hand i uses (seed, i)")
	bots := fs.String("bots", "normal,easy,easy", "bot level of seats 0, 1 and 2")
	rotate := fs.Bool("rotate", false, "rotate the bots one seat per hand")
	bidding := fs.String("bidding", "score", "bidding mode: score or grab")
	if err := fs.Parse(args); err != nil {
		return simConfig{}, fmt.Errorf("%w: sim: %v", errUsage, err)
	}
	cfg := simConfig{games: *games, seed: *seed, rotate: *rotate}
	if cfg.games < 1 {
		return cfg, fmt.Errorf("%w: sim: -games must be positive", errUsage)
	}
	levels := strings.Split(*bots, ",")
	if len(levels) != 3 {
		return cfg, fmt.Errorf("%w: sim: -bots needs three levels", errUsage)
	}
	for i, l := range levels {
		if _, err := bot.New(bot.Level(l)); err != nil {
			return cfg, fmt.Errorf("%w: sim: %v", errUsage, err)
		}
		cfg.bots[i] = bot.Level(l)
	}
	if err := cfg.bidding.UnmarshalText([]byte(*bidding)); err != nil {
		return cfg, fmt.Errorf("%w: sim: %v", errUsage, err)
	}
	return cfg, nil
}

// rate is a win count with its 95 % Wilson score interval.
type rate struct {
	Games int        `json:"games"`
	Wins  int        `json:"wins"`
	Rate  float64    `json:"rate"`
	CI95  [2]float64 `json:"ci95"`
}

func (r *rate) add(won bool) {
	r.Games++
	if won {
		r.Wins++
	}
}

func (r *rate) finish() {
	if r.Games == 0 {
		return
	}
	const z = 1.96
	n := float64(r.Games)
	p := float64(r.Wins) / n
	d := 1 + z*z/n
	c := (p + z*z/(2*n)) / d
	h := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n)) / d
	r.Rate, r.CI95 = round(p), [2]float64{round(c - h), round(c + h)}
}

func round(x float64) float64 { return math.Round(x*10000) / 10000 }

type seatStats struct {
	Wins     rate `json:"wins"`
	Landlord int  `json:"landlord"`
	Score    int  `json:"score"`
}

type levelStats struct {
	All      rate `json:"all"`
	Landlord rate `json:"landlord"`
	Farmer   rate `json:"farmer"`
	Score    int  `json:"score"`
}

type simReport struct {
	Games          int                    `json:"games"`
	Seed           uint64                 `json:"seed"`
	Bots           [3]bot.Level           `json:"bots"`
	Rotate         bool                   `json:"rotate"`
	Bidding        ddz.BidMode            `json:"bidding"`
	Deals          int                    `json:"deals"`
	Cancelled      int                    `json:"cancelled"`
	LandlordWins   rate                   `json:"landlord_wins"`
	Seats          [3]seatStats           `json:"seats"`
	Levels         map[string]*levelStats `json:"levels"`
	AvgMultiplier  float64                `json:"avg_multiplier"`
	AvgBombs       float64                `json:"avg_bombs"`
	Springs        int                    `json:"springs"`
	AntiSprings    int                    `json:"anti_springs"`
	Seconds        float64                `json:"seconds"`
	GamesPerSecond float64                `json:"games_per_sec"`
	// CPUSeconds is the CPU time of the process during the run; on a busy
	// machine GamesPerCPUSecond is the fairer throughput.
	CPUSeconds        float64 `json:"cpu_seconds,omitempty"`
	GamesPerCPUSecond float64 `json:"games_per_cpu_sec,omitempty"`
}

func sim(args []string, out io.Writer) error {
	cfg, err := parseSim(args)
	if err != nil {
		return err
	}
	rep := simulate(cfg)
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// record counts one hand into the report; it reports whether the hand
// was settled rather than cancelled.
func (rep *simReport) record(r ddz.Result, levels [3]bot.Level) bool {
	if r.Cancelled {
		rep.Cancelled++
		return false
	}
	if r.Spring {
		rep.Springs++
	}
	if r.AntiSpring {
		rep.AntiSprings++
	}
	rep.LandlordWins.add(r.LandlordWon)
	for s := range 3 {
		won := r.Scores[s] > 0
		st := &rep.Seats[s]
		st.Wins.add(won)
		st.Score += r.Scores[s]
		lv := rep.Levels[string(levels[s])]
		lv.All.add(won)
		lv.Score += r.Scores[s]
		if s == r.Landlord {
			st.Landlord++
			lv.Landlord.add(won)
		} else {
			lv.Farmer.add(won)
		}
	}
	return true
}

// gameSeed derives the seed of hand i from the base seed.
func gameSeed(base uint64, i int) ddz.Seed {
	s := ddz.SeedFromUint64(base)
	binary.LittleEndian.PutUint64(s[8:], uint64(i))
	return s
}

func simulate(cfg simConfig) simReport {
	rep := simReport{Games: cfg.games, Seed: cfg.seed, Bots: cfg.bots, Rotate: cfg.rotate,
		Bidding: cfg.bidding, Levels: map[string]*levelStats{}}
	players := map[bot.Level]bot.Player{}
	for _, l := range cfg.bots {
		if players[l] == nil {
			players[l], _ = bot.New(l) // a Player serves one seat at a time
		}
		if rep.Levels[string(l)] == nil {
			rep.Levels[string(l)] = &levelStats{}
		}
	}
	opts := ddz.DefaultOptions()
	opts.Bidding = cfg.bidding
	mult, bombs, settled := 0, 0, 0
	start, cpuStart := time.Now(), cpuTime()
	for i := range cfg.games {
		var levels [3]bot.Level
		var seats [3]bot.Player
		for s := range 3 {
			k := s
			if cfg.rotate {
				k = (s + i) % 3
			}
			levels[s], seats[s] = cfg.bots[k], players[cfg.bots[k]]
		}
		g, err := ddz.New(opts, gameSeed(cfg.seed, i))
		if err != nil {
			panic(err) // the options are built above and valid
		}
		if err := bot.Run(g, seats); err != nil {
			panic(fmt.Sprintf("game %d: illegal bot move: %v", i, err)) // a bug in bot
		}
		r, _ := g.Result()
		rep.Deals += g.View(0).Deal
		if rep.record(r, levels) {
			settled++
			mult += r.Multiplier
			bombs += r.Bombs
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.GamesPerSecond = math.Round(float64(cfg.games) / rep.Seconds)
	if cpu := (cpuTime() - cpuStart).Seconds(); cpu > 0 {
		rep.CPUSeconds = round(cpu)
		rep.GamesPerCPUSecond = math.Round(float64(cfg.games) / cpu)
	}
	if settled > 0 {
		rep.AvgMultiplier = round(float64(mult) / float64(settled))
		rep.AvgBombs = round(float64(bombs) / float64(settled))
	}
	rep.LandlordWins.finish()
	for s := range rep.Seats {
		rep.Seats[s].Wins.finish()
	}
	for _, lv := range rep.Levels {
		lv.All.finish()
		lv.Landlord.finish()
		lv.Farmer.finish()
	}
	rep.Seconds = round(rep.Seconds)
	return rep
}
