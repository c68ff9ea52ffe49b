package wire_test

import (
	"cmp"
	"errors"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

const longSig = "of5WVdhmSwcvM3YJ8nV1fhyauDnlhXItximP1d36yl5VJIcQds1NaSYzCvYPAqMis1i%2BBYehPJT%2BEQx%2B99uy0ZUaqBe8Mlb2YT7mBU6CWnEtNDUOccSB2Gl%2F6%2BUsp4lasqh%2BB0g1I3EjmRvs8ydz%3D%3D"

// header is one of the two headers, for the checks they share.
type header[H interface {
	comparable
	String() string
}] struct {
	parse func(string) (H, error)
	// written is h as String writes it and parse reads it back: with the
	// defaults String fills in.
	written func(h H) H
	// items returns the algorithm, keyVersion and value (signature or
	// symmetricKey) items of h.
	items func(h H) (alg string, ver int, value string)
}

var (
	signatureHeader = header[wire.SignatureHeader]{
		parse:   wire.ParseSignatureHeader,
		written: withDefaultAlgorithm,
		items: func(h wire.SignatureHeader) (string, int, string) {
			return h.Algorithm, h.KeyVersion, h.Signature
		},
	}
	encryptHeader = header[wire.EncryptHeader]{
		parse: wire.ParseEncryptHeader,
		written: func(h wire.EncryptHeader) wire.EncryptHeader {
			h.Algorithm = cmp.Or(h.Algorithm, wire.AlgorithmRSAAES)
			return h
		},
		items: func(h wire.EncryptHeader) (string, int, string) {
			return h.Algorithm, h.KeyVersion, h.SymmetricKey
		},
	}
)

// withDefaultAlgorithm is what String writes for h: the default algorithm
// and keyVersion 1 when they are not set.
func withDefaultAlgorithm(h wire.SignatureHeader) wire.SignatureHeader {
	h.Algorithm = cmp.Or(h.Algorithm, wire.AlgorithmRSA256)
	h.KeyVersion = cmp.Or(h.KeyVersion, 1)
	return h
}

// parseCase is a header value the parser reads and what it reads it as.
type parseCase[H any] struct {
	name  string
	value string
	want  H
}

// stringCase is a header and how String writes it.
type stringCase[H any] struct {
	name string
	h    H
	want string
}

// checkParse wants value to parse as want, and want to survive a round trip.
func (hd header[H]) checkParse(t *testing.T, value string, want H) {
	t.Helper()
	got, err := hd.parse(value)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	hd.checkRoundTrip(t, got)
}

// checkRefused wants value refused with a short error that wraps
// wire.ErrHeader and contains each of wants, and the zero header with it.
func (hd header[H]) checkRefused(t *testing.T, value string, wants []string) {
	t.Helper()
	got, err := hd.parse(value)
	if err == nil {
		t.Fatalf("got %+v and nil error, want an error", got)
	}
	checkError(t, err, wire.ErrHeader, wants...)
	var zero H
	if got != zero {
		t.Errorf("got %+v with the error, want the zero value", got)
	}
	if len(err.Error()) > 200 {
		t.Errorf("got a %d-byte error, want a short one that does not repeat the header", len(err.Error()))
	}
}

// checkString wants h written as want, and h to survive a round trip.
func (hd header[H]) checkString(t *testing.T, h H, want string) {
	t.Helper()
	if got := h.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	hd.checkRoundTrip(t, h)
}

// checkRoundTrip wants the String of h to parse back as written(h), and
// that to be written the same again.
func (hd header[H]) checkRoundTrip(t testing.TB, h H) {
	t.Helper()
	s := h.String()
	again, err := hd.parse(s)
	if err != nil {
		t.Fatalf("re-parse of %q: got error %v, want nil", s, err)
	}
	if want := hd.written(h); again != want {
		t.Fatalf("re-parse of %q: got %+v, want %+v", s, again, want)
	}
	if s2 := again.String(); s2 != s {
		t.Fatalf("String after re-parse: got %q, want %q", s2, s)
	}
}

// checkFuzz is what both header fuzz targets check of any value: it is
// refused with an error that wraps wire.ErrHeader and the zero header, or it
// parses to a header with a value item, a keyVersion of 0 or 1..2^30, items
// without commas or surrounding space, and survives a round trip. ok reports
// whether value parsed.
func (hd header[H]) checkFuzz(t *testing.T, value string) (h H, ok bool) {
	h, err := hd.parse(value)
	if err != nil {
		checkError(t, err, wire.ErrHeader)
		var zero H
		if h != zero {
			t.Fatalf("got %+v with an error, want the zero value", h)
		}
		return h, false
	}
	alg, ver, val := hd.items(h)
	if val == "" {
		t.Fatalf("got %+v with an empty value item and nil error", h)
	}
	if ver < 0 || ver > 1<<30 {
		t.Fatalf("got keyVersion %d, want 0 or 1..2^30", ver)
	}
	for _, v := range []string{alg, val} {
		if strings.Contains(v, ",") || strings.TrimSpace(v) != v {
			t.Fatalf("got value %q, want no commas and no surrounding space", v)
		}
	}
	hd.checkRoundTrip(t, h)
	return h, true
}

func TestParseSignatureHeader(t *testing.T) {
	for _, c := range []parseCase[wire.SignatureHeader]{
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
		t.Run(c.name, func(t *testing.T) { signatureHeader.checkParse(t, c.value, c.want) })
	}
}

func TestSignatureHeaderString(t *testing.T) {
	for _, c := range []stringCase[wire.SignatureHeader]{
		{"OK/StrictOrder", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 1, Signature: longSig}, "algorithm=RSA256,keyVersion=1,signature=" + longSig},
		{"OK/KeyVersion12", wire.SignatureHeader{Algorithm: "RSA256", KeyVersion: 12, Signature: "abc"}, "algorithm=RSA256,keyVersion=12,signature=abc"},
		{"OK/DefaultAlgorithm", wire.SignatureHeader{KeyVersion: 1, Signature: "abc"}, "algorithm=RSA256,keyVersion=1,signature=abc"},
		{"OK/AlgorithmAsGiven", wire.SignatureHeader{Algorithm: "rsa256", KeyVersion: 1, Signature: "abc"}, "algorithm=rsa256,keyVersion=1,signature=abc"},
		// Documented: a zero KeyVersion is written as 1, so that signature is
		// always the third item (the Java SDK reads the third).
		{"OK/ZeroKeyVersionWrittenAs1", wire.SignatureHeader{Algorithm: "RSA256", Signature: "abc"}, "algorithm=RSA256,keyVersion=1,signature=abc"},
	} {
		t.Run(c.name, func(t *testing.T) { signatureHeader.checkString(t, c.h, c.want) })
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
	for _, c := range []parseCase[wire.EncryptHeader]{
		{"OK/Full", "algorithm=RSA_AES,keyVersion=1,symmetricKey=" + longSig, wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 1, SymmetricKey: longSig}},
		{"OK/ZOLOZFormNoKeyVersion", "algorithm=RSA_AES, symmetricKey=abc%3D", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "abc%3D"}},
		{"OK/AnyKeyCase", "ALGORITHM=RSA_AES,KeyVersion=2,SYMMETRICKEY=abc", wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 2, SymmetricKey: "abc"}},
		{"OK/AnyOrder", "symmetricKey=abc , keyVersion=3 , algorithm=RSA_AES", wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 3, SymmetricKey: "abc"}},
		{"OK/ValueSplitOnFirstEquals", "algorithm=RSA_AES,symmetricKey=ab+c==", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "ab+c=="}},
		{"OK/UnknownKeysIgnored", "algorithm=RSA_AES,mode=ECB,symmetricKey=abc,", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "abc"}},
		{"OK/AlgorithmAsSent", "algorithm=rsa_aes,symmetricKey=abc", wire.EncryptHeader{Algorithm: "rsa_aes", SymmetricKey: "abc"}},
	} {
		t.Run(c.name, func(t *testing.T) { encryptHeader.checkParse(t, c.value, c.want) })
	}
}

