package antomgw_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestImports keeps the SDK's promise: the root package and antomtest
// depend on the standard library and this module's wire package only, so
// a merchant's build pulls in nothing else. (Test files may import the
// server; go list -deps without -test does not count them.)
func TestImports(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("the go command is not available")
		}
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".", "./antomtest").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/antomgw/antomgw",
		"github.com/antomgw/antomgw/antomtest",
		"github.com/antomgw/antomgw/wire",
	}
	var deps []string
	for _, p := range strings.Fields(string(out)) {
		if !slices.Contains(allowed, p) {
			t.Errorf("the SDK depends on %s; only the standard library and wire are allowed", p)
		}
		deps = append(deps, p)
	}
	if !slices.Contains(deps, "github.com/antomgw/antomgw/wire") {
		t.Errorf("go list -deps = %v; want wire among them (is the check listing anything?)", deps)
	}
}

// TestImportRules checks the layout's import rules (the architecture's
// §1): each package imports only what its line allows, so the domain stays
// free of HTTP and SQL and the SDK stays small. Standard library imports
// are always allowed.
func TestImportRules(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("the go command is not available")
		}
	}
	const mod = "github.com/antomgw/antomgw"
	rules := map[string][]string{
		mod + "/wire":                   {},
		mod:                             {mod + "/wire"},
		mod + "/antomtest":              {mod, mod + "/wire"},
		mod + "/internal/gateway":       {},
		mod + "/internal/sim":           {mod + "/internal/gateway"},
		mod + "/internal/rows":          {mod + "/internal/gateway"},
		mod + "/internal/sqlite":        {mod + "/internal/gateway", mod + "/internal/migrate", mod + "/internal/rows", mod + "/internal/seal", "modernc.org/sqlite"},
		mod + "/internal/postgres":      {mod + "/internal/gateway", mod + "/internal/migrate", mod + "/internal/rows", mod + "/internal/seal", "github.com/jackc/pgx/v5"},
		mod + "/internal/storetest":     {mod + "/internal/gateway", "github.com/google/go-cmp"},
		mod + "/internal/httpapi":       {mod + "/internal/gateway", mod + "/wire", mod, mod + "/internal/traffic", "github.com/prometheus/client_golang", "golang.org/x/text/currency"},
		mod + "/internal/notify":        {mod + "/internal/gateway", mod + "/wire", mod, "github.com/prometheus/client_golang"},
		mod + "/internal/loadgen":       {mod + "/wire"},
		mod + "/internal/sigcheck":      {mod + "/wire"},
		mod + "/internal/merchant":      {mod + "/wire", mod},
		mod + "/internal/view":          {mod + "/internal/gateway", mod + "/wire", "golang.org/x/text/currency"},
		mod + "/internal/traffic":       {mod + "/wire"},
		mod + "/internal/qr":            {"github.com/piglig/go-qr"},
		mod + "/internal/wallet":        {mod + "/internal/gateway", mod + "/internal/qr", mod + "/internal/view"},
		mod + "/internal/console":       {mod + "/internal/gateway", mod + "/internal/traffic", mod + "/internal/view", mod + "/internal/sigcheck", mod + "/internal/sim", mod + "/internal/qr", mod + "/wire", "golang.org/x/text/currency"},
		mod + "/internal/migrate":       {},
		mod + "/internal/seal":          {},
		mod + "/internal/cryptobackend": {},
		mod + "/docs":                   {},
		mod + "/internal/node":          {mod + "/internal/gateway", mod + "/internal/httpapi", mod + "/internal/notify", mod + "/internal/sqlite", mod + "/internal/postgres", mod + "/internal/seal", mod + "/internal/migrate", mod + "/internal/traffic", mod + "/internal/wallet", mod + "/internal/console", mod + "/internal/view", mod + "/docs"},

		mod + "/internal/gatewaytest": {mod + "/internal/gateway", mod + "/internal/sqlite", mod + "/internal/sim", mod + "/internal/node", mod + "/internal/httpapi", mod + "/internal/notify", mod, mod + "/wire"},
	}
	out, err := exec.Command(goTool, "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		allowed, ok := rules[pkg]
		if !ok {
			continue // cmd/antomgw wires everything; fault holds tests only
		}
		checked++
		for _, imp := range imports {
			if first, _, _ := strings.Cut(imp, "/"); !strings.Contains(first, ".") {
				continue // standard library
			}
			if !slices.ContainsFunc(allowed, func(a string) bool { return imp == a || strings.HasPrefix(imp, a+"/") }) {
				t.Errorf("%s imports %s; its rule allows only the standard library and %v", pkg, imp, allowed)
			}
		}
	}
	if checked != len(rules) {
		t.Errorf("checked %d packages, want %d (a package was renamed or removed?)", checked, len(rules))
	}
}
