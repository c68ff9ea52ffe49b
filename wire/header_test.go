package wire_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

const longSig = "of5WVdhmSwcvM3YJ8nV1fhyauDnlhXItximP1d36yl5VJIcQds1NaSYzCvYPAqMis1i%2BBYehPJT%2BEQx%2B99uy0ZUaqBe8Mlb2YT7mBU6CWnEtNDUOccSB2Gl%2F6%2BUsp4lasqh%2BB0g1I3EjmRvs8ydz%3D%3D"

func TestParseSignatureHeader(t *testing.T) {
	for _, c := range []struct {
		name  string
		value string
		want  wire.SignatureHeader
	}{
		{"OK/SDKForm", "algorithm=RSA256,keyVersion=1,signature=" + longSig, wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: longSig}},
		{"OK/DocsFormSpacesAfterCommas", "algorithm=RSA256, keyVersion=1, signature=abc%3D", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: "abc%3D"}},
		{"OK/SpacesAndTabsEverywhere", " \talgorithm = RSA256 ,\tkeyVersion= 2 , signature =abc ", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 2, Signature: "abc"}},
		{"OK/UpperCaseKeys", "ALGORITHM=RSA256,KEYVERSION=3,SIGNATURE=abc", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 3, Signature: "abc"}},
		{"OK/MixedCaseKeys", "Algorithm=RSA256,KeyVersion=4,Signature=abc", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 4, Signature: "abc"}},
		{"OK/AnyOrder", "signature=abc,keyVersion=5,algorithm=RSA256", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 5, Signature: "abc"}},
		{"OK/ValueSplitOnFirstEquals", "algorithm=RSA256,keyVersion=1,signature=ab+c/d==", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: "ab+c/d=="}},
		{"OK/ValueIsOnlyEquals", "signature==", wire.SignatureHeader{Signature: "="}},
		{"OK/UnknownKeysIgnored", "algorithm=RSA256,charset=UTF-8,keyVersion=1,signature=abc,extra=", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: "abc"}},
		{"OK/EmptyItemsSkipped", ",algorithm=RSA256,,signature=abc,", wire.SignatureHeader{Algorithm: "RSA256", Signature: "abc"}},
		{"OK/NoKeyVersion", "algorithm=RSA256,signature=abc", wire.SignatureHeader{Algorithm: "RSA256", Signature: "abc"}},
		{"OK/NoAlgorithm", "keyVersion=1,signature=abc", wire.SignatureHeader{KeyVersion: 1, Signature: "abc"}},
		{"OK/AlgorithmAsSent", "algorithm=ecc224,signature=abc", wire.SignatureHeader{Algorithm: "ecc224", Signature: "abc"}},
		{"OK/KeyVersionLeadingZero", "keyVersion=007,signature=abc", wire.SignatureHeader{KeyVersion: 7, Signature: "abc"}},
		{"OK/KeyVersionLargest", "keyVersion=1073741824,signature=abc", wire.SignatureHeader{KeyVersion: 1 << 30, Signature: "abc"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.ParseSignatureHeader(c.value)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			again, err := wire.ParseSignatureHeader(got.String())
			if err != nil {
				t.Fatalf("re-parse of %q: got error %v, want nil", got.String(), err)
			}
			if want := withDefaultAlgorithm(got); again != want {
				t.Fatalf("re-parse of %q: got %+v, want %+v", got.String(), again, want)
			}
		})
	}

	for _, c := range []struct {
		name  string
		value string
		wants []string // substrings of the error text
	}{
		{"ErrEmptyHeader", "", []string{"empty"}},
		{"ErrBlankHeader", " \t ", []string{"empty"}},
		{"ErrTwoSignatures", "signature=old,signature=new", []string{"more than one signature"}},
		{"ErrOnlyCommas", ",,,", []string{"no signature"}},
		{"ErrMissingSignature", "algorithm=RSA256,keyVersion=1", []string{"no signature"}},
		{"ErrEmptySignature", "algorithm=RSA256,keyVersion=1,signature=", []string{"no signature"}},
		{"ErrBlankSignature", "algorithm=RSA256,keyVersion=1,signature=   ", []string{"no signature"}},
		{"ErrKeyVersionZero", "algorithm=RSA256,keyVersion=0,signature=abc", []string{`"0"`, "positive integer"}},
		{"ErrKeyVersionNegative", "algorithm=RSA256,keyVersion=-1,signature=abc", []string{`"-1"`, "positive integer"}},
		{"ErrKeyVersionNotNumber", "algorithm=RSA256,keyVersion=abc,signature=abc", []string{`"abc"`, "positive integer"}},
		{"ErrKeyVersionEmpty", "algorithm=RSA256,keyVersion=,signature=abc", []string{"keyVersion", "positive integer"}},
		{"ErrKeyVersionFraction", "keyVersion=1.0,signature=abc", []string{"positive integer"}},
		{"ErrKeyVersionHex", "keyVersion=0x10,signature=abc", []string{"positive integer"}},
		{"ErrKeyVersionTooBig", "keyVersion=1073741825,signature=abc", []string{"positive integer"}},
		{"ErrKeyVersionHuge", "keyVersion=99999999999999999999999999999999,signature=abc", []string{"positive integer", "…"}},
		{"ErrItemWithoutEquals", "algorithm=RSA256,keyVersion,signature=abc", []string{`"keyVersion"`, "no '='"}},
		{"ErrOnlyItemWithoutEquals", "RSA256", []string{`"RSA256"`, "no '='"}},
		{"ErrLongItemWithoutEqualsTruncated", "algorithm=RSA256,signature" + strings.Repeat("A", 300), []string{"no '='", "…"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.ParseSignatureHeader(c.value)
			if err == nil {
				t.Fatalf("got %+v and nil error, want an error", got)
			}
			if !errors.Is(err, wire.ErrHeader) {
				t.Errorf("got error %v, want it to wrap wire.ErrHeader", err)
			}
			if got != (wire.SignatureHeader{}) {
				t.Errorf("got %+v with the error, want the zero value", got)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
			if len(err.Error()) > 200 {
				t.Errorf("got a %d-byte error, want a short one that does not repeat the header", len(err.Error()))
			}
		})
	}
}

