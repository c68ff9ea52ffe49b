package gateway_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
)

const stateDoc = "../../docs/state-machine.md"

// diagram is one mermaid block of the document and the heading above it.
type diagram struct {
	heading string
	lines   []string
}

// mermaidDiagrams returns the ```mermaid blocks of a markdown document,
// each with the last heading before it. Lines inside other fenced blocks
// are not headings.
func mermaidDiagrams(tb testing.TB, doc string) []diagram {
	tb.Helper()
	var out []diagram
	heading := ""
	var cur *diagram // the mermaid block being read
	inFence := false
	for _, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case inFence && trimmed == "```":
			if cur != nil {
				out = append(out, *cur)
			}
			cur, inFence = nil, false
		case inFence:
			if cur != nil {
				cur.lines = append(cur.lines, line)
			}
		case strings.HasPrefix(trimmed, "```"):
			inFence = true
			if trimmed == "```mermaid" {
				cur = &diagram{heading: heading}
			}
		case strings.HasPrefix(trimmed, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
		}
	}
	if inFence {
		tb.Fatalf("%s: a fenced block is not closed", stateDoc)
	}
	return out
}

// edges returns the A --> B edges of a stateDiagram-v2, without those from
// [*] or to [*] (start and end), as "A → B" strings, sorted.
func edges(tb testing.TB, d diagram) []string {
	tb.Helper()
	if len(d.lines) == 0 || strings.TrimSpace(d.lines[0]) != "stateDiagram-v2" {
		tb.Fatalf("%s: the diagram under %q does not start with stateDiagram-v2", stateDoc, d.heading)
	}
	var out []string
	for _, line := range d.lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "%%") {
			continue
		}
		from, rest, ok := strings.Cut(line, "-->")
		if !ok {
			continue
		}
		to, _, _ := strings.Cut(rest, ":")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if from == "" || to == "" || strings.ContainsAny(from+to, " \t") {
			tb.Errorf("%s: cannot read the edge %q under %q", stateDoc, line, d.heading)
			continue
		}
		if from == "[*]" || to == "[*]" {
			continue
		}
		out = append(out, from+" → "+to)
	}
	slices.Sort(out)
	return out
}

func tableEdges[S ~string](m map[S][]S) []string {
	var out []string
	for from, tos := range m {
		for _, to := range tos {
			out = append(out, string(from)+" → "+string(to))
		}
	}
	slices.Sort(out)
	return out
}

// TestStateMachineDoc checks that the diagrams of docs/state-machine.md
// draw exactly the transition tables, in this order: the payment diagram
// under a "Payments" heading, the refund diagram under "Refunds", the
// authorisation diagram under "Authorisations", the capture diagram under
// "Captures".
func TestStateMachineDoc(t *testing.T) {
	data, err := os.ReadFile(stateDoc)
	if err != nil {
		t.Fatal(err)
	}
	diagrams := mermaidDiagrams(t, string(data))
	tables := []struct {
		heading string
		want    []string
	}{
		{"Payments", tableEdges(gateway.PaymentTransitions())},
		{"Refunds", tableEdges(gateway.RefundTransitions())},
		{"Authorisations", tableEdges(gateway.AuthTransitions())},
		{"Captures", tableEdges(gateway.CaptureTransitions())},
	}
	if len(diagrams) != len(tables) {
		t.Fatalf("%s has %d mermaid diagrams, want %d (payments, refunds, authorisations, captures)", stateDoc, len(diagrams), len(tables))
	}
	for i, c := range tables {
		d := diagrams[i]
		if d.heading != c.heading {
			t.Errorf("diagram %d is under %q, want %q", i+1, d.heading, c.heading)
		}
		got := edges(t, d)
		for _, e := range got {
			if !slices.Contains(c.want, e) {
				t.Errorf("%s (%s) draws %s, which the transition table does not allow", stateDoc, c.heading, e)
			}
		}
		for _, e := range c.want {
			if !slices.Contains(got, e) {
				t.Errorf("%s (%s) does not draw %s, which the transition table allows", stateDoc, c.heading, e)
			}
		}
		if len(got) != len(slices.Compact(slices.Clone(got))) {
			t.Errorf("%s (%s) draws an edge twice: %v", stateDoc, c.heading, got)
		}
	}
}
