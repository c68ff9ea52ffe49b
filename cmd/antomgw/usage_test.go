package main

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// TestUsageLinesMarkRequiredFlags checks each command's synopsis against
// its flags: a flag outside [optional] and (alternative) groups in the
// Usage lines must be marked (required) in the flag list, and a required
// flag must stand outside them.
func TestUsageLinesMarkRequiredFlags(t *testing.T) {
	flagName := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	for _, path := range leafCommands() {
		name := strings.Join(path, " ")
		r := runCLI(t, "", append(append([]string(nil), path...), "--help")...)
		usage, rest, _ := strings.Cut(r.stdout, "\n\n")
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p, err := gatewaytest.ServeConfig{NoListen: true, Env: append(os.Environ(), "ANTOMGW_LISTEN="+addr)}.Start(t)
	if err != nil {
		t.Fatal(err)
	}
	if p.Addr != addr {
		t.Errorf("serve with ANTOMGW_LISTEN=%s listens on %s", addr, p.Addr)
	}
	p.Stop(os.Interrupt)
}