// withDefaultAlgorithm is what String writes for h: the default algorithm
// and keyVersion 1 when they are not set.
func withDefaultAlgorithm(h wire.SignatureHeader) wire.SignatureHeader {
	if h.Algorithm == "" {
		h.Algorithm = wire.AlgorithmRSA256
	}
	if h.KeyVersion == 0 {
		h.KeyVersion = 1
	}
	return h
}

func TestSignatureHeaderString(t *testing.T) {
	for _, c := range []struct {
		name string
		h    wire.SignatureHeader
		want string
	}{
		{"OK/StrictOrder", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: longSig}, "algorithm=RSA256,keyVersion=1,signature=" + longSig},
		{"OK/KeyVersion12", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 12, Signature: "abc"}, "algorithm=RSA256,keyVersion=12,signature=abc"},
		{"OK/DefaultAlgorithm", wire.SignatureHeader{KeyVersion: 1, Signature: "abc"}, "algorithm=RSA256,keyVersion=1,signature=abc"},
		{"OK/AlgorithmAsGiven", wire.SignatureHeader{Algorithm: "rsa256", KeyVersion: 1, Signature: "abc"}, "algorithm=rsa256,keyVersion=1,signature=abc"},
		// Documented: a zero KeyVersion is written as 1, so that signature is
		// always the third item (the Java SDK reads the third).
		{"OK/ZeroKeyVersionWrittenAs1", wire.SignatureHeader{Algorithm: "RSA256", Signature: "abc"}, "algorithm=RSA256,keyVersion=1,signature=abc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.h.String()
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			back, err := wire.ParseSignatureHeader(got)
			if err != nil {
				t.Fatalf("re-parse: got error %v, want nil", err)
			}
			if want := withDefaultAlgorithm(c.h); back != want {
				t.Fatalf("re-parse: got %+v, want %+v", back, want)
			}
		})
	}
	t.Run("OK/JavaThirdItem", func(t *testing.T) {
		// The Java SDK splits on ',' and reads the third item as signature=V.
		h := wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: longSig}
		items := strings.Split(h.String(), ",")
		if len(items) != 3 || items[2] != "signature="+longSig {
			t.Fatalf("got items %q, want the third to be signature=<value>", items)
		}
	})
}

