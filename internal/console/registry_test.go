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

func publicPEM(t *testing.T) string {
	t.Helper()
	b, err := wire.MarshalPublicKeyPEM(&gatewaytest.OtherMerchantKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAddClient: a client added by pasting its public key PEM is
// registered; a pasted private key is refused without being shown again.
func TestAddClient(t *testing.T) {
	h := newHarness(t)
	form := url.Values{"clientId": {"POS_7"}, "notifyUrl": {"https://merchant.example/notify"}, "encrypted": {"1"}, "publicKey": {publicPEM(t)}}
	_, next := h.submit("/console/clients", form)
	fp := wire.Fingerprint(&gatewaytest.OtherMerchantKey().PublicKey)
	mustContain(t, "clients page", next.Text, "client POS_7 added with key version 1 ("+fp+")", "POS_7", fp, "https://merchant.example/notify")
	c, err := h.g.Service().Client(t.Context(), "POS_7")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Encrypted || c.NotifyURL != "https://merchant.example/notify" || len(c.Keys) != 1 {
		t.Errorf("client %+v, want encrypted with the notify URL and one key", c)
	}

	// The same id again: 409.
	if r := h.post("/console/clients", form); r.Status != http.StatusConflict {
		t.Errorf("adding POS_7 again: status %d, want 409", r.Status)
	}

	// A private key pasted by mistake.
	der, err := x509.MarshalPKCS8PrivateKey(gatewaytest.OtherMerchantKey())
	if err != nil {
		t.Fatal(err)
	}
	priv := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	for _, key := range []string{priv, strings.Join(strings.Split(priv, "\n")[1:len(strings.Split(priv, "\n"))-2], "")} {
		r := h.post("/console/clients", url.Values{"clientId": {"POS_8"}, "publicKey": {key}})
		if r.Status != http.StatusBadRequest {
			t.Errorf("a private key: status %d, want 400", r.Status)
		}
		mustContain(t, "refusal", r.Text, "public key", "that is a PRIVATE key", `value="POS_8"`)
		for _, line := range strings.Split(priv, "\n")[3:8] {
			mustNotContain(t, "refusal", r.Text, line)
		}
	}
	if _, err := h.g.Service().Client(t.Context(), "POS_8"); gateway.KindOf(err) != gateway.KindNotFound {
		t.Errorf("POS_8 after the refusals: %v, want not registered", err)
	}

	// Other refusals name the field.
	r := h.post("/console/clients", url.Values{"clientId": {"POS_9"}, "publicKey": {"not a key"}})
	mustContain(t, "refusal", r.Text, "public key", "unusable key")
	r = h.post("/console/clients", url.Values{"clientId": {"POS_9"}, "notifyUrl": {"ftp://x"}, "publicKey": {publicPEM(t)}})
	if r.Status != http.StatusBadRequest {
		t.Errorf("ftp notify URL: status %d, want 400", r.Status)
	}
	mustContain(t, "refusal", r.Text, "notify URL", "is not an absolute http or https URL")
}

// TestClientKeysAndSettings: add and retire a key version, change the
// notify URL, encryption and gateway key pin.
func TestClientKeysAndSettings(t *testing.T) {
	h := newHarness(t)
	id := gatewaytest.ClientID
	_, next := h.submit("/console/clients/"+id+"/keys", url.Values{"keyVersion": {"2"}, "publicKey": {publicPEM(t)}})
	mustContain(t, "clients page", next.Text, "key version 2 added")
	c, _ := h.g.Service().Client(t.Context(), id)
	if len(c.Keys) != 2 || c.Keys[1].Version != 2 || !c.Keys[1].Active() {
		t.Fatalf("keys %+v, want versions 1 and 2 active", c.Keys)
	}
	// A request signed with version 2's key now verifies.
	h.payScenario("REQ_KEY_2", 1000, gatewaytest.Request{Key: gatewaytest.OtherMerchantKey()}, gateway.ScenarioPaymentCode)
	if x := h.lastExchange(); !x.Verified || x.KeyVersion != 2 {
		t.Errorf("a request signed with the new key: verified %v with version %d, want version 2", x.Verified, x.KeyVersion)
	}

	_, next = h.submit("/console/clients/"+id+"/keys/2/retire", nil)
	mustContain(t, "clients page", next.Text, "key version 2 retired", "retired")
	c, _ = h.g.Service().Client(t.Context(), id)
	if c.Keys[1].Active() {
		t.Errorf("key version 2 is still active after retiring it")
	}
	if r := h.post("/console/clients/"+id+"/keys/2/retire", nil); r.Status != http.StatusNotFound {
		t.Errorf("retiring a retired key: status %d, want 404", r.Status)
	}
	if r := h.post("/console/clients/"+id+"/keys", url.Values{"keyVersion": {"1"}, "publicKey": {publicPEM(t)}}); r.Status != http.StatusConflict {
		t.Errorf("adding version 1 again: status %d, want 409", r.Status)
	}

	_, next = h.submit("/console/clients/"+id, url.Values{"notifyUrl": {"https://m.example/n"}, "encrypted": {"1"}, "gatewayKeyVersion": {"1"}})
	mustContain(t, "clients page", next.Text, `notify URL "https://m.example/n", encrypted true, gateway key version 1 (pinned)`)
	c, _ = h.g.Service().Client(t.Context(), id)
	if c.NotifyURL != "https://m.example/n" || !c.Encrypted || c.GatewayKeyVersion != 1 {
		t.Errorf("client %+v after the update", c)
	}
	r := h.post("/console/clients/"+id, url.Values{"notifyUrl": {""}, "gatewayKeyVersion": {"9"}})
	if r.Status != http.StatusNotFound {
		t.Errorf("pinning to version 9: status %d, want 404", r.Status)
	}
	mustContain(t, "refusal", r.Text, "gateway key", "no published or active key version 9")
	if r := h.post("/console/clients/NOBODY", url.Values{"notifyUrl": {""}}); r.Status != http.StatusNotFound {
		t.Errorf("updating an unknown client: status %d, want 404", r.Status)
	}
}

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
