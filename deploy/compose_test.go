package deploy_test

import (
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// composeFile is the part of the Compose specification
// deploy/compose/docker-compose.yml uses, decoded strictly: a key the
// file gets wrong (a typo, a field at the wrong level) fails the test.
type composeFile struct {
	Name      string                    `yaml:"name"`
	XLordgame map[string]any            `yaml:"x-lordgame"`
	Services  map[string]composeService `yaml:"services"`
	Networks  map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
	Volumes map[string]struct{} `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Restart         string            `yaml:"restart"`
	Hostname        string            `yaml:"hostname"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	DependsOn       map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	Volumes  []string `yaml:"volumes"`
	Ports    []string `yaml:"ports"`
	Networks map[string]struct {
		IPv4Address string `yaml:"ipv4_address"`
	} `yaml:"networks"`
}

const composePath = "deploy/compose/docker-compose.yml"

var interpolation = regexp.MustCompile(`\$\{([A-Z_]+):-([^}]*)\}`)

// interpolate replaces ${VAR:-default} by its default, as Compose does
// with VAR unset.
func interpolate(s string) string {
	return interpolation.ReplaceAllString(s, "$2")
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var cf composeFile
	decodeStrict(t, composePath, &cf)
	if len(cf.Services) == 0 {
		t.Fatal("no services")
	}
	return cf
}

// lordgameServices are the services running the LordGame image.
func (cf composeFile) lordgameServices() map[string]composeService {
	out := map[string]composeService{}
	for name, s := range cf.Services {
		if s.Image == "lordgame:dev" {
			out[name] = s
		}
	}
	return out
}

// flagValue is the value of -name in args, else of LORDGAME_NAME in env,
// else the binary's default.
func flagValue(args []string, env map[string]string, flags map[string]flagInfo, name string) string {
	for i, a := range args {
		if (a == "-"+name || a == "--"+name) && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v
		}
	}
	if v, ok := env[envName(name)]; ok {
		return v
	}
	return flags[name].Default
}

func envName(flag string) string {
	return "LORDGAME_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flag))
}

// checkNodeConfig runs `lordgame -check` on a node's command line and
// environment, as the server would read them in its container (the
// image's /data stands in as a temporary folder).
func checkNodeConfig(t *testing.T, where string, args []string, env map[string]string) {
	t.Helper()
	flags := binaryFlags(t)
	for k := range env {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "LORDGAME_")), "_", "-")
		if _, ok := flags[name]; !ok && !strings.HasPrefix(k, "LORDGAME_AUTH_") {
			t.Errorf("%s: environment %s names no flag of lordgame (-%s)", where, k, name)
		}
	}
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "-"); ok && !strings.Contains(name, " ") {
			name, _, _ = strings.Cut(strings.TrimPrefix(name, "-"), "=")
			if _, known := flags[name]; !known && !regexp.MustCompile(`^\d`).MatchString(name) {
				t.Errorf("%s: -%s is not a flag of lordgame", where, name)
			}
		}
	}
	vars := []string{"HOME=" + t.TempDir(), "LORDGAME_DATA=" + t.TempDir()}
	for k, v := range env {
		if k != "LORDGAME_DATA" {
			vars = append(vars, k+"="+v)
		}
	}
	out, err := runBin(t, vars, append([]string{"-check"}, args...)...)
	if err != nil || strings.TrimSpace(out) != "configuration ok" {
		t.Errorf("%s: lordgame -check %s: %v\n%s", where, strings.Join(args, " "), err, out)
	}
}

