package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCallSession: call consult, call session and call retrieve-session
// against the real gateway, the buyer paying on the session's page in
// between, and their usage errors.
func TestCallSession(t *testing.T) {
	g := newCLIGateway(t)
	r := g.run(t, "consult", "--amount", "1500", "--user-region", "HK", "--terminal-type", "WAP")
	m := answerOf(t, r)
	opts, _ := m["paymentOptions"].([]any)
	if r.code != 0 || status(m) != "S SUCCESS" || len(opts) == 0 || opts[0].(map[string]any)["paymentMethodType"] != "ALIPAY_HK" {
		t.Fatalf("call consult: exit %d, %s %s; want S with ALIPAY_HK first", r.code, r.stdout, r.stderr)
	}
	r = g.run(t, "consult", "--amount", "100", "--currency", "CHF")
	if m := answerOf(t, r); r.code != 1 || status(m) != "F CURRENCY_NOT_SUPPORT" {
		t.Errorf("call consult in CHF: exit %d, %s; want exit 1 with F CURRENCY_NOT_SUPPORT", r.code, r.stdout)
	}

	id := callID("CLISESSION")
	r = g.run(t, "session", "--payment-request-id", id, "--amount", "1500", "--redirect-url", "https://shop.example/back",
		"--methods", "CARD,ALIPAY_CN", "--description", "two books")
	m = answerOf(t, r)
	normal, _ := m["normalUrl"].(string)
	if r.code != 0 || status(m) != "S SUCCESS" || !strings.HasPrefix(normal, g.URL()+"/wallet/session/") || m["paymentSessionData"] == nil {
		t.Fatalf("call session: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	// --expiry is a duration from now on the machine's clock (the test
	// gateway's clock is elsewhere): the request carries it.
	r = g.run(t, "session", "--payment-request-id", callID("CLIEXPIRY"), "--amount", "1500", "--redirect-url", "https://shop.example/back",
		"--expiry", "30m", "--verbose")
	if !strings.Contains(r.stderr, `"paymentSessionExpiryTime":"`) || strings.Contains(r.stderr, `"availablePaymentMethod"`) {
		t.Errorf("call session --expiry 30m: want a paymentSessionExpiryTime and no availablePaymentMethod in the request:\n%s", r.stderr)
	}
	r = g.run(t, "retrieve-session", "--payment-request-id", id)
	if m := answerOf(t, r); r.code != 0 || m["paymentSessionStatus"] != "ACTIVE" {
		t.Fatalf("call retrieve-session: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	// --methods: the page offers CARD, then ALIPAY_CN, nothing else.
	resp, err := http.Get(normal)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if card, alipay := strings.Index(string(page), `value="CARD"`), strings.Index(string(page), `value="ALIPAY_CN"`); card < 0 || alipay < card ||
		strings.Contains(string(page), `value="GCASH"`) {
		t.Errorf("the session page does not offer CARD then ALIPAY_CN alone:\n%s", page)
	}

	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = browser.PostForm(normal, url.Values{"action": {"pay"}, "method": {"ALIPAY_CN"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r = g.run(t, "retrieve-session", "--payment-request-id", id, "--family", "ams-sandbox")
	if m := answerOf(t, r); r.code != 0 || m["paymentSessionStatus"] != "COMPLETED" || m["paymentStatus"] != "SUCCESS" {
		t.Fatalf("call retrieve-session after paying: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"consult"}, "--amount is required"},
		{[]string{"consult", "--amount", "1", "--family", "omnichannel"}, "omnichannel v2 has no consult or payment session APIs"},
		{[]string{"session", "--payment-request-id", "X", "--amount", "1"}, "--payment-request-id, --amount and --redirect-url are required"},
		{[]string{"session", "--body-file", "x.json", "--authorization"}, "--authorization builds the body"},
		{[]string{"session", "--payment-request-id", "X", "--amount", "1", "--redirect-url", "https://s.example", "--expiry", "-1m"}, "--expiry must be positive"},
		{[]string{"retrieve-session"}, "--payment-request-id is required"},
		{[]string{"retrieve-session", "--payment-request-id", "X", "--family", "v2"}, "omnichannel v2 has no"},
	} {
		r := g.run(t, c.args[0], c.args[1:]...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("call %q: exit %d, stderr %q; want exit 2 with %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
