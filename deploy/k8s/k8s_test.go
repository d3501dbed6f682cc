// Package k8s_test checks the Kubernetes manifests of deploy/k8s: every
// document decodes strictly into its Kubernetes API type (k8s.io/api, with
// sigs.k8s.io/yaml refusing unknown fields), and the Deployments, Services,
// autoscalers and disruption budgets agree with each other and with the
// binary: its flags (lordgame -h, and lordgame -check on every pod's
// arguments and environment), ports, probe paths and user.
//
// It is its own Go module, so that the Kubernetes API modules stay out of
// the server's go.mod; .ci/run runs it (cd deploy/k8s && go test ./...).
// With kubectl installed the base and the example overlay are rendered
// with kubectl kustomize and checked as rendered; without it the base's
// files are checked with the kustomization's labels applied here.
package k8s_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var (
	repoRoot string // the repository
	k8sDir   string // deploy/k8s
	binPath  string
)

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	k8sDir = filepath.Dir(file)
	repoRoot = filepath.Dir(filepath.Dir(k8sDir))
	code, err := buildAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) (int, error) {
	if p := os.Getenv("LORDGAME_BIN"); p != "" {
		binPath = p
		return m.Run(), nil
	}
	dir, err := os.MkdirTemp("", "lordgame-k8s-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "lordgame")
	cmd := exec.Command("go", "build", "-o", binPath, "./cmd/lordgame")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./cmd/lordgame: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// flagDefaults are the binary's flags and their defaults, from -h.
func flagDefaults(t *testing.T) map[string]string {
	t.Helper()
	out, _ := exec.Command(binPath, "-h").CombinedOutput() // -h exits non-zero with some flag packages
	flags := map[string]string{}
	line := regexp.MustCompile(`^  -([a-z0-9][a-z0-9.-]*)(?: \S+)?$`)
	def := regexp.MustCompile(`\(default (?:"([^"]*)"|([^)]*))\)\s*$`)
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			cur = m[1]
			flags[cur] = ""
		} else if m := def.FindStringSubmatch(sc.Text()); m != nil && cur != "" && strings.HasPrefix(sc.Text(), "    \t") {
			flags[cur] = m[1] + m[2]
		}
	}
	if _, ok := flags["http"]; !ok || len(flags) < 20 {
		t.Fatalf("lordgame -h listed %d flags, no -http:\n%s", len(flags), out)
	}
	return flags
}

// objects is one rendering of a kustomization, decoded into API types.
type objects struct {
	Deployments []*appsv1.Deployment
	Services    []*corev1.Service
	HPAs        []*autoscalingv2.HorizontalPodAutoscaler
	PDBs        []*policyv1.PodDisruptionBudget
	ConfigMaps  []*corev1.ConfigMap
	Secrets     []*corev1.Secret
	Namespaces  []*corev1.Namespace
}

// decodeDocs decodes a multi-document YAML stream strictly: an unknown
// field or a value of the wrong type is an error.
func decodeDocs(where string, b []byte) (*objects, error) {
	o := &objects{}
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", where, i, err)
		}
		var target any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			v := &appsv1.Deployment{}
			o.Deployments, target = append(o.Deployments, v), v
		case "v1 Service":
			v := &corev1.Service{}
			o.Services, target = append(o.Services, v), v
		case "autoscaling/v2 HorizontalPodAutoscaler":
			v := &autoscalingv2.HorizontalPodAutoscaler{}
			o.HPAs, target = append(o.HPAs, v), v
		case "policy/v1 PodDisruptionBudget":
			v := &policyv1.PodDisruptionBudget{}
			o.PDBs, target = append(o.PDBs, v), v
		case "v1 ConfigMap":
			v := &corev1.ConfigMap{}
			o.ConfigMaps, target = append(o.ConfigMaps, v), v
		case "v1 Secret":
			v := &corev1.Secret{}
			o.Secrets, target = append(o.Secrets, v), v
		case "v1 Namespace":
			v := &corev1.Namespace{}
			o.Namespaces, target = append(o.Namespaces, v), v
		default:
			return nil, fmt.Errorf("%s document %d: unexpected kind %s %s", where, i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), target); err != nil {
			return nil, fmt.Errorf("%s document %d (%s): %w", where, i, tm.Kind, err)
		}
	}
	return o, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// kustomization is the part of kustomization.yaml the files use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Images []struct {
		Name, NewName, NewTag string
	} `json:"images"`
	Replicas []struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	} `json:"replicas"`
	ConfigMapGenerator []generator `json:"configMapGenerator"`
	SecretGenerator    []generator `json:"secretGenerator"`
	Patches            []struct {
		Path string `json:"path"`
	} `json:"patches"`
}

