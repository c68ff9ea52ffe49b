package wire_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

func TestSigningContent(t *testing.T) {
	for _, c := range []struct {
		name                          string
		method, uri, clientID, timeHd string
		body                          []byte
		want                          string
	}{
		{
			name:   "OK/Request",
			method: "POST", uri: "/ams/api/v1/payments/pay", clientID: "SANDBOX_5X00000000000000", timeHd: "1685599933871",
			body: []byte(`{"a":1}`),
			want: "POST /ams/api/v1/payments/pay\nSANDBOX_5X00000000000000.1685599933871.{\"a\":1}",
		},
		{
			name:   "OK/QueryString",
			method: "POST", uri: "/ams/api/v1/payments/pay?lang=en&x=%2F", clientID: "C1", timeHd: "1704067200000",
			body: []byte(`{}`),
			want: "POST /ams/api/v1/payments/pay?lang=en&x=%2F\nC1.1704067200000.{}",
		},
		{
			name:   "OK/EmptyBody",
			method: "POST", uri: "/p", clientID: "C1", timeHd: "1704067200000",
			body: nil,
			want: "POST /p\nC1.1704067200000.",
		},
		{
			name:   "OK/EmptyNonNilBody",
			method: "POST", uri: "/p", clientID: "C1", timeHd: "1704067200000",
			body: []byte{},
			want: "POST /p\nC1.1704067200000.",
		},
		{
			name:   "OK/TimeWithDots",
			method: "POST", uri: "/openapi/v2/payments/pay", clientID: "T.1", timeHd: "2019-04-04T12:08:56.253+05:30",
			body: []byte(`{"v":"1.5"}`),
			want: "POST /openapi/v2/payments/pay\nT.1.2019-04-04T12:08:56.253+05:30.{\"v\":\"1.5\"}",
		},
		{
			name:   "OK/SevenDigitFraction",
			method: "POST", uri: "/p", clientID: "C1", timeHd: "2024-01-01T00:00:00.1234567Z",
			body: []byte("x"),
			want: "POST /p\nC1.2024-01-01T00:00:00.1234567Z.x",
		},
		{
			name:   "OK/RawBodyBytesKept",
			method: "POST", uri: "/p", clientID: "C1", timeHd: "1",
			body: []byte("{\r\n  \"k\": \"\\u00e9é\"\n}\n"),
			want: "POST /p\nC1.1.{\r\n  \"k\": \"\\u00e9é\"\n}\n",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := bytes.Clone(c.body)
			got := wire.SigningContent(c.method, c.uri, c.clientID, c.timeHd, body)
			if string(got) != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if !bytes.Equal(body, c.body) {
				t.Errorf("got body changed to %q, want it untouched", body)
			}
		})
	}
}

// signedSample returns content and its raw signature chosen so that the
// base64 text contains both '+' and '/' (and, being 256 bytes, "==" padding):
// every escaping case then has something to escape. The search is
// deterministic because PKCS #1 v1.5 signatures are.
func signedSample(tb testing.TB, key *rsa.PrivateKey) (content []byte, sig []byte) {
	tb.Helper()
	for i := 0; i < 100; i++ {
		content = wire.SigningContent("POST", "/ams/api/v1/payments/pay", "TEST_CLIENT_ID",
			"2019-04-04T12:08:56.253+05:30", fmt.Appendf(nil, `{"paymentRequestId":"REQ_%d"}`, i))
		v, err := wire.Sign(key, content)
		if err != nil {
			tb.Fatal(err)
		}
		sig, err = wire.DecodeSignature(v)
		if err != nil {
			tb.Fatal(err)
		}
		if b := base64.StdEncoding.EncodeToString(sig); strings.Contains(b, "+") && strings.Contains(b, "/") {
			return content, sig
		}
	}
	tb.Fatal("no sample signature with both '+' and '/' in 100 tries")
	return nil, nil
}

func TestSign(t *testing.T) {
	key := testKey(t)
	content, sig := signedSample(t, key)
	got, err := wire.Sign(key, content)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK/Deterministic", func(t *testing.T) {
		again, err := wire.Sign(key, content)
		if err != nil {
			t.Fatal(err)
		}
		if again != got {
			t.Errorf("got %q, want %q (PKCS #1 v1.5 is deterministic)", again, got)
		}
	})
	t.Run("OK/URLEncodedUpperCase", func(t *testing.T) {
		if strings.ContainsAny(got, "+/= ") {
			t.Errorf("got %q, want no raw '+', '/', '=' or space", got)
		}
		for _, esc := range []string{"%2B", "%2F", "%3D%3D"} {
			if !strings.Contains(got, esc) {
				t.Errorf("got %q, want it to contain %s", got, esc)
			}
		}
		if want := wire.EncodeSignature(sig); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		if v, err := wire.Sign(nil, content); err == nil {
			t.Errorf("got %q and nil error, want an error", v)
		}
	})
}

