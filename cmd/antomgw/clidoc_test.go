package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateCLIDoc = flag.Bool("update-cli-doc", false, "rewrite docs/cli.md from the commands' --help")

// TestCLIReference keeps docs/cli.md, the command-line reference, equal to
// what every command's --help prints. After changing a command's flags or
// its help/*.txt, run: go test ./cmd/antomgw -run TestCLIReference -update-cli-doc
func TestCLIReference(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Command-line reference\n\n")
	b.WriteString("Every `antomgw` command with what `--help` prints. Generated from the commands\n")
	b.WriteString("themselves (`go test ./cmd/antomgw -run TestCLIReference -update-cli-doc`);\n")
	b.WriteString("do not edit by hand.\n")
	for _, cmd := range leafCommands() {
		r := runCLI(t, "", append(append([]string(nil), cmd...), "--help")...)
		if r.code != 0 {
			t.Fatalf("antomgw %s --help: exit %d, stderr %s", strings.Join(cmd, " "), r.code, r.stderr)
		}
		b.WriteString("\n## antomgw " + strings.Join(cmd, " ") + "\n\n```\n" + r.stdout + "```\n")
	}
	const path = "../../docs/cli.md"
	if *updateCLIDoc {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != b.String() {
		t.Errorf("docs/cli.md is not what the commands' --help print (%v); regenerate it:\n  go test ./cmd/antomgw -run TestCLIReference -update-cli-doc", err)
	}
}
