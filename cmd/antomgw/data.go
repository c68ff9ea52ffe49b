package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/node"
	"github.com/antomgw/antomgw/internal/notify"
)

// defaultDataDir is where serve and the registry commands keep their data
// when --data is not given.
const defaultDataDir = "./antomgw-data"

// dbFile is the SQLite database inside the data directory.
const dbFile = node.DBFile

// store is a gateway store the command can close: SQLite or PostgreSQL.
type store = node.Store

// storeFlag is the --data / --database-url / --kek-file trio every command
// that touches the gateway's data takes.
type storeFlag struct {
	f                          *flagSet
	data, databaseURL, kekFile *string
	// create lets the command create a data directory that does not exist
	// yet (serve, clients add); every other command refuses, so that a
	// command run from the wrong directory says so instead of starting a
	// new gateway there.
	create bool
}

func addStoreFlags(f *flagSet) *storeFlag {
	sf := &storeFlag{
		f:           f,
		data:        f.str("data", "DIR", defaultDataDir, "data directory of the embedded SQLite store (ignored with --database-url)"),
		databaseURL: f.str("database-url", "URL", "", "PostgreSQL URL (postgres://user@host/db) for several nodes on one database (default: SQLite in --data)"),
		kekFile:     f.str("kek-file", "FILE", "", "key-encryption key (32 bytes: raw, hex or base64) sealing the gateway keys at rest (SQLite or PostgreSQL); default $ANTOMGW_KEK (the key itself)"),
	}
	f.fromEnv("data", "database-url")
	return sf
}

// open opens the store the flags (or the environment) name: PostgreSQL when
// a database URL is given, else SQLite in the data directory. synchronous
// is SQLite's mode ("" for FULL).
func (sf *storeFlag) open(ctx context.Context, e *env, synchronous string) (store, node.StoreInfo, error) {
	cfg := node.StoreConfig{DataDir: *sf.data, DatabaseURL: *sf.databaseURL, Synchronous: synchronous}
	if cfg.DataDir == "" {
		cfg.DataDir = defaultDataDir
	}
	switch {
	case *sf.kekFile != "":
		b, err := os.ReadFile(*sf.kekFile)
		if err != nil {
			return nil, node.StoreInfo{}, fmt.Errorf("--kek-file: %w", err)
		}
		cfg.KEK = b
	case e.env("ANTOMGW_KEK") != "":
		cfg.KEK = []byte(e.env("ANTOMGW_KEK"))
	}
	if !sf.create && cfg.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, dbFile)); errors.Is(err, fs.ErrNotExist) {
			return nil, node.StoreInfo{}, fmt.Errorf("no gateway data in %s (no %s there): give --data the directory antomgw serve uses, or --database-url", cfg.DataDir, dbFile)
		}
	}
	return node.OpenStore(ctx, cfg)
}

// onStore runs a command that works on the gateway's data: its flag set
// has the store flags, define adds the command's own flags and returns
// what to do with the gateway's use cases once they parse.
func onStore(ctx context.Context, e *env, path string, args []string, synopsis, doc string,
	define func(f *flagSet) func(svc *gateway.Service) error) error {
	f := newFlagSet(e, path, synopsis, doc)
	sf := addStoreFlags(f)
	sf.create = path == "antomgw clients add"
	do := define(f)
	if err := f.parse(args); err != nil {
		return err
	}
	return sf.run(ctx, e, do)
}

// run opens the store the flags name, calls fn with the gateway's use
// cases on it, and closes the store.
func (sf *storeFlag) run(ctx context.Context, e *env, fn func(svc *gateway.Service) error) error {
	svc, done, err := sf.service(ctx, e)
	if err != nil {
		return err
	}
	defer done()
	return fn(svc)
}

// service opens the store the flags name and returns the gateway's use
// cases on it, with a function that closes the store. A payment the
// operator decides notifies like any other.
func (sf *storeFlag) service(ctx context.Context, e *env) (*gateway.Service, func(), error) {
	st, _, err := sf.open(ctx, e, "")
	if err != nil {
		return nil, nil, err
	}
	return &gateway.Service{Store: st, NotificationBody: notify.Body, CaptureNotificationBody: notify.CaptureBody}, func() { st.Close() }, nil
}

// readPublicKeyFile reads an RSA public key file (PEM or bare base64 DER) and
// returns it as SPKI DER.
func readPublicKeyFile(path string) ([]byte, *rsa.PublicKey, error) {
	pub, err := loadPublicKey(path)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return der, pub, nil
}
