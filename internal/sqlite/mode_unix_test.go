//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
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
