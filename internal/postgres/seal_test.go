package postgres

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

var (
	testKEK  = bytes.Repeat([]byte{0x4b}, KEKSize) // test only
	otherKEK = bytes.Repeat([]byte{0x4c}, KEKSize) // test only
	keyTime  = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
)

// testDER stands in for a PKCS #8 key: the store does not parse it.
func testDER(n byte) []byte { return []byte{0x30, 0x82, 0x00, 0xff, n, 0x00} }

// storedKey returns gateway_keys.private_key and sealed of a version as
// they are in the database.
func storedKey(tb testing.TB, s *Store, version int) ([]byte, bool) {
	tb.Helper()
	var blob []byte
	var sealed bool
	err := s.pool.QueryRow(context.Background(), `SELECT private_key, sealed FROM gateway_keys WHERE version = $1`, version).Scan(&blob, &sealed)
	if err != nil {
		tb.Fatalf("read gateway key %d: %v", version, err)
	}
	return blob, sealed
}

func addKey(tb testing.TB, s *Store, der []byte) int {
	tb.Helper()
	v, err := s.AddGatewayKey(context.Background(), der, keyTime, false)
	if err != nil {
		tb.Fatalf("AddGatewayKey: %v", err)
	}
	return v
}

func TestSealedGatewayKeys(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	s := openTest(t, Options{Schema: schema, KEK: testKEK})
	if !s.Sealed() {
		t.Errorf("Sealed() with a KEK = false, want true")
	}
	v1 := addKey(t, s, testDER(1))
	v2 := addKey(t, s, testDER(2))

	for _, v := range []int{v1, v2} {
		blob, sealed := storedKey(t, s, v)
		if !sealed || blob[0] != sealFormat || bytes.Contains(blob, testDER(byte(v))) {
			t.Errorf("stored key %d = sealed %v, % x; want sealed, format byte %d, no plain DER", v, sealed, blob, sealFormat)
		}
		if want := 1 + 12 + len(testDER(1)) + 16; len(blob) != want {
			t.Errorf("stored key %d is %d bytes, want %d (format, nonce, ciphertext, tag)", v, len(blob), want)
		}
	}
	// Two seals of one key differ: a fresh nonce each time.
	a, _ := storedKey(t, s, v1)
	v3 := addKey(t, s, testDER(1))
	b, _ := storedKey(t, s, v3)
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Errorf("two sealed keys share a nonce")
	}

	want := []gateway.GatewayKey{{Version: 1, PrivateKey: testDER(1), State: gateway.GatewayKeyActive, CreatedAt: keyTime, ActivatedAt: keyTime},
		{Version: 2, PrivateKey: testDER(2), State: gateway.GatewayKeyPublished, CreatedAt: keyTime},
		{Version: 3, PrivateKey: testDER(1), State: gateway.GatewayKeyPublished, CreatedAt: keyTime}}
	reg, err := s.LoadRegistry(ctx)
	if err != nil {
		t.Fatalf("LoadRegistry: %v", err)
	}
	if diff := cmp.Diff(want, reg.GatewayKeys); diff != "" {
		t.Errorf("GatewayKeys mismatch (-want +got):\n%s", diff)
	}

	// Another node with the same KEK reads them.
	other := openTest(t, Options{Schema: schema, KEK: testKEK})
	if reg, err := other.LoadRegistry(ctx); err != nil || !cmp.Equal(want, reg.GatewayKeys) {
		t.Errorf("LoadRegistry on a second node = %+v, %v, want the three keys", reg, err)
	}
}

func TestWrongKEK(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	s := openTest(t, Options{Schema: schema, KEK: testKEK})
	addKey(t, s, testDER(1))

	wrong := openTest(t, Options{Schema: schema, KEK: otherKEK})
	_, err := wrong.LoadRegistry(ctx)
	var ke *KEKError
	if !errors.As(err, &ke) || ke.Version != 1 || ke.NoKEK {
		t.Fatalf("LoadRegistry with another KEK = %v, want a *KEKError for version 1", err)
	}
	if want := "gateway key version 1 does not open with this KEK"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to say %q", err, want)
	}
	// Through the Keyring, as serve sees it.
	_, err = (&gateway.Keyring{Store: wrong}).Keys(ctx)
	if !errors.As(err, &ke) {
		t.Errorf("Keyring.Keys with another KEK = %v, want a *KEKError in the chain", err)
	}

	none := openTest(t, Options{Schema: schema})
	_, err = none.LoadRegistry(ctx)
	if !errors.As(err, &ke) || !ke.NoKEK || !strings.Contains(err.Error(), "gateway key version 1 is sealed and no KEK was given") {
		t.Errorf("LoadRegistry without a KEK = %v, want a *KEKError saying no KEK was given", err)
	}
}

// TestSealedKeyBoundToVersion: a sealed key copied into another version's
// row does not open (the version is in the additional data).
func TestSealedKeyBoundToVersion(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{KEK: testKEK})
	addKey(t, s, testDER(1))
	addKey(t, s, testDER(2))
	blob, _ := storedKey(t, s, 1)
	if _, err := s.pool.Exec(ctx, `UPDATE gateway_keys SET private_key = $1 WHERE version = 2`, blob); err != nil {
		t.Fatal(err)
	}
	_, err := s.LoadRegistry(ctx)
	var ke *KEKError
	if !errors.As(err, &ke) || ke.Version != 2 {
		t.Errorf("LoadRegistry with version 1's blob in version 2 = %v, want a *KEKError for version 2", err)
	}
}

