package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
)

// RegistryVersion returns the registry version: a counter that every
// registry write increments in its own transaction.
func (s *Store) RegistryVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.rd.QueryRowContext(ctx, `SELECT version FROM registry_version WHERE id = 1`).Scan(&v)
	if err != nil {
		return 0, storeErr("read registry version", err)
	}
	return v, nil
}

// LoadRegistry reads every client (by id) with its keys (by version,
// retired ones too) and every gateway key (by version) in one read
// transaction, so the snapshot and its version agree. Sealed gateway keys
// are opened with the store's KEK; one that does not open is a
// *seal.KEKError.
func (s *Store) LoadRegistry(ctx context.Context) (*gateway.Registry, error) {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, storeErr("load registry: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	reg := &gateway.Registry{}
	if err := tx.QueryRowContext(ctx, `SELECT version FROM registry_version WHERE id = 1`).Scan(&reg.Version); err != nil {
		return nil, storeErr("load registry: version", err)
	}

	reg.Clients, err = queryAll(ctx, tx, "load registry: clients", rows.ScanClient,
		`SELECT `+rows.ClientColumns+` FROM clients ORDER BY client_id`)
	if err != nil {
		return nil, err
	}
	keys, err := queryAll(ctx, tx, "load registry: client keys", rows.ScanClientKey,
		`SELECT `+rows.ClientKeyColumns+` FROM client_keys ORDER BY client_id, version`)
	if err != nil {
		return nil, err
	}
	rows.AddClientKeys(reg.Clients, keys)
	stored, err := queryAll(ctx, tx, "load registry: gateway keys", scanGatewayKey,
		`SELECT `+rows.GatewayKeyColumns+`, sealed FROM gateway_keys ORDER BY version`)
	if err != nil {
		return nil, err
	}
	for _, k := range stored {
		if k.sealed {
			if k.PrivateKey, err = s.kek.Open(k.Version, k.PrivateKey); err != nil {
				return nil, fmt.Errorf("load registry: %w", err)
			}
		}
		reg.GatewayKeys = append(reg.GatewayKeys, k.GatewayKey)
	}
	if reg.ScenarioRules, err = loadScenarioRules(ctx, tx); err != nil {
		return nil, err
	}
	return reg, nil
}

// storedGatewayKey is a row of gateway_keys: PrivateKey is sealed when
// sealed is set. The sealed column came with migration 0006, after the
// columns both stores share, so its row is rows.GatewayKeyColumns and then
// sealed.
type storedGatewayKey struct {
	gateway.GatewayKey
	sealed bool
}

// scanGatewayKey reads a row of rows.GatewayKeyColumns followed by sealed.
func scanGatewayKey(row rows.Scanner) (storedGatewayKey, error) {
	var k storedGatewayKey
	err := row.Scan(append(rows.GatewayKeyDest(&k.GatewayKey), &k.sealed)...)
	return k, err
}

// AddClient registers c with its first key; key.ClientID may be empty.
// ErrConflict when the client id is taken.
func (s *Store) AddClient(ctx context.Context, c gateway.Client, key gateway.ClientKey) error {
	if key.ClientID != "" && key.ClientID != c.ID {
		return fmt.Errorf("add client %s: key is for client %s", c.ID, key.ClientID)
	}
	return s.registryWrite(ctx, "add client", func(tx *sql.Tx) error {
		inserted, err := changed(tx.ExecContext(ctx, `INSERT INTO clients (client_id, notify_url, encrypted, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (client_id) DO NOTHING`, c.ID, c.NotifyURL, boolInt(c.Encrypted), rows.Millis(c.CreatedAt)))
		if err != nil {
			return err
		}
		if !inserted {
			return fmt.Errorf("client %s: %w", c.ID, gateway.ErrConflict)
		}
		return insertClientKey(ctx, tx, c.ID, key)
	})
}

// UpdateClient changes a client's settings (notify URL, encryption,
// gateway key pin). ErrNotFound for an unknown client or a pin to a gateway
// key version that is missing or retired.
func (s *Store) UpdateClient(ctx context.Context, c gateway.Client) error {
	return s.registryWrite(ctx, "update client", func(tx *sql.Tx) error {
		if c.GatewayKeyVersion != 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM gateway_keys WHERE version = ? AND state <> 'retired'`, c.GatewayKeyVersion).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("gateway key version %d: %w", c.GatewayKeyVersion, gateway.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		updated, err := changed(tx.ExecContext(ctx, `UPDATE clients SET notify_url = ?, encrypted = ?, gateway_key_version = ? WHERE client_id = ?`,
			c.NotifyURL, boolInt(c.Encrypted), c.GatewayKeyVersion, c.ID))
		if err == nil && !updated {
			err = fmt.Errorf("client %s: %w", c.ID, gateway.ErrNotFound)
		}
		return err
	})
}

// AddClientKey adds a version of a client's key. ErrNotFound for an unknown
// client, ErrConflict when the client has that version.
func (s *Store) AddClientKey(ctx context.Context, key gateway.ClientKey) error {
	return s.registryWrite(ctx, "add client key", func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE client_id = ?`, key.ClientID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("client %s: %w", key.ClientID, gateway.ErrNotFound)
		}
		if err != nil {
			return err
		}
		return insertClientKey(ctx, tx, key.ClientID, key)
	})
}

