package deploy_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
	Line int
}

type stage struct {
	Name, Image string
	Ins         []instruction
}

type dockerfile struct {
	Args   map[string]string // ARGs before the first FROM, with defaults
	Stages []stage
}

func parseDockerfile(path string) (*dockerfile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	df := &dockerfile{Args: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var buf strings.Builder
	start, n := 0, 0
	flush := func() error {
		text := strings.TrimSpace(buf.String())
		buf.Reset()
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start}
		switch {
		case in.Cmd == "FROM":
			f := strings.Fields(in.Args)
			st := stage{Image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.Name = f[2]
			} else if len(f) != 1 {
				return fmt.Errorf("line %d: FROM %s", start, in.Args)
			}
			df.Stages = append(df.Stages, st)
		case len(df.Stages) == 0:
			if in.Cmd != "ARG" {
				return fmt.Errorf("line %d: %s before the first FROM", start, in.Cmd)
			}
			k, v, _ := strings.Cut(in.Args, "=")
			df.Args[k] = v
		default:
			st := &df.Stages[len(df.Stages)-1]
			st.Ins = append(st.Ins, in)
		}
		return nil
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && buf.Len() == 0) {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(trimmed, `\`) {
			buf.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		buf.WriteString(trimmed)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if buf.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation at the end of the file", start)
	}
	return df, sc.Err()
}

func (s *stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Ins {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s *stage) last(cmd string) (instruction, bool) {
	all := s.all(cmd)
	if len(all) == 0 {
		return instruction{}, false
	}
	return all[len(all)-1], true
}

// env is what ENV sets in a stage, in the KEY=VALUE form.
func (s *stage) env() map[string]string {
	out := map[string]string{}
	for _, in := range s.all("ENV") {
		for _, kv := range strings.Fields(in.Args) {
			k, v, ok := strings.Cut(kv, "=")
			if ok {
				out[k] = v
			}
		}
	}
	return out
}

var argRef = regexp.MustCompile(`\$\{([A-Z_]+)\}`)

// goBuild returns the `go build` arguments and environment of the build
// stage, with its ARGs substituted from values (else their defaults).
func (df *dockerfile) goBuild(values map[string]string) (args, env []string, err error) {
	st := &df.Stages[0]
	defaults := map[string]string{}
	for _, in := range st.all("ARG") {
		k, v, _ := strings.Cut(in.Args, "=")
		defaults[k] = v
	}
	for k, v := range st.env() {
		env = append(env, k+"="+v)
	}
	for _, in := range st.all("RUN") {
		cmdline, _, _ := strings.Cut(in.Args, "&&")
		cmdline = strings.TrimSpace(cmdline)
		if !strings.HasPrefix(cmdline, "go build ") {
			continue
		}
		cmdline = argRef.ReplaceAllStringFunc(cmdline, func(ref string) string {
			k := argRef.FindStringSubmatch(ref)[1]
			if v, ok := values[k]; ok {
				return v
			}
			return defaults[k]
		})
		fields, err := splitShell(cmdline)
		if err != nil {
			return nil, nil, fmt.Errorf("Dockerfile line %d: %w", in.Line, err)
		}
		return fields[1:], env, nil
	}
	return nil, nil, fmt.Errorf("Dockerfile: no RUN go build in stage %q", st.Name)
}

// splitShell splits a command line on spaces, honouring double quotes (all
// the Dockerfile's go build line uses).
func splitShell(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range s {
		switch {
		case r == '"':
			in, has = !in, true
		case r == ' ' && !in:
			if has || cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
			has = false
		default:
			cur.WriteRune(r)
		}
	}
	if in {
		return nil, fmt.Errorf("unbalanced quote in %q", s)
	}
	if has || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

func jsonArray(t *testing.T, in instruction) []string {
	t.Helper()
	s := strings.TrimSpace(in.Args)
	if !strings.HasPrefix(s, "[") {
		t.Fatalf("Dockerfile line %d: %s %s is not in exec (JSON array) form", in.Line, in.Cmd, s)
	}
	var out []string
	for _, p := range strings.Split(strings.Trim(s, "[]"), ",") {
		v, err := strconv.Unquote(strings.TrimSpace(p))
		if err != nil {
			t.Fatalf("Dockerfile line %d: %v", in.Line, err)
		}
		out = append(out, v)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	df, err := parseDockerfile(filepath.Join(repoRoot, "deploy/docker/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Stages) != 2 {
		t.Fatalf("%d stages, want 2 (build, runtime)", len(df.Stages))
	}
	build, rt := &df.Stages[0], &df.Stages[1]

	// The builder's Go is the go.mod's.
	gomod := string(readFile(t, "go.mod"))
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	if want == nil {
		t.Fatal("go.mod has no go line")
	}
	if df.Args["GO_VERSION"] != want[1] || build.Image != "golang:${GO_VERSION}-bookworm" {
		t.Errorf("builder %s with GO_VERSION=%q, want golang at go.mod's %s", build.Image, df.Args["GO_VERSION"], want[1])
	}
	if build.Name == "" {
		t.Error("the build stage has no name")
	}
	// Every COPY from the build context names something that exists and
	// is not excluded by .dockerignore.
	ignore := string(readFile(t, ".dockerignore"))
	for _, in := range build.all("COPY") {
		f := strings.Fields(in.Args)
		for _, src := range f[:len(f)-1] {
			if strings.HasPrefix(src, "--") {
				continue
			}
			if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
				t.Errorf("Dockerfile line %d: COPY %s: %v", in.Line, src, err)
			}
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd", "internal", "web", "proto", "client"} {
		for _, line := range strings.Split(ignore, "\n") {
			if strings.TrimSpace(line) == p || strings.TrimSpace(line) == p+"/" {
				t.Errorf(".dockerignore excludes %s, which the build needs", p)
			}
		}
	}
	// The build flags.
	args, env, err := df.goBuild(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("build stage env %q lacks CGO_ENABLED=0", env)
	}
	if !slices.Contains(args, "-trimpath") {
		t.Errorf("go build %q lacks -trimpath", args)
	}
	pkg := args[len(args)-1]
	if _, err := os.Stat(filepath.Join(repoRoot, pkg, "main.go")); err != nil {
		t.Errorf("go build builds %s: %v", pkg, err)
	}
	ld := ""
	for i, a := range args {
		if a == "-ldflags" && i+1 < len(args) {
			ld = args[i+1]
		}
	}
	if !strings.Contains(ld, "-X main.version=dev") {
		t.Errorf("-ldflags %q does not set main.version from VERSION", ld)
	}
	// main.version exists in the binary's source (the linker ignores an -X
	// of a variable that does not).
	src, _ := os.ReadFile(filepath.Join(repoRoot, "cmd/lordgame/cluster.go"))
	if !regexp.MustCompile(`(?m)^var version = `).Match(src) {
		t.Error("cmd/lordgame has no var version for -X main.version")
	}

	// The runtime stage: distroless, the binary from the build stage,
	// a non-root user, the binary's default ports, a health check.
	if !strings.HasPrefix(rt.Image, "gcr.io/distroless/static") {
		t.Errorf("runtime image %s, want distroless static", rt.Image)
	}
	var copied bool
	for _, in := range rt.all("COPY") {
		if strings.Contains(in.Args, "--from="+build.Name) && strings.HasSuffix(in.Args, "/out/lordgame /lordgame") {
			copied = true
		}
	}
	if !copied {
		t.Errorf("the runtime stage does not copy /out/lordgame from %s to /lordgame", build.Name)
	}
	if !slices.Contains(args, "/out/lordgame") {
		t.Errorf("go build does not write /out/lordgame: %q", args)
	}
	user, ok := rt.last("USER")
	if !ok {
		t.Fatal("the runtime stage has no USER")
	}
	uid, _, _ := strings.Cut(user.Args, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %s: want a numeric non-root uid (Kubernetes runAsNonRoot checks numbers)", user.Args)
	}
	flags := binaryFlags(t)
	rtEnv := rt.env()
	wantPorts := map[string]bool{}
	for _, name := range []string{"http", "tcp"} {
		addr := rtEnv["LORDGAME_"+strings.ToUpper(name)]
		if addr == "" {
			addr = flags[name].Default
		}
		if addr != flags[name].Default {
			t.Errorf("LORDGAME_%s=%s differs from the binary's -%s default %s", strings.ToUpper(name), addr, name, flags[name].Default)
		}
		_, port, _ := strings.Cut(addr, ":")
		wantPorts[port] = true
	}
	if _, ok := flags["data"]; !ok || rtEnv["LORDGAME_DATA"] != "/data" {
		t.Errorf("LORDGAME_DATA=%q, want /data (and a -data flag)", rtEnv["LORDGAME_DATA"])
	}
	expose, _ := rt.last("EXPOSE")
	got := map[string]bool{}
	for _, p := range strings.Fields(expose.Args) {
		got[p] = true
	}
	for p := range wantPorts {
		if !got[p] {
			t.Errorf("EXPOSE %s lacks %s", expose.Args, p)
		}
	}
	hc, ok := rt.last("HEALTHCHECK")
	if !ok {
		t.Fatal("no HEALTHCHECK")
	}
	_, cmd, _ := strings.Cut(hc.Args, "CMD ")
	hcArgs := jsonArray(t, instruction{Cmd: "HEALTHCHECK", Args: cmd, Line: hc.Line})
	if len(hcArgs) < 2 || hcArgs[0] != "/lordgame" || hcArgs[1] != "health" {
		t.Errorf("HEALTHCHECK runs %q, want /lordgame health", hcArgs)
	}
	ep, _ := rt.last("ENTRYPOINT")
	if e := jsonArray(t, ep); len(e) != 1 || e[0] != "/lordgame" {
		t.Errorf("ENTRYPOINT %q, want [\"/lordgame\"]", e)
	}
}

// TestStaticBinary: the binary built with the Dockerfile's flags needs no
// dynamic loader (no PT_INTERP, no DT_NEEDED), so it runs on a distroless
// static base; and the -ldflags reached main.version.
func TestStaticBinary(t *testing.T) {
	f, err := elf.Open(binPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a PT_INTERP program header: it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %q", libs)
	}
	if os.Getenv("LORDGAME_BIN") != "" {
		return // built by CI with its own version
	}
	b, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(testVersion)) {
		t.Errorf("the version %q given to -ldflags is not in the binary", testVersion)
	}
}

// TestHealthCheckCommand runs the image's health check command against the
// running binary, the way Docker does (port from LORDGAME_HTTP).
func TestHealthCheckCommand(t *testing.T) {
	n := startBinary(t)
	_, port, _ := strings.Cut(n.http, ":")
	out, err := runBin(t, []string{"LORDGAME_HTTP=:" + port}, "health", "-timeout", "3s")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("lordgame health = %v, %q", err, out)
	}
	if out, err := runBin(t, []string{"LORDGAME_HTTP=:" + strings.Split(freePort(t), ":")[1]}, "health"); err == nil {
		t.Fatalf("lordgame health against a closed port succeeded: %q", out)
	}
}
