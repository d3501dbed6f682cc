package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/lordgame/lordgame/internal/chat"
	"github.com/lordgame/lordgame/internal/cluster"
	"github.com/lordgame/lordgame/internal/gateway"
	"github.com/lordgame/lordgame/internal/store"
)

// chatNode is the chat layer of a node: the service on the shared store,
// its routes (chat.*, group.*, friend.*) served on every node, and the
// cluster fan-out of its pushes.
type chatNode struct {
	svc   *chat.Service
	fan   *chat.ClusterFanout
	words *chat.WordFile // nil without -chat-words
	pres  *presenceNode  // set by build once the seat directory exists
}

func newChatNode(s *server, router *gateway.Router, dz *ddzNode, presence *cluster.Presence) (*chatNode, error) {
	fan := chat.NewClusterFanout(s.bus, presence, s.members.Self().ID, s.log.With("service", "chat"))
	cfg := s.cfg.Chat
	// One list of quick phrases: the table's (-config ddz.phrases).
	cfg.Phrases = s.cfg.DDZ.Phrases
	svc, err := chat.New(cfg, dz.db, fan, s.log.With("service", "chat"))
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, svc.Close)
	n := &chatNode{svc: svc, fan: fan}
	if s.cfg.Chat.WordsFile != "" {
		if n.words, err = chat.LoadWordFile(s.cfg.Chat.WordsFile, s.log.With("service", "chat")); err != nil {
			return nil, err
		}
		// Messages, group names and display names are masked alike.
		svc.SetMasker(n.words)
		dz.auth.SetNameMasker(n.words.Mask)
	}
	chat.Register(router, svc)
	dz.svc.SetTableChat(svc)
	// A rename here shows on the user's next message at once.
	dz.auth.OnNameChange(svc.NameChanged)
	return n, nil
}

func (n *chatNode) attach(gw *gateway.Gateway) { n.fan.Attach(gw) }

func (n *chatNode) run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- n.fan.Run(ctx) }() // ends with ctx
	if n.words != nil {
		done := make(chan struct{})
		go func() { n.words.Watch(ctx); close(done) }() // ends with ctx
		defer func() { <-done }()
	}
	if n.pres != nil {
		done := make(chan struct{})
		go func() { _ = n.pres.run(ctx); close(done) }() // ends with ctx
		defer func() { <-done }()
	}
	err := n.svc.Run(ctx)
	if ferr := <-errc; err == nil {
		err = ferr
	}
	return err
}

// rateFlag sets one conversation kind's rate, as N/DURATION.
type rateFlag struct {
	rates *map[string]chat.Rate
	kind  string
}

func (f rateFlag) String() string {
	if f.rates == nil || *f.rates == nil {
		return ""
	}
	return (*f.rates)[f.kind].String()
}

func (f rateFlag) Set(v string) error {
	r, err := chat.ParseRate(v)
	if err != nil {
		return err
	}
	if *f.rates == nil {
		*f.rates = map[string]chat.Rate{}
	}
	(*f.rates)[f.kind] = r
	return nil
}

func bindChat(fs *flag.FlagSet, c *chat.Config) {
	fs.StringVar(&c.WordsFile, "chat-words", c.WordsFile, "chat word filter list, one word a line (reloaded when it changes and on SIGHUP); empty: no filter")
	fs.IntVar(&c.MaxRunes, "chat-max-runes", c.MaxRunes, "longest chat message, in characters")
	fs.DurationVar(&c.RecallWindow, "chat-recall-window", c.RecallWindow, "how long a sender may recall a chat message")
	fs.IntVar(&c.WorldKeep, "chat-world-keep", c.WorldKeep, "world chat messages kept (0: no count bound)")
	fs.DurationVar(&c.WorldAge, "chat-world-age", c.WorldAge, "age after which world chat messages are removed (0: no age bound)")
	fs.IntVar(&c.TableKeep, "chat-table-keep", c.TableKeep, "table chat messages kept per table (0: no count bound)")
	fs.DurationVar(&c.TableAge, "chat-table-age", c.TableAge, "age after which table chat messages are removed (0: no age bound)")
	fs.IntVar(&c.GroupSize, "chat-group-size", c.GroupSize, "default and largest chat group size")
	fs.IntVar(&c.MaxGroups, "chat-max-groups", c.MaxGroups, "chat groups one user may be in")
	fs.IntVar(&c.MaxFriends, "chat-max-friends", c.MaxFriends, "friends one user may have")
	fs.DurationVar(&c.PresenceGrace, "chat-presence-grace", c.PresenceGrace, "how long a user who went offline may take to come back before friends are told (0: at once)")
	for _, k := range []string{store.ConvWorld, store.ConvTable, store.ConvPrivate, store.ConvGroup} {
		fs.Var(rateFlag{&c.Rates, k}, "chat-rate-"+k, "per-user send rate in "+k+" conversations, N/DURATION (e.g. 1/2s)")
	}
}

// chatFlagChecks check the chat flags one by one (-check names the flag).
func chatFlagChecks() []flagCheck {
	checks := []flagCheck{
		{"chat-words", func(c *Config) error {
			if c.Chat.WordsFile == "" {
				return nil
			}
			st, err := os.Stat(c.Chat.WordsFile)
			if err != nil {
				return fmt.Errorf("cannot read the word list: %v", err)
			}
			if st.IsDir() {
				return fmt.Errorf("%s is a folder, want a file with one word a line", c.Chat.WordsFile)
			}
			return nil
		}},
		{"chat-max-runes", func(c *Config) error {
			if n := c.Chat.MaxRunes; n < 1 || n > 10000 {
				return fmt.Errorf("must be between 1 and 10000 (got %d)", n)
			}
			return nil
		}},
		nonNegativeDur("chat-recall-window", func(c *Config) time.Duration { return c.Chat.RecallWindow }),
		atLeast("chat-world-keep", 0, func(c *Config) int { return c.Chat.WorldKeep }),
		nonNegativeDur("chat-world-age", func(c *Config) time.Duration { return c.Chat.WorldAge }),
		atLeast("chat-table-keep", 0, func(c *Config) int { return c.Chat.TableKeep }),
		nonNegativeDur("chat-table-age", func(c *Config) time.Duration { return c.Chat.TableAge }),
		atLeast("chat-group-size", 2, func(c *Config) int { return c.Chat.GroupSize }),
		atLeast("chat-max-groups", 1, func(c *Config) int { return c.Chat.MaxGroups }),
		atLeast("chat-max-friends", 1, func(c *Config) int { return c.Chat.MaxFriends }),
		{"chat-presence-grace", func(c *Config) error {
			if d := c.Chat.PresenceGrace; d < 0 || d > time.Hour {
				return fmt.Errorf("must be 0 to 1h (got %s)", d)
			}
			return nil
		}},
	}
	for _, k := range []string{store.ConvWorld, store.ConvTable, store.ConvPrivate, store.ConvGroup} {
		checks = append(checks, flagCheck{"chat-rate-" + k, func(c *Config) error {
			if r := c.Chat.Rates[k]; r.Burst < 1 || r.Window <= 0 {
				return fmt.Errorf("want N/DURATION with N >= 1 and a positive duration (got %d/%s)", r.Burst, r.Window)
			}
			return nil
		}})
	}
	return checks
}
