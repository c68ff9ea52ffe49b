package seal

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestSealAllCheck: SealAll seals the plain keys through write and counts
// the sealed ones; Check then finds no plain key, and refuses another KEK
// or none, naming the version.
func TestSealAllCheck(t *testing.T) {
	s := newSealer(t, testKEK)
	one, err := s.Seal(1, testDER)
	if err != nil {
		t.Fatal(err)
	}
	keys := []Stored{{Version: 1, Blob: one, Sealed: true}, {Version: 2, Blob: testDER}, {Version: 3, Blob: testDER}}
	if plain, err := Check(s, keys); err != nil || !reflect.DeepEqual(plain, []int{2, 3}) {
		t.Fatalf("Check before sealing = %v, %v; want [2 3]", plain, err)
	}
	written := map[int][]byte{}
	sealed, already, err := SealAll(s, keys, func(version int, blob []byte) error {
		written[version] = blob
		return nil
	})
	if err != nil || sealed != 2 || already != 1 || len(written) != 2 {
		t.Fatalf("SealAll = %d sealed, %d already, %v, wrote %d; want 2, 1, nil, 2", sealed, already, err, len(written))
	}
	for v, blob := range written {
		if der, err := s.Open(v, blob); err != nil || !bytes.Equal(der, testDER) {
			t.Errorf("version %d as written does not open: %v", v, err)
		}
		keys[v-1] = Stored{Version: v, Blob: blob, Sealed: true}
	}
	if plain, err := Check(s, keys); err != nil || len(plain) != 0 {
		t.Errorf("Check after sealing = %v, %v; want no plain key", plain, err)
	}
	var ke *KEKError
	if _, err := Check(newSealer(t, otherKEK), keys); !errors.As(err, &ke) || ke.Version != 1 || ke.NoKEK {
		t.Errorf("Check with another KEK: %v; want a *KEKError for version 1", err)
	}
	if _, err := Check(nil, keys); !errors.As(err, &ke) || !ke.NoKEK {
		t.Errorf("Check without a KEK: %v; want a *KEKError with NoKEK", err)
	}
	if _, _, err := SealAll(newSealer(t, otherKEK), keys, func(int, []byte) error { return nil }); !errors.As(err, &ke) {
		t.Errorf("SealAll with another KEK over sealed keys: %v; want a *KEKError", err)
	}
	boom := errors.New("write failed")
	if _, _, err := SealAll(s, []Stored{{Version: 4, Blob: testDER}}, func(int, []byte) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("SealAll with a failing write: %v; want the write's error", err)
	}
}