// TestParseHeaderRefused gives both parsers the same values. What breaks
// the item grammar they share, they refuse alike; a missing or doubled item,
// each in its own terms.
func TestParseHeaderRefused(t *testing.T) {
	noSignature := []string{"no signature"}
	noAlgorithm := []string{"no algorithm"}
	noSymmetricKey := []string{"no symmetricKey"}
	for _, c := range []struct {
		name     string
		value    string
		sig, enc []string // substrings of each parser's error text; enc nil: as sig
	}{
		{"ErrEmptyHeader", "", []string{"empty"}, nil},
		{"ErrBlankHeader", " \t ", []string{"empty"}, nil},
		{"ErrTwoSignatures", "signature=old,signature=new", []string{"more than one signature"}, noAlgorithm},
		{"ErrOnlyCommas", ",,,", noSignature, noAlgorithm},
		{"ErrMissingSignature", "algorithm=RSA256,keyVersion=1", noSignature, noSymmetricKey},
		{"ErrEmptySignature", "algorithm=RSA256,keyVersion=1,signature=", noSignature, noSymmetricKey},
		{"ErrBlankSignature", "algorithm=RSA256,keyVersion=1,signature=   ", noSignature, noSymmetricKey},
		{"ErrMissingAlgorithm", "keyVersion=1,symmetricKey=abc", noSignature, noAlgorithm},
		{"ErrEmptyAlgorithm", "algorithm=,symmetricKey=abc", noSignature, noAlgorithm},
		{"ErrMissingSymmetricKey", "algorithm=RSA_AES,keyVersion=1", noSignature, noSymmetricKey},
		{"ErrEmptySymmetricKey", "algorithm=RSA_AES,symmetricKey= ", noSignature, noSymmetricKey},
		{"ErrKeyVersionZero", "algorithm=RSA256,keyVersion=0,signature=abc", []string{`"0"`, "positive integer"}, nil},
		{"ErrKeyVersionNegative", "algorithm=RSA256,keyVersion=-1,signature=abc", []string{`"-1"`, "positive integer"}, nil},
		{"ErrKeyVersionNotNumber", "algorithm=RSA256,keyVersion=abc,signature=abc", []string{`"abc"`, "positive integer"}, nil},
		{"ErrKeyVersionEmpty", "algorithm=RSA256,keyVersion=,signature=abc", []string{"keyVersion", "positive integer"}, nil},
		{"ErrKeyVersionFraction", "keyVersion=1.0,signature=abc", []string{"positive integer"}, nil},
		{"ErrKeyVersionHex", "keyVersion=0x10,signature=abc", []string{"positive integer"}, nil},
		{"ErrKeyVersionTooBig", "keyVersion=1073741825,signature=abc", []string{"positive integer"}, nil},
		{"ErrKeyVersionUint64", "algorithm=RSA_AES,keyVersion=18446744073709551616,symmetricKey=abc", []string{"positive integer"}, nil},
		{"ErrKeyVersionHuge", "keyVersion=99999999999999999999999999999999,signature=abc", []string{"positive integer", "…"}, nil},
		{"ErrItemWithoutEquals", "algorithm=RSA256,keyVersion,signature=abc", []string{`"keyVersion"`, "no '='"}, nil},
		{"ErrLastItemWithoutEquals", "algorithm=RSA_AES,symmetricKey", []string{`"symmetricKey"`, "no '='"}, nil},
		{"ErrOnlyItemWithoutEquals", "RSA256", []string{`"RSA256"`, "no '='"}, nil},
		{"ErrLongItemWithoutEqualsTruncated", "algorithm=RSA256,signature" + strings.Repeat("A", 300), []string{"no '='", "…"}, nil},
	} {
		if c.enc == nil {
			c.enc = c.sig
		}
		t.Run("Signature/"+c.name, func(t *testing.T) { signatureHeader.checkRefused(t, c.value, c.sig) })
		t.Run("Encrypt/"+c.name, func(t *testing.T) { encryptHeader.checkRefused(t, c.value, c.enc) })
	}
}

