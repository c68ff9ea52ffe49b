package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	"github.com/antomgw/antomgw/wire"
)

// cliGateway is a real gateway in this process (gatewaytest.New) for the
// commands that call one (call, bench), with the key files they read: the
// registered client's private key and the gateway's public key.
type cliGateway struct {
	*gatewaytest.Gateway
	privFile, gwFile, dir string
}

func newCLIGateway(t *testing.T) *cliGateway {
	t.Helper()
	// The 9902 answer is held back a minute: only the retry answers it.
	g := &cliGateway{Gateway: gatewaytest.New(t, gatewaytest.WithSimHold(time.Minute)), dir: t.TempDir()}
	g.privFile, g.gwFile = filepath.Join(g.dir, "merchant.pem"), filepath.Join(g.dir, "gateway.pub")
	priv, err := wire.MarshalPrivateKeyPEM(g.MerchantKey())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := wire.MarshalPublicKeyPEM(&g.GatewayKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.privFile, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.gwFile, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return g
}

// run runs "antomgw call API" against the gateway with the key flags.
func (g *cliGateway) run(t *testing.T, api string, args ...string) result {
	t.Helper()
	return g.runAt(t, g.URL(), api, args...)
}

// runAt is run with another --base-url.
func (g *cliGateway) runAt(t *testing.T, baseURL, api string, args ...string) result {
	t.Helper()
	full := append([]string{"call", api, "--base-url", baseURL, "--client-id", g.ClientID(),
		"--private-key", g.privFile, "--gateway-public-key", g.gwFile}, args...)
	return runCLI(t, "", full...)
}

// answerOf decodes the JSON printed on stdout.
func answerOf(t *testing.T, r result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return m
}

func status(m map[string]any) string {
	res, _ := m["result"].(map[string]any)
	return fmt.Sprintf("%v %v", res["resultStatus"], res["resultCode"])
}

var callSeq atomic.Int64

func callID(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano(), callSeq.Add(1))
}

// TestCallEveryAPI runs every call subcommand in both families, with and
// without encryption, against the real gateway.
func TestCallEveryAPI(t *testing.T) {
	g := newCLIGateway(t)
	for _, fam := range []string{"ams", "omnichannel"} {
		for _, enc := range []bool{false, true} {
			var extra []string
			name := fam
			if fam != "ams" {
				extra = append(extra, "--family", fam)
			}
			if enc {
				extra = append(extra, "--encrypt")
				name += "/encrypted"
			}
			t.Run(name, func(t *testing.T) {
				id := callID("CLI")
				r := g.run(t, "pay", append([]string{"--payment-request-id", id, "--amount", "450", "--payment-code", "2810001"}, extra...)...)
				if r.code != 0 {
					t.Fatalf("pay: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
				}
				pay := answerOf(t, r)
				paymentID, _ := pay["paymentId"].(string)
				if status(pay) != "S SUCCESS" || paymentID == "" {
					t.Fatalf("pay printed %s", r.stdout)
				}

				r = g.run(t, "inquiry", append([]string{"--payment-request-id", id}, extra...)...)
				if m := answerOf(t, r); r.code != 0 || m["paymentStatus"] != "SUCCESS" || m["paymentId"] != paymentID {
					t.Fatalf("inquiry: exit %d, %s", r.code, r.stdout)
				}

				rid := callID("CLIRF")
				r = g.run(t, "refund", append([]string{"--refund-request-id", rid, "--payment-id", paymentID, "--amount", "50"}, extra...)...)
				m := answerOf(t, r)
				refundID, _ := m["refundId"].(string)
				if r.code != 0 || status(m) != "S SUCCESS" || refundID == "" {
					t.Fatalf("refund: exit %d, %s %s", r.code, r.stdout, r.stderr)
				}

				r = g.run(t, "inquiry-refund", append([]string{"--refund-id", refundID}, extra...)...)
				if m := answerOf(t, r); r.code != 0 || m["refundStatus"] != "SUCCESS" {
					t.Fatalf("inquiry-refund: exit %d, %s", r.code, r.stdout)
				}

				// The payment named by the merchant's own id: the paymentId
				// is looked up first.
				r = g.run(t, "refund", append([]string{"--refund-request-id", callID("CLIRF"), "--payment-request-id", id, "--amount", "25"}, extra...)...)
				if m := answerOf(t, r); r.code != 0 || status(m) != "S SUCCESS" || !strings.Contains(r.stderr, "is paymentId "+paymentID) {
					t.Fatalf("refund --payment-request-id: exit %d, %s %s", r.code, r.stdout, r.stderr)
				}

				r = g.run(t, "cancel", append([]string{"--payment-id", paymentID}, extra...)...)
				if m := answerOf(t, r); r.code != 1 || status(m) != "F ORDER_STATUS_INVALID" || !strings.Contains(r.stderr, "result F ORDER_STATUS_INVALID") {
					t.Fatalf("cancel of a refunded payment: exit %d, %s, stderr %s; want exit 1 with F ORDER_STATUS_INVALID", r.code, r.stdout, r.stderr)
				}
				cid := callID("CLICX")
				if r := g.run(t, "pay", append([]string{"--payment-request-id", cid, "--amount", "100", "--payment-code", "2810001"}, extra...)...); r.code != 0 {
					t.Fatalf("pay: exit %d %s", r.code, r.stderr)
				}
				r = g.run(t, "cancel", append([]string{"--payment-request-id", cid}, extra...)...)
				if m := answerOf(t, r); r.code != 0 || status(m) != "S SUCCESS" || m["cancelTime"] == nil {
					t.Fatalf("cancel: exit %d, %s", r.code, r.stdout)
				}
			})
		}
	}
}

// TestCallVerbose prints the exact request and answer of each attempt.
func TestCallVerbose(t *testing.T) {
	g := newCLIGateway(t)
	r := g.run(t, "pay", "--payment-request-id", callID("V"), "--amount", "100", "--payment-code", "2810001", "--verbose", "--epoch-time")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"> POST /ams/api/v1/payments/pay HTTP/1.1",
		"> Client-Id: " + g.ClientID(),
		"> Signature: algorithm=RSA256,keyVersion=1,signature=",
		`> {"productCode":"IN_STORE_PAYMENT"`,
		"< HTTP/1.1 200 OK",
		"< Signature: algorithm=RSA256,keyVersion=1,signature=",
		"< Response-Time: ",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
		}
	}
	if i := strings.Index(r.stderr, "> Request-Time: "); i < 0 || len(r.stderr) < i+29 || strings.ContainsAny(r.stderr[i+16:i+29], "-:T") {
		t.Errorf("--epoch-time: Request-Time is not epoch milliseconds:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "> ") {
		t.Errorf("stdout carries the dump: %s", r.stdout)
	}
}

