package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestCheckNamesEveryProblem: -check reports each bad setting with its
// flag, and all of them at once.
func TestCheckNamesEveryProblem(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // one problem each, in this order
	}{
		{"http nonsense", []string{"-http", "nonsense"}, nil, []string{`-http: want host:port or :port (got "nonsense"`}},
		{"http empty", []string{"-http", ""}, nil, []string{"-http: an address is required"}},
		{"http bad port", []string{"-http", ":99999"}, nil, []string{`-http: bad port "99999"`}},
		{"http bad host", []string{"-http", "no such host:80"}, nil, []string{`-http: bad host in "no such host:80"`}},
		{"tcp off is fine", []string{"-tcp", "off", "-http", "127.0.0.1:0"}, nil, nil},
		{"tcp bad", []string{"-tcp", "7000"}, nil, []string{`-tcp: want host:port`}},
		{"debug bad", []string{"-debug", "localhost"}, nil, []string{`-debug: want host:port`}},
		{"negative stake", []string{"-ddz-stake", "-3"}, nil, []string{"-ddz-stake: must be >= 0 (got -3)"}},
		{"negative min balance", []string{"-ddz-min-balance", "-1"}, nil, []string{"-ddz-min-balance: must be >= 0 (got -1)"}},
		{"negative bot wait", []string{"-ddz-bot-wait", "-1s"}, nil, []string{"-ddz-bot-wait: must be >= 0"}},
		{"zero bot wait is fine", []string{"-ddz-bot-wait", "0"}, nil, nil},
		{"house rules", []string{"-ddz-house-rules", "doubling, card_counter"}, nil, nil},
		{"unknown house rule", []string{"-ddz-house-rules", "doubling,super"}, nil, []string{`-ddz-house-rules: invalid value "doubling,super": unknown house rule "super"`}},
		{"zero timer", []string{"-ddz-bid-timeout", "0s"}, nil, []string{"-ddz-bid-timeout: must be a positive duration (got 0s)"}},
		{"negative delay", []string{"-ddz-bot-delay", "-1s"}, nil, []string{"-ddz-bot-delay: must be >= 0 (got -1s)"}},
		{"refresh shorter than access", []string{"-access-ttl", "1h", "-refresh-ttl", "1m"}, nil, []string{"-refresh-ttl: must be at least -access-ttl 1h0m0s (got 1m0s)"}},
		{"access too short", []string{"-access-ttl", "10ms"}, nil, []string{"-access-ttl: must be at least 1s"}},
		{"negative coins", []string{"-initial-coins", "-5"}, nil, []string{"-initial-coins: must be >= 0 (got -5)"}},
		{"admins by name refused", []string{"-admins", "boss"}, nil, []string{"-admins: admin rights are no longer given by name (anyone who registered the name first got them); grant them to an existing account with `lordgame admin grant USERNAME`"}},
		{"role needs db and nats", []string{"-role", "gateway"}, nil, []string{`-role: "gateway" runs as one node of a cluster`}},
		{"role unknown", []string{"-role", "lobby"}, nil, []string{`-role: role "lobby"`}},
		{"world zones not XxZ", []string{"-world-zones", "4"}, nil, []string{`-world-zones: world zones: want XxZ with two positive whole numbers, e.g. 2x2, got "4"`}},
		{"world zones zero", []string{"-world-zones", "0x2"}, nil, []string{`-world-zones: world zones: want XxZ`}},
		{"world zones more than cells", []string{"-world-zones", "11x1"}, nil, []string{"-world-zones: world: 11×1 zones: at most one per cell column and row"}},
		{"world zones ok", []string{"-world-zones", "2x4"}, nil, nil},
		{"world map bad", []string{"-world-map", "1,2,3"}, nil, []string{"-world-map: world map: want 6 comma-separated numbers"}},
		{"world spawn off the map", []string{"-world-spawn", "0,10,0,10"}, nil, []string{"-world-spawn: world: spawn area not inside the map"}},
		{"world tick too long", []string{"-world-tick", "11s"}, nil, []string{"-world-tick: world: tick 11s not in 1ms..10s"}},
		{"negative world grace", []string{"-world-grace", "-1s"}, nil, []string{"-world-grace: must be >= 0 (got -1s)"}},
		{"db not postgres", []string{"-db", "mysql://x"}, nil, []string{"-db: must be a postgres:// URL"}},
		{"db unparsable", []string{"-db", "postgres://u@h:notaport/db"}, nil, []string{"-db: not a valid PostgreSQL URL"}},
		{"nats scheme", []string{"-nats", "http://x:4222"}, nil, []string{`-nats: scheme "http"`}},
		{"nats bad port", []string{"-nats", "nats://x:99999"}, nil, []string{`-nats: bad port "99999"`}},
		{"nats list ok", []string{"-nats", "nats://a:4222, tls://b:4223,c:4224"}, nil, nil},
		{"nats-listen with nats", []string{"-nats", "nats://a:4222", "-nats-listen", ":4222"}, nil, []string{"-nats-listen: applies only to the embedded NATS server"}},
		{"nats prefix", []string{"-nats-prefix", "a.*"}, nil, []string{`-nats-prefix: must be a NATS subject`}},
		{"advertise with port", []string{"-advertise", "game.example.com:80"}, nil, []string{"-advertise: want a host without a port"}},
		{"data is a file", []string{"-data", notDir}, nil, []string{"-data: " + `"` + notDir + `" exists and is not a folder`}},
		{"data under a file", []string{"-data", filepath.Join(notDir, "sub")}, nil, []string{"-data: cannot create"}},
		{"data not needed on postgres", []string{"-data", notDir, "-db", "postgres://u@h/db"}, nil, nil},
		{"port clash", []string{"-http", ":9000", "-tcp", "127.0.0.1:9000"}, nil, []string{`-tcp: "127.0.0.1:9000" uses the same port as -http ":9000"`}},
		{"metrics port clash", []string{"-http", "127.0.0.1:9001", "-metrics-addr", "127.0.0.1:9001"}, nil, []string{`-metrics-addr: "127.0.0.1:9001" uses the same port as -http "127.0.0.1:9001"`}},
		{"metrics on the tcp port", []string{"-tcp", "127.0.0.1:9002", "-metrics-addr", "0.0.0.0:9002"}, nil, []string{`-metrics-addr: "0.0.0.0:9002" uses the same port as -tcp "127.0.0.1:9002"`}},
		{"zinx on the metrics port", []string{"-mmo-zinx", "127.0.0.1:9090"}, nil, []string{`-mmo-zinx: "127.0.0.1:9090" uses the same port as -metrics-addr "127.0.0.1:9090"`}},
		{"metrics off clashes with nothing", []string{"-http", "127.0.0.1:9003", "-metrics-addr", "off"}, nil, nil},
		{"different hosts same port", []string{"-http", "127.0.0.1:9000", "-tcp", "127.0.0.2:9000"}, nil, nil},
		{"strategy", []string{"-route-game", "fastest"}, nil, []string{`-route-game: unknown strategy "fastest"`}},
		{"log format", []string{"-log-format", "xml"}, nil, []string{`-log-format: want auto, text or json (got "xml")`}},
		{"frame bytes", []string{"-max-frame-bytes", "10"}, nil, []string{"-max-frame-bytes: must be between 64 and 16777216 (got 10)"}},
		{"rate", []string{"-rate", "0"}, nil, []string{"-rate: must be > 0 (got 0)"}},
		{"log file folder missing", []string{"-log-file", filepath.Join(dir, "nope", "x.log")}, nil, []string{"-log-file: folder"}},
		{"log file is a folder", []string{"-log-file", dir}, nil, []string{"-log-file: " + `"` + dir + `" is a folder`}},
		{"log file ok", []string{"-log-file", filepath.Join(dir, "x.log")}, nil, nil},
		{"log rotation", []string{"-log-max-size", "0", "-log-max-age", "-1h", "-log-max-backups", "-2"}, nil,
			[]string{"-log-max-size: must be >= 1 (got 0)", "-log-max-age: must be >= 0", "-log-max-backups: must be >= 0 (got -2)"}},
		{"env names its variable", nil, map[string]string{"LORDGAME_DDZ_STAKE": "-2"}, []string{"-ddz-stake: must be >= 0 (got -2) (from LORDGAME_DDZ_STAKE)"}},
		{"bad value", []string{"-max-conns", "lots"}, nil, []string{`-max-conns: invalid value "lots": want an integer`}},
		{"bad duration", []string{"-heartbeat", "5"}, nil, []string{`-heartbeat: invalid value "5": want a duration`}},
		{"bad env value", nil, map[string]string{"LORDGAME_WORKERS": "many"}, []string{`-workers: invalid value LORDGAME_WORKERS="many": want an integer`}},
		{"unknown flag", []string{"-nope"}, nil, []string{"-nope: flag provided but not defined"}},
		{"missing value", []string{"-http"}, nil, []string{"-http: needs a value"}},
		{"stray arguments", []string{"foo", "bar"}, nil, []string{`unexpected argument "foo"`}},
		{"stray after flags", []string{"-http", ":1", "foo"}, nil, []string{`unexpected argument "foo"`}},
		{"all at once",
			[]string{"-http", "nonsense", "-ddz-stake", "-3", "-max-conns", "0", "-workers", "x", "-heartbeat", "0s", "extra"}, nil,
			[]string{`-workers: invalid value "x"`, `unexpected argument "extra"`, "-http: want host:port", "-ddz-stake: must be >= 0 (got -3)", "-max-conns: must be >= 1 (got 0)", "-heartbeat: must be a positive duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-check", "-data", t.TempDir()}, tt.args...)
			_, _, err := loadConfig(args, env(tt.env), io.Discard)
			if len(tt.want) == 0 {
				if !errors.Is(err, errCheckOnly) {
					t.Fatalf("err = %v, want the configuration accepted", err)
				}
				return
			}
			var ce *cliError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *cliError", err, err)
			}
			if len(ce.problems) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(ce.problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				if got := ce.problems[i].Error(); !strings.Contains(got, w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got, w)
				}
			}
			if !strings.HasSuffix(err.Error(), "\n"+hint) {
				t.Errorf("error does not end with the hint: %q", err)
			}
		})
	}
}

