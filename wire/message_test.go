package wire_test

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// TestMessageRoles signs a message in each role and reads it back: header
// names exactly as each role writes them, verified with the key the
// header's keyVersion names.
func TestMessageRoles(t *testing.T) {
	key := testKey(t)
	m := wire.Message{Method: "POST", URI: "/ams/api/v1/payments/pay?x=1", ClientID: "SHOP_1", Time: "1704067200000", Body: []byte(`{"a":1}`)}
	for _, c := range []struct {
		role  wire.Role
		names [3]string
	}{
		{wire.Request, [3]string{"Client-Id", "Request-Time", "Signature"}},
		{wire.Answer, [3]string{"client-id", "response-time", "signature"}},
		{wire.Notification, [3]string{"client-id", "request-time", "signature"}},
	} {
		h := http.Header{"CLIENT-ID": {"stale"}}
		if err := m.WriteHeaders(h, c.role, key, 3); err != nil {
			t.Fatalf("role %d: WriteHeaders: %v", c.role, err)
		}
		if len(h) != 3 {
			t.Errorf("role %d: headers %v, want exactly the three (the stale CLIENT-ID replaced)", c.role, h)
		}
		for _, name := range c.names {
			if len(h[name]) != 1 {
				t.Errorf("role %d: header %q not written under that exact name: %v", c.role, name, h)
			}
		}
		got, sh, err := wire.VerifyHeaders(h, c.role, "POST", m.URI, m.Body, func(v int) (*rsa.PublicKey, error) {
			if v != 3 {
				t.Errorf("role %d: key asked for version %d, want 3", c.role, v)
			}
			return &key.PublicKey, nil
		})
		if err != nil || sh.KeyVersion != 3 || got.ClientID != m.ClientID || got.Time != m.Time {
			t.Errorf("role %d: VerifyHeaders = %+v, %+v, %v", c.role, got, sh, err)
		}
		// The same signature as the primitive gives.
		want, _ := wire.Sign(key, wire.SigningContent(m.Method, m.URI, m.ClientID, m.Time, m.Body))
		if sh.Signature != want {
			t.Errorf("role %d: signature %q, want %q", c.role, sh.Signature, want)
		}
	}
}

// TestMessageErrors: each way a signed message can be wrong is an *Error
// with its condition and the header it concerns.
func TestMessageErrors(t *testing.T) {
	key, other := testKey(t), otherKey(t)
	m := wire.Message{Method: "POST", URI: "/p", ClientID: "C", Time: "1704067200000", Body: []byte("{}")}
	signed := func() http.Header {
		h := http.Header{}
		if err := m.WriteHeaders(h, wire.Request, key, 1); err != nil {
			t.Fatal(err)
		}
		return h
	}
	keyOf := func(k *rsa.PrivateKey) wire.KeyFunc {
		return func(int) (*rsa.PublicKey, error) { return &k.PublicKey, nil }
	}
	errKeys := errors.New("no such key version")
	for _, c := range []struct {
		name   string
		edit   func(http.Header)
		keys   wire.KeyFunc
		want   error
		header string
	}{
		{"MissingSignature", func(h http.Header) { h.Del("Signature") }, keyOf(key), wire.ErrMissingHeader, "signature"},
		{"MissingTime", func(h http.Header) { h.Del("Request-Time") }, keyOf(key), wire.ErrMissingHeader, "request-time"},
		{"MissingClientID", func(h http.Header) { h.Del("Client-Id") }, keyOf(key), wire.ErrMissingHeader, "client-id"},
		{"Malformed", func(h http.Header) { h.Set("Signature", "algorithm=RSA256,keyVersion=x,signature=abc") }, keyOf(key), wire.ErrHeader, "signature"},
		{"Algorithm", func(h http.Header) { h.Set("Signature", "algorithm=HS256,signature=abc") }, keyOf(key), wire.ErrAlgorithm, "signature"},
		{"Encoding", func(h http.Header) { h.Set("Signature", "algorithm=RSA256,signature=%ZZ") }, keyOf(key), wire.ErrSignatureEncoding, "signature"},
		{"Mismatch", func(http.Header) {}, keyOf(other), wire.ErrSignature, "signature"},
		{"OtherTime", func(h http.Header) { h.Set("Request-Time", "1704067200001") }, keyOf(key), wire.ErrSignature, "signature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := signed()
			c.edit(h)
			_, _, err := wire.VerifyHeaders(h, wire.Request, "POST", "/p", []byte("{}"), c.keys)
			var we *wire.Error
			if !errors.Is(err, c.want) || !errors.As(err, &we) || we.Header != c.header || (we.Detail == "") != (c.want == wire.ErrSignature) {
				t.Fatalf("VerifyHeaders = %v (%#v), want an *Error wrapping %v for header %q", err, we, c.want, c.header)
			}
		})
	}
	t.Run("KeyFuncError", func(t *testing.T) {
		_, _, err := wire.VerifyHeaders(signed(), wire.Request, "POST", "/p", []byte("{}"), func(int) (*rsa.PublicKey, error) { return nil, errKeys })
		if err != errKeys {
			t.Errorf("VerifyHeaders = %v, want the KeyFunc's error as it is", err)
		}
	})
	t.Run("AnswerWithoutClientID", func(t *testing.T) {
		h := http.Header{}
		if err := m.WriteHeaders(h, wire.Answer, key, 1); err != nil {
			t.Fatal(err)
		}
		delete(h, "client-id")
		got, sh, err := wire.ReadSigned(h, wire.Answer, "POST", "/p", []byte("{}"))
		if err != nil || got.ClientID != "" {
			t.Fatalf("ReadSigned of an answer without client-id = %+v, %v; want no error and an empty ClientID", got, err)
		}
		got.ClientID = "C"
		if err := got.Verify(&key.PublicKey, sh); err != nil {
			t.Errorf("Verify with the caller's client id: %v", err)
		}
	})
}
