package ddz

import (
	"errors"
	"time"
)

// Config holds the table settings of spec §11 and the chat limits.
type Config struct {
	// BidTimeout, FollowTimeout and LeadTimeout are the turn timers of spec
	// §11.1 (bid or grab, play when following, play when leading).
	BidTimeout    time.Duration `yaml:"bid_timeout"`
	FollowTimeout time.Duration `yaml:"follow_timeout"`
	LeadTimeout   time.Duration `yaml:"lead_timeout"`
	// AutoPlayDelay is how long the server waits before acting for a seat
	// in auto-play (spec §11.3.1).
	AutoPlayDelay time.Duration `yaml:"autoplay_delay"`
	// AutoPlayAfter is the number of consecutive timeouts that switch a
	// seat to auto-play (spec §11.3).
	AutoPlayAfter int `yaml:"autoplay_after"`
	// BotDelay is the think time of bot seats.
	BotDelay time.Duration `yaml:"bot_delay"`
	// BotLevel is "easy" or "normal".
	BotLevel string `yaml:"bot_level"`
	// Grace is how long a table restored after a restart waits for its
	// players before it is cancelled.
	Grace time.Duration `yaml:"grace"`
	// StoreGrace is how long a table whose log cannot be written (the
	// database does not answer) stays paused, retrying the write, before
	// it is cancelled.
	StoreGrace time.Duration `yaml:"store_grace"`
	// MaxRedeals cancels a hand after this many all-pass deals in a row
	// (spec §3.3.2), so a table of idle players cannot deal forever.
	MaxRedeals int `yaml:"max_redeals"`
	// ChatBurst messages per ChatWindow per seat; ChatMaxRunes per text.
	ChatBurst    int           `yaml:"chat_burst"`
	ChatWindow   time.Duration `yaml:"chat_window"`
	ChatMaxRunes int           `yaml:"chat_max_runes"`
	// Phrases are the quick chat phrases, indexed from 1 on the wire.
	Phrases []string `yaml:"phrases"`
	// BannedWords are replaced by asterisks in chat text (case-insensitive).
	BannedWords []string `yaml:"banned_words"`
	// Rating is the Elo K-factor for the 2-vs-1 rating rule.
	RatingK int `yaml:"rating_k"`
}

// DefaultConfig returns the spec defaults: 15 s / 20 s / 30 s, auto-play
// after 2 timeouts with a 1 s delay, 5 minutes of grace, 30 s of
// grace for a database outage.
func DefaultConfig() Config {
	return Config{
		BidTimeout:    15 * time.Second,
		FollowTimeout: 20 * time.Second,
		LeadTimeout:   30 * time.Second,
		AutoPlayDelay: time.Second,
		AutoPlayAfter: 2,
		BotDelay:      time.Second,
		BotLevel:      "normal",
		Grace:         5 * time.Minute,
		StoreGrace:    30 * time.Second,
		MaxRedeals:    3,
		ChatBurst:     3,
		ChatWindow:    5 * time.Second,
		ChatMaxRunes:  60,
		Phrases: []string{
			"Hello!", "Hurry up, please.", "Nice play!", "Well played.",
			"Oops.", "Partner, help!", "Good game.", "Again?",
		},
		BannedWords: []string{"fuck", "shit", "bitch", "cunt"},
		RatingK:     32,
	}
}

// Validate rejects nonsense.
func (c Config) Validate() error {
	var errs []error
	if c.BidTimeout <= 0 || c.FollowTimeout <= 0 || c.LeadTimeout <= 0 {
		errs = append(errs, errors.New("ddz: turn timers must be positive"))
	}
	if c.AutoPlayDelay < 0 || c.BotDelay < 0 {
		errs = append(errs, errors.New("ddz: delays must not be negative"))
	}
	if c.AutoPlayAfter < 1 {
		errs = append(errs, errors.New("ddz: autoplay_after must be at least 1"))
	}
	if c.BotLevel != "easy" && c.BotLevel != "normal" {
		errs = append(errs, errors.New(`ddz: bot_level must be "easy" or "normal"`))
	}
	if c.Grace <= 0 {
		errs = append(errs, errors.New("ddz: grace must be positive"))
	}
	if c.StoreGrace <= 0 {
		errs = append(errs, errors.New("ddz: store_grace must be positive"))
	}
	if c.MaxRedeals < 0 {
		errs = append(errs, errors.New("ddz: max_redeals must not be negative"))
	}
	if c.ChatBurst < 1 || c.ChatWindow <= 0 || c.ChatMaxRunes < 1 {
		errs = append(errs, errors.New("ddz: chat limits must be positive"))
	}
	if c.RatingK < 0 {
		errs = append(errs, errors.New("ddz: rating_k must not be negative"))
	}
	return errors.Join(errs...)
}