type generator struct {
	Name     string   `json:"name"`
	Behavior string   `json:"behavior"`
	Literals []string `json:"literals"`
	Envs     []string `json:"envs"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("%s/kustomization.yaml: resource %s: %v", dir, r, err)
		}
	}
	for _, p := range k.Patches {
		if _, err := os.Stat(filepath.Join(dir, p.Path)); err != nil {
			t.Errorf("%s/kustomization.yaml: patch %s: %v", dir, p.Path, err)
		}
	}
	return k
}

// TestManifestsDecodeStrictly: every YAML file under deploy/k8s (the
// kustomizations aside) decodes strictly into Kubernetes API types.
func TestManifestsDecodeStrictly(t *testing.T) {
	n := 0
	err := filepath.WalkDir(k8sDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		if filepath.Base(p) == "kustomization.yaml" {
			readKustomization(t, filepath.Dir(p))
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		if strings.Contains(rel, "/overlays/") && bytes.Contains(b, []byte("\nspec:")) && !bytes.Contains(b, []byte("kind: Namespace")) {
			// A strategic merge patch is a partial object: still the type.
			var svc corev1.Service
			if err := yaml.UnmarshalStrict(b, &svc); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
			n++
			return nil
		}
		if _, err := decodeDocs(rel, b); err != nil {
			t.Error(err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 6 {
		t.Fatalf("checked %d manifest files", n)
	}
}

// TestBase checks the base: rendered by kubectl kustomize where kubectl
// exists, else its files with the kustomization's labels applied.
func TestBase(t *testing.T) {
	dir := filepath.Join(k8sDir, "base")
	k := readKustomization(t, dir)
	var o *objects
	if out, ok := kustomize(t, dir); ok {
		var err error
		if o, err = decodeDocs("kubectl kustomize base", out); err != nil {
			t.Fatal(err)
		}
	} else {
		o = &objects{}
		for _, r := range k.Resources {
			b, err := os.ReadFile(filepath.Join(dir, r))
			if err != nil {
				t.Fatal(err)
			}
			part, err := decodeDocs(r, b)
			if err != nil {
				t.Fatal(err)
			}
			merge(o, part)
		}
		for _, l := range k.Labels {
			applyLabels(o, l.Pairs, l.IncludeSelectors)
		}
	}
	checkObjects(t, o)
}

// TestExampleOverlay renders the example overlay (with its example
// secrets file in place of the one an operator writes) and checks it as
// the base, plus what the overlay changes.
func TestExampleOverlay(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not installed: the overlay needs kustomize to render")
	}
	tmp := t.TempDir()
	if err := os.CopyFS(tmp, os.DirFS(k8sDir)); err != nil {
		t.Fatal(err)
	}
	ov := filepath.Join(tmp, "overlays/example")
	example, err := os.ReadFile(filepath.Join(ov, "secrets.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ov, "secrets.env"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	out, ok := kustomize(t, ov)
	if !ok {
		t.Fatal("kubectl kustomize failed")
	}
	o, err := decodeDocs("kubectl kustomize overlays/example", out)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, o)
	k := readKustomization(t, filepath.Join(k8sDir, "overlays/example"))
	for _, d := range o.Deployments {
		if d.Namespace != k.Namespace {
			t.Errorf("%s: namespace %q, want %q", d.Name, d.Namespace, k.Namespace)
		}
		img := d.Spec.Template.Spec.Containers[0].Image
		if want := k.Images[0].NewName + ":" + k.Images[0].NewTag; img != want {
			t.Errorf("%s: image %s, want %s", d.Name, img, want)
		}
	}
	if len(o.Namespaces) != 1 || o.Namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("the overlay's namespace does not enforce the restricted pod security standard: %+v", o.Namespaces)
	}
	if s := find(o.Services, "lordgame-gateway"); s == nil || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Error("the overlay does not make lordgame-gateway a LoadBalancer")
	}
}

func kustomize(t *testing.T, dir string) ([]byte, bool) {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		return nil, false
	}
	cmd := exec.Command("kubectl", "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	return out, true
}

func merge(dst, src *objects) {
	dst.Deployments = append(dst.Deployments, src.Deployments...)
	dst.Services = append(dst.Services, src.Services...)
	dst.HPAs = append(dst.HPAs, src.HPAs...)
	dst.PDBs = append(dst.PDBs, src.PDBs...)
	dst.ConfigMaps = append(dst.ConfigMaps, src.ConfigMaps...)
	dst.Secrets = append(dst.Secrets, src.Secrets...)
	dst.Namespaces = append(dst.Namespaces, src.Namespaces...)
}

// applyLabels does what kustomize's labels with includeSelectors does to
// these kinds.
func applyLabels(o *objects, pairs map[string]string, selectors bool) {
	set := func(m *map[string]string) {
		if *m == nil {
			*m = map[string]string{}
		}
		for k, v := range pairs {
			(*m)[k] = v
		}
	}
	for _, d := range o.Deployments {
		set(&d.Labels)
		set(&d.Spec.Template.Labels)
		if selectors {
			set(&d.Spec.Selector.MatchLabels)
		}
	}
	for _, s := range o.Services {
		set(&s.Labels)
		if selectors {
			set(&s.Spec.Selector)
		}
	}
	for _, p := range o.PDBs {
		set(&p.Labels)
		if selectors {
			set(&p.Spec.Selector.MatchLabels)
		}
	}
	for _, h := range o.HPAs {
		set(&h.Labels)
	}
	for _, c := range o.ConfigMaps {
		set(&c.Labels)
	}
	for _, s := range o.Secrets {
		set(&s.Labels)
	}
}

type named interface{ GetName() string }

func find[T named](list []T, name string) T {
	for _, x := range list {
		if x.GetName() == name {
			return x
		}
	}
	var zero T
	return zero
}

// matches reports whether selector selects labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// podEnv is the environment a pod's container gets from its envFrom
// ConfigMaps and Secrets and its env.
func podEnv(t *testing.T, o *objects, d *appsv1.Deployment, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm := find(o.ConfigMaps, ef.ConfigMapRef.Name)
			if cm == nil {
				t.Errorf("%s: envFrom ConfigMap %s does not exist", d.Name, ef.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				env[k] = v
			}
		case ef.SecretRef != nil:
			s := find(o.Secrets, ef.SecretRef.Name)
			if s == nil {
				t.Errorf("%s: envFrom Secret %s does not exist", d.Name, ef.SecretRef.Name)
				continue
			}
			for k, v := range s.StringData {
				env[k] = v
			}
			for k, v := range s.Data {
				env[k] = string(v)
			}
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

// flagValue is -name from args, else LORDGAME_NAME from env, else the
// default.
func flagValue(args []string, env, defaults map[string]string, name string) string {
	for i, a := range args {
		if a == "-"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v
		}
	}
	if v, ok := env["LORDGAME_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))]; ok {
		return v
	}
	return defaults[name]
}

func portOf(t *testing.T, where, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: address %q: %v", where, addr, err)
		return 0
	}
	n, _ := strconv.Atoi(p)
	return int32(n)
}

// imageUser is the numeric USER of the Dockerfile's runtime stage.
func imageUser(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy/docker/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+)`).FindAllSubmatch(b, -1)
	if m == nil {
		t.Fatal("the Dockerfile has no numeric USER")
	}
	uid, _ := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	return uid
}

