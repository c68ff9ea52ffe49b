package wire_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

// checkError fails t unless err wraps target and its text contains each of
// wants.
func checkError(t testing.TB, err, target error, wants ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("got error %v, want it to wrap %q", err, target)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got error %q, want it to contain %q", err, w)
		}
	}
}

// checkBytes fails t unless err is nil and got is want. what names the call
// in the messages.
func checkBytes(t testing.TB, what string, got []byte, err error, want []byte) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got error %v, want nil", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes %.16x…, want %d bytes %.16x…", what, len(got), got, len(want), want)
	}
}

// randomBytes returns n random bytes.
func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}