// TestCheckFileSettings: a setting only the config file sets is still
// checked (by its package) next to the flag problems, and a bad value
// from the file names the file.
func TestCheckFileSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lordgame.yaml")
	yaml := "ddz:\n  bot_level: genius\n  grace: 1m\ngateway:\n  max_conns: -1\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := loadConfig([]string{"-check", "-config", file, "-data", t.TempDir(), "-rate-burst", "0"}, env(nil), io.Discard)
	var ce *cliError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, p := range ce.problems {
		got = append(got, p.Error())
	}
	want := []string{
		"-max-conns: must be >= 1 (got -1) (from " + file + ")",
		"-rate-burst: must be >= 1 (got 0)",
		`ddz: bot_level must be "easy" or "normal"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%q\nwant\n%q", got, want)
	}
}

// TestEveryFlagIsChecked: a new flag needs a check in flagChecks (or an
// entry in freeFlags when any value is fine), so -check can name it.
func TestEveryFlagIsChecked(t *testing.T) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Bool("check", false, "")
	bind(fs, &cfg)
	checked := map[string]bool{}
	for _, fc := range flagChecks() {
		if fs.Lookup(fc.flag) == nil {
			t.Errorf("flagChecks names -%s, which is not a flag", fc.flag)
		}
		checked[fc.flag] = true
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !checked[f.Name] && !freeFlags[f.Name] {
			t.Errorf("-%s has no check: add one to flagChecks in cli.go (or list it in freeFlags)", f.Name)
		}
	})
	// The defaults pass every check.
	for _, fc := range flagChecks() {
		if fc.flag == "data" {
			continue // ./data depends on the working directory
		}
		if err := fc.check(&cfg); err != nil {
			t.Errorf("default -%s: %v", fc.flag, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args     []string
		rest     []string
		help     bool
		errs     int
		port, on string
	}{
		{[]string{"-p", "1", "--on"}, nil, false, 0, "1", "true"},
		{[]string{"--p=2", "-on=false"}, nil, false, 0, "2", "false"},
		{[]string{"-p", "3", "--", "-on"}, []string{"-on"}, false, 0, "3", "false"},
		{[]string{"-p", "3", "x", "-on"}, []string{"x", "-on"}, false, 0, "3", "false"},
		{[]string{"-h", "-p", "4"}, nil, true, 0, "4", "false"},
		{[]string{"-help"}, nil, true, 0, "0", "false"},
		{[]string{"---p", "1"}, nil, false, 1, "0", "false"}, // "---p" is bad, then "1" is left
		{[]string{"-p", "x", "-q", "-on=maybe"}, nil, false, 3, "0", "false"},
		{[]string{"-"}, []string{"-"}, false, 0, "0", "false"},
		{[]string{"-p"}, nil, false, 1, "0", "false"},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		p := fs.Int("p", 0, "")
		on := fs.Bool("on", false, "")
		rest, help, errs := parseFlags(fs, tt.args)
		if tt.args[0] == "---p" {
			tt.rest = []string{"1"}
		}
		if !slices.Equal(rest, tt.rest) || help != tt.help || len(errs) != tt.errs {
			t.Errorf("%q: rest %q help %v errs %v", tt.args, rest, help, errs)
		}
		if fs.Lookup("p").Value.String() != tt.port || fs.Lookup("on").Value.String() != tt.on {
			t.Errorf("%q: p=%d on=%v", tt.args, *p, *on)
		}
	}
}

// TestCommandLine: subcommands, stray arguments and bad values through run.
func TestCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" for success
		stdout  []string
	}{
		{"version", []string{"version"}, "", []string{"lordgame " + version, "commit:", "built:", "go:"}},
		{"version with argument", []string{"version", "-x"}, `version: unexpected argument "-x"`, nil},
		{"unknown command", []string{"serve"}, `unknown command "serve"`, nil},
		{"check with stray args", []string{"-check", "foo", "bar"}, `unexpected argument "foo"`, nil},
		{"check ok", []string{"-check", "-data", t.TempDir()}, "", []string{"configuration ok"}},
		{"check bad http", []string{"-check", "-http", "nonsense"}, "-http: want host:port", nil},
		{"bad flag value", []string{"-max-conns", "lots"}, `-max-conns: invalid value "lots"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tt.args, env(nil), &out, &errOut, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Count(err.Error(), hint) != 1 {
					t.Errorf("want the hint once: %q", err)
				}
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing (no usage dump)", errOut.String())
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout %q lacks %q", out.String(), w)
				}
			}
		})
	}
}

func TestBuildInfo(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	settings := []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}
	tests := []struct {
		name                string
		v, c, d             string // set by -ldflags
		bi                  *debug.BuildInfo
		wantV, wantC, wantD string
	}{
		{"nothing known", "dev", "", "", nil, "dev", "unknown", "unknown"},
		{"from the toolchain", "dev", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: settings},
			"v1.4.0", "abc123-dirty", "2026-01-02T03:04:05Z (commit time)"},
		{"devel version kept", "dev", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev", "unknown", "unknown"},
		{"ldflags win", "v2.0.0", "fff", "2026-05-05", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: settings},
			"v2.0.0", "fff", "2026-05-05"},
	}
	for _, tt := range tests {
		version, commit, date = tt.v, tt.c, tt.d
		fillBuildInfo(func() (*debug.BuildInfo, bool) { return tt.bi, tt.bi != nil })
		if version != tt.wantV || commit != tt.wantC || date != tt.wantD {
			t.Errorf("%s: %q %q %q, want %q %q %q", tt.name, version, commit, date, tt.wantV, tt.wantC, tt.wantD)
		}
	}
}
