package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // URLs, or nil for an error
		// errHas must appear in the error: the element it names.
		errHas string
	}{
		{"one ws", "ws://127.0.0.1:8080/ws", []string{"ws://127.0.0.1:8080/ws"}, ""},
		{"one tcp", "tcp://localhost:7000", []string{"tcp://localhost:7000"}, ""},
		{"two ws", "ws://127.0.0.1:8080/ws,ws://127.0.0.1:8081/ws", []string{"ws://127.0.0.1:8080/ws", "ws://127.0.0.1:8081/ws"}, ""},
		{"mixed schemes, spaces", "ws://127.0.0.1:8080/ws, tcp://[::1]:7000", []string{"ws://127.0.0.1:8080/ws", "tcp://[::1]:7000"}, ""},
		{"empty", "", nil, "element 1 is empty"},
		{"empty middle", "ws://127.0.0.1:1/ws,,ws://127.0.0.1:2/ws", nil, "element 2 is empty"},
		{"trailing comma", "ws://127.0.0.1:1/ws,", nil, "element 2 is empty"},
		{"bad scheme", "ws://127.0.0.1:1/ws,http://127.0.0.1:2/", nil, `element 2 "http://127.0.0.1:2/": the scheme must be ws or tcp`},
		{"not loopback", "ws://127.0.0.1:1/ws,ws://127.0.0.1:2/ws,ws://10.1.2.3:8080/ws", nil, `element 3 "ws://10.1.2.3:8080/ws": host "10.1.2.3" is not a loopback`},
		{"not loopback alone", "ws://example.com:80/ws", nil, `-target "ws://example.com:80/ws": host "example.com"`},
		{"no port", "tcp://127.0.0.1:1,tcp://127.0.0.1", nil, `element 2 "tcp://127.0.0.1": needs a port`},
		{"twice", "ws://127.0.0.1:1/ws,ws://127.0.0.1:1/ws", nil, `element 2 "ws://127.0.0.1:1/ws": listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTargets(tt.in)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("parseTargets(%q) error %v, want one containing %q", tt.in, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTargets(%q): %v", tt.in, err)
			}
			var names []string
			for _, u := range got {
				names = append(names, u.String())
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("parseTargets(%q) = %q, want %q", tt.in, names, tt.want)
			}
		})
	}
}

func TestParseMetricsList(t *testing.T) {
	two := "ws://127.0.0.1:8080/ws,ws://127.0.0.1:8081/ws"
	tests := []struct {
		name, targets, metrics string
		withPID                bool
		want                   []string // nil for an error
		wantGuessed            bool
		errHas                 string
	}{
		{"derived from ws", two, "", false,
			[]string{"http://127.0.0.1:8080/metrics", "http://127.0.0.1:8081/metrics"}, true, ""},
		{"derived for one tcp", "tcp://127.0.0.1:7000", "", false, []string{"http://127.0.0.1:8080/metrics"}, true, ""},
		{"tcp in a list needs metrics", "ws://127.0.0.1:8080/ws,tcp://127.0.0.1:7001", "", false, nil, false,
			`-target element 2 "tcp://127.0.0.1:7001": a tcp target in a list needs -metrics`},
		{"tcp in a list with pid", "tcp://127.0.0.1:7000,tcp://127.0.0.1:7001", "", true,
			[]string{"http://127.0.0.1:8080/metrics", "http://127.0.0.1:8080/metrics"}, true, ""},
		{"one for all", two, "http://127.0.0.1:9000/metrics", false,
			[]string{"http://127.0.0.1:9000/metrics", "http://127.0.0.1:9000/metrics"}, false, ""},
		{"one per target", two, "http://127.0.0.1:9000/metrics,http://127.0.0.1:9001/metrics", false,
			[]string{"http://127.0.0.1:9000/metrics", "http://127.0.0.1:9001/metrics"}, false, ""},
		{"too many", two, "http://127.0.0.1:1/m,http://127.0.0.1:2/m,http://127.0.0.1:3/m", false, nil, false,
			"-metrics has 3 elements for 2 targets"},
		{"empty element", two, "http://127.0.0.1:1/m,", false, nil, false, "element 2 is empty"},
		{"not loopback", two, "http://127.0.0.1:1/m,http://192.168.1.1:2/m", false, nil, false,
			`-metrics element 2 "http://192.168.1.1:2/m": host "192.168.1.1" is not a loopback`},
		{"bad scheme", two, "ws://127.0.0.1:1/m", false, nil, false, `-metrics "ws://127.0.0.1:1/m": the scheme must be http`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets, err := parseTargets(tt.targets)
			if err != nil {
				t.Fatal(err)
			}
			got, guessed, err := parseMetricsList(tt.metrics, targets, tt.withPID)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("parseMetricsList(%q, %q) error %v, want one containing %q", tt.metrics, tt.targets, err, tt.errHas)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) || guessed != tt.wantGuessed {
				t.Errorf("parseMetricsList(%q, %q) = %q, %v, %v; want %q, %v", tt.metrics, tt.targets, got, guessed, err, tt.want, tt.wantGuessed)
			}
		})
	}
}

func TestParsePIDs(t *testing.T) {
	tests := []struct {
		name, in string
		targets  int
		want     []int
		errHas   string
	}{
		{"none", "", 2, nil, ""},
		{"one for all", "42", 3, []int{42, 42, 42}, ""},
		{"one per target", "42,43", 2, []int{42, 43}, ""},
		{"wrong count", "42,43", 3, nil, "-pid has 2 elements for 3 targets"},
		{"empty element", "42,,43", 3, nil, "element 2 is empty"},
		{"not a number", "42,x", 2, nil, `-pid element 2 "x": not a process id`},
		{"negative", "-1", 1, nil, `-pid "-1": not a process id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePIDs(tt.in, tt.targets)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("parsePIDs(%q, %d) error %v, want one containing %q", tt.in, tt.targets, err, tt.errHas)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("parsePIDs(%q, %d) = %v, %v; want %v", tt.in, tt.targets, got, err, tt.want)
			}
		})
	}
}

