package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/postgres"
	"github.com/antomgw/antomgw/internal/seal"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// DBFile is the SQLite database inside a data directory.
const DBFile = "antomgw.db"

// dirMode is the mode of a data directory: only its owner may list it or
// reach the database in it.
const dirMode fs.FileMode = 0o700

// Store is a gateway store that can be closed: SQLite or PostgreSQL.
type Store interface {
	gateway.Store
	Close() error
	// Sealed reports whether the store seals the gateway keys it adds
	// (it was opened with a KEK).
	Sealed() bool
	// CheckGatewayKeys opens every sealed gateway key and returns the
	// versions stored plain; a *seal.KEKError when a sealed key does not
	// open.
	CheckGatewayKeys(ctx context.Context) (plain []int, err error)
	// SealGatewayKeys seals every gateway key stored plain, in one
	// transaction; see sqlite.Store.SealGatewayKeys.
	SealGatewayKeys(ctx context.Context) (sealed, already int, err error)
}

var (
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)

// StoreConfig says which store to open: PostgreSQL when DatabaseURL is
// set, else SQLite in DataDir.
type StoreConfig struct {
	DataDir     string
	DatabaseURL string
	// KEK is the key-encryption key's text (32 bytes raw, hex or base64,
	// see seal.ParseKEK) sealing the gateway keys at rest, in either
	// store; nil for none.
	KEK []byte
	// Synchronous is SQLite's synchronous mode; "" is FULL.
	Synchronous string
}

// StoreInfo says which store was opened, for logs.
type StoreInfo struct {
	Kind   string // "sqlite" or "postgres"
	Where  string // the data directory, or the database URL without credentials
	Sealed bool   // a KEK was given: the gateway keys added are sealed
	// PlainKeys are the gateway key versions stored unsealed (all of them
	// when Sealed is false): antomgw keys seal seals them.
	PlainKeys []int
	// Warnings are what the operator should hear about at start: file
	// modes that were more open than 0700 (directory) or 0600 (database,
	// -wal, -shm) and were narrowed, or could not be; a PostgreSQL server
	// running without autovacuum.
	Warnings []string
}

// OpenStore opens the store cfg names, migrated to the current schema:
// SQLite in the data directory (created with mode 0700, and refused with a
// clear error when it is not writable), or PostgreSQL. A data directory
// more open than 0700, and a database, -wal or -shm file more open than
// 0600, is narrowed, with a warning in StoreInfo.Warnings.
//
// Gateway keys are sealed with cfg.KEK when it is set. A store holding
// sealed keys is refused, with an error naming --kek-file and ANTOMGW_KEK,
// when no KEK is given or the keys do not open with the one given: every
// command needs the KEK once the keys are sealed.
func OpenStore(ctx context.Context, cfg StoreConfig) (Store, StoreInfo, error) {
	var kek []byte
	if cfg.KEK != nil {
		k, err := seal.ParseKEK(cfg.KEK)
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("key-encryption key: %w", err)
		}
		kek = k
	}
	var (
		st   Store
		info StoreInfo
	)
	if cfg.DatabaseURL == "" {
		dir := cfg.DataDir
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return nil, StoreInfo{}, fmt.Errorf("data directory: %w", err)
		}
		warning, err := narrowDir(dir)
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("data directory: %w", err)
		}
		if warning != "" {
			info.Warnings = append(info.Warnings, warning)
		}
		probe, err := os.CreateTemp(dir, ".write-probe-*")
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("open store: data directory %s is not writable (read-only file system, full disk or permissions?): %w", dir, err)
		}
		probe.Close()
		os.Remove(probe.Name())
		s, err := sqlite.Open(ctx, filepath.Join(dir, DBFile), sqlite.Options{Synchronous: cfg.Synchronous, KEK: kek})
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("open store in %s: %w", dir, err)
		}
		st, info.Kind, info.Where = s, "sqlite", dir
		info.Warnings = append(info.Warnings, s.Warnings()...)
	} else {
		info.Kind, info.Where = "postgres", RedactURL(cfg.DatabaseURL)
		s, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{KEK: kek})
		if err != nil {
			return nil, StoreInfo{}, fmt.Errorf("open database %s: %w", info.Where, err)
		}
		st = s
		info.Warnings = append(info.Warnings, s.Warnings(ctx)...)
	}
	info.Sealed = st.Sealed()
	plain, err := st.CheckGatewayKeys(ctx)
	if err != nil {
		st.Close()
		return nil, StoreInfo{}, kekErr(info.Where, err)
	}
	info.PlainKeys = plain
	return st, info, nil
}

// kekErr explains a failure of CheckGatewayKeys in the operator's terms:
// which flag or variable gives the key-encryption key.
func kekErr(where string, err error) error {
	var ke *seal.KEKError
	switch {
	case errors.As(err, &ke) && ke.NoKEK:
		return fmt.Errorf("the gateway keys in %s are sealed: give their key-encryption key with --kek-file FILE or ANTOMGW_KEK (%w)", where, err)
	case errors.As(err, &ke):
		return fmt.Errorf("the key-encryption key given (--kek-file or ANTOMGW_KEK) does not open the gateway keys in %s: is it the one they were sealed with? (%w)", where, err)
	}
	return fmt.Errorf("open store in %s: %w", where, err)
}

// narrowDir takes from the data directory every permission bit beyond
// 0700 and returns a warning when it did (or could not: another owner).
func narrowDir(dir string) (string, error) {
	if runtime.GOOS == "windows" {
		return "", nil // no Unix permission bits to narrow
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	perm := fi.Mode().Perm()
	if perm&^dirMode == 0 {
		return "", nil
	}
	if err := os.Chmod(dir, perm&dirMode); err != nil {
		return fmt.Sprintf("data directory %s has mode %04o (others may list it) and could not be narrowed to %04o: %v", dir, perm, perm&dirMode, errors.Unwrap(err)), nil
	}
	return fmt.Sprintf("data directory %s had mode %04o (others could list it); narrowed to %04o", dir, perm, perm&dirMode), nil
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
