// Package wallet serves the simulated wallet user's own pages, under
// /wallet/ on the gateway: the checkout page that a CASHIER_PAYMENT's
// normalUrl, an EntryCode's redirectActionForm.redirectUrl and an
// OrderCode's codeValue open, where the user pays or declines a PROCESSING
// payment; a payment session's checkout page (its normalUrl), where the
// buyer chooses one of the methods consult offers and pays or declines;
// and the wallet home, which shows a fresh payment code for the
// PaymentCode scenario.
//
// A checkout link carries a token (an HMAC of the payment id) that is
// checked against the link stored with the payment, never recomputed, so
// links survive restarts and work on every node. Every response forbids
// caching, framing, inline scripts and styles, and sends no referrer, so
// the token does not leak to the shop.
package wallet

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// tokenLen is the length of a checkout token: 22 base64url characters,
// 132 bits of the HMAC.
const tokenLen = 22

// contentSecurityPolicy is sent with every response. form-action must
// allow every http(s) URL: Chromium-based browsers check the target of the
// 303 that follows the checkout form against it, and that target is the
// shop's paymentRedirectUrl.
const contentSecurityPolicy = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; " +
	"frame-ancestors 'none'; form-action 'self' http: https:"

// Pages serves the wallet's pages under /wallet/: ServeHTTP expects the
// whole path, so mount it at "/wallet/" without stripping the prefix. Set
// Service and PublicURL; the other fields have defaults. Set the fields
// before the first use and do not change them afterwards; then Pages is
// safe for concurrent use.
type Pages struct {
	// Service is the gateway whose payments the pages show and decide.
	Service *gateway.Service
	// PublicURL is scheme://host[:port] of the gateway as users reach it,
	// with no trailing slash; checkout links start with it.
	PublicURL string
	// Secret is the HMAC key of the checkout tokens. When nil, a random
	// 32-byte key is made on first use (once, safely under concurrency);
	// links made before a restart keep working, since a request's token is
	// checked against the link stored with the payment.
	Secret []byte
	// Now is the gateway's clock (it may be a test clock): it decides
	// whether a payment has expired and what the countdown shows. Defaults
	// to time.Now.
	Now func() time.Time
	// Log receives the errors behind the 500 pages. Defaults to
	// discarding.
	Log *slog.Logger

	keyOnce sync.Once
	key     []byte

	postOnce sync.Once
	post     http.Handler

	sessionPostOnce sync.Once
	sessionPost     http.Handler
}

// CheckoutURL returns the link where the user pays pay:
// PublicURL/wallet/checkout/<paymentId>/<token>. It is what the simulated
// wallet's sim.Wallet.CheckoutURL is set to, so the gateway stores it as
// the payment's ActionURL and hands it out as normalUrl,
// redirectActionForm.redirectUrl or codeValue. It is safe for concurrent
// use.
func (p *Pages) CheckoutURL(pay *gateway.Payment) string {
	return strings.TrimSuffix(p.PublicURL, "/") + "/wallet/checkout/" + url.PathEscape(pay.ID) + "/" + p.token(pay.ID)
}

