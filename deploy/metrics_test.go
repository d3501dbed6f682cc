package deploy_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// catalog is every metric family the binary exports, with its labels:
// what a live node serves on /metrics (the Go and process collectors,
// every series that has a value at start) and what the source declares
// (families whose series appear only once something happens, such as
// lordgame_errors_total{code}).
type catalog map[string]map[string]bool

var (
	catalogOnce sync.Once
	catalogData catalog
)

// targetLabels are the labels Prometheus adds to every series of a
// LordGame scrape (deploy/prometheus/prometheus.yml and
// prometheus-k8s.yml).
var targetLabels = []string{"job", "instance", "role", "namespace", "pod"}

var (
	declName  = regexp.MustCompile(`Name:\s*"(lordgame_[a-z0-9_]+)"(?:[^{}]|\{[^{}]*\})*\}(?:\s*,\s*\[\]string\{([^}]*)\})?`)
	declDesc  = regexp.MustCompile(`NewDesc\("(lordgame_[a-z0-9_]+)",\s*"[^"]*",\s*(?:\[\]string\{([^}]*)\}|nil)`)
	typeLine  = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$`)
	sampleRow = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? `)
	labelName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
)

// metricCatalog starts the binary once, scrapes it and reads the source.
func metricCatalog(t *testing.T) catalog {
	t.Helper()
	catalogOnce.Do(func() {
		c := catalog{"up": {}}
		add := func(name string, labels ...string) {
			if c[name] == nil {
				c[name] = map[string]bool{}
			}
			for _, l := range labels {
				if l = strings.Trim(strings.TrimSpace(l), `"`); l != "" {
					c[name][l] = true
				}
			}
		}
		n := startBinary(t)
		text := get(t, "http://"+n.metrics+"/metrics")
		types := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := typeLine.FindStringSubmatch(line); m != nil {
				types[m[1]] = m[2]
				add(m[1])
				continue
			}
			if m := sampleRow.FindStringSubmatch(line); m != nil {
				name := familyOf(m[1], types)
				for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
					add(name, l[1])
				}
			}
		}
		for _, dir := range []string{"internal", "cmd"} {
			_ = filepath.WalkDir(filepath.Join(repoRoot, dir), func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				for _, re := range []*regexp.Regexp{declName, declDesc} {
					for _, m := range re.FindAllStringSubmatch(string(b), -1) {
						add(m[1], strings.Split(m[2], ",")...)
					}
				}
				return nil
			})
		}
		catalogData = c
	})
	if len(catalogData) < 20 || catalogData["lordgame_request_duration_seconds"] == nil {
		t.Fatalf("metric catalog has %d families and no lordgame_request_duration_seconds: %v", len(catalogData), catalogData)
	}
	return catalogData
}

// familyOf maps a sample name to its family (a histogram's _bucket, _sum,
// _count to the histogram).
func familyOf(name string, types map[string]string) string {
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suf)
		if ok && (types[base] == "histogram" || types[base] == "summary") {
			return base
		}
	}
	return name
}

// family is a name a query uses, mapped to the catalog's family: the
// suffixes of a histogram (a family with an le label) or a summary are
// stripped.
func (c catalog) family(name string) (string, bool) {
	if _, ok := c[name]; ok {
		return name, true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if labels := c[base]; labels["le"] || (labels["quantile"] && suf != "_bucket") {
				return base, true
			}
		}
	}
	return "", false
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promSelector = regexp.MustCompile(`\b((?:lordgame|process|go)_[a-zA-Z0-9_]+|up)\b\s*(\{[^}]*\})?`)
	promMatcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\(([^)]*)\)`)
)

// checkQuery returns the families a PromQL expression uses and its
// problems: every metric it names that the binary does not export, and
// every label it matches or groups on that none of its metrics carries.
func checkQuery(expr string, c catalog) (used, problems []string) {
	expr = promString.ReplaceAllString(expr, `""`)
	allowed := map[string]bool{"le": true}
	for _, l := range targetLabels {
		allowed[l] = true
	}
	type selector struct{ name, body string }
	var sel []selector
	for _, m := range promSelector.FindAllStringSubmatch(expr, -1) {
		fam, ok := c.family(m[1])
		if !ok {
			problems = append(problems, "metric "+m[1]+" is not exported by lordgame")
			continue
		}
		used = append(used, fam)
		for l := range c[fam] {
			allowed[l] = true
		}
		sel = append(sel, selector{fam, m[2]})
	}
	if len(used) == 0 && len(problems) == 0 {
		problems = append(problems, "names no lordgame metric")
	}
	for _, s := range sel {
		for _, m := range promMatcher.FindAllStringSubmatch(s.body, -1) {
			if !c[s.name][m[1]] && !slices.Contains(targetLabels, m[1]) {
				problems = append(problems, s.name+" has no label "+m[1])
			}
		}
	}
	for _, g := range promGrouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !allowed[l] {
				problems = append(problems, "groups by "+l+", a label none of "+strings.Join(used, ", ")+" has")
			}
		}
	}
	sort.Strings(used)
	return slices.Compact(used), problems
}

// TestCheckQuery: the query checker finds what it is for.
// TestNoLabelClashesWithTargets: no metric of the binary has a label that
// the scrape configs put on every series of a node. Prometheus would
// rename the metric's own label to exported_<name> (honor_labels is off),
// and a rule grouping by the name would group by the target's instead:
// lordgame_cluster_nodes{role} did, and LordGameRoleMissing could never
// fire.
func TestNoLabelClashesWithTargets(t *testing.T) {
	for fam, labels := range metricCatalog(t) {
		for _, l := range targetLabels {
			if labels[l] {
				t.Errorf("%s has the label %q, which every scraped series gets from its target", fam, l)
			}
		}
	}
}

func TestCheckQuery(t *testing.T) {
	c := catalog{
		"up":                                {},
		"lordgame_tables":                   {},
		"lordgame_errors_total":             {"code": true},
		"lordgame_request_duration_seconds": {"route": true, "le": true},
	}
	tests := []struct {
		name, expr string
		bad        bool
	}{
		{"plain", `sum(lordgame_tables{job="lordgame"})`, false},
		{"histogram suffix", `histogram_quantile(0.9, sum by (le, route) (rate(lordgame_request_duration_seconds_bucket[5m])))`, false},
		{"label matcher", `rate(lordgame_errors_total{code="internal"}[5m])`, false},
		{"string holding a brace", `lordgame_errors_total{code=~"a{2}"}`, false},
		{"up", `up{job="lordgame"} == 0`, false},
		{"unknown metric", `sum(lordgame_nonsense_total)`, true},
		{"unknown suffix", `lordgame_tables_bucket`, true},
		{"unknown label", `rate(lordgame_errors_total{reason="x"}[5m])`, true},
		{"grouping by unknown label", `sum by (mode) (lordgame_tables)`, true},
		{"no lordgame metric", `vector(1)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := checkQuery(tt.expr, c)
			if (len(problems) > 0) != tt.bad {
				t.Errorf("checkQuery(%q) problems %q, want problems: %v", tt.expr, problems, tt.bad)
			}
		})
	}
}
