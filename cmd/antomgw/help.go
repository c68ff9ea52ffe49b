package main

import (
	"embed"
	"strings"
)

// The long help of the commands, one text file each in help/: the
// paragraphs --help prints after the synopsis, and what docs/cli.md is made
// of (TestCLIReference keeps it in step).
//
//go:embed help/*.txt
var helpFiles embed.FS

// helpText returns help/name.txt without its final newline. A missing file
// is a build mistake that TestCLIReference catches.
func helpText(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic("antomgw: no help text " + name)
	}
	return strings.TrimSuffix(string(b), "\n")
}
