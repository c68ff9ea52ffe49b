package sqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/seal"
	"github.com/antomgw/antomgw/internal/sqlite"
)

var (
	testKEK  = bytes.Repeat([]byte{0x4b}, seal.KEKSize) // test only
	otherKEK = bytes.Repeat([]byte{0x4c}, seal.KEKSize) // test only
	keyTime  = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
)

// fakeDER stands in for a PKCS #8 key (the store does not parse it): as
// long as an RSA-2048 one and random, so finding it in a file is no
// accident. Test only.
func fakeDER(tb testing.TB) []byte {
	tb.Helper()
	b := make([]byte, 1218)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}

func addKey(tb testing.TB, s *sqlite.Store, der []byte, activate bool) int {
	tb.Helper()
	v, err := s.AddGatewayKey(context.Background(), der, keyTime, activate)
	if err != nil {
		tb.Fatalf("AddGatewayKey: %v", err)
	}
	return v
}

// storedKey returns gateway_keys.private_key and sealed of a version as
// they are in the file, read with a connection of its own.
func storedKey(tb testing.TB, path string, version int) ([]byte, bool) {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var blob []byte
	var sealed bool
	if err := db.QueryRow(`SELECT private_key, sealed FROM gateway_keys WHERE version = ?`, version).Scan(&blob, &sealed); err != nil {
		tb.Fatalf("read gateway key %d: %v", version, err)
	}
	return blob, sealed
}

// filesHolding returns the names of the database's files (the database,
// -wal, -shm) whose bytes contain secret. It never prints the secret.
func filesHolding(tb testing.TB, path string, secret []byte) []string {
	tb.Helper()
	var out []string
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if bytes.Contains(b, secret) {
			out = append(out, filepath.Base(name))
		}
	}
	return out
}

func registryKeys(tb testing.TB, s *sqlite.Store) [][]byte {
	tb.Helper()
	reg, err := s.LoadRegistry(context.Background())
	if err != nil {
		tb.Fatalf("LoadRegistry: %v", err)
	}
	var out [][]byte
	for _, k := range reg.GatewayKeys {
		out = append(out, k.PrivateKey)
	}
	return out
}

// TestSealedGatewayKeys: with a KEK, the keys the store adds are sealed
// in the file (no plain DER in the database or its log), and read back as
// they were, also by another process with the same KEK.
func TestSealedGatewayKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "antomgw.db")
	s := open(t, path, sqlite.Options{KEK: testKEK})
	if !s.Sealed() {
		t.Errorf("Sealed() with a KEK = false, want true")
	}
	der1, der2 := fakeDER(t), fakeDER(t)
	v, added, err := s.EnsureGatewayKey(ctx, func() ([]byte, error) { return der1, nil }, keyTime)
	if err != nil || v != 1 || !added {
		t.Fatalf("EnsureGatewayKey = %d, %v, %v; want 1, added", v, added, err)
	}
	addKey(t, s, der2, true)

	for v, der := range map[int][]byte{1: der1, 2: der2} {
		blob, sealed := storedKey(t, path, v)
		if !sealed || blob[0] != seal.Format || len(blob) != 1+12+len(der)+16 || bytes.Contains(blob, der) {
			t.Errorf("stored key %d: sealed %v, %d bytes; want sealed, format %d, %d bytes, no plain DER", v, sealed, len(blob), seal.Format, 1+12+len(der)+16)
		}
		if files := filesHolding(t, path, der); len(files) > 0 {
			t.Errorf("key %d is in plain in %v", v, files)
		}
	}
	if got := registryKeys(t, s); len(got) != 2 || !bytes.Equal(got[0], der1) || !bytes.Equal(got[1], der2) {
		t.Errorf("LoadRegistry did not give back the two keys as added")
	}
	other := open(t, path, sqlite.Options{KEK: testKEK})
	if got := registryKeys(t, other); len(got) != 2 || !bytes.Equal(got[1], der2) {
		t.Errorf("LoadRegistry on a second store with the KEK did not give back the keys")
	}
	if plain, err := other.CheckGatewayKeys(ctx); err != nil || len(plain) != 0 {
		t.Errorf("CheckGatewayKeys = %v, %v; want no plain keys", plain, err)
	}
}