func checkObjects(t *testing.T, o *objects) {
	t.Helper()
	defaults := flagDefaults(t)
	roles := map[string]*appsv1.Deployment{}
	for _, d := range o.Deployments {
		role := d.Spec.Template.Labels["app.kubernetes.io/component"]
		roles[role] = d
		checkDeployment(t, o, d, role, defaults)
	}
	for _, want := range []string{"gateway", "game", "match"} {
		if roles[want] == nil {
			t.Errorf("no Deployment for the %s role", want)
		}
	}
	for _, cm := range o.ConfigMaps {
		for k := range cm.Data {
			checkEnvName(t, "ConfigMap "+cm.Name, k, defaults)
		}
	}
	for _, s := range o.Secrets {
		for k := range s.StringData {
			checkEnvName(t, "Secret "+s.Name, k, defaults)
		}
		for k := range s.Data {
			checkEnvName(t, "Secret "+s.Name, k, defaults)
		}
	}
	// Services select pods of a Deployment and name its ports.
	for _, s := range o.Services {
		var d *appsv1.Deployment
		for _, x := range o.Deployments {
			if matches(s.Spec.Selector, x.Spec.Template.Labels) {
				d = x
			}
		}
		if d == nil {
			t.Errorf("Service %s selects no Deployment's pods (%v)", s.Name, s.Spec.Selector)
			continue
		}
		for _, p := range s.Spec.Ports {
			if !slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
				return cp.Name == p.TargetPort.String()
			}) {
				t.Errorf("Service %s port %s targets %q, not a port of %s", s.Name, p.Name, p.TargetPort.String(), d.Name)
			}
		}
	}
	// A disruption budget per role, selecting that Deployment's pods.
	for role, d := range roles {
		var pdb *policyv1.PodDisruptionBudget
		for _, p := range o.PDBs {
			if matches(p.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
				pdb = p
			}
		}
		if pdb == nil {
			t.Errorf("no PodDisruptionBudget selects the %s pods", role)
		} else if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PodDisruptionBudget %s: maxUnavailable %v, want 1", pdb.Name, pdb.Spec.MaxUnavailable)
		}
	}
	checkHPAs(t, o, roles)
}

