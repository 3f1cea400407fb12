package app

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The screen goes through Backend for everything: the app package and
// everything it pulls in from this module must not reach a SQL driver or
// HTTP. Fyne's root package itself imports net/http (resource.go,
// LoadResourceFromURLString), so net/http is allowed only as Fyne's own
// import; any other importer of it fails the test.
func TestImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "usher/app")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := func(p string) bool {
		return p == "database/sql" || strings.HasPrefix(p, "database/sql/") ||
			p == "modernc.org/sqlite" || strings.HasPrefix(p, "modernc.org/sqlite/") ||
			p == "net/http" || strings.HasPrefix(p, "net/http/")
	}
	// Packages allowed to import net/http (and nothing else forbidden).
	httpOK := map[string]bool{"fyne.io/fyne/v2": true}
	var deps []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		deps = append(deps, pkg)
		if strings.HasPrefix(pkg, "net/http") || strings.Contains(pkg, "golang.org/x/net/http") {
			continue // net/http's own insides, reached only through Fyne (checked below)
		}
		for _, imp := range imports {
			if !forbidden(imp) {
				continue
			}
			if strings.HasPrefix(imp, "net/http") && httpOK[pkg] {
				continue
			}
			t.Errorf("%s imports %s", pkg, imp)
		}
		if strings.HasPrefix(pkg, "usher/") && pkg != "usher/app" && pkg != "usher/checkin" {
			t.Errorf("usher/app depends on %s; the screen should need only the domain (usher/checkin)", pkg)
		}
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "database/sql") || strings.HasPrefix(p, "modernc.org/sqlite") {
			t.Errorf("usher/app depends on %s", p)
		}
	}
}