func insertClientKey(ctx context.Context, tx *sql.Tx, clientID string, key gateway.ClientKey) error {
	inserted, err := changed(tx.ExecContext(ctx, `INSERT INTO client_keys (client_id, version, public_key, created_at, retired_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (client_id, version) DO NOTHING`,
		clientID, key.Version, key.PublicKey, rows.Millis(key.CreatedAt), rows.Millis(key.RetiredAt)))
	if err == nil && !inserted {
		err = fmt.Errorf("client %s key version %d: %w", clientID, key.Version, gateway.ErrConflict)
	}
	return err
}

// RetireClientKey sets a key's retired time. ErrNotFound when the client
// has no such key, or it is retired already.
func (s *Store) RetireClientKey(ctx context.Context, clientID string, version int, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("retire client key: zero time")
	}
	return s.registryWrite(ctx, "retire client key", func(tx *sql.Tx) error {
		retired, err := changed(tx.ExecContext(ctx, `UPDATE client_keys SET retired_at = ?
			WHERE client_id = ? AND version = ? AND retired_at IS NULL`, at.UnixMilli(), clientID, version))
		if err == nil && !retired {
			err = fmt.Errorf("client %s active key version %d: %w", clientID, version, gateway.ErrNotFound)
		}
		return err
	})
}