func checkEnvName(t *testing.T, where, k string, defaults map[string]string) {
	t.Helper()
	name, ok := strings.CutPrefix(k, "LORDGAME_")
	if !ok {
		t.Errorf("%s: %s is not a LORDGAME_ variable", where, k)
		return
	}
	flag := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if _, ok := defaults[flag]; !ok && k != "LORDGAME_AUTH_SIGNING_KEY" {
		t.Errorf("%s: %s names no flag of lordgame (-%s)", where, k, flag)
	}
}

func checkDeployment(t *testing.T, o *objects, d *appsv1.Deployment, role string, defaults map[string]string) {
	t.Helper()
	spec := d.Spec.Template.Spec
	if d.Spec.Template.Labels["app.kubernetes.io/name"] != "lordgame" || d.Labels["app.kubernetes.io/component"] != role {
		t.Errorf("%s: labels %v / pod %v, want app.kubernetes.io/name=lordgame and component %s", d.Name, d.Labels, d.Spec.Template.Labels, role)
	}
	if d.Spec.Selector == nil || !matches(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("%s: selector %v does not select its own pods %v", d.Name, d.Spec.Selector, d.Spec.Template.Labels)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("%s: fewer than 2 replicas: a rolling update or a node loss would take the role out", d.Name)
	}
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil ||
		ru.MaxUnavailable.IntValue() != 0 || ru.MaxSurge == nil || ru.MaxSurge.IntValue() < 1 {
		t.Errorf("%s: strategy %+v, want RollingUpdate with maxUnavailable 0 and a surge", d.Name, d.Spec.Strategy)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", d.Name, len(spec.Containers))
	}
	c := spec.Containers[0]
	env := podEnv(t, o, d, c)
	where := d.Name

	// The arguments: real flags, the pod's role, and lordgame -check
	// accepts them with the pod's environment.
	if got := flagValue(c.Args, env, defaults, "role"); got != role {
		t.Errorf("%s: -role %q, want %q (its component label)", where, got, role)
	}
	if len(c.Command) != 0 {
		t.Errorf("%s: command %q overrides the image's entrypoint", where, c.Command)
	}
	vars := []string{"HOME=" + t.TempDir(), "LORDGAME_DATA=" + t.TempDir()}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command(binPath, append([]string{"-check"}, c.Args...)...)
	cmd.Env = vars
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "configuration ok" {
		t.Errorf("%s: lordgame -check %s: %v\n%s", where, strings.Join(c.Args, " "), err, out)
	}

	// Ports named as the probes, Services and Prometheus use them, at the
	// addresses the binary listens on.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if got, want := ports["http"], portOf(t, where+" -http", flagValue(c.Args, env, defaults, "http")); got != want {
		t.Errorf("%s: port http %d, the binary listens on %d", where, got, want)
	}
	metricsAddr := flagValue(c.Args, env, defaults, "metrics-addr")
	if host, _, _ := net.SplitHostPort(metricsAddr); host != "" && host != "0.0.0.0" {
		t.Errorf("%s: -metrics-addr %q is not reachable from Prometheus", where, metricsAddr)
	}
	if got, want := ports["metrics"], portOf(t, where+" -metrics-addr", metricsAddr); got != want {
		t.Errorf("%s: port metrics %d, the binary serves /metrics on %d", where, got, want)
	}
	ann := d.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(int(ports["metrics"])) || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("%s: scrape annotations %v do not match the metrics port %d", where, ann, ports["metrics"])
	}
	tcp := flagValue(c.Args, env, defaults, "tcp")
	switch {
	case role == "gateway" && ports["tcp"] != portOf(t, where+" -tcp", tcp):
		t.Errorf("%s: port tcp %d, the binary listens on %s", where, ports["tcp"], tcp)
	case role != "gateway" && tcp != "off":
		t.Errorf("%s: a %s node serves no players: -tcp off, not %q", where, role, tcp)
	case role != "gateway" && ports["tcp"] != 0:
		t.Errorf("%s: a %s node has a tcp port", where, role)
	}

	// Probes: startup and liveness on /healthz, readiness on /readyz.
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/healthz"},
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s", where, p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || ports[p.probe.HTTPGet.Port.String()] == 0 {
			t.Errorf("%s: %s GET %s on %q, want %s on a named container port", where, p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}

	// preStop runs `lordgame drain -wait D` (the binary itself: the image
	// has no shell), which marks the node draining and waits while the
	// pod leaves the endpoints; then SIGTERM hands its work over within
	// -shutdown-timeout; the grace period covers both.
	var pause int64
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Exec == nil {
		t.Errorf("%s: no preStop exec hook running lordgame drain", where)
	} else if cmd := c.Lifecycle.PreStop.Exec.Command; len(cmd) != 4 || cmd[0] != "/lordgame" || cmd[1] != "drain" || cmd[2] != "-wait" {
		t.Errorf("%s: preStop %q, want [/lordgame drain -wait D]", where, cmd)
	} else if d, err := time.ParseDuration(cmd[3]); err != nil || d < 5*time.Second {
		t.Errorf("%s: preStop drain -wait %q: want a duration of at least 5 s", where, cmd[3])
	} else if out, _ := exec.Command(binPath, "drain", "-h").CombinedOutput(); !bytes.Contains(out, []byte("-wait")) {
		t.Errorf("%s: preStop runs lordgame drain -wait, which the binary does not know:\n%s", where, out)
	} else {
		pause = int64(d.Seconds())
	}
	shutdown, err := time.ParseDuration(flagValue(c.Args, env, defaults, "shutdown-timeout"))
	if err != nil {
		t.Errorf("%s: -shutdown-timeout: %v", where, err)
	}
	need := pause + int64(shutdown.Seconds()) + 5
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds < need {
		t.Errorf("%s: terminationGracePeriodSeconds %v, want at least %d (preStop %d s + shutdown %s + 5 s)", where, spec.TerminationGracePeriodSeconds, need, pause, shutdown)
	}

	// Resources: requests and limits for CPU and memory, requests within
	// the limits (the alerts divide by the limits the process sees).
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim || req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %v / limit %v: want both, request <= limit", where, r, req.String(), lim.String())
		}
	}

	// Security: the image's non-root user, nothing more than it needs.
	uid := imageUser(t)
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != uid ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v, want runAsNonRoot, runAsUser %d (the image's USER), seccomp RuntimeDefault", where, psc, uid)
	}
	csc := c.SecurityContext
	if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0 {
		t.Errorf("%s: container securityContext %+v, want no privilege escalation, a read-only root, all capabilities dropped", where, csc)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it does not use", where)
	}
	// The data folder the image sets (LORDGAME_DATA=/data) is writable.
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/data" && !m.ReadOnly }) {
		t.Errorf("%s: no writable volume at /data (the root file system is read-only)", where)
	}

	// Spread over zones and hosts, selecting the Deployment's own pods.
	if len(spec.TopologySpreadConstraints) < 2 {
		t.Errorf("%s: %d topology spread constraints, want zone and host", where, len(spec.TopologySpreadConstraints))
	}
	for _, tsc := range spec.TopologySpreadConstraints {
		if tsc.LabelSelector == nil || !matches(tsc.LabelSelector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("%s: topology spread on %s selects %v, not its pods", where, tsc.TopologyKey, tsc.LabelSelector)
		}
	}
}