func TestParseEncryptHeader(t *testing.T) {
	for _, c := range []struct {
		name  string
		value string
		want  wire.EncryptHeader
	}{
		{"OK/Full", "algorithm=RSA_AES,keyVersion=1,symmetricKey=" + longSig, wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 1, SymmetricKey: longSig}},
		{"OK/ZOLOZFormNoKeyVersion", "algorithm=RSA_AES, symmetricKey=abc%3D", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "abc%3D"}},
		{"OK/AnyKeyCase", "ALGORITHM=RSA_AES,KeyVersion=2,SYMMETRICKEY=abc", wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 2, SymmetricKey: "abc"}},
		{"OK/AnyOrder", "symmetricKey=abc , keyVersion=3 , algorithm=RSA_AES", wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 3, SymmetricKey: "abc"}},
		{"OK/ValueSplitOnFirstEquals", "algorithm=RSA_AES,symmetricKey=ab+c==", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "ab+c=="}},
		{"OK/UnknownKeysIgnored", "algorithm=RSA_AES,mode=ECB,symmetricKey=abc,", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "abc"}},
		{"OK/AlgorithmAsSent", "algorithm=rsa_aes,symmetricKey=abc", wire.EncryptHeader{Algorithm: "rsa_aes", SymmetricKey: "abc"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.ParseEncryptHeader(c.value)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			again, err := wire.ParseEncryptHeader(got.String())
			if err != nil {
				t.Fatalf("re-parse of %q: got error %v, want nil", got.String(), err)
			}
			if again != got {
				t.Fatalf("re-parse of %q: got %+v, want %+v", got.String(), again, got)
			}
		})
	}

	for _, c := range []struct {
		name  string
		value string
		wants []string
	}{
		{"ErrEmptyHeader", "", []string{"empty"}},
		{"ErrMissingAlgorithm", "keyVersion=1,symmetricKey=abc", []string{"no algorithm"}},
		{"ErrEmptyAlgorithm", "algorithm=,symmetricKey=abc", []string{"no algorithm"}},
		{"ErrMissingSymmetricKey", "algorithm=RSA_AES,keyVersion=1", []string{"no symmetricKey"}},
		{"ErrEmptySymmetricKey", "algorithm=RSA_AES,symmetricKey= ", []string{"no symmetricKey"}},
		{"ErrKeyVersionZero", "algorithm=RSA_AES,keyVersion=0,symmetricKey=abc", []string{"positive integer"}},
		{"ErrKeyVersionNegative", "algorithm=RSA_AES,keyVersion=-1,symmetricKey=abc", []string{"positive integer"}},
		{"ErrKeyVersionNotNumber", "algorithm=RSA_AES,keyVersion=abc,symmetricKey=abc", []string{"positive integer"}},
		{"ErrKeyVersionHuge", "algorithm=RSA_AES,keyVersion=18446744073709551616,symmetricKey=abc", []string{"positive integer"}},
		{"ErrItemWithoutEquals", "algorithm=RSA_AES,symmetricKey", []string{`"symmetricKey"`, "no '='"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.ParseEncryptHeader(c.value)
			if err == nil {
				t.Fatalf("got %+v and nil error, want an error", got)
			}
			if !errors.Is(err, wire.ErrHeader) {
				t.Errorf("got error %v, want it to wrap wire.ErrHeader", err)
			}
			if got != (wire.EncryptHeader{}) {
				t.Errorf("got %+v with the error, want the zero value", got)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestEncryptHeaderString(t *testing.T) {
	for _, c := range []struct {
		name string
		h    wire.EncryptHeader
		want string
	}{
		{"OK/StrictOrder", wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 1, SymmetricKey: "abc%3D"}, "algorithm=RSA_AES,keyVersion=1,symmetricKey=abc%3D"},
		{"OK/DefaultAlgorithm", wire.EncryptHeader{KeyVersion: 2, SymmetricKey: "abc"}, "algorithm=RSA_AES,keyVersion=2,symmetricKey=abc"},
		{"OK/ZeroKeyVersionLeftOut", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "abc"}, "algorithm=RSA_AES,symmetricKey=abc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.h.String()
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			back, err := wire.ParseEncryptHeader(got)
			if err != nil {
				t.Fatalf("re-parse: got error %v, want nil", err)
			}
			want := c.h
			if want.Algorithm == "" {
				want.Algorithm = wire.AlgorithmRSAAES
			}
			if back != want {
				t.Fatalf("re-parse: got %+v, want %+v", back, want)
			}
		})
	}
}

func TestSchemeFor(t *testing.T) {
	for _, alg := range []string{"RSA_AES", "rsa_aes", "Rsa_Aes"} {
		t.Run("OK/"+alg, func(t *testing.T) {
			s, err := wire.SchemeFor(alg)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := s.Algorithm(); got != wire.AlgorithmRSAAES {
				t.Errorf("got algorithm %q, want %q", got, wire.AlgorithmRSAAES)
			}
		})
	}
	for _, c := range []struct{ name, alg, want string }{
		{"ErrUnknown", "AES_GCM", `"AES_GCM"`},
		{"ErrDash", "RSA-AES", `"RSA-AES"`},
		{"ErrEmpty", "", `""`},
		{"ErrLongTruncated", strings.Repeat("X", 100), "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := wire.SchemeFor(c.alg)
			if err == nil {
				t.Fatalf("got scheme %v and nil error, want an error", s)
			}
			if !errors.Is(err, wire.ErrHeader) {
				t.Errorf("got error %v, want it to wrap wire.ErrHeader", err)
			}
			for _, w := range []string{c.want, "RSA_AES"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
	t.Run("ErrDecryptBodyUnknownAlgorithm", func(t *testing.T) {
		_, err := wire.DecryptBody(testKey(t), wire.EncryptHeader{Algorithm: "AES_GCM", SymmetricKey: "abc"}, []byte("abc"))
		if !errors.Is(err, wire.ErrHeader) {
			t.Errorf("got error %v, want it to wrap wire.ErrHeader", err)
		}
	})
}

// headerSeeds are shared by the two header fuzz targets.
var headerSeeds = []string{
	"algorithm=RSA256,keyVersion=1,signature=" + longSig,
	"algorithm=RSA256, keyVersion=1, signature=abc",
	"algorithm=RSA_AES,keyVersion=1,symmetricKey=abc%3D%3D",
	"algorithm=RSA_AES, symmetricKey=abc",
	"SIGNATURE=a=b=c,KEYVERSION=007,ALGORITHM=x",
	"keyVersion=-1,signature=x", "keyVersion=99999999999999999999,signature=x",
	"", ",", "=", "a", "signature", "signature=", " , ,signature= x ,", "\x00=\x00", "é=é,signature=\u00a0x\u00a0",
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		h, err := wire.ParseSignatureHeader(value)
		if err != nil {
			if !errors.Is(err, wire.ErrHeader) {
				t.Fatalf("got error %v, want it to wrap wire.ErrHeader", err)
			}
			if h != (wire.SignatureHeader{}) {
				t.Fatalf("got %+v with an error, want the zero value", h)
			}
			return
		}
		if h.Signature == "" {
			t.Fatal("got an empty signature and nil error")
		}
		if h.KeyVersion < 0 || h.KeyVersion > 1<<30 {
			t.Fatalf("got keyVersion %d, want 0 or 1..2^30", h.KeyVersion)
		}
		for _, v := range []string{h.Algorithm, h.Signature} {
			if strings.Contains(v, ",") || strings.TrimSpace(v) != v {
				t.Fatalf("got value %q, want no commas and no surrounding space", v)
			}
		}
		s := h.String()
		again, err := wire.ParseSignatureHeader(s)
		if err != nil {
			t.Fatalf("re-parse of %q: got error %v, want nil", s, err)
		}
		if want := withDefaultAlgorithm(h); again != want {
			t.Fatalf("re-parse of %q: got %+v, want %+v", s, again, want)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("String after re-parse: got %q, want %q", s2, s)
		}
	})
}

func FuzzParseEncryptHeader(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		h, err := wire.ParseEncryptHeader(value)
		if err != nil {
			if !errors.Is(err, wire.ErrHeader) {
				t.Fatalf("got error %v, want it to wrap wire.ErrHeader", err)
			}
			if h != (wire.EncryptHeader{}) {
				t.Fatalf("got %+v with an error, want the zero value", h)
			}
			return
		}
		if h.Algorithm == "" || h.SymmetricKey == "" {
			t.Fatalf("got %+v and nil error, want algorithm and symmetricKey", h)
		}
		if h.KeyVersion < 0 || h.KeyVersion > 1<<30 {
			t.Fatalf("got keyVersion %d, want 0 or 1..2^30", h.KeyVersion)
		}
		s := h.String()
		again, err := wire.ParseEncryptHeader(s)
		if err != nil {
			t.Fatalf("re-parse of %q: got error %v, want nil", s, err)
		}
		if again != h {
			t.Fatalf("re-parse of %q: got %+v, want %+v", s, again, h)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("String after re-parse: got %q, want %q", s2, s)
		}
		if _, err := wire.SchemeFor(h.Algorithm); err != nil && !errors.Is(err, wire.ErrHeader) {
			t.Fatalf("SchemeFor: got error %v, want nil or one wrapping wire.ErrHeader", err)
		}
	})
}