// token is the checkout token of a payment id: the first 22 characters of
// base64url(HMAC-SHA256(key, "checkout\x00" + id)).
func (p *Pages) token(id string) string {
	m := hmac.New(sha256.New, p.secret())
	m.Write([]byte("checkout\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:tokenLen]
}

func (p *Pages) secret() []byte {
	if p.Secret != nil {
		return p.Secret
	}
	p.keyOnce.Do(func() {
		p.key = make([]byte, 32)
		rand.Read(p.key) // never fails on supported platforms (Go 1.24+)
	})
	return p.key
}

func (p *Pages) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Pages) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Methods the routes allow.
var (
	readOnly   = []string{http.MethodGet, http.MethodHead}
	readDecide = []string{http.MethodGet, http.MethodHead, http.MethodPost}
)

// ServeHTTP serves every path under /wallet/:
//
//	GET  /wallet/                                 the payment code page
//	GET  /wallet/code.png?c=DIGITS                a code as a QR image
//	GET  /wallet/checkout/{paymentId}/{token}     the checkout page
//	POST /wallet/checkout/{paymentId}/{token}     pay or decline (same-origin only)
//	GET  /wallet/checkout/{paymentId}/{token}/qr.png  the payment's link as a QR image
//	GET  /wallet/session/{sessionId}/{token}      a payment session's checkout page
//	POST /wallet/session/{sessionId}/{token}      choose a method, pay or decline (same-origin only)
//	GET  /wallet/static/{file}                    the pages' CSS, script and logos
//
// Anything else is a 404 page; a method a route does not take is a 405
// page with Allow. HEAD is served like GET, except that it does not count
// as opening the checkout page (a link preview must not call off the
// payment's automatic completion). It is safe for concurrent use.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p.log().Error("wallet: panic serving a page", "path", r.URL.Path, "panic", v)
			p.serverError(w, r)
		}
	}()

	rest, ok := strings.CutPrefix(r.URL.Path, "/wallet/")
	if !ok {
		if r.URL.Path == "/wallet" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			redirect(w, "/wallet/", http.StatusMovedPermanently)
			return
		}
		p.notFound(w, r)
		return
	}
	switch {
	case rest == "":
		if p.allow(w, r, readOnly) {
			p.home(w, r)
		}
	case rest == "code.png":
		if p.allow(w, r, readOnly) {
			p.codePNG(w, r)
		}
	case strings.HasPrefix(rest, "static/"):
		if p.allow(w, r, readOnly) {
			p.static(w, r, strings.TrimPrefix(rest, "static/"))
		}
	case strings.HasPrefix(rest, "session/"):
		id, token, ok := sessionPath(r.URL.Path)
		switch {
		case !ok:
			p.notFound(w, r)
		case r.Method == http.MethodPost:
			p.sessionPostHandler().ServeHTTP(w, r)
		case p.allow(w, r, readDecide):
			p.sessionPage(w, r, id, token)
		}
	default:
		id, token, qrImage, ok := checkoutPath(r.URL.Path)
		switch {
		case !ok:
			p.notFound(w, r)
		case qrImage:
			if p.allow(w, r, readOnly) {
				p.checkoutQR(w, r, id, token)
			}
		case r.Method == http.MethodPost:
			p.postHandler().ServeHTTP(w, r)
		case p.allow(w, r, readDecide):
			p.checkout(w, r, id, token)
		}
	}
}

// checkoutPath splits /wallet/checkout/{id}/{token}[/qr.png].
func checkoutPath(path string) (id, token string, qrImage, ok bool) {
	rest, ok := strings.CutPrefix(path, "/wallet/checkout/")
	if !ok {
		return "", "", false, false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2:
	case len(parts) == 3 && parts[2] == "qr.png":
		qrImage = true
	default:
		return "", "", false, false
	}
	id, token = parts[0], parts[1]
	if id == "" || len(id) > 64 || token == "" || len(token) > 64 {
		return "", "", false, false
	}
	return id, token, qrImage, true
}

// protected is h behind Go's cross-origin protection: a POST a browser
// marks as coming from another site is refused with a 403 page before
// anything is read.
func (p *Pages) protected(h http.HandlerFunc) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.errorPage(w, r, http.StatusForbidden, "Request refused",
			"This request came from another site and was refused. Open the payment link again and decide there.")
	}))
	return cop.Handler(h)
}

// postHandler is the checkout form's handler, protected.
func (p *Pages) postHandler() http.Handler {
	p.postOnce.Do(func() { p.post = p.protected(p.decide) })
	return p.post
}

// sessionPostHandler is the session page's form handler, protected.
func (p *Pages) sessionPostHandler() http.Handler {
	p.sessionPostOnce.Do(func() { p.sessionPost = p.protected(p.sessionDecide) })
	return p.sessionPost
}

// allow reports whether r's method is one of methods; if not, it answers
// 405 with Allow.
func (p *Pages) allow(w http.ResponseWriter, r *http.Request, methods []string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	p.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed",
		"This page does not take "+r.Method+" requests.")
	return false
}

// errLink is the one answer to an unknown payment, a payment without a
// checkout link and a wrong token alike.
var errLink = errors.New("wallet: payment link not valid")

// redirect answers code with Location: to, and a short body.
func redirect(w http.ResponseWriter, to string, code int) {
	w.Header().Set("Location", to)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte("See " + to + "\n"))
}