// adapterMetrics are the custom metric names the Prometheus adapter
// configuration serves, with the series each comes from.
func adapterMetrics(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k8sDir, "prometheus-adapter/config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := decodeDocs("prometheus-adapter/config.yaml", b)
	if err != nil || len(o.ConfigMaps) != 1 {
		t.Fatalf("prometheus-adapter/config.yaml: want one ConfigMap: %v", err)
	}
	var cfg struct {
		Rules []struct {
			SeriesQuery string `json:"seriesQuery"`
			Resources   struct {
				Overrides map[string]struct {
					Resource string `json:"resource"`
				} `json:"overrides"`
			} `json:"resources"`
			Name struct {
				Matches string `json:"matches"`
				As      string `json:"as"`
			} `json:"name"`
			MetricsQuery string `json:"metricsQuery"`
		} `json:"rules"`
	}
	if err := yaml.UnmarshalStrict([]byte(o.ConfigMaps[0].Data["config.yaml"]), &cfg); err != nil {
		t.Fatalf("adapter config.yaml: %v", err)
	}
	out := map[string]string{}
	for _, r := range cfg.Rules {
		series, _, _ := strings.Cut(r.SeriesQuery, "{")
		if re, err := regexp.Compile(r.Name.Matches); err != nil || !re.MatchString(series) {
			t.Errorf("adapter rule %s: name.matches %q does not match its series", r.Name.As, r.Name.Matches)
		}
		if r.Resources.Overrides["pod"].Resource != "pod" || r.Resources.Overrides["namespace"].Resource != "namespace" {
			t.Errorf("adapter rule %s: does not map the pod and namespace labels", r.Name.As)
		}
		if !strings.Contains(r.MetricsQuery, "<<.LabelMatchers>>") {
			t.Errorf("adapter rule %s: metricsQuery ignores the pod selector", r.Name.As)
		}
		out[r.Name.As] = series
	}
	return out
}

