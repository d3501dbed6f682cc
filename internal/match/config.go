package match

import (
	"errors"
	"fmt"
	"time"
)

// Mode is one game mode with its own queue.
type Mode struct {
	// Name is what clients send in match.join, e.g. "classic".
	Name string `yaml:"name"`
	// Stake is the base stake in coins per point; 0 plays for no coins.
	Stake int64 `yaml:"stake"`
	// MinBalance is the coin balance a player needs to join.
	MinBalance int64 `yaml:"min_balance"`
	// BotWait is how long the oldest ticket waits before bots fill its
	// table; 0 disables bots. Ignored when Practice is set.
	BotWait time.Duration `yaml:"bot_wait"`
	// Practice seats every player with two bots at once; no coins or
	// rating move.
	Practice bool `yaml:"practice"`
	// Window is the rating difference allowed at once; it grows by
	// WindowPerSecond for every second the oldest ticket has waited.
	Window          int64 `yaml:"window"`
	WindowPerSecond int64 `yaml:"window_per_second"`
	// House rules of the mode's tables (docs/rules.md), all off by
	// default: doubling (加倍) after the auction, show-hand (明牌) for ×2,
	// and the card counter (记牌器).
	Doubling    bool `yaml:"doubling"`
	ShowHand    bool `yaml:"show_hand"`
	CardCounter bool `yaml:"card_counter"`
}

// Config is the matchmaker's configuration.
type Config struct {
	Modes []Mode `yaml:"modes"`
	// Tick is how often queues are scanned for tables.
	Tick time.Duration `yaml:"tick"`
	// StatusEvery is how often a waiting player is told their position and
	// estimated wait (only when one of them changed).
	StatusEvery time.Duration `yaml:"status_every"`
}

// DefaultConfig has a classic mode (base stake 1, minimum balance 20, bots
// after 10 s) and a practice mode.
func DefaultConfig() Config {
	return Config{
		Modes: []Mode{
			{Name: "classic", Stake: 1, MinBalance: 20, BotWait: 10 * time.Second, Window: 100, WindowPerSecond: 50},
			{Name: "practice", Practice: true, Window: 100, WindowPerSecond: 50},
		},
		Tick:        200 * time.Millisecond,
		StatusEvery: time.Second,
	}
}

// Validate rejects nonsense.
func (c Config) Validate() error {
	var errs []error
	if len(c.Modes) == 0 {
		errs = append(errs, errors.New("match: no modes"))
	}
	seen := map[string]bool{}
	for _, m := range c.Modes {
		switch {
		case m.Name == "":
			errs = append(errs, errors.New("match: a mode without a name"))
		case seen[m.Name]:
			errs = append(errs, fmt.Errorf("match: mode %q twice", m.Name))
		}
		seen[m.Name] = true
		if m.Stake < 0 || m.MinBalance < 0 || m.BotWait < 0 || m.Window < 0 || m.WindowPerSecond < 0 {
			errs = append(errs, fmt.Errorf("match: mode %q: negative setting", m.Name))
		}
	}
	if c.Tick <= 0 || c.StatusEvery <= 0 {
		errs = append(errs, errors.New("match: tick and status_every must be positive"))
	}
	return errors.Join(errs...)
}

// Mode returns the mode called name.
func (c Config) Mode(name string) (Mode, bool) {
	for _, m := range c.Modes {
		if m.Name == name {
			return m, true
		}
	}
	return Mode{}, false
}
