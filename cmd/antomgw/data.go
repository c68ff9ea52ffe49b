package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/wire"
)

// defaultDataDir is where serve and the registry commands keep their data
// when --data is not given.
const defaultDataDir = "./antomgw-data"

// dbFile is the SQLite database inside the data directory.
const dbFile = "antomgw.db"

// storeOptions are the store settings a command chose.
type storeOptions struct {
	synchronous string
}

// openStore opens (creating when needed, mode 0700) the data directory and
// its SQLite store, migrated to the current schema.
func openStore(ctx context.Context, dir string, opts storeOptions) (*sqlite.Store, error) {
	if dir == "" {
		dir = defaultDataDir
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, dbFile), sqlite.Options{Synchronous: opts.synchronous})
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	return st, nil
}

// ensureGatewayKey makes sure the gateway has a signing key, creating
// version 1 (RSA-2048) on first use. It returns the newest key's public half
// and version.
func ensureGatewayKey(ctx context.Context, st gateway.Store) (*rsa.PublicKey, int, error) {
	keys, err := (&gateway.Keyring{Store: st}).Keys(ctx)
	if err != nil {
		return nil, 0, err
	}
	if priv, ver, err := keys.SigningKey(); err == nil {
		return &priv.PublicKey, ver, nil
	}
	return addGatewayKey(ctx, st)
}

// addGatewayKey generates a new gateway key version.
func addGatewayKey(ctx context.Context, st gateway.Store) (*rsa.PublicKey, int, error) {
	key, err := wire.GenerateKey(nil)
	if err != nil {
		return nil, 0, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, 0, err
	}
	ver, err := st.AddGatewayKey(ctx, der, time.Now())
	if err != nil {
		return nil, 0, fmt.Errorf("store gateway key: %w", err)
	}
	return &key.PublicKey, ver, nil
}

// gatewayPublicKey returns the gateway's public key of a version (0: newest).
func gatewayPublicKey(ctx context.Context, st gateway.Store, version int) (*rsa.PublicKey, int, error) {
	keys, err := (&gateway.Keyring{Store: st}).Keys(ctx)
	if err != nil {
		return nil, 0, err
	}
	priv, ver, err := keys.GatewayKey(version)
	if errors.Is(err, gateway.ErrUnknownKey) {
		return nil, 0, fmt.Errorf("the gateway has no key version %d", version)
	}
	if err != nil {
		return nil, 0, err
	}
	return &priv.PublicKey, ver, nil
}

// readPublicKeyFile reads an RSA public key file (PEM or bare base64 DER) and
// returns it as SPKI DER.
func readPublicKeyFile(path string) ([]byte, *rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	pub, err := wire.ParsePublicKey(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return der, pub, nil
}