// TestServers: targets read from the same place are one server, so that a
// total counts each server once.
func TestServers(t *testing.T) {
	mustURLs := func(s ...string) []*url.URL {
		var out []*url.URL
		for _, x := range s {
			u, err := url.Parse(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u)
		}
		return out
	}
	tests := []struct {
		name string
		o    options
		want []string // "source: target indexes guessed"
	}{
		{"two nodes", options{
			Targets: mustURLs("ws://127.0.0.1:1/ws", "ws://127.0.0.1:2/ws"),
			Metrics: []string{"http://127.0.0.1:1/metrics", "http://127.0.0.1:2/metrics"}, MetricsGuessed: true},
			[]string{"http://127.0.0.1:1/metrics: [0] false", "http://127.0.0.1:2/metrics: [1] false"}},
		{"ws and tcp of one node", options{
			Targets: mustURLs("ws://127.0.0.1:8080/ws", "tcp://127.0.0.1:7000"),
			Metrics: []string{"http://127.0.0.1:8080/metrics", "http://127.0.0.1:8080/metrics"}, MetricsGuessed: true},
			[]string{"http://127.0.0.1:8080/metrics: [0 1] false"}},
		{"lone tcp guess", options{
			Targets: mustURLs("tcp://127.0.0.1:7000"),
			Metrics: []string{"http://127.0.0.1:8080/metrics"}, MetricsGuessed: true},
			[]string{"http://127.0.0.1:8080/metrics: [0] true"}},
		{"pids win", options{
			Targets: mustURLs("ws://127.0.0.1:1/ws", "ws://127.0.0.1:2/ws", "ws://127.0.0.1:3/ws"),
			Metrics: []string{"http://127.0.0.1:1/metrics", "http://127.0.0.1:2/metrics", "http://127.0.0.1:3/metrics"},
			PIDs:    []int{7, 8, 7}},
			[]string{"/proc/7: [0 2] false", "/proc/8: [1] false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range tt.o.servers() {
				got = append(got, fmt.Sprintf("%s: %v %v", s.source(), s.targets, s.guessed))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("servers() = %q, want %q", got, tt.want)
			}
		})
	}
}
