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
