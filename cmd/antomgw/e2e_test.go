//go:build unix

package main

// End-to-end tests: the real binary, built once by internal/gatewaytest,
// driven as a user would drive it: "antomgw serve" as a subprocess, clients
// and keys managed with the CLI while it runs, requests signed by package
// wire (and once by the openssl command line), every answer's signature
// checked with the key "antomgw keys export" printed. Helpers are in
// e2e_helpers_test.go. All are skipped under -short.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/internal/sqlite"
	"github.com/antomgw/antomgw/wire"
)

// inquiryPaths are inquiryPayment on the three path families.
var inquiryPaths = []string{
	"/ams/api/v1/payments/inquiryPayment",
	"/ams/sandbox/api/v1/payments/inquiryPayment",
	"/openapi/v2/payments/inquiryPayment",
}

const (
	e2ePayPath     = "/ams/api/v1/payments/pay"
	e2eInquiryPath = "/ams/api/v1/payments/inquiryPayment"
	unknownInquiry = `{"paymentRequestId":"E2E_NO_SUCH_PAYMENT"}`
)

// e2ePayBody is an AMS v1 in-store PaymentCode pay: S SUCCESS at once for
// an ordinary amount.
func e2ePayBody(requestID string, value int64) string {
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"e2e coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"},`+
		`"paymentFactor":{"inStorePaymentScenario":"PaymentCode"}}`, requestID, requestID, value)
}

func inquiryBody(requestID string) string {
	return fmt.Sprintf(`{"paymentRequestId":%q}`, requestID)
}

// TestE2EInquiryAllFamilies: serve, register a client with the CLI while
// it runs, export the gateway key, and inquire an unknown payment on every
// path family; every answer is F ORDER_NOT_EXIST, signed with the exported
// key, with lower-case response header names.
func TestE2EInquiryAllFamilies(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_FAMILIES")
	gw1, pem1 := e.exportGatewayKey(1)
	if _, newest := e.exportGatewayKey(0); newest != pem1 {
		t.Errorf("keys export (newest) = %q, want the version 1 key %q on a new data directory", newest, pem1)
	}
	if !strings.Contains(s.Stderr(), "gateway_key_fingerprint="+wire.Fingerprint(gw1)) {
		t.Errorf("the listening line does not carry the exported key's fingerprint %s\n%s", wire.Fingerprint(gw1), s.Tail())
	}

	for _, p := range inquiryPaths {
		a := e.do(s, m, gatewaytest.Request{Path: p, Body: unknownInquiry})
		expect(t, a, wire.StatusFail, "ORDER_NOT_EXIST", "inquiryPayment on "+p)
		if a.KeyVersion != 1 {
			t.Errorf("%s: response keyVersion = %d, want 1", p, a.KeyVersion)
		}
		if a.Encrypted {
			t.Errorf("%s: a plain request got an encrypted answer", p)
		}
	}

	// net/http canonicalises header names; read the raw header block.
	for _, p := range inquiryPaths {
		head := rawHeaders(t, s, m, p, unknownInquiry)
		for _, name := range []string{"signature", "response-time", "client-id"} {
			if !strings.Contains(head, "\r\n"+name+": ") {
				t.Errorf("%s: raw response headers have no lower-case %q line; got\n%s", p, name, head)
			}
		}
	}
}

// TestE2EOpenSSLSignedRequest: a request signed by the openssl command line
// (over the exact content, base64, URL-encoded) is accepted, and openssl
// verifies the answer with the exported gateway key.
func TestE2EOpenSSLSignedRequest(t *testing.T) {
	t.Parallel()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skipf("openssl is not installed (%v): the cross-check with an independent signer is skipped", err)
	}
	e, s, m := newServing(t, "E2E_OPENSSL")
	_, gwPEM := e.exportGatewayKey(1)
	gwFile := e.path("gateway.pub")
	if err := os.WriteFile(gwFile, []byte(gwPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	runOpenSSL := func(args ...string) {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	for i, p := range inquiryPaths {
		a := e.do(s, m, gatewaytest.Request{Path: p, Body: unknownInquiry, Sign: func(content []byte) string {
			contentFile, sigFile := e.path(fmt.Sprintf("content-%d.bin", i)), e.path(fmt.Sprintf("sig-%d.bin", i))
			if err := os.WriteFile(contentFile, content, 0o600); err != nil {
				t.Fatal(err)
			}
			runOpenSSL("dgst", "-sha256", "-sign", m.files[1], "-out", sigFile, contentFile)
			sig, err := os.ReadFile(sigFile)
			if err != nil {
				t.Fatal(err)
			}
			return "algorithm=RSA256,keyVersion=1,signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
		}})
		expect(t, a, wire.StatusFail, "ORDER_NOT_EXIST", "openssl-signed inquiryPayment on "+p)

		// The answer verifies with openssl too, over the same construction.
		sh, err := wire.ParseSignatureHeader(a.Header.Get("signature"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := wire.DecodeSignature(sh.Signature)
		if err != nil {
			t.Fatal(err)
		}
		contentFile, sigFile := e.path(fmt.Sprintf("resp-%d.bin", i)), e.path(fmt.Sprintf("resp-%d.sig", i))
		content := wire.SigningContent("POST", p, m.id, a.Header.Get("response-time"), a.Body)
		if err := os.WriteFile(contentFile, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sigFile, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		runOpenSSL("dgst", "-sha256", "-verify", gwFile, "-signature", sigFile, contentFile)
	}
}

// TestE2EEncrypted: an encrypted request (RSA_AES for the exported gateway
// key, text/plain, signed over the ciphertext) gets an encrypted answer,
// signed over its ciphertext, that the merchant's private key opens.
func TestE2EEncrypted(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_ENCRYPTED")
	gw1 := e.gatewayKeys[1]

	check := func(a *answer, what string) {
		t.Helper()
		if !a.Encrypted {
			t.Fatalf("%s: answer has no encrypt header (headers %v), want an encrypted answer", what, a.Header)
		}
		if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: answer Content-Type = %q, want text/plain", what, ct)
		}
		if strings.Contains(string(a.Body), "result") {
			t.Errorf("%s: the ciphertext body %q contains plain JSON", what, a.Body)
		}
	}
	encrypted := func(path, body string) gatewaytest.Request {
		return gatewaytest.Request{Path: path, Body: body, Encrypt: true, EncryptKeyVersion: 1}
	}
	for _, p := range inquiryPaths {
		a := e.do(s, m, encrypted(p, unknownInquiry))
		check(a, "encrypted inquiryPayment on "+p)
		expect(t, a, wire.StatusFail, "ORDER_NOT_EXIST", "encrypted inquiryPayment on "+p)
	}
	// A whole flow in ciphertext: pay, then inquire (Encrypt without
	// keyVersion: the gateway's newest key).
	body, eh, err := wire.EncryptBody(nil, gw1, 0, []byte(e2ePayBody("E2E_ENC_PAY", 1250)))
	if err != nil {
		t.Fatal(err)
	}
	pay := e.do(s, m, gatewaytest.Request{Path: e2ePayPath, Body: string(body),
		Header: map[string]string{"Encrypt": eh.String(), "Content-Type": "text/plain; charset=UTF-8"}})
	check(pay, "encrypted pay")
	expect(t, pay, wire.StatusSuccess, "SUCCESS", "encrypted pay")
	inq := e.do(s, m, encrypted(e2eInquiryPath, inquiryBody("E2E_ENC_PAY")))
	check(inq, "encrypted inquiryPayment")
	expect(t, inq, wire.StatusSuccess, "SUCCESS", "encrypted inquiryPayment")
	if inq.PaymentStatus != "SUCCESS" || inq.PaymentID != pay.PaymentID {
		t.Fatalf("encrypted inquiry: got paymentStatus %q paymentId %q, want SUCCESS %q", inq.PaymentStatus, inq.PaymentID, pay.PaymentID)
	}
}

// TestE2EKeyRotation rotates a client key and then the gateway key, with
// the CLI, while the server keeps running: both the way official SDKs
// allow (a fixed keyVersion=1, one gateway key held) and with versions.
func TestE2EKeyRotation(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_ROTATION")
	_, pem1 := e.exportGatewayKey(1)
	e.addKey(m, 2)

	// Both versions verify while both are active.
	pay := e.do(s, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_ROT_1", 500)})
	expect(t, pay, wire.StatusSuccess, "SUCCESS", "pay signed with client key v1")
	inq := e.do(s, m, signedReq(m.keys[2], 2, e2eInquiryPath, inquiryBody("E2E_ROT_1")))
	expect(t, inq, wire.StatusSuccess, "SUCCESS", "inquiryPayment signed with client key v2")
	if inq.PaymentStatus != "SUCCESS" || inq.PaymentID != pay.PaymentID {
		t.Fatalf("inquiry with v2: got paymentStatus %q paymentId %q, want SUCCESS %q", inq.PaymentStatus, inq.PaymentID, pay.PaymentID)
	}
	// Without keyVersion the newest (v2) is tried first, then v1.
	a := e.do(s, m, signedReq(m.keys[2], 0, e2eInquiryPath, inquiryBody("E2E_ROT_1")))
	expect(t, a, wire.StatusSuccess, "SUCCESS", "inquiryPayment signed with v2, no keyVersion")
	a = e.do(s, m, signedReq(m.keys[1], 0, e2eInquiryPath, inquiryBody("E2E_ROT_1")))
	expect(t, a, wire.StatusSuccess, "SUCCESS", "inquiryPayment signed with v1, no keyVersion")
	// The official Go and .NET SDKs send keyVersion=1 whatever key signs:
	// a terminal that switched to key v2 still gets S.
	a = e.do(s, m, signedReq(m.keys[2], 1, e2eInquiryPath, inquiryBody("E2E_ROT_1")))
	expect(t, a, wire.StatusSuccess, "SUCCESS", "inquiryPayment signed with v2 sending keyVersion=1")

	// Retire v1: its key never verifies again; v2 (named 1 or 2) does.
	e.cli("clients", "retire-key", "--data", e.data, "--client-id", m.id, "--key-version", "1")
	a = e.do(s, m, gatewaytest.Request{Path: e2eInquiryPath, Body: inquiryBody("E2E_ROT_1")})
	expect(t, a, wire.StatusFail, "KEY_NOT_FOUND", "inquiryPayment with retired key v1")
	a = e.do(s, m, signedReq(m.keys[1], 0, e2eInquiryPath, inquiryBody("E2E_ROT_1")))
	expect(t, a, wire.StatusFail, "INVALID_SIGNATURE", "inquiryPayment with retired key v1, no keyVersion")
	if !strings.Contains(a.Result.Message, "key versions tried: v2 ") || strings.Contains(a.Result.Message, "v1 ") {
		t.Errorf("INVALID_SIGNATURE message %q, want it to list the versions tried (v2 only)", a.Result.Message)
	}
	a = e.do(s, m, signedReq(m.keys[2], 1, e2ePayPath, e2ePayBody("E2E_ROT_2", 501)))
	expect(t, a, wire.StatusSuccess, "SUCCESS", "pay with v2 sending keyVersion=1 after retiring v1")
	if list := e.cli("clients", "list", "--data", e.data); !strings.Contains(list, "retired") {
		t.Errorf("clients list after retire-key: got\n%s\nwant a retired key version", list)
	}
	// v2 is the last active key: retiring it would lock the client out.
	if r := e.try("clients", "retire-key", "--data", e.data, "--client-id", m.id, "--key-version", "2"); r.ExitCode != 1 || !strings.Contains(r.Stderr, "last active key") || !strings.Contains(r.Stderr, "--force") {
		t.Errorf("retire-key of the last active key without --force: exit %d, stderr %q; want exit 1 naming the last active key and --force", r.ExitCode, r.Stderr)
	}
	a = e.do(s, m, signedReq(m.keys[2], 2, e2eInquiryPath, inquiryBody("E2E_ROT_1")))
	expect(t, a, wire.StatusSuccess, "SUCCESS", "inquiryPayment with v2 after a refused retire-key")
	if metrics := get(t, s, "/metrics"); !strings.Contains(metrics, `antomgw_signature_key_version_mismatch_total{client_id="E2E_ROTATION"} 3`) {
		t.Errorf("/metrics does not count the 3 requests that verified with another key version than named:\n%s", grepLines(metrics, "mismatch"))
	}
	if n := strings.Count(s.Stderr(), "verified with another key version"); n != 2 {
		t.Errorf("the mismatch warning is logged %d times, want 2 (once per client and pair of versions: 0→1, 1→2)\n%s", n, s.Tail())
	}

	// A second merchant will stay on gateway key version 1 for a while.
	m2 := e.addMerchant("E2E_ROTATION_PINNED")

	// Rotate the gateway key while the server runs: the new version is
	// published, and answers stay signed with version 1.
	out := e.cli("keys", "rotate", "--data", e.data)
	for _, want := range []string{"version 2 created, published", "version 1 still signs", "keys activate --key-version 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys rotate: stdout = %q, want it to say %q", out, want)
		}
	}
	_, pem2 := e.exportGatewayKey(2)
	if pem2 == pem1 {
		t.Fatalf("keys export --key-version 2 printed the version 1 key")
	}
	if _, active := e.exportGatewayKey(0); active != pem1 {
		t.Errorf("keys export (the active version) after rotate: got %q, want the version 1 key", active)
	}
	if r := e.try("keys", "export", "--data", e.data); !strings.Contains(r.Stderr, "gateway key version 1 (active") {
		t.Errorf("keys export stderr = %q, want it to say it wrote version 1, active", r.Stderr)
	}
	for _, mm := range []*merchant{m, m2} {
		a := e.do(s, mm, signedReq(mm.keys[len(mm.keys)], 1, e2eInquiryPath, inquiryBody("E2E_ROT_2")))
		if a.KeyVersion != 1 {
			t.Fatalf("%s after keys rotate: response keyVersion = %d, want 1 until keys activate", mm.id, a.KeyVersion)
		}
	}

	// Pin the second merchant to version 1, then activate version 2.
	if out := e.cli("clients", "update", "--data", e.data, "--client-id", m2.id, "--gateway-key-version", "1"); !strings.Contains(out, "version 1 (pinned)") {
		t.Errorf("clients update --gateway-key-version 1: stdout %q", out)
	}
	e.cli("keys", "activate", "--data", e.data, "--key-version", "2")
	for _, p := range inquiryPaths {
		a := e.do(s, m, signedReq(m.keys[2], 2, p, inquiryBody("E2E_ROT_2")))
		if a.KeyVersion != 2 {
			t.Fatalf("%s after keys activate: unpinned client's response keyVersion = %d, want 2", p, a.KeyVersion)
		}
		// do verified it with e.gatewayKeys[2]; make sure the old key does not.
		sh, _ := wire.ParseSignatureHeader(a.Header.Get("signature"))
		if err := wire.Verify(e.gatewayKeys[1], wire.SigningContent("POST", p, m.id, a.Header.Get("response-time"), a.Body), sh.Signature); err == nil {
			t.Errorf("%s: an answer signed after the activation verifies with the old key too", p)
		}
		expect(t, a, wire.StatusSuccess, "SUCCESS", "inquiryPayment after keys activate on "+p)
		a = e.do(s, m2, gatewaytest.Request{Path: p, Body: unknownInquiry})
		if a.KeyVersion != 1 {
			t.Fatalf("%s after keys activate: pinned client's response keyVersion = %d, want 1", p, a.KeyVersion)
		}
	}
	list := e.cli("keys", "list", "--data", e.data)
	if !regexp.MustCompile(`(?m)^1\s+published\s+SHA256:\S+\s+\S+\s+E2E_ROTATION_PINNED$`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^2\s+active\s`).MatchString(list) {
		t.Errorf("keys list:\n%s\nwant version 1 published with the pinned client, version 2 active", list)
	}
	var listed struct {
		GatewayKeys []struct {
			Version       int      `json:"version"`
			State         string   `json:"state"`
			PinnedClients []string `json:"pinnedClients"`
		} `json:"gatewayKeys"`
	}
	if err := json.Unmarshal([]byte(e.cli("keys", "list", "--json", "--data", e.data)), &listed); err != nil || len(listed.GatewayKeys) != 2 ||
		listed.GatewayKeys[0].State != "published" || len(listed.GatewayKeys[0].PinnedClients) != 1 || listed.GatewayKeys[1].State != "active" {
		t.Errorf("keys list --json = %+v, %v", listed, err)
	}

	// Version 1 cannot be retired while a client is pinned to it.
	if r := e.try("keys", "retire", "--data", e.data, "--key-version", "1"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "pinned by E2E_ROTATION_PINNED") {
		t.Errorf("keys retire of a pinned version: exit %d, stderr %q; want a refusal naming the client", r.ExitCode, r.Stderr)
	}
	if r := e.try("keys", "retire", "--data", e.data, "--key-version", "2"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "is active") {
		t.Errorf("keys retire of the active version: exit %d, stderr %q; want a refusal", r.ExitCode, r.Stderr)
	}
	e.cli("clients", "update", "--data", e.data, "--client-id", m2.id, "--gateway-key-version", "0")
	e.cli("keys", "retire", "--data", e.data, "--key-version", "1")
	a = e.do(s, m2, gatewaytest.Request{Path: e2eInquiryPath, Body: unknownInquiry})
	if a.KeyVersion != 2 {
		t.Fatalf("unpinned client after retiring version 1: response keyVersion = %d, want 2", a.KeyVersion)
	}
	if r := e.try("keys", "export", "--data", e.data, "--key-version", "1"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "retired") {
		t.Errorf("keys export of a retired version: exit %d, stderr %q; want a refusal", r.ExitCode, r.Stderr)
	}

	// An encrypted request for the new gateway key works; one for the
	// retired key is refused.
	r := signedReq(m.keys[2], 2, e2eInquiryPath, inquiryBody("E2E_ROT_2"))
	r.Encrypt, r.EncryptKeyVersion = true, 2
	a = e.do(s, m, r)
	expect(t, a, wire.StatusSuccess, "SUCCESS", "request encrypted for gateway key v2")
	r.EncryptKeyVersion = 1
	a = e.do(s, m, r)
	expect(t, a, wire.StatusFail, "KEY_NOT_FOUND", "request encrypted for the retired gateway key v1")
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestE2ETLS runs the flow of TestE2EInquiryAllFamilies over HTTPS with a
// self-signed certificate for 127.0.0.1.
func TestE2ETLS(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	certFile, keyFile, cert := selfSignedCert(t, e.dir)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	e.client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	s := e.start("--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("listening url = %q, want https://", s.URL)
	}
	m := e.addMerchant("E2E_TLS")
	e.exportGatewayKey(1)
	for _, p := range inquiryPaths {
		a := e.do(s, m, gatewaytest.Request{Path: p, Body: unknownInquiry})
		expect(t, a, wire.StatusFail, "ORDER_NOT_EXIST", "inquiryPayment over TLS on "+p)
	}
	pay := e.do(s, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_TLS_1", 700)})
	expect(t, pay, wire.StatusSuccess, "SUCCESS", "pay over TLS")
	resp, err := s.Client.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("GET /readyz: connection state %+v, want TLS 1.2 or later", resp.TLS)
	}

	// A client that offers at most TLS 1.1 is refused.
	old := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(s.URL + "/readyz"); err == nil {
		resp.Body.Close()
		t.Errorf("GET /readyz with TLS 1.1 at most: got %s (%s), want a handshake failure", resp.Status, tls.VersionName(resp.TLS.Version))
	}
	// Plain HTTP on the TLS port gets no API answer.
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + s.Addr + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP GET /readyz on the TLS port: got %s, want no 200", resp.Status)
		}
	}
}