// TestComposeFile checks the compose cluster against the binary and the
// files it mounts.
func TestComposeFile(t *testing.T) {
	cf := loadCompose(t)
	flags := binaryFlags(t)
	nodes := cf.lordgameServices()
	composeDir := filepath.Join(repoRoot, "deploy/compose")

	for _, want := range []string{"nginx", "nats", "postgres", "redis", "prometheus", "grafana"} {
		if _, ok := cf.Services[want]; !ok {
			t.Errorf("no %s service", want)
		}
	}
	// Every node runs the image built from the Dockerfile, passes -check
	// and has a role; together: two gateways, a game and a match node.
	roles := map[string][]string{}
	for name, s := range nodes {
		if s.Build == nil || filepath.Clean(filepath.Join(composeDir, s.Build.Context)) != repoRoot ||
			s.Build.Dockerfile != "deploy/docker/Dockerfile" {
			t.Errorf("%s: build %+v, want the repository root and deploy/docker/Dockerfile", name, s.Build)
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = interpolate(v)
		}
		checkNodeConfig(t, name, s.Command, env)
		for _, r := range strings.Split(flagValue(s.Command, env, flags, "role"), ",") {
			roles[r] = append(roles[r], name)
		}
		if s.Healthcheck == nil || !slices.Equal(s.Healthcheck.Test[:3], []string{"CMD", "/lordgame", "health"}) {
			t.Errorf("%s: health check %+v, want /lordgame health", name, s.Healthcheck)
		}
		for _, dep := range []string{"postgres", "nats"} {
			if s.DependsOn[dep].Condition != "service_healthy" {
				t.Errorf("%s: does not wait for %s to be healthy", name, dep)
			}
		}
		db, err := url.Parse(env["LORDGAME_DB"])
		if err != nil || db.Hostname() != "postgres" {
			t.Errorf("%s: LORDGAME_DB %q does not point at the postgres service", name, env["LORDGAME_DB"])
		} else if pw, _ := db.User.Password(); pw != interpolate(cf.Services["postgres"].Environment["POSTGRES_PASSWORD"]) ||
			db.User.Username() != cf.Services["postgres"].Environment["POSTGRES_USER"] ||
			strings.TrimPrefix(db.Path, "/") != cf.Services["postgres"].Environment["POSTGRES_DB"] {
			t.Errorf("%s: LORDGAME_DB %q does not match the postgres service's user, password and database", name, env["LORDGAME_DB"])
		}
	}
	if len(roles["gateway"]) != 2 || len(roles["game"]) < 1 || len(roles["match"]) < 1 {
		t.Errorf("roles %v: want two gateways, a game node and a match node", roles)
	}
	if !slices.Contains(cf.Services["nats"].Command, "-js") {
		t.Errorf("nats runs %q, without JetStream (-js)", cf.Services["nats"].Command)
	}

	// nginx: its upstreams are the gateways at their -http and -tcp
	// ports, and the gateways trust its address and only it.
	conf := string(readFile(t, "deploy/compose/nginx.conf"))
	ng := cf.Services["nginx"]
	if !slices.Contains(ng.Volumes, "./nginx.conf:/etc/nginx/nginx.conf:ro") {
		t.Errorf("nginx mounts %q, not ./nginx.conf", ng.Volumes)
	}
	nginxIP, err := netip.ParseAddr(ng.Networks["lordgame"].IPv4Address)
	if err != nil {
		t.Fatalf("nginx has no fixed address: %v", err)
	}
	subnet, err := netip.ParsePrefix(cf.Networks["lordgame"].IPAM.Config[0].Subnet)
	if err != nil || !subnet.Contains(nginxIP) {
		t.Errorf("nginx address %s is outside the network %v (%v)", nginxIP, subnet, err)
	}
	upstream := regexp.MustCompile(`server ([a-z0-9-]+):(\d+) `)
	var upstreams []string
	for _, m := range upstream.FindAllStringSubmatch(conf, -1) {
		upstreams = append(upstreams, m[1]+":"+m[2])
	}
	var want []string
	for _, g := range roles["gateway"] {
		s := nodes[g]
		for _, f := range []string{"http", "tcp"} {
			_, port, err := net.SplitHostPort(flagValue(s.Command, s.Environment, flags, f))
			if err != nil {
				t.Errorf("%s: -%s: %v", g, f, err)
			}
			want = append(want, g+":"+port)
		}
		for _, f := range []string{"trusted-proxies", "tcp-proxy-protocol"} {
			p, err := netip.ParsePrefix(flagValue(s.Command, s.Environment, flags, f))
			if err != nil || !p.Contains(nginxIP) || p.Bits() != 32 {
				t.Errorf("%s: -%s %q should be exactly nginx's address %s", g, f, flagValue(s.Command, s.Environment, flags, f), nginxIP)
			}
		}
	}
	slices.Sort(upstreams)
	slices.Sort(want)
	if !slices.Equal(upstreams, want) {
		t.Errorf("nginx.conf upstream servers %q, want the gateways' -http and -tcp %q", upstreams, want)
	}

	// Prometheus scrapes every node at its -metrics-addr port, labelled
	// with its role, and mounts the folder with the rules.
	var prom struct {
		Global        map[string]any `yaml:"global"`
		RuleFiles     []string       `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string          `yaml:"targets"`
				Labels  map[string]string `yaml:"labels"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeStrict(t, "deploy/prometheus/prometheus.yml", &prom)
	got := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName != "lordgame" {
			continue
		}
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				got[tg] = st.Labels["role"]
			}
		}
	}
	wantTargets := map[string]string{}
	for name, s := range nodes {
		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = interpolate(v)
		}
		addr := flagValue(s.Command, env, flags, "metrics-addr")
		host, port, err := net.SplitHostPort(addr)
		if err != nil || (host != "" && host != "0.0.0.0") {
			t.Errorf("%s: -metrics-addr %q must listen on every address for Prometheus", name, addr)
		}
		wantTargets[name+":"+port] = flagValue(s.Command, env, flags, "role")
	}
	if !mapsEqual(got, wantTargets) {
		t.Errorf("prometheus.yml job lordgame scrapes %v, want every node with its role %v", got, wantTargets)
	}
	checkMount(t, cf.Services["prometheus"], "../prometheus", "/etc/prometheus", "prometheus.yml")
	for _, f := range prom.RuleFiles {
		if _, err := os.Stat(filepath.Join(repoRoot, "deploy/prometheus", f)); err != nil {
			t.Errorf("prometheus.yml rule file %s: %v", f, err)
		}
	}

	// Grafana: the provisioning and dashboards are mounted where the
	// provisioning files say, and the datasource is the prometheus service.
	ds, db := grafanaSetup(t)
	gf := cf.Services["grafana"]
	checkMount(t, gf, "../grafana/provisioning", "/etc/grafana/provisioning", "datasources/prometheus.yml")
	checkMount(t, gf, "../grafana/dashboards", db.Providers[0].Options.Path, "lordgame.json")
	if u, err := url.Parse(ds.Datasources[0].URL); err != nil || u.Host != "prometheus:9090" {
		t.Errorf("grafana datasource %q, want http://prometheus:9090", ds.Datasources[0].URL)
	}
	home := gf.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if !strings.HasPrefix(home, db.Providers[0].Options.Path+"/") {
		t.Errorf("grafana home dashboard %q is not in the provisioned folder", home)
	}

	// Every named volume a service uses is declared.
	for name, s := range cf.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				if _, ok := cf.Volumes[src]; !ok {
					t.Errorf("%s: volume %s is not declared", name, src)
				}
			}
		}
	}
}

// checkMount: service mounts the repository folder src (relative to
// deploy/compose) at target read-only, and src holds file.
func checkMount(t *testing.T, s composeService, src, target, file string) {
	t.Helper()
	if !slices.Contains(s.Volumes, src+":"+target+":ro") {
		t.Errorf("%s mounts %q, want %s:%s:ro", s.Image, s.Volumes, src, target)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "deploy/compose", src, file)); err != nil {
		t.Errorf("%s: %v", s.Image, err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestComposeConfig runs `docker compose config` on the file where the
// Compose CLI exists (it needs no daemon); the strict decode of
// TestComposeFile is the check elsewhere.
func TestComposeConfig(t *testing.T) {
	var cmd *exec.Cmd
	if _, err := exec.LookPath("docker"); err == nil && exec.Command("docker", "compose", "version").Run() == nil {
		cmd = exec.Command("docker", "compose", "-f", composePath, "config", "-q")
	} else {
		t.Skip("no docker compose CLI; TestComposeFile decodes the file strictly instead")
	}
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}