// TestWrongKEK: a store without the KEK, or with another, does not load
// sealed keys and says which; the error holds no key material.
func TestWrongKEK(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "antomgw.db")
	der := fakeDER(t)
	addKey(t, open(t, path, sqlite.Options{KEK: testKEK}), der, false)
	blob, _ := storedKey(t, path, 1)

	var ke *seal.KEKError
	wrong := open(t, path, sqlite.Options{KEK: otherKEK})
	_, err := wrong.LoadRegistry(ctx)
	if !errors.As(err, &ke) || ke.Version != 1 || ke.NoKEK || !strings.Contains(err.Error(), "gateway key version 1 does not open with this KEK") {
		t.Errorf("LoadRegistry with another KEK = %v, want a *seal.KEKError for version 1", err)
	}
	if _, err := (&gateway.Keyring{Store: wrong}).Keys(ctx); !errors.As(err, &ke) {
		t.Errorf("Keyring.Keys with another KEK = %v, want a *seal.KEKError in the chain", err)
	}
	if _, err := wrong.CheckGatewayKeys(ctx); !errors.As(err, &ke) || ke.NoKEK {
		t.Errorf("CheckGatewayKeys with another KEK = %v, want a *seal.KEKError", err)
	}
	none := open(t, path, sqlite.Options{})
	if none.Sealed() {
		t.Errorf("Sealed() without a KEK = true")
	}
	_, err = none.LoadRegistry(ctx)
	if !errors.As(err, &ke) || !ke.NoKEK || !strings.Contains(err.Error(), "gateway key version 1 is sealed and no KEK was given") {
		t.Errorf("LoadRegistry without a KEK = %v, want a *seal.KEKError saying no KEK was given", err)
	}
	if _, err := none.CheckGatewayKeys(ctx); !errors.As(err, &ke) || !ke.NoKEK {
		t.Errorf("CheckGatewayKeys without a KEK = %v, want a *seal.KEKError", err)
	}
	for _, e := range []error{err} {
		if msg := e.Error(); strings.Contains(msg, string(der[:16])) || strings.Contains(msg, string(blob[13:29])) || strings.Contains(msg, string(testKEK[:8])) {
			t.Errorf("error holds key material")
		}
	}
	if s, err := sqlite.Open(ctx, path, sqlite.Options{KEK: make([]byte, 31)}); err == nil || !strings.Contains(err.Error(), "KEK is 31 bytes, want 32") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open with a 31-byte KEK = %v, want an error saying 32", err)
	}
}

