package seal

import "fmt"

// Stored is a gateway key as a store keeps it in gateway_keys: Blob is
// what Seal wrote when Sealed is set, else the PKCS #8 DER.
type Stored struct {
	Version int
	Blob    []byte
	Sealed  bool
}

// Check opens every sealed key of keys with s and returns the versions
// stored plain, in the order of keys. It fails with a *KEKError (in the
// chain) for the first sealed key that does not open: s is nil, or not
// the KEK the key was sealed with.
func Check(s *Sealer, keys []Stored) (plain []int, err error) {
	for _, k := range keys {
		if !k.Sealed {
			plain = append(plain, k.Version)
			continue
		}
		if _, err := s.Open(k.Version, k.Blob); err != nil {
			return nil, fmt.Errorf("check gateway keys: %w", err)
		}
	}
	return plain, nil
}

// SealAll seals with s every key of keys stored plain and hands the sealed
// blob to write, which stores it in place of the plain key; a key sealed
// already must open with s (so one store never mixes two KEKs) and is
// counted in already. It stops at the first error: a *KEKError (in the
// chain), or write's error as it is.
func SealAll(s *Sealer, keys []Stored, write func(version int, blob []byte) error) (sealed, already int, err error) {
	for _, k := range keys {
		if k.Sealed {
			if _, err := s.Open(k.Version, k.Blob); err != nil {
				return 0, 0, fmt.Errorf("seal gateway keys: %w", err)
			}
			already++
			continue
		}
		blob, err := s.Seal(k.Version, k.Blob)
		if err != nil {
			return 0, 0, fmt.Errorf("seal gateway key version %d: %w", k.Version, err)
		}
		if err := write(k.Version, blob); err != nil {
			return 0, 0, err
		}
		sealed++
	}
	return sealed, already, nil
}
