package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/cryptobackend"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// TestUsageLinesMarkRequiredFlags checks each command's synopsis against
// its flags: a flag outside [optional] and (alternative) groups in the
// Usage lines must be marked (required) in the flag list (or say when it
// is required), and a required flag must stand outside them.
func TestUsageLinesMarkRequiredFlags(t *testing.T) {
	flagName := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	for _, path := range leafCommands() {
		name := strings.Join(path, " ")
		r := runCLI(t, "", append(append([]string(nil), path...), "--help")...)
		usage, rest, _ := strings.Cut(r.stdout, "\n\n")
		// A second form ("       antomgw bench --limit") is another way to
		// call the command: the first form is checked.
		if i := strings.Index(usage, "\n       antomgw "); i >= 0 {
			usage = usage[:i]
		}
		bare := stripGroups(usage)
		var required []string
		for _, line := range strings.Split(rest, "\n") {
			if f := flagName.FindString(line); f != "" && strings.HasPrefix(strings.TrimSpace(line), f) && strings.Contains(line, "(required") {
				required = append(required, f)
			}
		}
		for _, f := range flagName.FindAllString(bare, -1) {
			if !slices.Contains(required, f) {
				t.Errorf("antomgw %s: the usage line shows %s as required, but the flag list does not mark it (required):\n%s", name, f, usage)
			}
		}
		for _, f := range required {
			if !regexp.MustCompile(regexp.QuoteMeta(f) + `\b`).MatchString(bare) {
				t.Errorf("antomgw %s: %s is required, but the usage line does not show it outside [...]:\n%s", name, f, usage)
			}
		}
	}
}

// stripGroups removes [...] and (...) groups, nested ones too.
func stripGroups(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '[' || r == '(':
			depth++
		case r == ']' || r == ')':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestFlagsFromEnvironment: serve's flags and --data of every command come
// from ANTOMGW_* variables; the command line wins; --help names them.
func TestFlagsFromEnvironment(t *testing.T) {
	e := &env{getenv: func(k string) string {
		return map[string]string{"ANTOMGW_LISTEN": "127.0.0.1:1", "ANTOMGW_MAX_BODY": "77", "ANTOMGW_DATA": "/from/env"}[k]
	}}
	f := newFlagSet(e, "antomgw test", "antomgw test", "")
	listen := f.str("listen", "ADDR", "127.0.0.1:8080", "address")
	maxBody := f.integer("max-body", "BYTES", 10, "bytes")
	data := f.str("data", "DIR", "./d", "dir")
	f.fromEnv()
	if err := f.parse([]string{"--data", "/flag"}); err != nil {
		t.Fatal(err)
	}
	if *listen != "127.0.0.1:1" || *maxBody != 77 || *data != "/flag" {
		t.Errorf("listen %q, max-body %d, data %q; want the environment's listen and max-body, the flag's data", *listen, *maxBody, *data)
	}
	bad := &env{getenv: func(k string) string {
		if k == "ANTOMGW_MAX_BODY" {
			return "lots"
		}
		return ""
	}}
	f = newFlagSet(bad, "antomgw test", "antomgw test", "")
	f.integer("max-body", "BYTES", 10, "bytes")
	f.fromEnv()
	if err := f.parse(nil); err == nil || !strings.Contains(err.Error(), "$ANTOMGW_MAX_BODY") || !strings.Contains(err.Error(), "--max-body") {
		t.Errorf("a bad $ANTOMGW_MAX_BODY: %v, want an error naming the variable and the flag", err)
	}
	r := runCLI(t, "", "serve", "--help")
	for _, want := range []string{"$ANTOMGW_LISTEN", "$ANTOMGW_DATA", "$ANTOMGW_DATABASE_URL", "$ANTOMGW_CONSOLE_TOKEN", "$ANTOMGW_NOTIFY_SCHEDULE"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help does not name %s", want)
		}
	}
}

