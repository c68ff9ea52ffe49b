// Package console is the operator's web console of the gateway, served
// under /console/: payments and everything that happened to them, the
// recent API exchanges with the signature diagnosis of a refused one,
// notifications, clients and their keys, the gateway's own keys, the
// simulated wallet's scenarios, the scenario rules (with the result codes
// of each API) and the gateway clock.
//
// Every page is rendered on the server and every action is a plain form
// (POST, then a 303 back with a short flash message), so the console works
// without JavaScript; static/console.js only adds live updates. Every
// action goes through the same gateway.Service use cases as the command
// line; the console never touches a store.
package console

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/traffic"
)

// prefix is the path the console is served under.
const prefix = "/console/"

// Console serves the operator's web console under /console/. Set Service;
// every other field has a working zero value. Safe for concurrent use.
type Console struct {
	Service *gateway.Service
	// Traffic is the node's recent API exchanges; nil: the requests page
	// says recording is off.
	Traffic *traffic.Ring
	// Now is the gateway's clock; defaults to time.Now.
	Now func() time.Time
	// Advance moves the gateway's test clock and carries out what fell
	// due; nil when the gateway runs on the real clock.
	Advance func(ctx context.Context, d time.Duration) (gateway.Advanced, error)
	// Token, when set, must be presented by every request: as
	// "Authorization: Bearer <token>", or as the session cookie that
	// POST /console/login sets.
	Token string
	// Log receives what went wrong on the gateway's side (never form
	// values or keys). Defaults to discarding.
	Log *slog.Logger

	once    sync.Once
	handler http.Handler
	mux     *http.ServeMux
}

// ServeHTTP serves every path under /console/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.once.Do(c.build)
	c.handler.ServeHTTP(w, r)
}

func (c *Console) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// now returns the gateway's time in UTC.
func (c *Console) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// build wires the routes and the layers every request passes: security
// headers and panic recovery, cross-origin protection of every unsafe
// method, then authentication.
func (c *Console) build() {
	mux := http.NewServeMux()
	for _, rt := range c.routes() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	c.mux = mux
	xop := http.NewCrossOriginProtection()
	xop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusForbidden, "This form was sent from another site, so the console refused it. Open the console and send it from there.")
	}))
	c.handler = c.protect(xop.Handler(http.HandlerFunc(c.dispatch)))
}

type route struct {
	pattern string
	handler http.HandlerFunc
}

func (c *Console) routes() []route {
	return []route{
		{"GET /console/{$}", c.payments},
		{"GET /console/payments", c.payments},
		{"GET /console/payments/{id}", c.payment},
		{"GET /console/payments/{id}/qr.png", c.paymentQR},
		{"POST /console/payments/{id}/resolve", c.resolve},
		{"POST /console/payments/{id}/refund", c.refund},
		{"POST /console/payments/{id}/cancel", c.cancel},
		{"GET /console/sessions", c.sessions},
		{"GET /console/requests", c.requests},
		{"GET /console/requests/{n}", c.request},
		{"GET /console/notifications", c.notifications},
		{"POST /console/notifications/{id}/resend", c.resend},
		{"GET /console/clients", c.clients},
		{"POST /console/clients", c.addClient},
		{"POST /console/clients/{id}", c.updateClient},
		{"POST /console/clients/{id}/keys", c.addClientKey},
		{"POST /console/clients/{id}/keys/{v}/retire", c.retireClientKey},
		{"GET /console/keys", c.keys},
		{"GET /console/keys.pem", c.keysPEM},
		{"GET /console/keys/{file}", c.keyPEM},
		{"POST /console/keys/rotate", c.rotateKey},
		{"POST /console/keys/{v}/activate", c.activateKey},
		{"POST /console/keys/{v}/retire", c.retireKey},
		{"GET /console/scenarios", c.scenarios},
		{"POST /console/scenarios/try", c.tryScenario},
		{"GET /console/scenarios/rules", c.rules},
		{"POST /console/scenarios/rules", c.addRule},
		{"POST /console/scenarios/rules/{id}/remove", c.removeRule},
		{"POST /console/clock/advance", c.advanceForm},
		{"GET /console/api/clock", c.apiClock},
		{"POST /console/api/clock/advance", c.apiAdvance},
		{"GET /console/login", c.loginPage},
		{"POST /console/login", c.login},
		{"POST /console/logout", c.logout},
		{"GET /console/static/{file}", c.static},
	}
}

// securityHeaders are set on every response.
var securityHeaders = [][2]string{
	{"Cache-Control", "no-store"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "same-origin"},
	{"Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"},
}

// protect sets the security headers and keeps a panic from reaching the
// user: it is logged, and answered 500 when nothing was written yet.
func (c *Console) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range securityHeaders {
			w.Header().Set(h[0], h[1])
		}
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			c.log().Error("console: panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			if !tw.wrote {
				c.fail(tw, r, http.StatusInternalServerError, "Something went wrong inside the console; the gateway log has the details.")
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the header was written.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// dispatch authenticates the request and routes it. A path no route
// serves is answered with the console's 404 page, a known path with
// another method with 405 and Allow.
func (c *Console) dispatch(w http.ResponseWriter, r *http.Request) {
	if !public(r) && !c.authenticated(r) {
		c.unauthenticated(w, r)
		return
	}
	h, pattern := c.mux.Handler(r)
	if pattern != "" {
		c.mux.ServeHTTP(w, r)
		return
	}
	// No pattern: the mux would answer 404 or 405 in plain text (or
	// redirect a path to its clean form). Find out which, and answer in
	// the console's own way.
	cw := &captureWriter{header: http.Header{}}
	h.ServeHTTP(cw, r)
	switch cw.status {
	case http.StatusNotFound:
		c.fail(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+".")
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", cw.header.Get("Allow"))
		c.fail(w, r, http.StatusMethodNotAllowed, r.Method+" is not allowed here; this address takes "+cw.header.Get("Allow")+".")
	default:
		for k, v := range cw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(cw.status)
	}
}

// public reports whether r may be served without authentication: the
// login and logout forms and the static files they need.
func public(r *http.Request) bool {
	p := r.URL.Path
	return p == "/console/login" || p == "/console/logout" || strings.HasPrefix(p, "/console/static/")
}

// isAPI reports whether r is for the JSON API, which answers errors in
// JSON.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/console/api/") }

// captureWriter keeps what the mux's own 404, 405 or redirect handler
// writes, so the console can answer in its place.
type captureWriter struct {
	header http.Header
	status int
}

func (cw *captureWriter) Header() http.Header { return cw.header }
func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	return len(b), nil
}
func (cw *captureWriter) WriteHeader(code int) {
	if cw.status == 0 {
		cw.status = code
	}
}
