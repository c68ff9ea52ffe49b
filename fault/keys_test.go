//go:build unix

package fault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/seal"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// The keys-at-rest and file-mode tests: the gateway's private keys never
// reach the SQLite files in plain with a key-encryption key (KEK), keys
// seal seals an existing store, backup writes a 0600 copy a server starts
// from, and loose modes are narrowed. Each sets ANTOMGW_KEK for the
// commands it runs (empty: none), so none of them runs in parallel.

// newKEK returns a fresh KEK as an operator writes it (base64) and a file
// holding it, mode 0600. Test only.
func newKEK(t *testing.T) (text, file string) {
	t.Helper()
	b := make([]byte, seal.KEKSize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	text = base64.StdEncoding.EncodeToString(b)
	file = filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(file, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return text, file
}

// gatewayDERs returns the PKCS #8 DER of every gateway key of the env's
// store, read with kek (nil: none). They stay in memory: never logged.
func gatewayDERs(t *testing.T, e *env, kek string) [][]byte {
	t.Helper()
	var opts sqlite.Options
	if kek != "" {
		k, err := seal.ParseKEK([]byte(kek))
		if err != nil {
			t.Fatal(err)
		}
		opts.KEK = k
	}
	st, err := sqlite.Open(context.Background(), e.dbPath(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := st.LoadRegistry(context.Background())
	if err != nil {
		t.Fatalf("LoadRegistry: %v", err)
	}
	var out [][]byte
	for _, k := range reg.GatewayKeys {
		out = append(out, k.PrivateKey)
	}
	if len(out) == 0 {
		t.Fatal("the store has no gateway key")
	}
	return out
}

// secretForms are the forms a private key takes in a file: its DER, and
// a 64-character run of its base64 that is a whole line of its PEM file
// (the second: the first is alike for every RSA-2048 key).
func secretForms(der []byte) [][]byte {
	return [][]byte{der, []byte(base64.StdEncoding.EncodeToString(der)[64:128])}
}

// plainKeyFiles returns the database files (antomgw.db, -wal, -shm) that
// hold any of ders in plain, each once. It names files, never the key.
func plainKeyFiles(t *testing.T, e *env, ders [][]byte) []string {
	t.Helper()
	var out []string
	for _, name := range []string{e.dbPath(), e.dbPath() + "-wal", e.dbPath() + "-shm"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	search:
		for _, der := range ders {
			for _, f := range secretForms(der) {
				if bytes.Contains(b, f) {
					out = append(out, filepath.Base(name))
					break search
				}
			}
		}
	}
	return out
}

// noSecret fails the test when out holds a form of the keys or the KEK.
func noSecret(t *testing.T, what, out string, kek string, ders [][]byte) {
	t.Helper()
	if kek != "" && strings.Contains(out, kek) {
		t.Errorf("%s holds the KEK", what)
	}
	for _, der := range ders {
		for _, f := range secretForms(der)[1:] {
			if strings.Contains(out, string(f)) {
				t.Errorf("%s holds a gateway private key", what)
				return
			}
		}
	}
}

// pay sends n pays through s and fails the test unless each is answered S
// (verified with the env's gateway keys).
func pay(t *testing.T, s *server, prefix string, n int) {
	t.Helper()
	for i := range n {
		id := fmt.Sprintf("%s_%04d", prefix, i)
		rep, err := s.send(gatewaytest.Request{Path: pathPayV1, Body: payV1(id, int64(100+i))})
		if err != nil {
			t.Fatalf("pay %s: %v", id, err)
		}
		if rep.Result.Status != "S" {
			t.Fatalf("pay %s: result %+v, want S", id, rep.Result)
		}
	}
}

// cliWith runs a command with ANTOMGW_KEK set to kek ("" for none) and
// the process's umask set to umask.
func cliWith(t *testing.T, kek string, args ...string) gatewaytest.CLIResult {
	t.Helper()
	return gatewaytest.CLI{Args: args, Env: append(os.Environ(), "ANTOMGW_KEK="+kek)}.Run(t)
}

// TestKeysSealedAtRestSQLite: with a KEK on SQLite, the gateway keys the
// commands and the server create are sealed: no form of a private key is
// in the database, its -wal or its -shm, while the server runs and after
// it stopped; the server does not warn about unsealed keys. Without the
// KEK, or with another one, commands and the server refuse the store with
// an error naming --kek-file and ANTOMGW_KEK, and holding no key.
func TestKeysSealedAtRestSQLite(t *testing.T) {
	gatewaytest.Binary(t)
	kek, kekFile := newKEK(t)
	t.Setenv("ANTOMGW_KEK", kek)
	e := newEnv(t, "", "SEALED_SHOP") // creates gateway key version 1, sealed
	s := e.mustStart()
	pay(t, s, "SEALED", 20)
	e.cli("keys", "rotate", "--data", e.data) // version 2, while the server runs
	ders := gatewayDERs(t, e, kek)
	if len(ders) != 2 {
		t.Fatalf("the store has %d gateway keys, want 2", len(ders))
	}
	if files := plainKeyFiles(t, e, ders); len(files) > 0 {
		t.Errorf("while the server runs, a gateway private key is in plain in %v", files)
	}
	if err := s.term(); err != nil {
		t.Fatal(err)
	}
	if files := plainKeyFiles(t, e, ders); len(files) > 0 {
		t.Errorf("after the server stopped, a gateway private key is in plain in %v", files)
	}
	if log := s.Stderr(); strings.Contains(log, "unsealed") {
		t.Errorf("a server with a KEK warned about unsealed keys:\n%s", log)
	}
	noSecret(t, "the server's log", s.Stderr()+s.Stdout(), kek, ders)

	// The same with --kek-file, and ANTOMGW_KEK unset.
	t.Setenv("ANTOMGW_KEK", "")
	if r := gatewaytest.RunCLI(t, "keys", "list", "--data", e.data, "--kek-file", kekFile); r.ExitCode != 0 {
		t.Errorf("keys list --kek-file: exit %d\n%s", r.ExitCode, r.Stderr)
	}

	_, other := newKEK(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"NoKEK", nil, "are sealed"},
		{"OtherKEK", []string{"--kek-file", other}, "does not open"},
	} {
		r := gatewaytest.RunCLI(t, append([]string{"keys", "list", "--data", e.data}, tc.args...)...)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, "--kek-file") || !strings.Contains(r.Stderr, "ANTOMGW_KEK") {
			t.Errorf("%s: keys list: exit %d, stderr %q; want a failure saying %q and naming --kek-file and ANTOMGW_KEK", tc.name, r.ExitCode, r.Stderr, tc.want)
		}
		noSecret(t, tc.name+": keys list's output", r.Stdout+r.Stderr, kek, ders)
		p, err := e.start(tc.args...)
		if err == nil {
			t.Errorf("%s: serve started on a sealed store", tc.name)
			continue
		}
		if p == nil || !strings.Contains(p.Stderr(), tc.want) || !strings.Contains(p.Stderr(), "--kek-file") {
			t.Errorf("%s: serve failed with %v; want its log to say %q and name --kek-file", tc.name, err, tc.want)
		}
		if p != nil {
			noSecret(t, tc.name+": serve's log", p.Stderr()+p.Stdout(), kek, ders)
		}
	}
}

// TestKeysSeal: a store made without a KEK (the server warns once that its
// keys are unsealed) holds its keys in plain; keys seal, server stopped,
// seals every key in place, twice without harm, leaves no plain form of a
// key in the database files, and the server started with the KEK signs
// with the same keys, without the warning.
func TestKeysSeal(t *testing.T) {
	gatewaytest.Binary(t)
	t.Setenv("ANTOMGW_KEK", "")
	e := newEnv(t, "", "SEAL_SHOP")
	s := e.mustStart()
	pay(t, s, "PLAIN", 10)
	e.cli("keys", "rotate", "--data", e.data)
	if err := s.term(); err != nil {
		t.Fatal(err)
	}
	log := s.Stderr()
	if n := strings.Count(log, "gateway keys are stored unsealed"); n != 1 || !strings.Contains(log, "antomgw keys seal") || !strings.Contains(log, "--kek-file") {
		t.Errorf("a server without a KEK warned %d times about unsealed keys, want once, naming antomgw keys seal and --kek-file:\n%s", n, log)
	}
	ders := gatewayDERs(t, e, "")
	if files := plainKeyFiles(t, e, ders); len(files) == 0 {
		t.Fatalf("without a KEK no gateway key is in plain in the files: the search proves nothing")
	}

	if r := gatewaytest.RunCLI(t, "keys", "seal", "--data", e.data); r.ExitCode != 2 || !strings.Contains(r.Stderr, "--kek-file") {
		t.Errorf("keys seal without a KEK: exit %d, stderr %q; want exit 2 naming --kek-file", r.ExitCode, r.Stderr)
	}
	kek, kekFile := newKEK(t)
	out := e.cli("keys", "seal", "--data", e.data, "--kek-file", kekFile)
	if !strings.Contains(out, "sealed 2 gateway key version(s)") || !strings.Contains(out, "0 were sealed already") {
		t.Errorf("keys seal said %q, want 2 sealed, 0 already", out)
	}
	noSecret(t, "keys seal's output", out, kek, ders)
	if files := plainKeyFiles(t, e, ders); len(files) > 0 {
		t.Errorf("after keys seal, a gateway private key is in plain in %v", files)
	}
	if out := e.cli("keys", "seal", "--data", e.data, "--kek-file", kekFile); !strings.Contains(out, "sealed 0 gateway key version(s)") || !strings.Contains(out, "2 were sealed already") {
		t.Errorf("keys seal again said %q, want 0 sealed, 2 already", out)
	}
	if got := gatewayDERs(t, e, kek); len(got) != 2 || !bytes.Equal(got[0], ders[0]) || !bytes.Equal(got[1], ders[1]) {
		t.Errorf("the sealed keys are not the keys the store had")
	}
	_, other := newKEK(t)
	if r := gatewaytest.RunCLI(t, "keys", "seal", "--data", e.data, "--kek-file", other); r.ExitCode == 0 || !strings.Contains(r.Stderr, "does not open") {
		t.Errorf("keys seal with another KEK: exit %d, stderr %q; want a failure saying the KEK does not open the keys", r.ExitCode, r.Stderr)
	}

	s = e.mustStart("--kek-file", kekFile)
	pay(t, s, "SEALED", 10) // verified with version 1's public key, exported before sealing
	if err := s.term(); err != nil {
		t.Fatal(err)
	}
	if log := s.Stderr(); strings.Contains(log, "unsealed") {
		t.Errorf("the server with the KEK warned about unsealed keys:\n%s", log)
	}
	if files := plainKeyFiles(t, e, ders); len(files) > 0 {
		t.Errorf("after serving with the KEK, a gateway private key is in plain in %v", files)
	}
}

// TestBackup: antomgw backup of a store a server is using, with a few
// hundred payments, writes a 0600 file even under umask 0, never replaces
// a file, refers PostgreSQL to pg_dump, and a server started on a
// directory holding the copy answers for every payment made before it, as
// the original, signed with the same gateway key.
func TestBackup(t *testing.T) {
	gatewaytest.Binary(t)
	t.Setenv("ANTOMGW_KEK", "")
	e := newEnv(t, "", "BACKUP_SHOP")
	s := e.mustStart()
	const n = 300
	pay(t, s, "BEFORE", n)

	dir := filepath.Join(e.dir, "backups", "b1")
	out := filepath.Join(dir, "antomgw.db")
	r := gatewaytest.CLI{Binary: "/bin/sh", Args: []string{"-c", `umask 0 && exec "$0" "$@"`, e.bin, "backup", "--data", e.data, "--out", out}}.Run(t)
	if r.ExitCode != 0 {
		t.Fatalf("backup: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("backup mode under umask 0 = %v, want 0600", m)
	}
	if m := mustPerm(t, dir); m != 0o700 {
		t.Errorf("backup directory mode under umask 0 = %v, want 0700", m)
	}
	t.Logf("backup of %d payments: %d bytes", n, fi.Size())
	pay(t, s, "AFTER", 5)

	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := gatewaytest.RunCLI(t, "backup", "--data", e.data, "--out", out); r.ExitCode == 0 || !strings.Contains(r.Stderr, "already exists") {
		t.Errorf("backup over an existing file: exit %d, stderr %q; want a failure saying it exists", r.ExitCode, r.Stderr)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("a refused backup changed the existing file")
	}
	if r := gatewaytest.RunCLI(t, "backup", "--database-url", "postgres://127.0.0.1:1/x", "--out", filepath.Join(e.dir, "pg.db")); r.ExitCode == 0 || !strings.Contains(r.Stderr, "pg_dump") {
		t.Errorf("backup of PostgreSQL: exit %d, stderr %q; want a failure naming pg_dump", r.ExitCode, r.Stderr)
	}

	restored := &env{t: t, bin: e.bin, dir: e.dir, data: dir, clientID: e.clientID, key: e.key, gwKeys: e.gwKeys}
	b := restored.mustStart()
	for i := range n {
		id := fmt.Sprintf("BEFORE_%04d", i)
		a, err := s.inquire(id)
		if err != nil {
			t.Fatalf("inquire %s on the original: %v", id, err)
		}
		c, err := b.inquire(id) // verified with the original's gateway key
		if err != nil {
			t.Fatalf("inquire %s on the backup: %v", id, err)
		}
		if c.PaymentID != a.PaymentID || c.PaymentStatus != a.PaymentStatus || c.PaymentStatus != "SUCCESS" {
			t.Errorf("%s on the backup = %s %s, on the original %s %s", id, c.PaymentID, c.PaymentStatus, a.PaymentID, a.PaymentStatus)
		}
	}
	if c, err := b.inquire("AFTER_0000"); err != nil || c.Result.Status != "F" {
		t.Errorf("a payment made after the backup, on the backup: %+v, %v; want it unknown (F)", c, err)
	}
	for _, p := range []*server{b, s} {
		if err := p.term(); err != nil {
			t.Error(err)
		}
	}
}

// TestModesNarrowed: a data directory left 0755 and a database left 0644
// are narrowed at start to 0700 and 0600, with a warning each in the
// server's log; the -wal and -shm the server then creates are 0600, and a
// private key antomgw keys generate writes is 0600, all under umask 0.
func TestModesNarrowed(t *testing.T) {
	gatewaytest.Binary(t)
	t.Setenv("ANTOMGW_KEK", "")
	e := newEnv(t, "", "MODE_SHOP")
	s := e.mustStart()
	if err := s.term(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(e.data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{e.dbPath(), e.dbPath() + "-wal", e.dbPath() + "-shm"} {
		if err := os.Chmod(name, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}

	old := syscall.Umask(0) // the server and the commands inherit it
	defer syscall.Umask(old)
	s = e.mustStart()
	pay(t, s, "MODE", 5)
	log := s.Stderr()
	for _, want := range []string{"data directory " + e.data + " had mode 0755", e.dbPath() + " had mode 0644"} {
		if !strings.Contains(log, want) {
			t.Errorf("the server's log does not say %q:\n%s", want, log)
		}
	}
	if m := mustPerm(t, e.data); m != 0o700 {
		t.Errorf("data directory mode = %v, want 0700", m)
	}
	for _, name := range []string{e.dbPath(), e.dbPath() + "-wal", e.dbPath() + "-shm"} {
		if m := mustPerm(t, name); m != 0o600 {
			t.Errorf("%s mode while the server runs = %v, want 0600", filepath.Base(name), m)
		}
	}
	if err := s.term(); err != nil {
		t.Fatal(err)
	}
	s = e.mustStart()
	if log := s.Stderr(); strings.Contains(log, "had mode") {
		t.Errorf("a second start warned about modes again:\n%s", log)
	}
	if err := s.term(); err != nil {
		t.Fatal(err)
	}

	priv, pub := filepath.Join(e.dir, "m.pem"), filepath.Join(e.dir, "m.pub")
	e.cli("keys", "generate", "--private-out", priv, "--public-out", pub)
	if m := mustPerm(t, priv); m != 0o600 {
		t.Errorf("keys generate: private key mode under umask 0 = %v, want 0600", m)
	}
	e.cli("keys", "generate", "--private-out", priv, "--public-out", pub, "--force")
	if m := mustPerm(t, priv); m != 0o600 {
		t.Errorf("keys generate --force: private key mode under umask 0 = %v, want 0600", m)
	}
}

func mustPerm(t *testing.T, name string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
