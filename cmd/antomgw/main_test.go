package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// result is what one in-process run of the CLI produced.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the command line args in-process with stdin as standard
// input.
func runCLI(tb testing.TB, stdin string, args ...string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// leafCommands returns the full names of every runnable command, found by
// walking the command table, so that a new command is covered by the
// table-wide tests without editing them.
func leafCommands() [][]string {
	var out [][]string
	var walk func(prefix []string, cs []*command)
	walk = func(prefix []string, cs []*command) {
		for _, c := range cs {
			p := append(append([]string(nil), prefix...), c.name)
			if c.sub != nil {
				walk(p, c.sub)
			} else {
				out = append(out, p)
			}
		}
	}
	walk(nil, commands())
	return out
}

func TestCommandList(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"--help"}, {"-h"}} {
		r := runCLI(t, "", args...)
		if r.code != 0 {
			t.Errorf("antomgw %v: exit %d, want 0; stderr %q", args, r.code, r.stderr)
		}
		for _, c := range commands() {
			if !strings.Contains(r.stdout, "\n  "+c.name+" ") {
				t.Errorf("antomgw %v: stdout does not list %q:\n%s", args, c.name, r.stdout)
			}
		}
	}
}

func TestHelpEveryCommand(t *testing.T) {
	var all [][]string
	for _, c := range commands() {
		if c.sub != nil {
			all = append(all, []string{c.name}) // groups have help too
		}
	}
	all = append(all, leafCommands()...)
	for _, path := range all {
		name := strings.Join(path, " ")
		for _, form := range [][]string{
			append(append([]string(nil), path...), "--help"),
			append(append([]string(nil), path...), "-h"),
			append([]string{"help"}, path...),
		} {
			r := runCLI(t, "", form...)
			if r.code != 0 {
				t.Errorf("antomgw %s: exit %d, want 0; stderr %q", strings.Join(form, " "), r.code, r.stderr)
			}
			if want := "Usage: antomgw " + name; !strings.HasPrefix(r.stdout, want) {
				t.Errorf("antomgw %s: stdout = %.60q…, want prefix %q", strings.Join(form, " "), r.stdout, want)
			}
			if r.stderr != "" {
				t.Errorf("antomgw %s: stderr = %q, want empty", strings.Join(form, " "), r.stderr)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"keys", "frobnicate"}, `antomgw keys: unknown command "frobnicate"`},
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"sign", "--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"sign", "--path"}, "flag needs an argument: --path"},
		{[]string{"sign", "--client-id", "C", "--time", "1", "--path", "/p"}, "missing required flag --private-key"},
		{[]string{"sign", "--private-key", "k", "--time", "1", "--path", "/p"}, "missing required flag --client-id"},
		{[]string{"sign", "--private-key", "k", "--client-id", "C", "--path", "/p"}, "missing required flag --time"},
		{[]string{"sign", "--private-key", "k", "--client-id", "C", "--time", "1"}, "missing required flag --path"},
		{[]string{"sign", "--private-key", "k", "--client-id", "", "--time", "1", "--path", "/p"}, "flag --client-id must not be empty"},
		{[]string{"sign", "--private-key", "k", "--client-id", "C", "--time", "1", "--path", "/p", "--key-version", "0"}, "--key-version must be a positive integer"},
		{[]string{"sign", "--private-key", "k", "--client-id", "C", "--time", "1", "--path", "/p", "--key-version", "x"}, `invalid value "x" for flag --key-version`},
		{[]string{"sign", "--private-key", "k", "--client-id", "C", "--time", "1", "--path", "/p", "body.json"}, `unexpected argument "body.json"`},
		{[]string{"verify", "--public-key", "k", "--client-id", "C", "--time", "1", "--path", "/p"}, "missing required flag --signature"},
		{[]string{"verify", "--client-id", "C", "--time", "1", "--path", "/p", "--signature", "x"}, "missing required flag --public-key"},
		{[]string{"keys", "generate", "--private-out", "a"}, "missing required flag --public-out"},
		{[]string{"keys", "generate", "--public-out", "a"}, "missing required flag --private-out"},
		{[]string{"keys", "generate", "--private-out", "a", "--public-out", "a"}, "name the same file"},
		{[]string{"keys", "generate", "--private-out", "-", "--public-out", "a"}, "never written to stdout"},
	} {
		r := runCLI(t, "", c.args...)
		if r.code != 2 {
			t.Errorf("antomgw %q: exit %d, want 2", c.args, r.code)
		}
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("antomgw %q: stderr = %q, want it to contain %q", c.args, r.stderr, c.want)
		}
		if !strings.Contains(r.stderr, "--help' for usage") {
			t.Errorf("antomgw %q: stderr = %q, want a hint to --help", c.args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("antomgw %q: stdout = %q, want empty", c.args, r.stdout)
		}
	}
}

// TestBinary builds the real binary and pipes sign into verify, to prove
// that main, flags, stdin and exit codes work outside the test harness.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH; cannot build the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "antomgw")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	if out, err := exec.Command(bin, "keys", "generate", "--private-out", priv, "--public-out", pub).CombinedOutput(); err != nil {
		t.Fatalf("keys generate: %v\n%s", err, out)
	}
	common := []string{"--client-id", "SANDBOX_5X00000000000000", "--time", "2024-01-01T08:00:00.000+08:00", "--path", "/ams/sandbox/api/v1/payments/pay"}
	body := "{\"paymentRequestId\":\"REQ_1\",\"note\":\"ends with a newline\"}\n"

	t.Run("ShellPipe", func(t *testing.T) {
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skip("no sh on PATH")
		}
		bodyFile := filepath.Join(dir, "body.json")
		if err := os.WriteFile(bodyFile, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		script := `"$BIN" sign --private-key "$PRIV" $COMMON < "$BODY" |
  { read -r sig && "$BIN" verify --public-key "$PUB" $COMMON --signature "$sig" --body-file "$BODY"; }`
		cmd := exec.Command(sh, "-c", script)
		cmd.Env = append(os.Environ(), "BIN="+bin, "PRIV="+priv, "PUB="+pub, "BODY="+bodyFile, "COMMON="+strings.Join(common, " "))
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != "valid\n" {
			t.Fatalf("sign | verify: %v, output %q, want \"valid\\n\"", err, out)
		}
	})

	sign := exec.Command(bin, append([]string{"sign", "--private-key", priv}, common...)...)
	sign.Stdin = strings.NewReader(body)
	var signErr bytes.Buffer
	sign.Stderr = &signErr
	out, err := sign.Output()
	if err != nil {
		t.Fatalf("sign: %v; stderr %q", err, signErr.String())
	}
	header := strings.TrimSuffix(string(out), "\n")
	for _, c := range []struct {
		name string
		body string
		args []string
		code int
		want string
	}{
		{"Valid", body, nil, 0, "valid\n"},
		{"TamperedBody", strings.TrimSuffix(body, "\n"), nil, 1, "invalid: the signature does not match"},
		{"MissingFlag", body, []string{"--method"}, 2, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"verify", "--public-key", pub, "--signature", header}, common...)
			cmd := exec.Command(bin, append(args, c.args...)...)
			cmd.Stdin = strings.NewReader(c.body)
			out, _ := cmd.Output()
			if code := cmd.ProcessState.ExitCode(); code != c.code {
				t.Errorf("verify: exit %d, want %d", code, c.code)
			}
			if !strings.HasPrefix(string(out), c.want) {
				t.Errorf("verify: stdout %.80q…, want prefix %q", out, c.want)
			}
		})
	}
}
