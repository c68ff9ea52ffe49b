package wire_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// vectors is testdata/vectors-test-only.json, a copy of the project's
// byte-exact vectors (cross-checked with OpenSSL when they were made).
type vectors struct {
	PrivateKeyPKCS8Base64       string `json:"privateKeyPkcs8Base64"`
	PublicKeySPKIBase64         string `json:"publicKeySpkiBase64"`
	RequestContent              string `json:"requestContent"`
	RequestSignatureBase64      string `json:"requestSignatureBase64"`
	RequestSignatureURLEncoded  string `json:"requestSignatureUrlEncoded"`
	ResponseContent             string `json:"responseContent"`
	ResponseSignatureBase64     string `json:"responseSignatureBase64"`
	ResponseSignatureURLEncoded string `json:"responseSignatureUrlEncoded"`
	AESKeyHex                   string `json:"aesKeyHex"`
	AESECBCiphertextBase64      string `json:"aesEcbCiphertextBase64"`
	WrappedKeyPKCS1v15Base64    string `json:"wrappedKeyPkcs1v15Base64"`
	WrappedKeyURLEncoded        string `json:"wrappedKeyUrlEncoded"`
}

func loadVectors(tb testing.TB) vectors {
	tb.Helper()
	data, err := os.ReadFile("testdata/vectors-test-only.json")
	if err != nil {
		tb.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestVectors(t *testing.T) {
	v := loadVectors(t)
	priv, err := wire.ParsePrivateKey([]byte(v.PrivateKeyPKCS8Base64))
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	pub, err := wire.ParsePublicKey([]byte(v.PublicKeySPKIBase64))
	if err != nil {
		t.Fatalf("ParsePublicKey: %v", err)
	}
	if !pub.Equal(&priv.PublicKey) {
		t.Fatal("public key does not match private key")
	}

	t.Run("RequestContent", func(t *testing.T) {
		got := wire.SigningContent("POST", "/ams/api/v1/payments/pay", "TEST_CLIENT_ID", "1704067200000",
			[]byte(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":"REQ_20240101_0001","paymentAmount":{"currency":"USD","value":"100"}}`))
		if string(got) != v.RequestContent {
			t.Fatalf("SigningContent = %q, want %q", got, v.RequestContent)
		}
	})
	for _, c := range []struct {
		name, content, b64, urlenc string
	}{
		{"Request", v.RequestContent, v.RequestSignatureBase64, v.RequestSignatureURLEncoded},
		{"Response", v.ResponseContent, v.ResponseSignatureBase64, v.ResponseSignatureURLEncoded},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.Sign(priv, []byte(c.content))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.urlenc {
				t.Fatalf("Sign = %q, want %q", got, c.urlenc)
			}
			raw, err := wire.DecodeSignature(got)
			if err != nil {
				t.Fatal(err)
			}
			if b := base64.StdEncoding.EncodeToString(raw); b != c.b64 {
				t.Fatalf("base64 = %q, want %q", b, c.b64)
			}
			for _, form := range []string{c.urlenc, lowerEscapes(c.urlenc), c.b64} {
				if err := wire.Verify(pub, []byte(c.content), form); err != nil {
					t.Errorf("Verify(%.20q…) = %v, want nil", form, err)
				}
			}
			if err := wire.Verify(pub, []byte(c.content+" "), c.urlenc); err != wire.ErrSignature {
				t.Errorf("Verify(altered) = %v, want ErrSignature", err)
			}
		})
	}
	t.Run("Decrypt", func(t *testing.T) {
		for _, sym := range []string{v.WrappedKeyURLEncoded, v.WrappedKeyPKCS1v15Base64} {
			body, err := wire.RSAAES{}.Open(priv, []byte(v.AESECBCiphertextBase64), sym)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.SplitN(v.RequestContent, ".", 3)[2] // the vector's time has no dot
			if string(body) != want {
				t.Fatalf("Open = %q, want %q", body, want)
			}
		}
		key, _ := hex.DecodeString(v.AESKeyHex)
		if len(key) != 32 {
			t.Fatalf("aesKeyHex is %d bytes", len(key))
		}
	})
}

// lowerEscapes turns %2B into %2b and so on, as .NET's HttpUtility does.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = byte(strings.ToLower(string(b[i+1]))[0])
			b[i+2] = byte(strings.ToLower(string(b[i+2]))[0])
		}
	}
	return string(b)
}
