package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/console"
)

var wantHeaders = map[string]string{
	"Cache-Control":           "no-store",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "same-origin",
	"Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
}

// TestEveryPage: every page answers 200 with the security headers, the
// layout and no inline script or style.
func TestEveryPage(t *testing.T) {
	h := newHarness(t)
	id := h.pay("REQ_EVERY_1", 1000)
	for _, p := range []string{"/console/", "/console/payments", "/console/payments/" + id, "/console/requests", "/console/requests/1",
		"/console/notifications", "/console/notifications?undelivered=1", "/console/clients", "/console/keys", "/console/scenarios",
		"/console/login"} {
		r := h.page(p)
		checkHeaders(t, p, r)
		if r.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p, r.Header.Get("Content-Type"))
		}
		mustContain(t, p, r.Body, `<link rel="stylesheet" href="/console/static/console.css">`, `<script src="/console/static/console.js" defer></script>`)
		for _, bad := range []string{"<script>", "style=", " onclick", " onload", "<style"} {
			if strings.Contains(r.Body, bad) {
				t.Errorf("%s has inline %q", p, bad)
			}
		}
	}
	for _, f := range []struct{ path, ctype string }{
		{"/console/static/console.css", "text/css"}, {"/console/static/console.js", "text/javascript"}, {"/console/static/favicon.svg", "image/svg+xml"},
	} {
		r := h.page(f.path)
		checkHeaders(t, f.path, r)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), f.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", f.path, r.Header.Get("Content-Type"), f.ctype)
		}
	}
}

func checkHeaders(t *testing.T, what string, r *resp) {
	t.Helper()
	for k, v := range wantHeaders {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

// TestNotFoundAndMethods: unknown paths get the console's 404 page, wrong
// methods 405 with Allow, both with the security headers.
func TestNotFoundAndMethods(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"/console/nope", "/console/payments/x/y/z", "/console/static/nope.js", "/console/static/"} {
		r := h.get(p)
		if r.Status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.Status)
		}
		checkHeaders(t, p, r)
		mustContain(t, p, r.Text, "404 Not Found")
	}
	r := h.get("/console/api/nope")
	if r.Status != http.StatusNotFound || !strings.HasPrefix(r.Body, `{"error":`) {
		t.Errorf("GET /console/api/nope: %d %s, want a 404 JSON error", r.Status, r.Body)
	}
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, "/console/payments", "GET, HEAD"},
		{http.MethodDelete, "/console/keys", "GET, HEAD"},
		{http.MethodGet, "/console/keys/rotate/x", ""},
		{http.MethodGet, "/console/clock/advance", "POST"},
		{http.MethodPut, "/console/api/clock/advance", "POST"},
	} {
		r := h.request(c.method, c.path, nil, nil)
		if c.allow == "" {
			if r.Status != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", c.method, c.path, r.Status)
			}
			continue
		}
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: status %d, Allow %q; want 405, Allow %q", c.method, c.path, r.Status, r.Header.Get("Allow"), c.allow)
		}
		checkHeaders(t, c.path, r)
	}
}

// TestPanicIsAnswered: a console without a Service (a wiring mistake)
// answers 500 with a page instead of dropping the connection.
func TestPanicIsAnswered(t *testing.T) {
	srv := httptest.NewServer(&console.Console{})
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL + "/console/payments")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("status %d, CSP %q; want 500 with the security headers", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
}
