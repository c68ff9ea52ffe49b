package node

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/postgres"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// DBFile is the SQLite database inside a data directory.
const DBFile = "antomgw.db"

// Store is a gateway store that can be closed: SQLite or PostgreSQL.
type Store interface {
	gateway.Store
	Close() error
}

// StoreConfig says which store to open: PostgreSQL when DatabaseURL is
// set, else SQLite in DataDir.
type StoreConfig struct {
	DataDir     string
	DatabaseURL string
	// KEK is the key-encryption key's text (32 bytes raw, hex or base64)
	// sealing the gateway keys in PostgreSQL; nil for none.
	KEK []byte
	// Synchronous is SQLite's synchronous mode; "" is FULL.
	Synchronous string
}

// StoreInfo says which store was opened, for logs.
type StoreInfo struct {
	Kind   string // "sqlite" or "postgres"
	Where  string // the data directory, or the database URL without credentials
	Sealed bool   // PostgreSQL: gateway keys sealed under a KEK
}

// OpenStore opens the store cfg names, migrated to the current schema:
// SQLite in the data directory (created with mode 0700, and refused with a
// clear error when it is not writable), or PostgreSQL.
func OpenStore(ctx context.Context, cfg StoreConfig) (Store, StoreInfo, error) {
	if cfg.DatabaseURL == "" {
		if cfg.KEK != nil {
			return nil, StoreInfo{}, fmt.Errorf("a key-encryption key seals gateway keys in PostgreSQL; SQLite keeps keys in its 0600 database file")
		}
		dir := cfg.DataDir
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, StoreInfo{}, fmt.Errorf("data directory: %w", err)
		}
		probe, err := os.CreateTemp(dir, ".write-probe-*")
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("open store: data directory %s is not writable (read-only file system, full disk or permissions?): %w", dir, err)
		}
		probe.Close()
		os.Remove(probe.Name())
		st, err := sqlite.Open(ctx, filepath.Join(dir, DBFile), sqlite.Options{Synchronous: cfg.Synchronous})
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("open store in %s: %w", dir, err)
		}
		return st, StoreInfo{Kind: "sqlite", Where: dir}, nil
	}
	var kek []byte
	if cfg.KEK != nil {
		k, err := postgres.ParseKEK(cfg.KEK)
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("key-encryption key: %w", err)
		}
		kek = k
	}
	where := RedactURL(cfg.DatabaseURL)
	st, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{KEK: kek})
	if err != nil {
		return nil, StoreInfo{}, fmt.Errorf("open database %s: %w", where, err)
	}
	return st, StoreInfo{Kind: "postgres", Where: where, Sealed: st.Sealed()}, nil
}

// RedactURL returns a database URL without its credentials and parameters,
// for logs and errors.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "postgres"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