// EnsureGatewayKey stores the key generate returns as version 1, active,
// when the gateway has no key at all; otherwise it returns the active
// version. The check and the insert share one write transaction, which
// holds SQLite's write lock from its start, so processes starting together
// create one key.
func (s *Store) EnsureGatewayKey(ctx context.Context, generate func() ([]byte, error), at time.Time) (version int, added bool, err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, storeErr("ensure gateway key: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(CASE WHEN state = 'active' THEN version END), 0)
		FROM gateway_keys`).Scan(&n, &version); err != nil {
		return 0, false, storeErr("ensure gateway key", err)
	}
	if n > 0 {
		return version, false, nil
	}
	der, err := generate()
	if err != nil {
		return 0, false, err
	}
	if err := s.insertGatewayKey(ctx, tx, 1, der, gateway.GatewayKeyActive, at, rows.Millis(at)); err != nil {
		return 0, false, storeErr("ensure gateway key", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
		return 0, false, storeErr("ensure gateway key: bump registry version", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, storeErr("ensure gateway key: commit", err)
	}
	s.stampRegistry()
	return 1, true, nil
}

// AddGatewayKey stores a gateway key under the next version, one more than
// the highest so far (1 for the first), and returns it. The key is
// published, or active when activate is set or no version is active. With
// a KEK the key is stored sealed (see Options.KEK).
func (s *Store) AddGatewayKey(ctx context.Context, privateKeyDER []byte, at time.Time, activate bool) (int, error) {
	var version int
	err := s.registryWrite(ctx, "add gateway key", func(tx *sql.Tx) error {
		var active int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1, count(CASE WHEN state = 'active' THEN 1 END)
			FROM gateway_keys`).Scan(&version, &active); err != nil {
			return err
		}
		state, activated := gateway.GatewayKeyPublished, any(nil)
		if activate || active == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE gateway_keys SET state = 'published' WHERE state = 'active'`); err != nil {
				return err
			}
			state, activated = gateway.GatewayKeyActive, rows.Millis(at)
		}
		return s.insertGatewayKey(ctx, tx, version, privateKeyDER, state, at, activated)
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// insertGatewayKey stores der as the given version, sealed when the store
// has a KEK: with one, the plain key never reaches the file.
func (s *Store) insertGatewayKey(ctx context.Context, tx *sql.Tx, version int, der []byte, state gateway.GatewayKeyState, at time.Time, activated any) error {
	stored, sealed := der, false
	if s.kek != nil {
		var err error
		if stored, err = s.kek.Seal(version, der); err != nil {
			return fmt.Errorf("seal gateway key version %d: %w", version, err)
		}
		sealed = true
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO gateway_keys (version, private_key, sealed, state, created_at, activated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, version, stored, boolInt(sealed), string(state), rows.Millis(at), activated)
	return err
}

// ActivateGatewayKey makes a published version active and the active one
// published, in one transaction. ErrNotFound for a missing or retired
// version.
func (s *Store) ActivateGatewayKey(ctx context.Context, version int, at time.Time) error {
	return s.registryWrite(ctx, "activate gateway key", func(tx *sql.Tx) error {
		state, err := liveGatewayKey(ctx, tx, version)
		if err != nil || state == gateway.GatewayKeyActive {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE gateway_keys SET state = 'published' WHERE state = 'active'`); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE gateway_keys SET state = 'active', activated_at = ? WHERE version = ?`, rows.Millis(at), version)
		return err
	})
}

// RetireGatewayKey retires a published version that no client is pinned
// to. ErrNotFound for a missing or retired version, ErrConflict for the
// active version or a pinned one.
func (s *Store) RetireGatewayKey(ctx context.Context, version int, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("retire gateway key: zero time")
	}
	return s.registryWrite(ctx, "retire gateway key", func(tx *sql.Tx) error {
		state, err := liveGatewayKey(ctx, tx, version)
		if err != nil {
			return err
		}
		if state == gateway.GatewayKeyActive {
			return fmt.Errorf("gateway key version %d is active: %w", version, gateway.ErrConflict)
		}
		var pinned int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE gateway_key_version = ?`, version).Scan(&pinned); err != nil {
			return err
		}
		if pinned > 0 {
			return fmt.Errorf("gateway key version %d: %d client(s) pinned to it: %w", version, pinned, gateway.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE gateway_keys SET state = 'retired', retired_at = ? WHERE version = ?`, at.UnixMilli(), version)
		return err
	})
}

// liveGatewayKey returns the state of a gateway key version; ErrNotFound
// when it is missing or retired.
func liveGatewayKey(ctx context.Context, tx *sql.Tx, version int) (gateway.GatewayKeyState, error) {
	var state gateway.GatewayKeyState
	err := tx.QueryRowContext(ctx, `SELECT state FROM gateway_keys WHERE version = ?`, version).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) || state == gateway.GatewayKeyRetired {
		return "", fmt.Errorf("gateway key version %d: %w", version, gateway.ErrNotFound)
	}
	return state, err
}

// registryWrite runs fn in a write transaction and bumps the registry
// version in the same transaction.
func (s *Store) registryWrite(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(op+": begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return storeErr(op, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
		return storeErr(op+": bump registry version", err)
	}
	if err := tx.Commit(); err != nil {
		return storeErr(op+": commit", err)
	}
	s.stampRegistry()
	return nil
}

// The registry stamp is a file next to the database, antomgw.db-registry,
// whose modification time every registry write sets after it commits. A
// server stats it on each request (a microsecond, where the version query
// costs tens) and reads the registry version when it moved, so that a
// change the CLI makes from another process reaches the next request.
// (gateway.Keyring.MaxAge bounds the wait should a process die between its
// commit and the stamp.) A claim that exhausts a scenario rule moves the
// version but not the stamp: the rule stays in a node's snapshot until the
// next re-read, and claiming it again fails.

// stampRegistry moves the registry stamp. A failure is ignored: the
// change is committed, and servers see it within their MaxAge.
func (s *Store) stampRegistry() {
	if s.path == Memory {
		return
	}
	name, now := s.path+"-registry", time.Now()
	if err := os.Chtimes(name, now, now); errors.Is(err, fs.ErrNotExist) {
		if f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, fileMode); err == nil {
			f.Close()
			os.Chtimes(name, now, now) //nolint:errcheck // best effort, as above
		}
	}
}

// RegistryStamp returns the registry stamp's modification time in
// nanoseconds, 0 before the first stamp; ok is false for an in-memory
// database, whose only writer is this process, or when the file cannot be
// read.
func (s *Store) RegistryStamp() (stamp int64, ok bool) {
	if s.path == Memory {
		return 0, false
	}
	fi, err := os.Stat(s.path + "-registry")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, true
	case err != nil:
		return 0, false
	}
	return fi.ModTime().UnixNano(), true
}
