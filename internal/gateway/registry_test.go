package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"slices"
	"testing"
	"time"
)

var someTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testKeyPair(tb testing.TB) (*rsa.PrivateKey, []byte, []byte) {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024) // small: parsing is all this tests
	if err != nil {
		tb.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv, _ := x509.MarshalPKCS8PrivateKey(k)
	return k, pub, priv
}

func TestKeysCandidatesAndSigning(t *testing.T) {
	_, c1, g1 := testKeyPair(t)
	_, c2, g2 := testKeyPair(t)
	_, c3, g3 := testKeyPair(t)
	reg := &Registry{
		Clients: []Client{
			{ID: "A", Keys: []ClientKey{{Version: 1, PublicKey: c1}, {Version: 2, PublicKey: c2}, {Version: 3, PublicKey: c3, RetiredAt: someTime}}},
			{ID: "PINNED", GatewayKeyVersion: 1, Keys: []ClientKey{{Version: 1, PublicKey: c1}}},
			{ID: "PINNED_RETIRED", GatewayKeyVersion: 3, Keys: []ClientKey{{Version: 1, PublicKey: c1}}},
			{ID: "NO_KEYS", Keys: []ClientKey{{Version: 1, PublicKey: c1, RetiredAt: someTime}}},
		},
		GatewayKeys: []GatewayKey{
			{Version: 1, PrivateKey: g1, State: GatewayKeyPublished},
			{Version: 2, PrivateKey: g2, State: GatewayKeyActive},
			{Version: 3, PrivateKey: g3, State: GatewayKeyRetired},
		},
	}
	keys, err := newKeys(reg)
	if err != nil {
		t.Fatal(err)
	}
	versions := func(client string, named int) []int {
		t.Helper()
		cands, err := keys.ClientKeyCandidates(client, named)
		if err != nil {
			t.Fatalf("ClientKeyCandidates(%s, %d): %v", client, named, err)
		}
		var out []int
		for _, c := range cands {
			out = append(out, c.Version)
		}
		return out
	}
	for _, c := range []struct {
		client string
		named  int
		want   []int
	}{
		{"A", 0, []int{2, 1}}, // none named: newest first
		{"A", 1, []int{1, 2}}, // the named version first
		{"A", 2, []int{2, 1}},
		{"A", 3, []int{2, 1}}, // retired: never a candidate
		{"A", 9, []int{2, 1}}, // unknown: the active ones
		{"NO_KEYS", 1, nil},
	} {
		if got := versions(c.client, c.named); !slices.Equal(got, c.want) {
			t.Errorf("candidates(%s, named %d) = %v, want %v", c.client, c.named, got, c.want)
		}
	}
	if _, err := keys.ClientKeyCandidates("NOBODY", 1); err != ErrUnknownClient {
		t.Errorf("candidates of an unknown client: %v, want ErrUnknownClient", err)
	}

	for _, c := range []struct {
		client string
		want   int
	}{{"A", 2}, {"PINNED", 1}, {"PINNED_RETIRED", 2}, {"", 2}, {"NOBODY", 2}} {
		if _, v, err := keys.SigningKey(c.client); err != nil || v != c.want {
			t.Errorf("SigningKey(%q) = version %d, %v; want %d", c.client, v, err, c.want)
		}
	}
	if _, _, err := keys.GatewayKey("A", 3); err != ErrUnknownKey {
		t.Errorf("GatewayKey of a retired version: %v, want ErrUnknownKey", err)
	}
	if _, v, err := keys.GatewayKey("PINNED", 0); err != nil || v != 1 {
		t.Errorf("GatewayKey(PINNED, 0) = %d, %v; want the pinned version 1", v, err)
	}
	if _, v, err := keys.GatewayKey("A", 1); err != nil || v != 1 {
		t.Errorf("GatewayKey of a published version = %d, %v; want 1", v, err)
	}
}
