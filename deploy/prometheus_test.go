package deploy_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ruleFile is deploy/prometheus/alerts.yml, decoded strictly.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// decodeStrict decodes YAML refusing fields the target does not have.
func decodeStrict(t *testing.T, rel string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, rel)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

func alertRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	decodeStrict(t, "deploy/prometheus/alerts.yml", &rf)
	if len(rf.Groups) == 0 {
		t.Fatal("alerts.yml has no groups")
	}
	return rf
}

// TestAlertRules: every alert is well formed, names only metrics and
// labels the binary exports, points at its runbook, and covers the
// baselines it is for.
func TestAlertRules(t *testing.T) {
	c := metricCatalog(t)
	rf := alertRules(t)
	seen := map[string]bool{}
	metricsUsed := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a rule without an alert name (record %q): only alerts belong here", g.Name, r.Record)
				continue
			}
			if seen[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			seen[r.Alert] = true
			used, problems := checkQuery(r.Expr, c)
			for _, p := range problems {
				t.Errorf("alert %s: %s (expr %q)", r.Alert, p, r.Expr)
			}
			for _, m := range used {
				metricsUsed[m] = true
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("alert %s: severity %q, want warning or critical", r.Alert, s)
			}
			if want := "docs/ops.md#" + strings.ToLower(r.Alert); r.Annotations["runbook"] != want {
				t.Errorf("alert %s: runbook %q, want %q", r.Alert, r.Annotations["runbook"], want)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s: no summary", r.Alert)
			}
			if !strings.Contains(r.Expr, `job="lordgame"`) {
				t.Errorf("alert %s: expr does not select job=\"lordgame\": %q", r.Alert, r.Expr)
			}
		}
	}
	// The baselines and failure kinds the rules exist for.
	for _, m := range []string{
		"lordgame_request_duration_seconds", "process_cpu_seconds_total", "lordgame_cpu_limit_cores",
		"process_resident_memory_bytes", "lordgame_memory_limit_bytes", "lordgame_errors_total",
		"lordgame_send_queue_drops_total", "lordgame_settlements_total", "up", "lordgame_cluster_nodes",
	} {
		if !metricsUsed[m] {
			t.Errorf("no alert uses %s", m)
		}
	}
	text := string(readFile(t, "deploy/prometheus/alerts.yml"))
	for _, threshold := range []string{"> 0.05\n", "> 0.2\n", "> 0.5\n", "> 0.7\n", "> 0.8\n"} {
		if !strings.Contains(text, threshold) {
			t.Errorf("alerts.yml lacks the baseline threshold %q", strings.TrimSpace(threshold))
		}
	}
}

// TestAlertRunbooks: docs/ops.md has one section per alert, named as the
// alert, under "## Alerts", and no section for an alert that is gone.
func TestAlertRunbooks(t *testing.T) {
	rf := alertRules(t)
	sections := runbookSections(t)
	var alerts []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			body, ok := sections[r.Alert]
			switch {
			case !ok:
				t.Errorf("docs/ops.md has no \"### %s\" section under \"## Alerts\"", r.Alert)
			case len(strings.Fields(body)) < 30:
				t.Errorf("docs/ops.md: the %s runbook is %d words; say what it means and what to do", r.Alert, len(strings.Fields(body)))
			}
		}
	}
	for name := range sections {
		if !slices.Contains(alerts, name) {
			t.Errorf("docs/ops.md has a runbook for %s, which alerts.yml does not define", name)
		}
	}
}

// runbookSections returns the ### sections of docs/ops.md's "## Alerts"
// section, by heading.
func runbookSections(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	in, cur := false, ""
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "docs/ops.md")))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in, cur = strings.TrimSpace(line[3:]) == "Alerts", ""
		case in && strings.HasPrefix(line, "### "):
			cur = strings.TrimSpace(line[4:])
			out[cur] = ""
		case in && cur != "":
			out[cur] += line + "\n"
		}
	}
	if len(out) == 0 {
		t.Fatal(`docs/ops.md has no "## Alerts" section with "### AlertName" runbooks`)
	}
	return out
}