func checkHPAs(t *testing.T, o *objects, roles map[string]*appsv1.Deployment) {
	t.Helper()
	served := adapterMetrics(t)
	var source bytes.Buffer
	_ = filepath.WalkDir(filepath.Join(repoRoot, "internal"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, _ := os.ReadFile(p)
			source.Write(b)
		}
		return nil
	})
	scaled := map[string]bool{}
	for _, h := range o.HPAs {
		ref := h.Spec.ScaleTargetRef
		d := find(o.Deployments, ref.Name)
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || d == nil {
			t.Errorf("HPA %s scales %+v, not a Deployment here", h.Name, ref)
			continue
		}
		role := d.Spec.Template.Labels["app.kubernetes.io/component"]
		scaled[role] = true
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas <= *h.Spec.MinReplicas {
			t.Errorf("HPA %s: replicas %v..%d, want at least 2 and room to grow", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		var cpu, pods bool
		for _, m := range h.Spec.Metrics {
			switch m.Type {
			case autoscalingv2.ResourceMetricSourceType:
				if m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil && *m.Resource.Target.AverageUtilization == 70 {
					cpu = true
				}
			case autoscalingv2.PodsMetricSourceType:
				name := m.Pods.Metric.Name
				series, ok := served[name]
				if !ok {
					t.Errorf("HPA %s: custom metric %s is not served by the Prometheus adapter rules", h.Name, name)
				}
				if !bytes.Contains(source.Bytes(), []byte(`"`+series+`"`)) {
					t.Errorf("HPA %s: the adapter's series %s is not a metric the binary declares", h.Name, series)
				}
				pods = m.Pods.Target.AverageValue != nil && !m.Pods.Target.AverageValue.IsZero()
			}
		}
		if !cpu || !pods {
			t.Errorf("HPA %s: CPU at 70 %% %v, a per-pod custom metric %v; want both", h.Name, cpu, pods)
		}
		if d.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().IsZero() {
			t.Errorf("HPA %s: CPU utilisation needs a CPU request on %s", h.Name, d.Name)
		}
	}
	for _, want := range []string{"gateway", "game"} {
		if roles[want] != nil && !scaled[want] {
			t.Errorf("no HPA scales the %s Deployment", want)
		}
	}
	if _, ok := served["lordgame_online_players"]; !ok {
		t.Error("the adapter does not serve sessions per pod (lordgame_online_players)")
	}
}