// selfSignedCert writes a self-signed ECDSA certificate for 127.0.0.1 and
// its key as PEM files in dir.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "antomgw e2e test-only"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls-test-only.crt"), filepath.Join(dir, "tls-test-only.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// TestE2EDurability: what was answered S survives SIGTERM (clean exit 0)
// and SIGKILL, with the client registration and idempotency.
func TestE2EDurability(t *testing.T) {
	t.Parallel()
	e, s1, m := newServing(t, "E2E_DURABLE")
	pay := e.do(s1, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_DUR_1", 4200)})
	expect(t, pay, wire.StatusSuccess, "SUCCESS", "pay before SIGTERM")
	if pay.PaymentID == "" {
		t.Fatalf("pay answered S without a paymentId: %s", pay.Plain)
	}

	if st, err := s1.Stop(syscall.SIGTERM); err != nil || st.ExitCode() != 0 {
		t.Fatalf("after SIGTERM: exit status %v (%v), want exit 0\n%s", st, err, s1.Tail())
	}
	if !strings.Contains(s1.Stderr(), "msg=stopped") {
		t.Errorf("after SIGTERM: stderr has no \"stopped\" line\n%s", s1.Tail())
	}

	s2 := e.start()
	if list := e.cli("clients", "list", "--data", e.data); !strings.Contains(list, m.id) {
		t.Errorf("clients list after restart: got\n%s\nwant %s listed", list, m.id)
	}
	inq := e.do(s2, m, gatewaytest.Request{Path: e2eInquiryPath, Body: inquiryBody("E2E_DUR_1")})
	expect(t, inq, wire.StatusSuccess, "SUCCESS", "inquiryPayment after SIGTERM and restart")
	if inq.PaymentStatus != "SUCCESS" || inq.PaymentID != pay.PaymentID {
		t.Fatalf("inquiry after restart: got paymentStatus %q paymentId %q, want SUCCESS %q", inq.PaymentStatus, inq.PaymentID, pay.PaymentID)
	}
	dup := e.do(s2, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_DUR_1", 4200)})
	expect(t, dup, wire.StatusSuccess, "SUCCESS", "duplicate pay after restart")
	if dup.PaymentID != pay.PaymentID {
		t.Fatalf("duplicate pay after restart: got paymentId %q, want the original %q", dup.PaymentID, pay.PaymentID)
	}
	if !dup.Replay() {
		t.Errorf("duplicate pay after restart: got no x-idempotent-replay: true header (headers %v)", dup.Header)
	}

	// SIGKILL right after an S answer: nothing committed is lost.
	pay2 := e.do(s2, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_DUR_2", 4300)})
	expect(t, pay2, wire.StatusSuccess, "SUCCESS", "pay before SIGKILL")
	killed(t, s2)
	s3 := e.start()
	for _, want := range []*answer{pay, pay2} {
		inq := e.do(s3, m, gatewaytest.Request{Path: e2eInquiryPath, Body: inquiryBody(want.PaymentRequestID)})
		expect(t, inq, wire.StatusSuccess, "SUCCESS", "inquiryPayment "+want.PaymentRequestID+" after SIGKILL and restart")
		if inq.PaymentStatus != "SUCCESS" || inq.PaymentID != want.PaymentID {
			t.Fatalf("inquiry %s after SIGKILL: got paymentStatus %q paymentId %q, want SUCCESS %q", want.PaymentRequestID, inq.PaymentStatus, inq.PaymentID, want.PaymentID)
		}
	}
}

// killed sends SIGKILL to p and fails the test unless the signal ended it.
func killed(t *testing.T, p *gatewaytest.Process) {
	t.Helper()
	st, err := p.Stop(syscall.SIGKILL)
	if ws, ok := st.Sys().(syscall.WaitStatus); err != nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("after SIGKILL: exit status %v (%v), want killed by SIGKILL", st, err)
	}
}

// TestE2ESigkillDuringDelay: a 9903 payment (U PAYMENT_IN_PROCESS, SUCCESS
// after --sim-delay) whose server is killed at once still completes after a
// restart. The delay is the shortest that still outlasts the kill: the
// kill follows the answer within milliseconds.
func TestE2ESigkillDuringDelay(t *testing.T) {
	t.Parallel()
	delay := []string{"--sim-delay", "300ms"}
	e, s1, m := newServing(t, "E2E_DELAY", delay...)
	pay := e.do(s1, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_9903", 9903)})
	expect(t, pay, wire.StatusUnknown, "PAYMENT_IN_PROCESS", "pay 9903")
	killed(t, s1)

	s2 := e.start(delay...)
	var seen []string
	ok := gatewaytest.WaitFor(20*time.Second, func() bool {
		a := e.do(s2, m, gatewaytest.Request{Path: e2eInquiryPath, Body: inquiryBody("E2E_9903")})
		expect(t, a, wire.StatusSuccess, "SUCCESS", "inquiryPayment of the 9903 payment")
		if a.PaymentID != pay.PaymentID {
			t.Fatalf("inquiry: got paymentId %q, want %q", a.PaymentID, pay.PaymentID)
		}
		if len(seen) == 0 || seen[len(seen)-1] != a.PaymentStatus {
			seen = append(seen, a.PaymentStatus)
		}
		if a.PaymentStatus != "SUCCESS" && a.PaymentStatus != "PROCESSING" {
			t.Fatalf("inquiry: got paymentStatus %q (history %v), want PROCESSING then SUCCESS", a.PaymentStatus, seen)
		}
		return a.PaymentStatus == "SUCCESS"
	})
	if !ok {
		t.Fatalf("the 9903 payment is still %v 20s after the restart, want SUCCESS\n%s", seen, s2.Tail())
	}
	t.Logf("paymentStatus history after the restart: %v", seen)
}

// TestE2EDataFilesAndSecrets: the data directory is 0700 and its files
// 0600, and no command (server at debug level included) ever prints a
// private key.
func TestE2EDataFilesAndSecrets(t *testing.T) {
	t.Parallel()
	e, s, m := newServing(t, "E2E_SECRETS", "--log-level", "debug")
	e.addKey(m, 2)
	expect(t, e.do(s, m, gatewaytest.Request{Path: e2ePayPath, Body: e2ePayBody("E2E_SEC_1", 100)}), wire.StatusSuccess, "SUCCESS", "pay")
	encrypted := signedReq(m.keys[2], 2, e2eInquiryPath, inquiryBody("E2E_SEC_1"))
	encrypted.Encrypt = true
	e.do(s, m, encrypted)
	e.cli("keys", "rotate", "--data", e.data)
	e.exportGatewayKey(2)
	e.do(s, m, signedReq(m.keys[2], 2, e2eInquiryPath, inquiryBody("E2E_SEC_1")))
	e.cli("clients", "list", "--data", e.data)
	// Commands that read private key files: sign (here signing a private
	// key file as the body), and clients add given a private key by mistake.
	e.cli("sign", "--private-key", m.files[1], "--client-id", m.id, "--time", "1704067200000", "--path", e2ePayPath, "--body-file", m.files[2])
	e.try("clients", "add", "--data", e.data, "--client-id", "E2E_MISTAKE", "--public-key", m.files[1])
	if st, err := s.Stop(syscall.SIGTERM); err != nil || st.ExitCode() != 0 {
		t.Fatalf("after SIGTERM: exit status %v (%v), want exit 0\n%s", st, err, s.Tail())
	}
	if !strings.Contains(s.Stderr(), "level=DEBUG") {
		t.Errorf("--log-level debug: the server logged no DEBUG line, so the secret check below saw no debug output")
	}

	fi, err := os.Stat(e.data)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("data directory mode = %v, want %v", got, os.FileMode(0o700))
	}
	entries, err := os.ReadDir(e.data)
	if err != nil {
		t.Fatal(err)
	}
	sawDB := false
	for _, de := range entries {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		sawDB = sawDB || de.Name() == dbFile
		if got := fi.Mode().Perm(); got&0o077 != 0 || (de.Name() == dbFile && got != 0o600) {
			t.Errorf("%s mode = %v, want %v (owner only)", de.Name(), got, os.FileMode(0o600))
		}
	}
	if !sawDB {
		t.Errorf("data directory holds %v, want %s", entries, dbFile)
	}

	// The gateway's private keys, read from the store.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(e.data, dbFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := (&gateway.Keyring{Store: st}).Keys(ctx)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	secrets := map[string]*rsa.PrivateKey{"merchant v1": m.keys[1], "merchant v2": m.keys[2]}
	for v := 1; v <= 2; v++ {
		k, _, err := keys.GatewayKey("", v)
		if err != nil {
			st.Close()
			t.Fatalf("gateway key version %d: %v", v, err)
		}
		if !k.PublicKey.Equal(e.gatewayKeys[v]) {
			t.Errorf("gateway key version %d in the store does not match keys export --key-version %d", v, v)
		}
		secrets[fmt.Sprintf("gateway v%d", v)] = k
	}
	st.Close()

	out := e.allOutput()
	if strings.Contains(out, "PRIVATE KEY-----") {
		t.Errorf("some command printed a PEM private key")
	}
	for name, k := range secrets {
		if leak := findSecret(out, k); leak != "" {
			t.Errorf("the %s private key appears in the output of a command (%s)", name, leak)
		}
	}
}

// findSecret reports how the private parts of k (D, P, Q) appear in out, in
// hex, decimal or base64 (standard or URL alphabet, at any byte alignment,
// across line breaks), or "" if they do not.
func findSecret(out string, k *rsa.PrivateKey) string {
	flat := strings.Join(strings.Fields(out), "")
	lower := strings.ToLower(flat)
	for name, n := range map[string]*big.Int{"D": k.D, "P": k.Primes[0], "Q": k.Primes[1]} {
		b := n.Bytes()
		// Text(16) drops a leading zero nibble that hex.EncodeToString keeps;
		// a slice from the middle is in both.
		if strings.Contains(lower, n.Text(16)[8:56]) {
			return name + " in hex"
		}
		if strings.Contains(flat, n.String()[:40]) {
			return name + " in decimal"
		}
		for i := range 3 {
			chunk := b[i : i+48]
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				if s := enc.EncodeToString(chunk); strings.Contains(flat, s) || strings.Contains(flat, url.QueryEscape(s)) {
					return name + " in base64"
				}
			}
		}
	}
	return ""
}
