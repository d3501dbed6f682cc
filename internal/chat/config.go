// Package chat is the messaging layer above store.Chat: sending with
// client-id idempotency, sync after a seq, history, the inbox, read
// markers and receipts, recall and delete, groups, friends and blocks,
// the world conversation with bounded retention, the table conversations
// of Dou Dizhu, and the fan-out of pushes to the members online on any
// gateway of the cluster. docs/protocol-chat.md is the client's guide.
package chat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lordgame/lordgame/internal/store"
)

// Rate is a sliding-window limit: at most Burst messages in any Window.
type Rate struct {
	Burst  int           `yaml:"burst"`
	Window time.Duration `yaml:"window"`
}

// String renders the rate as N/DURATION, the form ParseRate reads.
func (r Rate) String() string { return strconv.Itoa(r.Burst) + "/" + r.Window.String() }

// ParseRate reads N/DURATION ("1/2s": one message per two seconds).
func ParseRate(s string) (Rate, error) {
	n, d, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/DURATION, e.g. 1/2s", s)
	}
	b, err := strconv.Atoi(n)
	if err != nil || b < 1 || b > 1_000_000 {
		return Rate{}, fmt.Errorf("rate %q: N must be a whole number from 1 to 1000000", s)
	}
	w, err := time.ParseDuration(d)
	if err != nil || w <= 0 || w > 24*time.Hour {
		return Rate{}, fmt.Errorf("rate %q: DURATION must be positive and at most 24h", s)
	}
	return Rate{Burst: b, Window: w}, nil
}

// Config holds the chat limits and retention.
type Config struct {
	// MaxRunes bounds a text message, in characters.
	MaxRunes int `yaml:"max_runes"`
	// RecallWindow is how long a sender may recall a message.
	RecallWindow time.Duration `yaml:"recall_window"`
	// WorldKeep and WorldAge bound the retention of the world
	// conversation: its newest WorldKeep messages no older than WorldAge.
	// TableKeep and TableAge do the same for each table conversation.
	WorldKeep int           `yaml:"world_keep"`
	WorldAge  time.Duration `yaml:"world_age"`
	TableKeep int           `yaml:"table_keep"`
	TableAge  time.Duration `yaml:"table_age"`
	// PruneEvery is how often retention is applied.
	PruneEvery time.Duration `yaml:"prune_every"`
	// GroupSize is the default and largest group size; MaxGroups the
	// groups one user may be in; MaxFriends the friends one user may have.
	GroupSize  int `yaml:"group_size"`
	MaxGroups  int `yaml:"max_groups"`
	MaxFriends int `yaml:"max_friends"`
	// Rates limit each user's sends per conversation kind.
	Rates map[string]Rate `yaml:"rates"`
	// Phrases are the quick phrases and emotes, numbered from 1 on the
	// wire. The server sets them to the Dou Dizhu table's phrases
	// (ddz.phrases), so a phrase means the same everywhere.
	Phrases []string `yaml:"-"`
	// WordsFile is the word list of the filter (one word a line, # starts
	// a comment); empty: no filter. It is reloaded when it changes and on
	// SIGHUP.
	WordsFile string `yaml:"words_file"`
	// PresenceGrace is how long a user who went offline may take to come
	// back before friends are told: a reconnect, a resume or a login on
	// another device within it is no change for them. 0 tells at once.
	PresenceGrace time.Duration `yaml:"presence_grace"`
	// QueueLen and MaxBatch size the store's write batcher.
	QueueLen int `yaml:"queue_len"`
	MaxBatch int `yaml:"max_batch"`
}

// DefaultPhrases are the quick phrases of a service built alone (tests).
var DefaultPhrases = []string{
	"Hello!", "Hurry up, please.", "Nice play!", "Well played.",
	"Oops.", "Partner, help!", "Good game.", "Again?",
}

// DefaultConfig is the configuration the server starts with.
func DefaultConfig() Config {
	return Config{
		MaxRunes:     500,
		RecallWindow: 2 * time.Minute,
		WorldKeep:    1000,
		WorldAge:     24 * time.Hour,
		TableKeep:    200,
		TableAge:     24 * time.Hour,
		PruneEvery:   time.Minute,
		GroupSize:    500,
		MaxGroups:    50,
		MaxFriends:   200,
		Rates: map[string]Rate{
			store.ConvWorld:   {Burst: 1, Window: 2 * time.Second},
			store.ConvTable:   {Burst: 3, Window: 5 * time.Second},
			store.ConvPrivate: {Burst: 10, Window: 5 * time.Second},
			store.ConvGroup:   {Burst: 10, Window: 5 * time.Second},
		},
		PresenceGrace: 2 * time.Second,
		Phrases:       append([]string(nil), DefaultPhrases...),
		QueueLen:      4096,
		MaxBatch:      256,
	}
}

// Validate reports every setting out of range.
func (c Config) Validate() error {
	var errs []error
	if c.MaxRunes < 1 || c.MaxRunes > 10000 {
		errs = append(errs, errors.New("chat: max_runes must be 1-10000"))
	}
	if c.RecallWindow < 0 {
		errs = append(errs, errors.New("chat: recall_window must not be negative"))
	}
	if c.WorldKeep < 0 || c.TableKeep < 0 || c.WorldAge < 0 || c.TableAge < 0 {
		errs = append(errs, errors.New("chat: retention bounds must not be negative"))
	}
	if c.PruneEvery <= 0 {
		errs = append(errs, errors.New("chat: prune_every must be positive"))
	}
	if c.GroupSize < 2 || c.MaxGroups < 1 || c.MaxFriends < 1 {
		errs = append(errs, errors.New("chat: group_size must be at least 2, max_groups and max_friends at least 1"))
	}
	for _, k := range []string{store.ConvWorld, store.ConvTable, store.ConvPrivate, store.ConvGroup} {
		if r, ok := c.Rates[k]; !ok || r.Burst < 1 || r.Window <= 0 {
			errs = append(errs, fmt.Errorf("chat: rate of %s conversations must be positive", k))
		}
	}
	if c.PresenceGrace < 0 || c.PresenceGrace > time.Hour {
		errs = append(errs, errors.New("chat: presence_grace must be 0 to 1h"))
	}
	if c.QueueLen < 1 || c.MaxBatch < 1 {
		errs = append(errs, errors.New("chat: queue_len and max_batch must be positive"))
	}
	return errors.Join(errs...)
}