func TestVerify(t *testing.T) {
	key := testKey(t)
	pub := &key.PublicKey
	content, sig := signedSample(t, key)
	encoded := wire.EncodeSignature(sig)
	raw := base64.StdEncoding.EncodeToString(sig)
	flipped := bytes.Clone(sig)
	flipped[len(flipped)/2] ^= 0x01

	for _, c := range []struct {
		name    string
		pub     *rsa.PublicKey
		content []byte
		value   string
		want    error // nil, wire.ErrSignature or wire.ErrSignatureEncoding
	}{
		{"OK/UpperCaseEscapes", pub, content, encoded, nil},
		{"OK/LowerCaseEscapes", pub, content, lowerEscapes(encoded), nil},
		{"OK/MixedCaseEscapes", pub, content, strings.Replace(encoded, "%2F", "%2f", 1), nil},
		{"OK/RawBase64", pub, content, raw, nil},
		{"OK/RawBase64Unpadded", pub, content, strings.TrimRight(raw, "="), nil},
		{"OK/PlusBecameSpace", pub, content, strings.ReplaceAll(raw, "+", " "), nil},
		{"OK/URLSafeAlphabet", pub, content, strings.NewReplacer("+", "-", "/", "_").Replace(raw), nil},
		{"ErrSignature/AlteredBody", pub, append(bytes.Clone(content), ' '), encoded, wire.ErrSignature},
		{"ErrSignature/AlteredTime", pub, bytes.Replace(content, []byte(".253+"), []byte(".254+"), 1), encoded, wire.ErrSignature},
		{"ErrSignature/EmptyContent", pub, nil, encoded, wire.ErrSignature},
		{"ErrSignature/OtherKey", &otherKey(t).PublicKey, content, encoded, wire.ErrSignature},
		{"ErrSignature/FlippedBit", pub, content, wire.EncodeSignature(flipped), wire.ErrSignature},
		{"ErrSignature/TruncatedSignature", pub, content, wire.EncodeSignature(sig[:len(sig)-1]), wire.ErrSignature},
		{"ErrSignature/LongSignature", pub, content, wire.EncodeSignature(append(bytes.Clone(sig), 0)), wire.ErrSignature},
		{"ErrSignatureEncoding/BadBase64", pub, content, "not*base64!", wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/BadBase64Length", pub, content, raw[:len(raw)-3], wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/TruncatedEscape", pub, content, encoded[:len(encoded)-1], wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/TruncatedEscapeOnePercent", pub, content, encoded[:len(encoded)-2], wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/BadEscape", pub, content, "%ZZ" + encoded, wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/EscapedJunk", pub, content, "%00" + encoded, wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/Empty", pub, content, "", wire.ErrSignatureEncoding},
		{"ErrSignatureEncoding/OnlyPadding", pub, content, "%3D%3D", wire.ErrSignatureEncoding},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := wire.Verify(c.pub, c.content, c.value)
			switch {
			case c.want == nil && err != nil:
				t.Errorf("got error %v, want nil", err)
			case c.want == wire.ErrSignature && err != wire.ErrSignature:
				t.Errorf("got error %v, want exactly wire.ErrSignature", err)
			case c.want == wire.ErrSignatureEncoding && !errors.Is(err, wire.ErrSignatureEncoding):
				t.Errorf("got error %v, want it to wrap wire.ErrSignatureEncoding", err)
			}
		})
	}
	t.Run("ErrNoKey", func(t *testing.T) {
		err := wire.Verify(nil, content, encoded)
		if err == nil || errors.Is(err, wire.ErrSignature) {
			t.Errorf("got error %v, want a no-key error", err)
		}
	})
}

func TestEncodeDecodeSignature(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 62, 63, 64, 255, 256, 257, 512} {
		t.Run(fmt.Sprintf("OK/%dBytes", n), func(t *testing.T) {
			raw := randomBytes(t, n)
			enc := wire.EncodeSignature(raw)
			if want := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(base64.StdEncoding.EncodeToString(raw)); enc != want {
				t.Fatalf("got %q, want %q", enc, want)
			}
			got, err := wire.DecodeSignature(enc)
			checkBytes(t, "DecodeSignature", got, err, raw)
		})
	}
}

func FuzzDecodeSignature(f *testing.F) {
	key := testKey(f)
	pub := &key.PublicKey
	content, sig := signedSample(f, key)
	raw := base64.StdEncoding.EncodeToString(sig)
	for _, s := range []string{
		wire.EncodeSignature(sig), lowerEscapes(wire.EncodeSignature(sig)), raw,
		strings.ReplaceAll(raw, "+", " "), strings.NewReplacer("+", "-", "/", "_").Replace(raw),
		"", "%", "%2", "%zz", "%2B%2F%3D", "====", "a", "ab", "abc", "abcd", "-_", "+/-_", "\x00", "é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, err := wire.DecodeSignature(value)
		if err != nil {
			checkError(t, err, wire.ErrSignatureEncoding)
			if got != nil {
				t.Fatalf("got %x with an error, want nil", got)
			}
		} else {
			if len(got) == 0 {
				t.Fatal("got an empty signature and nil error, want an error")
			}
			again, err := wire.DecodeSignature(wire.EncodeSignature(got))
			checkBytes(t, "re-decode", again, err, got)
		}
		switch err := wire.Verify(pub, content, value); {
		case err == nil, err == wire.ErrSignature, errors.Is(err, wire.ErrSignatureEncoding):
		default:
			t.Fatalf("Verify: got error %v, want nil, ErrSignature or ErrSignatureEncoding", err)
		}
	})
}
