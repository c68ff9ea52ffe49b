package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/rows"
	"github.com/jackc/pgx/v5"
)

// RegistryVersion returns the registry version: a counter that every
// registry write, from any node or the CLI, increments in its own
// transaction.
func (s *Store) RegistryVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM registry_version WHERE id = 1`).Scan(&v)
	if err != nil {
		return 0, storeErr("read registry version", err)
	}
	return v, nil
}

// LoadRegistry reads every client (by id) with its keys (by version,
// retired ones too) and every gateway key (by version) in one REPEATABLE
// READ, READ ONLY transaction: its statements share one snapshot, so the
// registry and its version agree (at READ COMMITTED each statement would
// see the database as it is when it starts). Sealed gateway keys are
// opened with the store's KEK; one that does not open is a *KEKError.
func (s *Store) LoadRegistry(ctx context.Context) (*gateway.Registry, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, storeErr("load registry: begin", err)
	}
	defer rollback(ctx, tx)

	reg := &gateway.Registry{}
	if err := tx.QueryRow(ctx, `SELECT version FROM registry_version WHERE id = 1`).Scan(&reg.Version); err != nil {
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
			if k.PrivateKey, err = unseal(s.kek, k.Version, k.PrivateKey); err != nil {
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
// sealed is set. The sealed column is not among the columns both stores
// read alike (SQLite's is an INTEGER), so its row is rows.GatewayKeyColumns
// and then sealed.
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
	return s.registryWrite(ctx, "add client", func(t *tx) error {
		inserted, err := t.execOne("add client", `INSERT INTO clients (client_id, notify_url, encrypted, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (client_id) DO NOTHING`, c.ID, c.NotifyURL, c.Encrypted, rows.Millis(c.CreatedAt))
		if err != nil {
			return err
		}
		if !inserted {
			return fmt.Errorf("client %s: %w", c.ID, gateway.ErrConflict)
		}
		return insertClientKey(t, c.ID, key)
	})
}

// UpdateClient changes a client's settings (notify URL, encryption,
// gateway key pin); its id, creation time and keys stay. ErrNotFound for an
// unknown client or a pin to a gateway key version that is missing or
// retired.
func (s *Store) UpdateClient(ctx context.Context, c gateway.Client) error {
	return s.registryWrite(ctx, "update client", func(t *tx) error {
		if c.GatewayKeyVersion != 0 {
			var one int
			err := t.tx.QueryRow(t.ctx, `SELECT 1 FROM gateway_keys WHERE version = $1 AND state <> 'retired'`, c.GatewayKeyVersion).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("gateway key version %d: %w", c.GatewayKeyVersion, gateway.ErrNotFound)
			}
			if err != nil {
				return t.fail("update client", err)
			}
		}
		updated, err := t.execOne("update client", `UPDATE clients SET notify_url = $1, encrypted = $2, gateway_key_version = $3 WHERE client_id = $4`,
			c.NotifyURL, c.Encrypted, c.GatewayKeyVersion, c.ID)
		if err == nil && !updated {
			err = fmt.Errorf("client %s: %w", c.ID, gateway.ErrNotFound)
		}
		return err
	})
}

// AddClientKey adds a version of a client's key. ErrNotFound for an unknown
// client, ErrConflict when the client has that version.
func (s *Store) AddClientKey(ctx context.Context, key gateway.ClientKey) error {
	return s.registryWrite(ctx, "add client key", func(t *tx) error {
		var one int
		err := t.tx.QueryRow(t.ctx, `SELECT 1 FROM clients WHERE client_id = $1`, key.ClientID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("client %s: %w", key.ClientID, gateway.ErrNotFound)
		}
		if err != nil {
			return t.fail("add client key", err)
		}
		return insertClientKey(t, key.ClientID, key)
	})
}

func insertClientKey(t *tx, clientID string, key gateway.ClientKey) error {
	publicKey := key.PublicKey
	if publicKey == nil {
		// NOT NULL, and pgx binds a nil []byte as NULL; nil and empty
		// read back alike.
		publicKey = []byte{}
	}
	inserted, err := t.execOne("add client key", `INSERT INTO client_keys (client_id, version, public_key, created_at, retired_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id, version) DO NOTHING`,
		clientID, key.Version, publicKey, rows.Millis(key.CreatedAt), rows.Millis(key.RetiredAt))
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
	return s.registryWrite(ctx, "retire client key", func(t *tx) error {
		retired, err := t.execOne("retire client key", `UPDATE client_keys SET retired_at = $1
			WHERE client_id = $2 AND version = $3 AND retired_at IS NULL`, at.UnixMilli(), clientID, version)
		if err == nil && !retired {
			err = fmt.Errorf("client %s active key version %d: %w", clientID, version, gateway.ErrNotFound)
		}
		return err
	})
}

// AddGatewayKey stores a gateway key under the next version, one more than
// the highest so far (1 for the first), and returns it: published, or
// active when activate is set or no version is active. Registry writes take turns on the
// registry_version row, so two nodes rotating at once get two versions.
// With a KEK the key is stored sealed (see Options.KEK).
func (s *Store) AddGatewayKey(ctx context.Context, privateKeyDER []byte, at time.Time, activate bool) (int, error) {
	var version int
	err := s.registryWrite(ctx, "add gateway key", func(t *tx) error {
		var active int
		if err := t.tx.QueryRow(t.ctx, `SELECT coalesce(max(version), 0) + 1, count(*) FILTER (WHERE state = 'active')
			FROM gateway_keys`).Scan(&version, &active); err != nil {
			return t.fail("add gateway key", err)
		}
		if activate && active > 0 {
			if _, err := t.tx.Exec(t.ctx, `UPDATE gateway_keys SET state = 'published' WHERE state = 'active'`); err != nil {
				return t.fail("add gateway key", err)
			}
		}
		return s.insertGatewayKey(t, version, privateKeyDER, activate || active == 0, at)
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// EnsureGatewayKey makes sure the gateway has a signing key: when the
// database holds no gateway key, it stores the key generate returns as
// version 1, active, and reports added; otherwise it returns the active
// version and does not call generate. The check and the insert run under the registry
// lock, so nodes starting together on an empty database create one key
// between them, not one each. generate may be called while the lock is held
// (and again, should the transaction be retried).
func (s *Store) EnsureGatewayKey(ctx context.Context, generate func() ([]byte, error), at time.Time) (version int, added bool, err error) {
	err = s.update(ctx, func(t *tx) error {
		version, added = 0, false
		if _, err := t.tx.Exec(t.ctx, `SELECT version FROM registry_version WHERE id = 1 FOR UPDATE`); err != nil {
			return t.fail("ensure gateway key: lock", err)
		}
		var n int
		if err := t.tx.QueryRow(t.ctx, `SELECT count(*), coalesce(max(version) FILTER (WHERE state = 'active'), 0)
			FROM gateway_keys`).Scan(&n, &version); err != nil {
			return t.fail("ensure gateway key", err)
		}
		if n > 0 {
			return nil
		}
		der, err := generate()
		if err != nil {
			return err
		}
		version = 1
		if err := s.insertGatewayKey(t, version, der, true, at); err != nil {
			return err
		}
		if _, err := t.tx.Exec(t.ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
			return t.fail("ensure gateway key: bump registry version", err)
		}
		added = true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return version, added, nil
}

// insertGatewayKey stores der as the given version, active or published,
// sealed when the store has a KEK.
func (s *Store) insertGatewayKey(t *tx, version int, der []byte, active bool, at time.Time) error {
	stored, sealed := der, false
	if s.kek != nil {
		var err error
		if stored, err = seal(s.kek, version, der); err != nil {
			return fmt.Errorf("seal gateway key version %d: %w", version, err)
		}
		sealed = true
	}
	if stored == nil {
		stored = []byte{} // NOT NULL, as for client keys
	}
	state, activated := gateway.GatewayKeyPublished, any(nil)
	if active {
		state, activated = gateway.GatewayKeyActive, rows.Millis(at)
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO gateway_keys (version, private_key, sealed, state, created_at, activated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, version, stored, sealed, string(state), rows.Millis(at), activated)
	return t.fail("add gateway key", err)
}

// ActivateGatewayKey makes a published version active and the active one
// published, in one transaction. ErrNotFound for a missing or retired
// version.
func (s *Store) ActivateGatewayKey(ctx context.Context, version int, at time.Time) error {
	return s.registryWrite(ctx, "activate gateway key", func(t *tx) error {
		state, err := liveGatewayKey(t, "activate gateway key", version)
		if err != nil || state == gateway.GatewayKeyActive {
			return err
		}
		if _, err := t.tx.Exec(t.ctx, `UPDATE gateway_keys SET state = 'published' WHERE state = 'active'`); err != nil {
			return t.fail("activate gateway key", err)
		}
		_, err = t.tx.Exec(t.ctx, `UPDATE gateway_keys SET state = 'active', activated_at = $1 WHERE version = $2`, rows.Millis(at), version)
		return t.fail("activate gateway key", err)
	})
}

// RetireGatewayKey retires a published version that no client is pinned
// to. ErrNotFound for a missing or retired version, ErrConflict for the
// active version or a pinned one. Registry writes take turns, so a pin
// cannot slip in between the check and the retirement.
func (s *Store) RetireGatewayKey(ctx context.Context, version int, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("retire gateway key: zero time")
	}
	return s.registryWrite(ctx, "retire gateway key", func(t *tx) error {
		state, err := liveGatewayKey(t, "retire gateway key", version)
		if err != nil {
			return err
		}
		if state == gateway.GatewayKeyActive {
			return fmt.Errorf("gateway key version %d is active: %w", version, gateway.ErrConflict)
		}
		var pinned int
		if err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM clients WHERE gateway_key_version = $1`, version).Scan(&pinned); err != nil {
			return t.fail("retire gateway key", err)
		}
		if pinned > 0 {
			return fmt.Errorf("gateway key version %d: %d client(s) pinned to it: %w", version, pinned, gateway.ErrConflict)
		}
		_, err = t.tx.Exec(t.ctx, `UPDATE gateway_keys SET state = 'retired', retired_at = $1 WHERE version = $2`, at.UnixMilli(), version)
		return t.fail("retire gateway key", err)
	})
}

// liveGatewayKey returns the state of a gateway key version; ErrNotFound
// when it is missing or retired.
func liveGatewayKey(t *tx, op string, version int) (gateway.GatewayKeyState, error) {
	var state string
	err := t.tx.QueryRow(t.ctx, `SELECT state FROM gateway_keys WHERE version = $1`, version).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) || state == string(gateway.GatewayKeyRetired) {
		return "", fmt.Errorf("gateway key version %d: %w", version, gateway.ErrNotFound)
	}
	if err != nil {
		return "", t.fail(op, err)
	}
	return gateway.GatewayKeyState(state), nil
}

// registryWrite runs fn in a transaction (retried as Update's are) that
// first bumps the registry version. The bump locks the one registry_version
// row, so registry writes take turns across nodes, and the bump commits or
// rolls back with fn's writes.
func (s *Store) registryWrite(ctx context.Context, op string, fn func(t *tx) error) error {
	return s.update(ctx, func(t *tx) error {
		if _, err := t.tx.Exec(t.ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
			return t.fail(op+": bump registry version", err)
		}
		return fn(t)
	})
}