// TestPlainThenKEK: keys stored before a KEK was configured still load
// once it is, next to the sealed ones added after.
func TestPlainThenKEK(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	plain := openTest(t, Options{Schema: schema})
	if plain.Sealed() {
		t.Errorf("Sealed() without a KEK = true, want false")
	}
	addKey(t, plain, testDER(1))
	if blob, sealed := storedKey(t, plain, 1); sealed || !bytes.Equal(blob, testDER(1)) {
		t.Errorf("key stored without a KEK = sealed %v, % x; want the plain DER", sealed, blob)
	}

	kek := openTest(t, Options{Schema: schema, KEK: testKEK})
	if v := addKey(t, kek, testDER(2)); v != 2 {
		t.Errorf("AddGatewayKey after a plain key = version %d, want 2", v)
	}
	reg, err := kek.LoadRegistry(ctx)
	if err != nil {
		t.Fatalf("LoadRegistry: %v", err)
	}
	want := []gateway.GatewayKey{{Version: 1, PrivateKey: testDER(1), State: gateway.GatewayKeyActive, CreatedAt: keyTime, ActivatedAt: keyTime},
		{Version: 2, PrivateKey: testDER(2), State: gateway.GatewayKeyPublished, CreatedAt: keyTime}}
	if diff := cmp.Diff(want, reg.GatewayKeys); diff != "" {
		t.Errorf("GatewayKeys mismatch (-want +got):\n%s", diff)
	}
}

// TestSealGatewayKeys: keys stored plain are sealed in place, once; the
// keys read back the same, and a store without the KEK no longer loads
// them.
func TestSealGatewayKeys(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	plain := openTest(t, Options{Schema: schema})
	addKey(t, plain, testDER(1))
	addKey(t, plain, testDER(2))
	if _, _, err := plain.SealGatewayKeys(ctx); err == nil {
		t.Errorf("SealGatewayKeys without a KEK succeeded")
	}
	if got, err := plain.CheckGatewayKeys(ctx); err != nil || !cmp.Equal(got, []int{1, 2}) {
		t.Errorf("CheckGatewayKeys = %v, %v; want plain versions [1 2]", got, err)
	}
	before, err := plain.RegistryVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	kek := openTest(t, Options{Schema: schema, KEK: testKEK})
	sealed, already, err := kek.SealGatewayKeys(ctx)
	if err != nil || sealed != 2 || already != 0 {
		t.Fatalf("SealGatewayKeys = %d, %d, %v; want 2 sealed, 0 already", sealed, already, err)
	}
	for v := 1; v <= 2; v++ {
		if blob, isSealed := storedKey(t, kek, v); !isSealed || bytes.Contains(blob, testDER(byte(v))) {
			t.Errorf("key %d after SealGatewayKeys: sealed %v, holds the plain DER %v", v, isSealed, bytes.Contains(blob, testDER(byte(v))))
		}
	}
	if after, _ := kek.RegistryVersion(ctx); after != before+1 {
		t.Errorf("registry version after sealing = %d, want %d", after, before+1)
	}
	if got, err := kek.CheckGatewayKeys(ctx); err != nil || len(got) != 0 {
		t.Errorf("CheckGatewayKeys after sealing = %v, %v; want no plain keys", got, err)
	}
	reg, err := kek.LoadRegistry(ctx)
	if err != nil || len(reg.GatewayKeys) != 2 || !bytes.Equal(reg.GatewayKeys[0].PrivateKey, testDER(1)) || !bytes.Equal(reg.GatewayKeys[1].PrivateKey, testDER(2)) {
		t.Errorf("LoadRegistry after sealing = %v; want keys 1 and 2 as they were", err)
	}

	// Idempotent.
	if sealed, already, err := kek.SealGatewayKeys(ctx); err != nil || sealed != 0 || already != 2 {
		t.Errorf("SealGatewayKeys again = %d, %d, %v; want 0 sealed, 2 already", sealed, already, err)
	}
	// Without the KEK, or with another, the check fails.
	var ke *KEKError
	if _, err := plain.CheckGatewayKeys(ctx); !errors.As(err, &ke) || !ke.NoKEK {
		t.Errorf("CheckGatewayKeys without the KEK = %v, want a *KEKError saying no KEK", err)
	}
	wrong := openTest(t, Options{Schema: schema, KEK: otherKEK})
	if _, err := wrong.CheckGatewayKeys(ctx); !errors.As(err, &ke) || ke.NoKEK {
		t.Errorf("CheckGatewayKeys with another KEK = %v, want a *KEKError", err)
	}
	// Another KEK never seals next to the first: all or nothing.
	addKey(t, plain, testDER(3))
	if _, _, err := wrong.SealGatewayKeys(ctx); !errors.As(err, &ke) {
		t.Errorf("SealGatewayKeys with another KEK = %v, want a *KEKError", err)
	}
	if _, isSealed := storedKey(t, kek, 3); isSealed {
		t.Errorf("SealGatewayKeys with another KEK sealed key 3")
	}
}
