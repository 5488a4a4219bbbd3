package relaykit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/relaykit/relaykit"

// nonStdDeps lists every package that the non-test packages matched by
// pattern (run from dir) depend on, directly or not, and that is neither in
// the standard library nor inside module mod.
func nonStdDeps(t *testing.T, dir, mod, pattern string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pattern)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s in %s: %v\n%s", pattern, dir, err, out)
	}
	var bad []string
	for _, p := range strings.Fields(string(out)) {
		if p == mod || strings.HasPrefix(p, mod+"/") {
			continue
		}
		bad = append(bad, p)
	}
	return bad
}

// TestImportGuard fails if any non-test package of the module depends on a
// package outside the standard library (CONVENTIONS.md 5). Test files may
// use go-cmp and gofuzz; go list -deps without -test does not see them.
func TestImportGuard(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not in PATH")
	}
	if bad := nonStdDeps(t, ".", modulePath, "./..."); len(bad) > 0 {
		t.Errorf("core packages depend on packages outside the standard library:\n  %s", strings.Join(bad, "\n  "))
	}
}

// TestImportGuardCatchesNonStd proves the guard fails when it should: a
// throwaway module whose package imports a package from another module
// (supplied locally through a replace directive, so no network is needed)
// must be reported.
func TestImportGuardCatchesNonStd(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not in PATH")
	}
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("other/go.mod", "module example.com/other\n\ngo 1.26\n")
	write("other/other.go", "package other\n\nconst X = 1\n")
	write("core/go.mod", "module example.com/core\n\ngo 1.26\n\nrequire example.com/other v0.0.0\n\nreplace example.com/other => ../other\n")
	write("core/clean/clean.go", "package clean\n\nimport \"strings\"\n\nvar _ = strings.ToUpper\n")
	write("core/dirty/dirty.go", "package dirty\n\nimport \"example.com/other\"\n\nconst Y = other.X\n")
	// A test-only import must not count.
	write("core/clean/clean_test.go", "package clean\n\nimport \"example.com/other\"\n\nconst Z = other.X\n")

	core := filepath.Join(root, "core")
	if bad := nonStdDeps(t, core, "example.com/core", "./clean"); len(bad) != 0 {
		t.Errorf("clean package reported as depending on %v", bad)
	}
	bad := nonStdDeps(t, core, "example.com/core", "./...")
	if len(bad) != 1 || bad[0] != "example.com/other" {
		t.Errorf("guard reported %v, want [example.com/other]", bad)
	}
}
