//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// TestFileMode checks that the database and its -wal and -shm files are
// readable by their owner only, even with a umask that takes nothing away.
func TestFileMode(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	path := filepath.Join(t.TempDir(), "antomgw.db")
	s := open(t, path, sqlite.Options{})
	if err := s.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertJob(&gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-1"})
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, err := s.Payment(context.Background(), "client-a", "pay-1"); err == nil {
		t.Fatalf("Payment of a missing payment succeeded")
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("Stat: %v", err)
			continue
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(name), mode, os.FileMode(0o600))
		}
	}
}

// TestLooseModesNarrowed: a database, -wal and -shm left more open than
// 0600 (an older antomgw, a copy, a hand-made file) are narrowed when a
// store opens them, with a warning each, before SQLite creates anything
// from the database's mode; files at 0600 get no warning.
func TestLooseModesNarrowed(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	path := filepath.Join(t.TempDir(), "antomgw.db")
	first := open(t, path, sqlite.Options{}) // keeps -wal and -shm in place
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(name, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, path, sqlite.Options{})
	warnings := s.Warnings()
	if len(warnings) != 3 {
		t.Errorf("Warnings = %q, want one for each of the 3 files", warnings)
	}
	for i, name := range []string{path, path + "-wal", path + "-shm"} {
		if mode := perm(t, name); mode != 0o600 {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(name), mode, os.FileMode(0o600))
		}
		if i < len(warnings) && (!strings.Contains(warnings[i], name) || !strings.Contains(warnings[i], "0644") || !strings.Contains(warnings[i], "0600")) {
			t.Errorf("warning %q does not name %s, 0644 and 0600", warnings[i], filepath.Base(name))
		}
	}
	again := open(t, path, sqlite.Options{})
	if w := again.Warnings(); len(w) != 0 {
		t.Errorf("Warnings of files at 0600 = %q, want none", w)
	}
	again.Close()
	first.Close()

	// No -wal yet: SQLite would create it with the database's 0644.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			t.Skipf("%s still exists after every store closed", suffix)
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, sqlite.Options{})
	if err := s.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertJob(&gateway.Job{Kind: gateway.JobPaymentExpire, TargetID: "pay-2"})
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if w := s.Warnings(); len(w) != 1 {
		t.Errorf("Warnings = %q, want one, for the database", w)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if mode := perm(t, name); mode != 0o600 {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(name), mode, os.FileMode(0o600))
		}
	}
}

func perm(tb testing.TB, name string) os.FileMode {
	tb.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode().Perm()
}