func TestEncryptHeaderString(t *testing.T) {
	for _, c := range []stringCase[wire.EncryptHeader]{
		{"OK/StrictOrder", wire.EncryptHeader{Algorithm: "RSA_AES", KeyVersion: 1, SymmetricKey: "abc%3D"}, "algorithm=RSA_AES,keyVersion=1,symmetricKey=abc%3D"},
		{"OK/DefaultAlgorithm", wire.EncryptHeader{KeyVersion: 2, SymmetricKey: "abc"}, "algorithm=RSA_AES,keyVersion=2,symmetricKey=abc"},
		{"OK/ZeroKeyVersionLeftOut", wire.EncryptHeader{Algorithm: "RSA_AES", SymmetricKey: "abc"}, "algorithm=RSA_AES,symmetricKey=abc"},
	} {
		t.Run(c.name, func(t *testing.T) { encryptHeader.checkString(t, c.h, c.want) })
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
			checkError(t, err, wire.ErrHeader, c.want, "RSA_AES")
		})
	}
	t.Run("ErrDecryptBodyUnknownAlgorithm", func(t *testing.T) {
		_, err := wire.DecryptBody(testKey(t), wire.EncryptHeader{Algorithm: "AES_GCM", SymmetricKey: "abc"}, []byte("abc"))
		checkError(t, err, wire.ErrHeader)
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
	f.Fuzz(func(t *testing.T, value string) { signatureHeader.checkFuzz(t, value) })
}

func FuzzParseEncryptHeader(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		h, ok := encryptHeader.checkFuzz(t, value)
		if !ok {
			return
		}
		if h.Algorithm == "" {
			t.Fatalf("got %+v and nil error, want an algorithm", h)
		}
		if _, err := wire.SchemeFor(h.Algorithm); err != nil && !errors.Is(err, wire.ErrHeader) {
			t.Fatalf("SchemeFor: got error %v, want nil or one wrapping wire.ErrHeader", err)
		}
	})
}