// promtoolTests is deploy/prometheus/alerts_test.yml, decoded strictly.
type promtoolTests struct {
	RuleFiles          []string `yaml:"rule_files"`
	EvaluationInterval string   `yaml:"evaluation_interval"`
	Tests              []struct {
		Name        string `yaml:"name"`
		Interval    string `yaml:"interval"`
		InputSeries []struct {
			Series string `yaml:"series"`
			Values string `yaml:"values"`
		} `yaml:"input_series"`
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestAlertUnitTestsCoverEveryAlert: alerts_test.yml makes every alert
// fire at least once and is quiet for it at least once, and its input
// series are metrics the binary exports.
func TestAlertUnitTestsCoverEveryAlert(t *testing.T) {
	c := metricCatalog(t)
	rf := alertRules(t)
	var pt promtoolTests
	decodeStrict(t, "deploy/prometheus/alerts_test.yml", &pt)
	if !slices.Equal(pt.RuleFiles, []string{"alerts.yml"}) {
		t.Errorf("alerts_test.yml tests %q, want [alerts.yml]", pt.RuleFiles)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range pt.Tests {
		for _, s := range tc.InputSeries {
			name, _, _ := strings.Cut(s.Series, "{")
			if _, ok := c.family(name); !ok {
				t.Errorf("test %q: input series %s is not a metric lordgame exports", tc.Name, name)
			}
		}
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
			// A quiet check either expects nothing, or expects it for
			// some series of the input and not for another.
			quiet[a.Alertname] = quiet[a.Alertname] || len(a.ExpAlerts) == 0 || len(a.ExpAlerts) < countInstances(tc.InputSeries)
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if !fires[r.Alert] {
				t.Errorf("alerts_test.yml never makes %s fire", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("alerts_test.yml never checks that %s stays quiet", r.Alert)
			}
		}
	}
}

var instanceLabel = regexp.MustCompile(`instance="([^"]*)"`)

func countInstances(series []struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}) int {
	set := map[string]bool{}
	for _, s := range series {
		if m := instanceLabel.FindStringSubmatch(s.Series); m != nil {
			set[m[1]] = true
		}
	}
	return len(set)
}

// TestPromtool runs Prometheus's own checks on the configuration, the
// rules and their unit tests. .ci/run installs Debian's prometheus
// package for promtool; elsewhere the test skips without it.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	dir := filepath.Join(repoRoot, "deploy/prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// A rule file with a broken rule must fail: the check is real.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(up[5m]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", bad).CombinedOutput(); err == nil {
		t.Errorf("promtool check rules accepted a broken expression:\n%s", out)
	}
}

// TestPrometheusK8sConfig: the Kubernetes scrape configuration decodes
// and labels series as the rules and the adapter expect. (Debian's
// promtool is built without Kubernetes service discovery, so it cannot
// check this file.)
func TestPrometheusK8sConfig(t *testing.T) {
	var cfg struct {
		Global        map[string]string `yaml:"global"`
		RuleFiles     []string          `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName             string           `yaml:"job_name"`
			KubernetesSDConfigs []map[string]any `yaml:"kubernetes_sd_configs"`
			RelabelConfigs      []struct {
				SourceLabels []string `yaml:"source_labels"`
				Regex        string   `yaml:"regex"`
				Replacement  string   `yaml:"replacement"`
				TargetLabel  string   `yaml:"target_label"`
				Action       string   `yaml:"action"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeStrict(t, "deploy/prometheus/prometheus-k8s.yml", &cfg)
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "lordgame" {
		t.Fatalf("want one scrape config, job lordgame: %+v", cfg.ScrapeConfigs)
	}
	targets := map[string]bool{}
	for _, r := range cfg.ScrapeConfigs[0].RelabelConfigs {
		if _, err := regexp.Compile(r.Regex); err != nil {
			t.Errorf("relabel regex %q: %v", r.Regex, err)
		}
		targets[r.TargetLabel] = true
	}
	for _, l := range targetLabels {
		if l != "instance" && !targets[l] {
			t.Errorf("prometheus-k8s.yml sets no %s label; the rules and the adapter use it", l)
		}
	}
	for _, f := range cfg.RuleFiles {
		if _, err := os.Stat(filepath.Join(repoRoot, "deploy/prometheus", f)); err != nil {
			t.Errorf("rule file %s: %v", f, err)
		}
	}
}
