package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newStoreDir makes a data directory with one client and the gateway key,
// through the commands, and returns it.
func newStoreDir(t *testing.T) string {
	t.Helper()
	_, pub := genKeys(t)
	data := filepath.Join(t.TempDir(), "data")
	if r := runCLI(t, "", "clients", "add", "--data", data, "--client-id", "SHOP", "--public-key", pub); r.code != 0 {
		t.Fatalf("clients add: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, "", "keys", "export", "--data", data); r.code != 0 {
		t.Fatalf("keys export: exit %d, stderr %q", r.code, r.stderr)
	}
	return data
}

// kekFile writes a KEK (base64 of 32 bytes) to a 0600 file. Test only.
func kekFile(t *testing.T, b byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(f, []byte(strings.Repeat(string(rune('A'+b)), 43)+"=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestKeysSealCommand(t *testing.T) {
	t.Setenv("ANTOMGW_KEK", "")
	data := newStoreDir(t)
	kek := kekFile(t, 0)

	if r := runCLI(t, "", "keys", "seal", "--data", data); r.code != exitUsage || !strings.Contains(r.stderr, "--kek-file FILE or ANTOMGW_KEK") {
		t.Errorf("keys seal without a KEK: exit %d, stderr %q; want exit 2 naming --kek-file and ANTOMGW_KEK", r.code, r.stderr)
	}
	r := runCLI(t, "", "keys", "seal", "--data", data, "--kek-file", kek)
	if r.code != 0 || !strings.Contains(r.stdout, "sealed 1 gateway key version(s)") || !strings.Contains(r.stdout, "0 were sealed already") {
		t.Fatalf("keys seal: exit %d, stdout %q, stderr %q; want 1 sealed", r.code, r.stdout, r.stderr)
	}
	t.Setenv("ANTOMGW_KEK", strings.Repeat("A", 43)+"=") // the same KEK, from the environment
	if r := runCLI(t, "", "keys", "seal", "--data", data); r.code != 0 || !strings.Contains(r.stdout, "sealed 0 gateway key version(s)") || !strings.Contains(r.stdout, "1 were sealed already") {
		t.Errorf("keys seal again: exit %d, stdout %q, stderr %q; want 0 sealed, 1 already", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, "", "keys", "list", "--data", data); r.code != 0 {
		t.Errorf("keys list with ANTOMGW_KEK: exit %d, stderr %q", r.code, r.stderr)
	}
	t.Setenv("ANTOMGW_KEK", "")
	for _, args := range [][]string{{"keys", "list"}, {"keys", "export"}, {"payments", "list"}} {
		r := runCLI(t, "", append(args, "--data", data)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "are sealed") || !strings.Contains(r.stderr, "--kek-file") || !strings.Contains(r.stderr, "ANTOMGW_KEK") {
			t.Errorf("%s without the KEK: exit %d, stderr %q; want a failure naming --kek-file and ANTOMGW_KEK", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if r := runCLI(t, "", "keys", "list", "--data", data, "--kek-file", kekFile(t, 1)); r.code != exitFailure || !strings.Contains(r.stderr, "does not open") {
		t.Errorf("keys list with another KEK: exit %d, stderr %q; want a failure saying it does not open the keys", r.code, r.stderr)
	}
	if r := runCLI(t, "", "keys", "list", "--data", data, "--kek-file", filepath.Join(t.TempDir(), "none")); r.code != exitFailure || !strings.Contains(r.stderr, "--kek-file") {
		t.Errorf("keys list with a missing --kek-file: exit %d, stderr %q; want a failure naming --kek-file", r.code, r.stderr)
	}
}

func TestBackupCommand(t *testing.T) {
	t.Setenv("ANTOMGW_KEK", "")
	data := newStoreDir(t)
	out := filepath.Join(t.TempDir(), "b", dbFile)
	r := runCLI(t, "", "backup", "--data", data, "--out", out)
	if r.code != 0 || !strings.Contains(r.stdout, out) || !strings.Contains(r.stdout, "serve --data") {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if m := mode(t, out); m != 0o600 {
		t.Errorf("backup mode = %v, want 0600", m)
	}
	if r := runCLI(t, "", "keys", "list", "--data", filepath.Dir(out)); r.code != 0 || !strings.Contains(r.stdout, "active") {
		t.Errorf("keys list on the backup: exit %d, stdout %q, stderr %q; want the active key", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--data", data, "--out", out}, exitFailure, "already exists"},
		{[]string{"--data", data}, exitUsage, "--out"},
		{[]string{"--data", data, "--out", "-"}, exitUsage, "never written to stdout"},
		{[]string{"--database-url", "postgres://127.0.0.1:1/x", "--out", out + ".pg"}, exitUsage, "pg_dump"},
		{[]string{"--data", filepath.Join(t.TempDir(), "none"), "--out", out + ".none"}, exitFailure, "no gateway data"},
	} {
		r := runCLI(t, "", append([]string{"backup"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("backup %v: exit %d, stderr %q; want exit %d saying %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
}
