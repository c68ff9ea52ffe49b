package console_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/console"
	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

const (
	pathPay     = "/ams/api/v1/payments/pay"
	pathInquiry = "/ams/api/v1/payments/inquiryPayment"
)

// harness is a test gateway with its console on an httptest server, and a
// browser-like client (cookies kept, redirects not followed).
type harness struct {
	t      *testing.T
	g      *gatewaytest.Gateway
	c      *console.Console
	srv    *httptest.Server
	client *http.Client
}

func newHarness(t *testing.T, opts ...gatewaytest.Option) *harness {
	t.Helper()
	return newHarnessWith(t, nil, opts...)
}

// newHarnessWith lets set change the console before it serves.
func newHarnessWith(t *testing.T, set func(g *gatewaytest.Gateway, c *console.Console), opts ...gatewaytest.Option) *harness {
	t.Helper()
	g := gatewaytest.New(t, opts...)
	c := &console.Console{Service: g.Service(), Traffic: g.Node().Traffic, Now: g.Now}
	if set != nil {
		set(g, c)
	}
	return serveConsole(t, g, c)
}

// sibling serves a second console on the same gateway, as set makes it.
func (h *harness) sibling(set func(c *console.Console)) *harness {
	h.t.Helper()
	c := &console.Console{Service: h.g.Service(), Traffic: h.g.Node().Traffic, Now: h.g.Now}
	set(c)
	return serveConsole(h.t, h.g, c)
}

func serveConsole(t *testing.T, g *gatewaytest.Gateway, c *console.Console) *harness {
	t.Helper()
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &harness{t: t, g: g, c: c, srv: srv, client: client}
}

// resp is an answer with its body read; Text is the body with HTML
// entities decoded, for assertions on what a person reads.
type resp struct {
	Status int
	Header http.Header
	Body   string
	Text   string
}

func (h *harness) request(method, path string, form url.Values, header map[string]string) *resp {
	h.t.Helper()
	pg := gatewaytest.Browse(h.t, h.client, method, h.srv.URL+path, form, header)
	return &resp{Status: pg.Status, Header: pg.Header, Body: pg.Body, Text: html.UnescapeString(pg.Body)}
}

func (h *harness) get(path string) *resp {
	h.t.Helper()
	return h.request(http.MethodGet, path, nil, nil)
}

// page GETs a page and fails the test unless it answers 200.
func (h *harness) page(path string) *resp {
	h.t.Helper()
	r := h.get(path)
	if r.Status != http.StatusOK {
		h.t.Fatalf("GET %s: status %d, want 200\n%s", path, r.Status, r.Text)
	}
	return r
}

func (h *harness) post(path string, form url.Values) *resp {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return h.request(http.MethodPost, path, form, nil)
}

// submit POSTs a form, expects the 303 back and returns the page it leads
// to (with the flash message).
func (h *harness) submit(path string, form url.Values) (location string, next *resp) {
	h.t.Helper()
	r := h.post(path, form)
	if r.Status != http.StatusSeeOther {
		h.t.Fatalf("POST %s: status %d, want 303\n%s", path, r.Status, r.Text)
	}
	location = r.Header.Get("Location")
	return location, h.page(location)
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	missing := false
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q", what, w)
			missing = true
		}
	}
	if missing {
		t.Logf("%s:\n%s", what, clip(text, 6000))
	}
}

func mustNotContain(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Errorf("%s contains %q", what, w)
		}
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// payBody is an AMS v1 in-store pay request.
func payBody(requestID string, value int64, scenario string) string {
	method := `"paymentMethod":{"paymentMethodType":"CONNECT_WALLET","paymentMethodId":"281012345678"}`
	if scenario != gateway.ScenarioPaymentCode {
		method = `"paymentMethod":{"paymentMethodType":"CONNECT_WALLET"}`
	}
	return fmt.Sprintf(`{"productCode":"IN_STORE_PAYMENT","paymentRequestId":%q,"order":{"referenceOrderId":"ORDER_%s","orderDescription":"console coffee"},`+
		`"paymentAmount":{"currency":"USD","value":"%d"},%s,"paymentFactor":{"inStorePaymentScenario":%q}}`, requestID, requestID, value, method, scenario)
}

// pay pays through the API as the registered client and returns the
// paymentId.
func (h *harness) pay(requestID string, value int64) string {
	h.t.Helper()
	return h.payScenario(requestID, value, gatewaytest.Request{}, gateway.ScenarioPaymentCode)
}

func (h *harness) payScenario(requestID string, value int64, base gatewaytest.Request, scenario string) string {
	h.t.Helper()
	base.Path, base.Body = pathPay, payBody(requestID, value, scenario)
	rep := h.g.Do(h.t, base)
	var a struct {
		PaymentID string `json:"paymentId"`
	}
	if err := json.Unmarshal(rep.Plain, &a); err != nil || a.PaymentID == "" {
		h.t.Fatalf("pay %s: no paymentId in %s (%v)", requestID, rep.Plain, err)
	}
	return a.PaymentID
}

func (h *harness) payment(id string) *gateway.Payment {
	h.t.Helper()
	p, err := h.g.Service().FindPayment(h.t.Context(), gateway.PaymentRef{PaymentID: id})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// withSink points the registered client's notifications at a sink on
// loopback.
func (h *harness) withSink() *gatewaytest.Sink {
	h.t.Helper()
	sink := gatewaytest.NewSink(h.g.GatewayPublicKeys())
	srv := httptest.NewServer(sink)
	h.t.Cleanup(srv.Close)
	u := srv.URL + "/notify"
	if _, err := h.g.Service().UpdateClient(h.t.Context(), gateway.ClientUpdate{ID: h.g.ClientID(), NotifyURL: &u}); err != nil {
		h.t.Fatal(err)
	}
	return sink
}

var paymentLink = regexp.MustCompile(`<td class="mono"><a href="/console/payments/([^"]+)">`)

// paymentIDs are the payments listed in a page's table, in order.
func paymentIDs(body string) []string {
	var ids []string
	for _, m := range paymentLink.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}