func TestCallResults(t *testing.T) {
	g := newCLIGateway(t)
	t.Run("Fail", func(t *testing.T) {
		r := g.run(t, "pay", "--payment-request-id", callID("F"), "--amount", "9906", "--payment-code", "2810001")
		if m := answerOf(t, r); r.code != 1 || status(m) != "F USER_BALANCE_NOT_ENOUGH" || !strings.Contains(r.stderr, "result F USER_BALANCE_NOT_ENOUGH") {
			t.Fatalf("exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("LostAnswerRetried", func(t *testing.T) {
		r := g.run(t, "pay", "--payment-request-id", callID("LA"), "--amount", "9902", "--payment-code", "2810001", "--timeout", "500ms")
		if m := answerOf(t, r); r.code != 0 || status(m) != "S SUCCESS" ||
			!strings.Contains(r.stderr, "antomgw: retrying") || !strings.Contains(r.stderr, "timeout: no answer within 500ms") {
			t.Fatalf("exit %d, stdout %s, stderr %s; want SUCCESS after a logged retry", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("OrderCode", func(t *testing.T) {
		r := g.run(t, "pay", "--payment-request-id", callID("OC"), "--amount", "100", "--scenario", "OrderCode")
		if m := answerOf(t, r); r.code != 1 || status(m) != "U PAYMENT_IN_PROCESS" || m["orderCodeForm"] == nil {
			t.Fatalf("exit %d, stdout %s", r.code, r.stdout)
		}
	})
	t.Run("BodyFile", func(t *testing.T) {
		id := callID("BF")
		file := filepath.Join(g.dir, "pay.json")
		body := `{"productCode":"CASHIER_PAYMENT","paymentRequestId":"` + id + `","order":{"referenceOrderId":"1"},` +
			`"paymentAmount":{"currency":"EUR","value":"990"},"paymentMethod":{"paymentMethodType":"ALIPAY_CN"},"paymentRedirectUrl":"https://shop.example/r"}`
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		r := g.run(t, "pay", "--body-file", file)
		if m := answerOf(t, r); r.code != 1 || status(m) != "U PAYMENT_IN_PROCESS" || m["normalUrl"] == nil {
			t.Fatalf("exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("Resolve", func(t *testing.T) {
		// Each request moves the gateway's clock a quarter of the wallet's
		// delay: the 9903 payment succeeds after a few polls.
		polled := g.AdvancePerRequest(t, gatewaytest.DefaultSimDelay/4)
		r := g.runAt(t, polled, "pay", "--payment-request-id", callID("RS"), "--amount", "9903", "--payment-code", "2810001",
			"--resolve", "--poll-interval", "20ms")
		if m := answerOf(t, r); r.code != 0 || m["outcome"] != "SUCCESS" {
			t.Fatalf("9903 --resolve: exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "inquiry 1: paymentStatus PROCESSING; next in ") {
			t.Errorf("9903 --resolve: stderr does not show the polls:\n%s", r.stderr)
		}
		r = g.runAt(t, polled, "pay", "--payment-request-id", callID("RS"), "--amount", "9905", "--payment-code", "2810001",
			"--resolve", "--poll-interval", "20ms", "--resolve-deadline", "100ms")
		if m := answerOf(t, r); r.code != 1 || m["outcome"] != "CANCELLED" || m["cancel"] == nil || !strings.Contains(r.stderr, "outcome CANCELLED") {
			t.Fatalf("9905 --resolve: exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("Unverified", func(t *testing.T) {
		wrong := filepath.Join(g.dir, "wrong.pub")
		pub, _ := wire.MarshalPublicKeyPEM(&g.MerchantKey().PublicKey)
		if err := os.WriteFile(wrong, pub, 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, "", "call", "inquiry", "--base-url", g.URL(), "--client-id", g.ClientID(),
			"--private-key", g.privFile, "--gateway-public-key", wrong, "--payment-request-id", "X")
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "answer not verified") {
			t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1, nothing printed, not verified", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("GatewayKeyVersion", func(t *testing.T) {
		// The gateway signs with version 1; a key given as version 2 only
		// does not verify it.
		r := runCLI(t, "", "call", "inquiry", "--base-url", g.URL(), "--client-id", g.ClientID(),
			"--private-key", g.privFile, "--gateway-public-key", "2="+g.gwFile, "--payment-request-id", "X")
		if r.code != 1 || !strings.Contains(r.stderr, "signed with gateway key version 1, and no gateway key of that version is given (versions given: 2); install it: antomgw keys export --key-version 1") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestCallUsageErrors(t *testing.T) {
	g := newCLIGateway(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pay", "--amount", "1"}, "--payment-request-id and --amount are required"},
		{[]string{"pay", "--payment-request-id", "P", "--amount", "1"}, "--payment-code is required"},
		{[]string{"pay", "--body-file", "x.json", "--amount", "1"}, "--amount builds the body; it cannot be combined with --body-file"},
		{[]string{"pay", "--payment-request-id", "P", "--amount", "1", "--scenario", "Nope", "--payment-code", "1"}, `--scenario "Nope"`},
		{[]string{"inquiry", "--family", "v3", "--payment-id", "P"}, `--family "v3"`},
		{[]string{"inquiry"}, "--payment-request-id or --payment-id is required"},
		{[]string{"cancel"}, "--payment-request-id or --payment-id is required"},
		{[]string{"refund", "--payment-id", "P"}, "--refund-request-id and --payment-id (or --payment-request-id) are required"},
		{[]string{"refund", "--payment-id", "P", "--refund-request-id", "R"}, "--amount is required"},
		{[]string{"inquiry-refund"}, "--refund-request-id or --refund-id is required"},
		{[]string{"inquiry", "--payment-id", "P", "--gateway-public-key", "0=x"}, "positive key version"},
		{[]string{"inquiry", "--payment-id", "P", "--retries", "-1"}, "--retries must be 0 or more"},
	} {
		r := g.run(t, c.args[0], c.args[1:]...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("call %q: exit %d, stderr %q; want exit 2 with %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := runCLI(t, "", "call", "pay", "--payment-request-id", "P", "--amount", "1"); r.code != 2 || !strings.Contains(r.stderr, "missing required flag --client-id") {
		t.Errorf("call pay without keys: exit %d, stderr %q", r.code, r.stderr)
	}
}
