package wallet_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/wallet"
)

func TestCheckoutURL(t *testing.T) {
	const id = "20260302093000123456789012345678"
	secret := []byte("a test secret")
	pay := &gateway.Payment{ID: id}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("checkout\x00" + id))
	token := base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:22]

	p := &wallet.Pages{PublicURL: "https://gw.example:8443", Secret: secret}
	if got, want := p.CheckoutURL(pay), "https://gw.example:8443/wallet/checkout/"+id+"/"+token; got != want {
		t.Errorf("CheckoutURL = %q, want %q", got, want)
	}
	other := &wallet.Pages{PublicURL: "https://gw.example:8443", Secret: []byte("another secret")}
	if p.CheckoutURL(pay) == other.CheckoutURL(pay) {
		t.Errorf("two secrets give the same link %q", p.CheckoutURL(pay))
	}
	if p.CheckoutURL(pay) == p.CheckoutURL(&gateway.Payment{ID: id + "0"}) {
		t.Error("two payments get the same token")
	}
}

// TestCheckoutURLRandomSecret: without a Secret each Pages makes one key,
// once, also when links are made concurrently.
func TestCheckoutURLRandomSecret(t *testing.T) {
	pay := &gateway.Payment{ID: "20260302093000000000000000000001"}
	a, b := &wallet.Pages{PublicURL: "http://127.0.0.1:1"}, &wallet.Pages{PublicURL: "http://127.0.0.1:1"}
	links := make([]string, 8)
	var wg sync.WaitGroup
	for i := range links {
		wg.Go(func() { links[i] = a.CheckoutURL(pay) })
	}
	wg.Wait()
	shape := regexp.MustCompile(`^http://127\.0\.0\.1:1/wallet/checkout/` + pay.ID + `/[A-Za-z0-9_-]{22}$`)
	for _, l := range links {
		if l != links[0] || !shape.MatchString(l) {
			t.Fatalf("links %q: want one link of the documented shape", links)
		}
	}
	if b.CheckoutURL(pay) == links[0] {
		t.Error("two Pages without a Secret give the same token")
	}
}

// TestPaymentCode: the code page shows a fresh 18-digit code starting with
// 28, as text and as a QR image that decodes to the same code.
func TestPaymentCode(t *testing.T) {
	e := newEnv(t)
	codeRe := regexp.MustCompile(`<img src="/wallet/code\.png\?c=(\d+)"`)
	seen := map[string]bool{}
	for range 3 {
		r := e.get(t, e.srv.URL+"/wallet/")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /wallet/: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		m := codeRe.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no code image in the page:\n%s", r.Body)
		}
		code := m[1]
		if len(code) != 18 || !strings.HasPrefix(code, "28") {
			t.Errorf("code %q: want 18 digits starting with 28", code)
		}
		grouped := code[0:4] + " " + code[4:8] + " " + code[8:12] + " " + code[12:16] + " " + code[16:]
		wantContains(t, "payment code page", r.Body, grouped, `href="/wallet/">New code</a>`,
			"paymentMethod.paymentMethodId", `href="/console/scenarios"`)
		if got := decodeQR(t, e.get(t, e.srv.URL+"/wallet/code.png?c="+code)); got != code {
			t.Errorf("code.png decodes to %q, want %q", got, code)
		}
		seen[code] = true
	}
	if len(seen) != 3 {
		t.Errorf("three visits gave codes %v; want a new code each time", seen)
	}
}

func TestCodePNG(t *testing.T) {
	e := newEnv(t)
	for _, c := range []string{"7", "12345678901234567890123456789012"} {
		if got := decodeQR(t, e.get(t, e.srv.URL+"/wallet/code.png?c="+c)); got != c {
			t.Errorf("code.png?c=%s decodes to %q", c, got)
		}
	}
	for _, q := range []string{"", "?c=", "?c=12a", "?c=123456789012345678901234567890123", "?c=1&c=2", "?c=%EF%BC%91"} {
		r := e.get(t, e.srv.URL+"/wallet/code.png"+q)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "&#34;c&#34;") {
			t.Errorf("code.png%s: %d, want 400 naming c; body %s", q, r.Status, r.Body)
		}
	}
}

