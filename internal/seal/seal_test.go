package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

var (
	testKEK  = bytes.Repeat([]byte{0x4b}, KEKSize) // test only
	otherKEK = bytes.Repeat([]byte{0x4c}, KEKSize) // test only
	testDER  = []byte("test only: not a key")
)

func newSealer(tb testing.TB, kek []byte) *Sealer {
	tb.Helper()
	s, err := New(kek)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := newSealer(t, testKEK)
	a, err := s.Seal(3, testDER)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if a[0] != Format || len(a) != 1+12+len(testDER)+16 || bytes.Contains(a, testDER) {
		t.Errorf("Seal = % x; want format byte %d, %d bytes, no plain text", a, Format, 1+12+len(testDER)+16)
	}
	b, _ := s.Seal(3, testDER)
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Errorf("two seals share a nonce")
	}
	for _, blob := range [][]byte{a, b} {
		if got, err := s.Open(3, blob); err != nil || !bytes.Equal(got, testDER) {
			t.Errorf("Open = %q, %v; want %q", got, err, testDER)
		}
	}
}

// TestOpenPostgresVector opens a key sealed by the PostgreSQL store before
// sealing moved to this package: rows sealed then must still open.
func TestOpenPostgresVector(t *testing.T) {
	const vector = "0186ea9e29d70d7a0cb86238443c7831421bfd3860c26ee5a6a20dea3f48cf9ed383c81c71f50bc6a3a3b7ab7f3e82b18a"
	blob, err := hex.DecodeString(vector)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newSealer(t, testKEK).Open(3, blob)
	if err != nil || !bytes.Equal(got, testDER) {
		t.Errorf("Open(vector) = %q, %v; want %q", got, err, testDER)
	}
}

func TestOpenFails(t *testing.T) {
	s := newSealer(t, testKEK)
	blob, err := s.Seal(1, testDER)
	if err != nil {
		t.Fatal(err)
	}
	var ke *KEKError
	_, err = newSealer(t, otherKEK).Open(1, blob)
	if !errors.As(err, &ke) || ke.Version != 1 || ke.NoKEK || err.Error() != "gateway key version 1 does not open with this KEK" {
		t.Errorf("Open with another KEK = %v, want a *KEKError for version 1", err)
	}
	_, err = (*Sealer)(nil).Open(1, blob)
	if !errors.As(err, &ke) || !ke.NoKEK || err.Error() != "gateway key version 1 is sealed and no KEK was given" {
		t.Errorf("Open without a KEK = %v, want a *KEKError saying no KEK was given", err)
	}
	if _, err := (*Sealer)(nil).Seal(1, testDER); err == nil {
		t.Errorf("Seal without a KEK succeeded")
	}
	// Bound to its version.
	_, err = s.Open(2, blob)
	if !errors.As(err, &ke) || ke.Version != 2 {
		t.Errorf("Open of version 1's blob as version 2 = %v, want a *KEKError for version 2", err)
	}
	// Altered.
	bad := bytes.Clone(blob)
	bad[len(bad)-1] ^= 1
	if _, err := s.Open(1, bad); !errors.As(err, &ke) {
		t.Errorf("Open of an altered blob = %v, want a *KEKError", err)
	}
	// Unknown layouts.
	other := bytes.Clone(blob)
	other[0] = 2
	for name, b := range map[string][]byte{"format 2": other, "short": blob[:20], "empty": nil} {
		if _, err := s.Open(1, b); !errors.Is(err, ErrFormat) {
			t.Errorf("Open(%s) = %v, want ErrFormat", name, err)
		}
	}
}

func TestNewKEKSize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		_, err := New(make([]byte, n))
		if err == nil || !strings.Contains(err.Error(), "want 32") {
			t.Errorf("New(%d bytes) = %v, want an error saying 32", n, err)
		}
	}
}

func TestParseKEK(t *testing.T) {
	key := make([]byte, KEKSize)
	for i := range key {
		key[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"Base64", []byte(base64.StdEncoding.EncodeToString(key) + "\n")},
		{"Base64Raw", []byte(base64.RawStdEncoding.EncodeToString(key))},
		{"Base64URL", []byte(base64.URLEncoding.EncodeToString(key))},
		{"Hex", []byte("  " + hex.EncodeToString(key) + "\r\n")},
		{"Raw", key},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKEK(tc.in)
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("ParseKEK = % x, %v, want % x", got, err, key)
			}
		})
	}
	for _, bad := range []string{"", "short", base64.StdEncoding.EncodeToString(key[:16]), hex.EncodeToString(key[:31])} {
		_, err := ParseKEK([]byte(bad))
		if err == nil {
			t.Errorf("ParseKEK(%q) = nil error, want one", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("ParseKEK error %q quotes its input", err)
		}
	}
}