// TestServeListensOnTheEnvironmentsAddress: ANTOMGW_LISTEN=127.0.0.1:PORT
// antomgw serve listens on PORT.
func TestServeListensOnTheEnvironmentsAddress(t *testing.T) {
	// The port is found free, then closed for serve to take; another
	// process may take it in between, so a bind failure tries another.
	var p *gatewaytest.Process
	var addr string
	for try := 1; p == nil; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
		p, err = gatewaytest.ServeConfig{NoListen: true, Env: append(os.Environ(), "ANTOMGW_LISTEN="+addr)}.Start(t)
		if err != nil && (try == 3 || !strings.Contains(err.Error(), "address already in use")) {
			t.Fatal(err)
		}
		if err != nil {
			t.Logf("try %d: %s was taken before serve bound it", try, addr)
			p = nil
		}
	}
	if p.Addr != addr {
		t.Errorf("serve with ANTOMGW_LISTEN=%s listens on %s", addr, p.Addr)
	}
	// The start line says which crypto signs (the binary is built like
	// this test).
	if want := `crypto="` + cryptobackend.Name() + `"`; !strings.Contains(p.Stderr(), want) {
		t.Errorf("serve's log does not name its crypto backend (%s):\n%s", want, p.Stderr())
	}
	p.Stop(os.Interrupt)
}

// TestReadCommandsRefuseAMissingDataDirectory: a command run with the
// wrong --data (or from the wrong directory) says so and creates nothing.
func TestReadCommandsRefuseAMissingDataDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	for _, args := range [][]string{
		{"keys", "export"}, {"keys", "list"}, {"clients", "list"}, {"payments", "list"},
		{"notifications", "list"}, {"keys", "rotate"}, {"payments", "show", "--payment-id", "P"},
		{"notifications", "attempts", "--id", "N"}, {"clients", "update", "--client-id", "C", "--notify-url", ""},
	} {
		r := runCLI(t, "", append(args, "--data", missing)...)
		if r.code != 1 || !strings.Contains(r.stderr, "no gateway data in "+missing) || !strings.Contains(r.stderr, "--data") {
			t.Errorf("antomgw %s --data MISSING: exit %d, stderr %q; want exit 1 naming the directory and --data", strings.Join(args, " "), r.code, r.stderr)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("antomgw %s created %s (%v)", strings.Join(args, " "), missing, err)
		}
	}
	// $ANTOMGW_DATA names the directory when --data is not given.
	t.Setenv("ANTOMGW_DATA", missing)
	if r := runCLI(t, "", "keys", "list"); r.code != 1 || !strings.Contains(r.stderr, "no gateway data in "+missing) {
		t.Errorf("ANTOMGW_DATA=MISSING antomgw keys list: exit %d, stderr %q", r.code, r.stderr)
	}
	// clients add registers a client in a new directory.
	_, pub := genKeys(t)
	if r := runCLI(t, "", "clients", "add", "--client-id", "NEW", "--public-key", pub); r.code != 0 {
		t.Fatalf("clients add in a new data directory: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(missing, dbFile)); err != nil {
		t.Errorf("clients add with ANTOMGW_DATA did not create the store there: %v", err)
	}
}

// TestVersion: antomgw --version (and version) prints the module version,
// the Go version and the crypto backend; a command's --version is a usage
// error that points at antomgw --version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		r := runCLI(t, "", args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "antomgw ") || !strings.Contains(r.stdout, runtime.Version()) ||
			!strings.Contains(r.stdout, "crypto: "+cryptobackend.Name()) {
			t.Errorf("antomgw %s: exit %d, stdout %q", args[0], r.code, r.stdout)
		}
	}
	if r := runCLI(t, "", "keys", "--version"); r.code != 2 || !strings.Contains(r.stderr, "antomgw --version") {
		t.Errorf("antomgw keys --version: exit %d, stderr %q; want a usage error naming antomgw --version", r.code, r.stderr)
	}
}