// TestRoutes: unknown paths are 404 pages, wrong methods 405 pages with
// Allow; every answer carries the security headers (checked by e.do).
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	_, link := e.cashier(t, "ROUTES_1")
	for _, path := range []string{"/wallet/nope", "/wallet/checkout/", "/wallet/checkout/1", "/wallet/checkout/1/2/3",
		"/wallet/checkout/1/2/qr.jpg", "/wallet/static/", "/wallet/static/nope.css", "/wallet/static/../wallet.go",
		"/wallet/static/wallet.css/x", "/walletx", "/"} {
		r := e.get(t, e.srv.URL+path)
		if r.Status != http.StatusNotFound || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want a 404 page", path, r.Status, r.Header.Get("Content-Type"))
		}
	}
	for _, c := range []struct{ method, target, allow string }{
		{http.MethodPost, e.srv.URL + "/wallet/", "GET, HEAD"},
		{http.MethodPut, link, "GET, HEAD, POST"},
		{http.MethodDelete, link, "GET, HEAD, POST"},
		{http.MethodPost, link + "/qr.png", "GET, HEAD"},
		{http.MethodPost, e.srv.URL + "/wallet/code.png?c=1", "GET, HEAD"},
		{http.MethodPost, e.srv.URL + "/wallet/static/wallet.js", "GET, HEAD"},
	} {
		r := e.do(t, c.method, c.target, nil, nil)
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", c.method, c.target, r.Status, r.Header.Get("Allow"), c.allow)
		}
	}
	if r := e.get(t, e.srv.URL+"/wallet"); r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/wallet/" {
		t.Errorf("GET /wallet: %d Location %q, want 301 to /wallet/", r.Status, r.Header.Get("Location"))
	}
	for name, ctype := range map[string]string{"wallet.css": "text/css; charset=utf-8", "wallet.js": "text/javascript; charset=utf-8"} {
		r := e.get(t, e.srv.URL+"/wallet/static/"+name)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != ctype || len(r.Body) < 100 {
			t.Errorf("GET static/%s: %d %q, %d bytes", name, r.Status, r.Header.Get("Content-Type"), len(r.Body))
		}
	}
}

// TestNoInlineCode: the pages load their script and style from static/
// only, as the Content-Security-Policy requires.
func TestNoInlineCode(t *testing.T) {
	e := newEnv(t)
	_, link := e.cashier(t, "INLINE_1")
	scriptTag := regexp.MustCompile(`<script[^>]*>`)
	handler := regexp.MustCompile(` on[a-z]+=`)
	for _, target := range []string{e.srv.URL + "/wallet/", link, e.srv.URL + "/wallet/nope"} {
		body := e.get(t, target).Body
		if strings.Contains(body, "<style") || strings.Contains(body, " style=") || handler.MatchString(body) {
			t.Errorf("%s has inline style or event handlers:\n%s", target, body)
		}
		for _, tag := range scriptTag.FindAllString(body, -1) {
			if tag != `<script src="/wallet/static/wallet.js" defer>` {
				t.Errorf("%s has script %s; want only the static one", target, tag)
			}
		}
		wantContains(t, target, body, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
			`<link rel="stylesheet" href="/wallet/static/wallet.css">`)
	}
}

// TestHeadDoesNotOpen: a HEAD of the checkout link (a link preview) is not
// the user opening the page: the payment still completes by itself.
func TestHeadDoesNotOpen(t *testing.T) {
	e := newEnv(t)
	id, link := e.cashier(t, "HEAD_1")
	if r := e.do(t, http.MethodHead, link, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("HEAD: %d", r.Status)
	}
	e.g.Advance(t, 5*time.Second)
	e.wantStatus(t, id, gateway.PaymentSuccess, gateway.CodeSuccess)
}
