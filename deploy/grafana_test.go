package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// grafanaProvisioning is deploy/grafana/provisioning, decoded strictly.
type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string `yaml:"name"`
		UID       string `yaml:"uid"`
		Type      string `yaml:"type"`
		Access    string `yaml:"access"`
		URL       string `yaml:"url"`
		IsDefault bool   `yaml:"isDefault"`
		Editable  bool   `yaml:"editable"`
	} `yaml:"datasources"`
}

type grafanaDashboards struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name            string `yaml:"name"`
		Folder          string `yaml:"folder"`
		Type            string `yaml:"type"`
		DisableDeletion bool   `yaml:"disableDeletion"`
		AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
		Options         struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

func grafanaSetup(t *testing.T) (grafanaDatasources, grafanaDashboards) {
	t.Helper()
	var ds grafanaDatasources
	decodeStrict(t, "deploy/grafana/provisioning/datasources/prometheus.yml", &ds)
	var db grafanaDashboards
	decodeStrict(t, "deploy/grafana/provisioning/dashboards/lordgame.yml", &db)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].UID == "" {
		t.Fatalf("want one prometheus datasource with a uid: %+v", ds.Datasources)
	}
	if len(db.Providers) != 1 || db.Providers[0].Type != "file" || db.Providers[0].Options.Path == "" {
		t.Fatalf("want one file dashboard provider with a path: %+v", db.Providers)
	}
	return ds, db
}

// TestGrafanaDashboard: every dashboard parses, uses the provisioned
// datasource, and queries only metrics and labels the binary exports.
func TestGrafanaDashboard(t *testing.T) {
	c := metricCatalog(t)
	ds, _ := grafanaSetup(t)
	uid := ds.Datasources[0].UID
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy/grafana/dashboards/*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in deploy/grafana/dashboards: %v", err)
	}
	covered := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID    string         `json:"uid"`
			Title  string         `json:"title"`
			Panels []grafanaPanel `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: no uid or title", f)
		}
		ids := map[int]bool{}
		var walk func(ps []grafanaPanel)
		walk = func(ps []grafanaPanel) {
			for _, p := range ps {
				where := filepath.Base(f) + ": panel " + p.Title
				if ids[p.ID] {
					t.Errorf("%s: id %d used twice", where, p.ID)
				}
				ids[p.ID] = true
				if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
					t.Errorf("%s: gridPos %+v does not fit the 24 columns", where, p.GridPos)
				}
				walk(p.Panels)
				if p.Type == "row" {
					continue
				}
				if p.Datasource == nil || p.Datasource.UID != uid {
					t.Errorf("%s: datasource %+v, want the provisioned uid %q", where, p.Datasource, uid)
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s: no queries", where)
				}
				for _, tg := range p.Targets {
					used, problems := checkQuery(tg.Expr, c)
					for _, pr := range problems {
						t.Errorf("%s, query %s: %s (%q)", where, tg.RefID, pr, tg.Expr)
					}
					for _, m := range used {
						covered[m] = true
					}
				}
			}
		}
		walk(d.Panels)
	}
	// What issue #14 asks the dashboard to show.
	for _, m := range []string{
		"lordgame_online_players", "lordgame_tables", "lordgame_hands_total", "lordgame_settlements_total",
		"lordgame_match_queue_length", "lordgame_match_wait_seconds", "lordgame_house_balance_coins",
		"lordgame_chat_messages_total", "lordgame_request_duration_seconds", "lordgame_errors_total",
		"process_cpu_seconds_total", "process_resident_memory_bytes",
	} {
		if !covered[m] {
			t.Errorf("no dashboard panel shows %s", m)
		}
	}
	if t.Failed() {
		return
	}
	// The checker is not blind: a dashboard naming a metric the binary
	// lacks is caught.
	if _, problems := checkQuery(strings.ReplaceAll(`sum(lordgame_tables{job="lordgame"})`, "tables", "tabels"), c); len(problems) == 0 {
		t.Error("checkQuery accepted lordgame_tabels")
	}
}
