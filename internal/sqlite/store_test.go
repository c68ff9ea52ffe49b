package sqlite_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/internal/storetest"
)

// TestStore runs the store conformance suite on an in-memory database (fast,
// one connection), on a file (WAL, a writer and a reader pool: where
// concurrency really happens), and its concurrency tests on two stores on
// one file, as two processes: each Store has its own writer connection, so
// only SQLite's file lock (BEGIN IMMEDIATE, busy timeout) keeps their
// transactions apart.
func TestStore(t *testing.T) {
	file := func(t *testing.T) string { return filepath.Join(t.TempDir(), "antomgw.db") }
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) gateway.Store { return open(t, sqlite.Memory, sqlite.Options{}) })
	})
	t.Run("File", func(t *testing.T) {
		// synchronous=NORMAL skips the fsync of each commit, which on a busy
		// disk made this run take 1s or 15s at random; locking, WAL and the
		// two pools are the same as with the default FULL.
		opts := sqlite.Options{Synchronous: "NORMAL"}
		storetest.Run(t, func(t *testing.T) gateway.Store { return open(t, file(t), opts) })
	})
	t.Run("SealedFile", func(t *testing.T) {
		// Gateway keys sealed under a KEK: the suite's key tests read back
		// what they stored.
		opts := sqlite.Options{Synchronous: "NORMAL", KEK: bytes.Repeat([]byte{0x4b}, 32)} // test only
		storetest.Run(t, func(t *testing.T) gateway.Store { return open(t, file(t), opts) })
	})
	t.Run("SharedFile", func(t *testing.T) {
		storetest.RunShared(t, func(t *testing.T) []gateway.Store {
			path := file(t)
			return []gateway.Store{open(t, path, sqlite.Options{}), open(t, path, sqlite.Options{})}
		})
	})
}

// open opens a store that is closed when tb ends.
func open(tb testing.TB, path string, opts sqlite.Options) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}
