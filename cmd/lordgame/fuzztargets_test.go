package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFuzzFindsEveryTarget: .ci/fuzz (make fuzz, and the CI step) runs
// every fuzz target of the module: the list it finds equals the Fuzz
// functions the Go parser sees in the test files; the Makefile runs it for
// 10 minutes each by default and CI for a few seconds.
func TestFuzzFindsEveryTarget(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	root := "../.."
	var want []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, obj := range f.Decls {
			if fd, ok := obj.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Fuzz") {
				want = append(want, rel+" "+fd.Name.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", filepath.Join(root, ".ci/fuzz"), "-list").Output()
	if err != nil {
		t.Fatalf(".ci/fuzz -list: %v", err)
	}
	got := strings.Fields(strings.TrimSpace(string(out)))
	var pairs []string
	for i := 0; i+1 < len(got); i += 2 {
		pairs = append(pairs, got[i]+" "+got[i+1])
	}
	slices.Sort(want)
	slices.Sort(pairs)
	if len(want) < 20 || !slices.Equal(pairs, want) {
		t.Errorf(".ci/fuzz finds\n%s\nthe parser finds\n%s", strings.Join(pairs, "\n"), strings.Join(want, "\n"))
	}
	mk, _ := os.ReadFile(filepath.Join(root, "Makefile"))
	ci, _ := os.ReadFile(filepath.Join(root, ".ci/run"))
	if !regexp.MustCompile(`(?m)^FUZZTIME \?= 10m$`).Match(mk) || !regexp.MustCompile(`(?m)^fuzz:.*\n\t.*bash \.ci/fuzz`).Match(mk) {
		t.Error("the Makefile has no fuzz target running .ci/fuzz for FUZZTIME (10m by default)")
	}
	if !regexp.MustCompile(`FUZZTIME=\$\{CI_FUZZTIME:-3s\}.*bash \.ci/fuzz`).Match(ci) {
		t.Error(".ci/run does not run every fuzz target for a few seconds")
	}
}
