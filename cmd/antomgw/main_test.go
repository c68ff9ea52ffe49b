package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// TestMain removes the binary gatewaytest.Binary built, if a test asked for
// it.
func TestMain(m *testing.M) { os.Exit(gatewaytest.Main(m)) }

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

// TestBinary runs the real binary (gatewaytest.Binary) and pipes sign into
// verify, to prove that main, flags, stdin and exit codes work outside the
// test harness.
func TestBinary(t *testing.T) {
	bin := gatewaytest.Binary(t)
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "priv.pem"), filepath.Join(dir, "pub.pem")
	gatewaytest.MustRunCLI(t, "keys", "generate", "--private-out", priv, "--public-out", pub)
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

	sign := gatewaytest.CLI{Args: append([]string{"sign", "--private-key", priv}, common...), Stdin: strings.NewReader(body)}.Run(t)
	if sign.ExitCode != 0 {
		t.Fatalf("sign: exit %d; stderr %q", sign.ExitCode, sign.Stderr)
	}
	header := strings.TrimSuffix(sign.Stdout, "\n")
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
			r := gatewaytest.CLI{Args: append(args, c.args...), Stdin: strings.NewReader(c.body)}.Run(t)
			if r.ExitCode != c.code {
				t.Errorf("verify: exit %d, want %d", r.ExitCode, c.code)
			}
			if !strings.HasPrefix(r.Stdout, c.want) {
				t.Errorf("verify: stdout %.80q…, want prefix %q", r.Stdout, c.want)
			}
		})
	}
}
