//go:build unix

package node_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/node"
)

var (
	testKEK  = []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x4b}, 32)) + "\n") // test only
	otherKEK = []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x4c}, 32)))        // test only
)

// openStore opens the store cfg names; it is closed when the test ends.
func openStore(tb testing.TB, cfg node.StoreConfig) (node.Store, node.StoreInfo) {
	tb.Helper()
	st, info, err := node.OpenStore(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("OpenStore: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, info
}

// ensureKey creates the gateway key, as serve does on a new store.
func ensureKey(tb testing.TB, st node.Store) {
	tb.Helper()
	if _, _, err := (&gateway.Service{Store: st}).EnsureGatewayKey(context.Background()); err != nil {
		tb.Fatalf("EnsureGatewayKey: %v", err)
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

// TestOpenStoreKEK: on SQLite, a KEK seals the keys; once sealed, a store
// opened without the KEK, or with another, is refused with an error that
// names --kek-file and ANTOMGW_KEK and holds neither key.
func TestOpenStoreKEK(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	st, info := openStore(t, node.StoreConfig{DataDir: dir, KEK: testKEK})
	if !info.Sealed || info.Kind != "sqlite" || len(info.Warnings) != 0 {
		t.Errorf("StoreInfo = %+v, want sqlite, sealed, no warnings", info)
	}
	ensureKey(t, st)
	st.Close()

	_, info = openStore(t, node.StoreConfig{DataDir: dir, KEK: testKEK})
	if !info.Sealed || len(info.Warnings) != 0 {
		t.Errorf("StoreInfo on reopening with the KEK = %+v, want sealed, no warnings", info)
	}
	for _, tc := range []struct {
		name string
		kek  []byte
		want []string
	}{
		{"NoKEK", nil, []string{"are sealed", "--kek-file", "ANTOMGW_KEK"}},
		{"OtherKEK", otherKEK, []string{"does not open", "--kek-file", "ANTOMGW_KEK"}},
		{"BadKEK", []byte("not a key"), []string{"key-encryption key", "32 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, err := node.OpenStore(ctx, node.StoreConfig{DataDir: dir, KEK: tc.kek})
			if err == nil {
				st.Close()
				t.Fatalf("OpenStore succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, secret := range [][]byte{bytes.TrimSpace(testKEK), otherKEK, []byte("not a key")} {
				if strings.Contains(err.Error(), string(secret)) {
					t.Errorf("error %q quotes a KEK", err)
				}
			}
		})
	}
}

// TestOpenStorePlainKeys: keys stored before the KEK was given load, and
// StoreInfo lists them (serve warns about them) until they are sealed; a
// store without a KEK is not Sealed.
func TestOpenStorePlainKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st, info := openStore(t, node.StoreConfig{DataDir: dir})
	if info.Sealed {
		t.Errorf("StoreInfo.Sealed without a KEK = true")
	}
	ensureKey(t, st)
	st.Close()
	st, info = openStore(t, node.StoreConfig{DataDir: dir, KEK: testKEK})
	if !info.Sealed || !slices.Equal(info.PlainKeys, []int{1}) || len(info.Warnings) != 0 {
		t.Errorf("StoreInfo = %+v, want sealed, plain key [1], no warnings", info)
	}
	if sealed, already, err := st.SealGatewayKeys(context.Background()); err != nil || sealed != 1 || already != 0 {
		t.Errorf("SealGatewayKeys = %d, %d, %v; want 1 sealed", sealed, already, err)
	}
	st.Close()
	if _, info = openStore(t, node.StoreConfig{DataDir: dir, KEK: testKEK}); len(info.PlainKeys) != 0 {
		t.Errorf("PlainKeys after keys seal = %v, want none", info.PlainKeys)
	}
}

// TestOpenStoreNarrowsModes: a data directory left 0755 and a database
// left 0644 are narrowed to 0700 and 0600 when opened, with a warning
// each; the -wal and -shm SQLite then creates are 0600, whatever the
// umask.
func TestOpenStoreNarrowsModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	st, info := openStore(t, node.StoreConfig{DataDir: dir})
	if len(info.Warnings) != 0 {
		t.Errorf("Warnings of a new store = %q, want none", info.Warnings)
	}
	st.Close()
	db := filepath.Join(dir, node.DBFile)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	st, info = openStore(t, node.StoreConfig{DataDir: dir})
	ensureKey(t, st) // a write: the -wal exists
	if len(info.Warnings) != 2 || !strings.Contains(info.Warnings[0], "0755") || !strings.Contains(info.Warnings[1], "0644") {
		t.Errorf("Warnings = %q, want the directory (0755) and the database (0644)", info.Warnings)
	}
	if m := perm(t, dir); m != 0o700 {
		t.Errorf("data directory mode = %v, want 0700", m)
	}
	for _, name := range []string{db, db + "-wal", db + "-shm"} {
		if m := perm(t, name); m != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(name), m)
		}
	}
}

// TestBackup: a backup of a store in use, with a few thousand payments and
// a sealed key, is a 0600 file (whatever the umask) that opens as a store
// with the same payments and keys; a backup never replaces a file, and a
// PostgreSQL store is referred to pg_dump.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	st, _ := openStore(t, node.StoreConfig{DataDir: dir, KEK: testKEK})
	ensureKey(t, st)
	const n = 3000
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := st.Update(ctx, func(tx gateway.Tx) error {
		for i := range n {
			p := &gateway.Payment{ID: fmt.Sprintf("pay-%05d", i), ClientID: "client-a", RequestID: fmt.Sprintf("req-%05d", i),
				Amount: gateway.Money{Value: int64(100 + i), Currency: "USD"}, Status: gateway.PaymentSuccess, CreatedAt: at, UpdatedAt: at}
			if err := tx.InsertPayment(p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want, err := st.LoadRegistry(ctx)
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(base, "backups", "b1", node.DBFile)
	info, err := node.Backup(ctx, node.StoreConfig{DataDir: dir}, out) // no KEK needed
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if m := perm(t, out); m != 0o600 {
		t.Errorf("backup mode = %v, want 0600", m)
	}
	if m := perm(t, filepath.Dir(out)); m != 0o700 {
		t.Errorf("backup directory mode = %v, want 0700", m)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != info.Size || info.Size == 0 {
		t.Errorf("backup size = %v (%v), Backup said %d", fi, err, info.Size)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("backup directory holds %d entries, want only the backup (no temporary left)", len(entries))
	}

	copied, info2 := openStore(t, node.StoreConfig{DataDir: filepath.Dir(out), KEK: testKEK})
	if !info2.Sealed || len(info2.Warnings) != 0 {
		t.Errorf("StoreInfo of the backup = %+v, want sealed, no warnings", info2)
	}
	ps, err := copied.Payments(ctx, gateway.PaymentFilter{Limit: 2 * n})
	if err != nil || len(ps) != n {
		t.Errorf("payments in the backup = %d, %v; want %d", len(ps), err, n)
	}
	got, err := copied.LoadRegistry(ctx)
	if err != nil || len(got.GatewayKeys) != 1 || !bytes.Equal(got.GatewayKeys[0].PrivateKey, want.GatewayKeys[0].PrivateKey) {
		t.Errorf("gateway keys of the backup differ from the store's (%v)", err)
	}

	if _, err := node.Backup(ctx, node.StoreConfig{DataDir: dir}, out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Backup over an existing file = %v, want an error saying it exists", err)
	}
	if _, err := node.Backup(ctx, node.StoreConfig{DatabaseURL: "postgres://127.0.0.1:1/x"}, filepath.Join(base, "pg.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup of PostgreSQL = %v, want an error naming pg_dump", err)
	}
	if _, err := node.Backup(ctx, node.StoreConfig{DataDir: filepath.Join(base, "none")}, filepath.Join(base, "none.db")); err == nil || !strings.Contains(err.Error(), "no gateway data") {
		t.Errorf("Backup of a missing data directory = %v, want an error saying there is no data", err)
	}
	if _, err := os.Stat(filepath.Join(base, "none")); err == nil {
		t.Errorf("Backup created the missing data directory")
	}
}