// TestSealGatewayKeys: keys stored plain before a KEK was set still load
// with one; SealGatewayKeys seals them in place, once, and leaves no plain
// copy in the database file or its log — also not the older copies that
// state changes (activate, retire) left in freed space.
func TestSealGatewayKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "antomgw.db")
	plain := open(t, path, sqlite.Options{})
	ders := [][]byte{fakeDER(t), fakeDER(t), fakeDER(t)}
	for _, der := range ders {
		addKey(t, plain, der, false)
	}
	if err := plain.ActivateGatewayKey(ctx, 2, keyTime); err != nil {
		t.Fatal(err)
	}
	if err := plain.RetireGatewayKey(ctx, 1, keyTime); err != nil {
		t.Fatal(err)
	}
	if err := plain.ActivateGatewayKey(ctx, 3, keyTime); err != nil {
		t.Fatal(err)
	}
	if files := filesHolding(t, path, ders[1]); len(files) == 0 {
		t.Fatalf("a plain key is in no file before sealing: the search below proves nothing")
	}
	if _, _, err := plain.SealGatewayKeys(ctx); err == nil {
		t.Errorf("SealGatewayKeys without a KEK succeeded")
	}
	before, err := plain.RegistryVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	kek := open(t, path, sqlite.Options{KEK: testKEK})
	if got, err := kek.CheckGatewayKeys(ctx); err != nil || len(got) != 3 {
		t.Errorf("CheckGatewayKeys before sealing = %v, %v; want the 3 plain versions", got, err)
	}
	if got := registryKeys(t, kek); len(got) != 3 || !bytes.Equal(got[2], ders[2]) {
		t.Errorf("a store with a KEK did not load the plain keys")
	}
	sealed, already, err := kek.SealGatewayKeys(ctx)
	if err != nil || sealed != 3 || already != 0 {
		t.Fatalf("SealGatewayKeys = %d, %d, %v; want 3 sealed, 0 already", sealed, already, err)
	}
	for i, der := range ders {
		if files := filesHolding(t, path, der); len(files) > 0 {
			t.Errorf("after SealGatewayKeys, key %d is still in plain in %v", i+1, files)
		}
		if _, isSealed := storedKey(t, path, i+1); !isSealed {
			t.Errorf("key %d is not marked sealed", i+1)
		}
	}
	if after, _ := kek.RegistryVersion(ctx); after != before+1 {
		t.Errorf("registry version after sealing = %d, want %d", after, before+1)
	}
	if got := registryKeys(t, kek); len(got) != 3 || !bytes.Equal(got[0], ders[0]) || !bytes.Equal(got[2], ders[2]) {
		t.Errorf("LoadRegistry after sealing did not give back the keys as they were")
	}
	if got, err := kek.CheckGatewayKeys(ctx); err != nil || len(got) != 0 {
		t.Errorf("CheckGatewayKeys after sealing = %v, %v; want no plain keys", got, err)
	}
	if sealed, already, err := kek.SealGatewayKeys(ctx); err != nil || sealed != 0 || already != 3 {
		t.Errorf("SealGatewayKeys again = %d, %d, %v; want 0 sealed, 3 already", sealed, already, err)
	}
	// Another KEK does not seal next to the first.
	der4 := fakeDER(t)
	addKey(t, plain, der4, false)
	var ke *seal.KEKError
	if _, _, err := open(t, path, sqlite.Options{KEK: otherKEK}).SealGatewayKeys(ctx); !errors.As(err, &ke) {
		t.Errorf("SealGatewayKeys with another KEK = %v, want a *seal.KEKError", err)
	}
	if _, isSealed := storedKey(t, path, 4); isSealed {
		t.Errorf("SealGatewayKeys with another KEK sealed key 4")
	}
}

// TestVacuumInto: the copy is a database with the same rows.
func TestVacuumInto(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "antomgw.db")
	s := open(t, path, sqlite.Options{KEK: testKEK})
	der := fakeDER(t)
	addKey(t, s, der, false)
	p := &gateway.Payment{ID: "pay-1", ClientID: "client-a", RequestID: "req-1",
		Amount: gateway.Money{Value: 100, Currency: "USD"}, Status: gateway.PaymentProcessing, CreatedAt: keyTime, UpdatedAt: keyTime}
	if err := s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertPayment(p) }); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.db")
	if err := s.VacuumInto(ctx, out); err != nil {
		t.Fatalf("VacuumInto: %v", err)
	}
	if files := filesHolding(t, out, der); len(files) > 0 {
		t.Errorf("the copy holds the plain key in %v", files)
	}
	if err := s.VacuumInto(ctx, out); err == nil {
		t.Errorf("VacuumInto over a database succeeded, want an error")
	}
	c := open(t, out, sqlite.Options{KEK: testKEK})
	if got, err := c.Payment(ctx, "client-a", "pay-1"); err != nil || got.RequestID != "req-1" {
		t.Errorf("Payment in the copy = %+v, %v; want req-1", got, err)
	}
	if got := registryKeys(t, c); len(got) != 1 || !bytes.Equal(got[0], der) {
		t.Errorf("the copy's gateway key is not the original's")
	}
}
