package postgres

import (
	"context"
	"errors"

	"github.com/antomgw/antomgw/internal/rows"
	keyseal "github.com/antomgw/antomgw/internal/seal"
	"github.com/jackc/pgx/v5"
)

// Gateway keys are sealed by package seal (imported as keyseal: seal is
// the name of this package's helper below); the layout in gateway_keys is
// the one this store has always written, so rows sealed by earlier
// versions open.

// KEKSize is the length of a key-encryption key: AES-256.
const KEKSize = keyseal.KEKSize

// sealFormat is the first byte of a sealed gateway key (seal.Format).
const sealFormat = keyseal.Format

// KEKError reports a sealed gateway key that could not be opened: the store
// has no KEK, or not the one the key was sealed with (or the row was
// altered). See seal.KEKError.
type KEKError = keyseal.KEKError

// sealer seals and opens gateway keys; nil when the store has no KEK.
type sealer = keyseal.Sealer

// newSealer returns the sealer of a 32-byte KEK.
func newSealer(kek []byte) (*sealer, error) { return keyseal.New(kek) }

// seal returns der sealed under k for the given key version.
func seal(k *sealer, version int, der []byte) ([]byte, error) { return k.Seal(version, der) }

// unseal opens a blob written by seal for the given key version; a
// *KEKError when k is nil or not the KEK it was sealed with.
func unseal(k *sealer, version int, blob []byte) ([]byte, error) { return k.Open(version, blob) }

// CheckGatewayKeys opens every sealed gateway key with the store's KEK and
// returns the versions stored plain, oldest first. It fails with a
// *KEKError (in the chain) for the first sealed key that does not open:
// the store was opened without a KEK, or with another one.
func (s *Store) CheckGatewayKeys(ctx context.Context) (plain []int, err error) {
	stored, err := queryAll(ctx, s.pool, "check gateway keys", scanSealedKey,
		`SELECT version, private_key, sealed FROM gateway_keys ORDER BY version`)
	if err != nil {
		return nil, err
	}
	return keyseal.Check(s.kek, stored)
}

// SealGatewayKeys seals, with the store's KEK, every gateway key stored
// plain, in one transaction that holds the registry lock: all of them or
// none. It returns how many it sealed and how many were sealed already;
// running it again seals nothing. It fails when the store has no KEK, and
// with a *KEKError when a key sealed already does not open with this KEK
// (so one database never mixes two KEKs). Then it rewrites the table
// (VACUUM FULL gateway_keys), so that the row versions the update left
// behind take the plain keys with them; when that fails, the keys are
// sealed and the error says so. Nodes running without the KEK cannot load
// the keys once it committed: stop them first.
func (s *Store) SealGatewayKeys(ctx context.Context) (sealed, already int, err error) {
	if s.kek == nil {
		return 0, 0, errors.New("seal gateway keys: the store was opened without a KEK")
	}
	err = s.update(ctx, func(t *tx) error {
		if _, err := t.tx.Exec(t.ctx, `SELECT version FROM registry_version WHERE id = 1 FOR UPDATE`); err != nil {
			return t.fail("seal gateway keys: lock", err)
		}
		rs, err := t.tx.Query(t.ctx, `SELECT version, private_key, sealed FROM gateway_keys ORDER BY version`)
		if err != nil {
			return t.fail("seal gateway keys", err)
		}
		stored, err := pgx.CollectRows(rs, rowTo(scanSealedKey))
		if err != nil {
			return t.fail("seal gateway keys", err)
		}
		sealed, already, err = keyseal.SealAll(s.kek, stored, func(version int, blob []byte) error {
			if _, err := t.tx.Exec(t.ctx, `UPDATE gateway_keys SET private_key = $1, sealed = true WHERE version = $2`, blob, version); err != nil {
				return t.fail("seal gateway keys", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if sealed > 0 {
			if _, err := t.tx.Exec(t.ctx, `UPDATE registry_version SET version = version + 1 WHERE id = 1`); err != nil {
				return t.fail("seal gateway keys: bump registry version", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	// The plain keys are still in the dead row versions the update left;
	// rewrite the table so its files hold none. (WAL archives and backups
	// taken before keep them.)
	if _, err := s.pool.Exec(ctx, `VACUUM FULL gateway_keys`); err != nil {
		return sealed, already, storeErr("seal gateway keys: the keys are sealed, but VACUUM FULL gateway_keys failed (run it yourself: the old row versions hold the plain keys until then)", err)
	}
	return sealed, already, nil
}

// scanSealedKey reads a gateway key row as stored (version, private_key,
// sealed).
func scanSealedKey(row rows.Scanner) (keyseal.Stored, error) {
	var k keyseal.Stored
	err := row.Scan(&k.Version, &k.Blob, &k.Sealed)
	return k, err
}
