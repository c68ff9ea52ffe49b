package console_test

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// testKeyOpt makes rotation cheap: the new gateway key is a test key.
func testKeyOpt() gatewaytest.Option {
	return gatewaytest.WithService(func(s *gateway.Service) {
		s.GenerateKey = func() ([]byte, error) { return x509.MarshalPKCS8PrivateKey(gatewaytest.OtherMerchantKey()) }
	})
}

func (h *harness) gatewayKeys() []gateway.GatewayKeyInfo {
	h.t.Helper()
	keys, err := h.g.Service().GatewayKeys(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return keys
}

// TestGatewayKeys: rotate, download, activate and retire through the
// keys page; no private key is ever shown or served.
func TestGatewayKeys(t *testing.T) {
	h := newHarness(t, testKeyOpt())
	page := h.page("/console/keys")
	fp1 := wire.Fingerprint(&gatewaytest.GatewayKey().PublicKey)
	mustContain(t, "keys page", page.Text, fp1, "active", "/console/keys/1.pem", "/console/keys.pem")

	_, next := h.submit("/console/keys/rotate", url.Values{})
	mustContain(t, "keys page", next.Text, "gateway key version 2 created, published (version 1 was active)", "Activate")
	keys := h.gatewayKeys()
	if len(keys) != 2 || keys[1].State != gateway.GatewayKeyPublished {
		t.Fatalf("keys %+v, want version 2 published", keys)
	}

	dl := h.get("/console/keys/2.pem")
	if dl.Status != 200 || !strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("2.pem: status %d, Content-Disposition %q", dl.Status, dl.Header.Get("Content-Disposition"))
	}
	pub, err := wire.ParsePublicKey([]byte(dl.Body))
	if err != nil {
		t.Fatalf("2.pem does not parse: %v\n%s", err, dl.Body)
	}
	if wire.Fingerprint(pub) != wire.Fingerprint(keys[1].PublicKey) {
		t.Errorf("2.pem is not version 2's key")
	}

	h.submit("/console/keys/2/activate", nil)
	if keys := h.gatewayKeys(); keys[1].State != gateway.GatewayKeyActive || keys[0].State != gateway.GatewayKeyPublished {
		t.Fatalf("after activate: %+v", keys)
	}
	// The active version cannot be retired.
	if r := h.post("/console/keys/2/retire", nil); r.Status != http.StatusConflict {
		t.Errorf("retiring the active version: status %d, want 409", r.Status)
	}
	all := h.get("/console/keys.pem")
	if n := countPEM(t, all.Body); n != 2 {
		t.Errorf("keys.pem holds %d keys, want 2 (published and active)", n)
	}
	h.submit("/console/keys/1/retire", nil)
	if keys := h.gatewayKeys(); keys[0].State != gateway.GatewayKeyRetired {
		t.Fatalf("after retire: %+v", keys)
	}
	if n := countPEM(t, h.get("/console/keys.pem").Body); n != 1 {
		t.Errorf("keys.pem holds %d keys after retiring version 1, want 1", n)
	}
	if r := h.get("/console/keys/1.pem"); r.Status != http.StatusConflict {
		t.Errorf("a retired version's .pem: status %d, want 409", r.Status)
	}
	for _, p := range []string{"/console/keys/9.pem", "/console/keys/x.pem", "/console/keys/2.txt"} {
		if r := h.get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.Status)
		}
	}
	if r := h.post("/console/keys/9/activate", nil); r.Status != http.StatusNotFound {
		t.Errorf("activating version 9: status %d, want 404", r.Status)
	}
	for _, p := range []string{"/console/keys", "/console/keys.pem", "/console/keys/2.pem", "/console/clients"} {
		mustNotContain(t, p, h.get(p).Body, "PRIVATE KEY")
	}
}

// countPEM counts the PUBLIC KEY blocks of b, failing on any other.
func countPEM(t *testing.T, b string) int {
	t.Helper()
	rest, n := []byte(b), 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return n
		}
		if block.Type != "PUBLIC KEY" {
			t.Fatalf("a %q block in keys.pem", block.Type)
		}
		if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			t.Fatalf("keys.pem: %v", err)
		}
		n++
	}
}
