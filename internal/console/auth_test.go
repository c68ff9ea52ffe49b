package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/console"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

const token = "s3cret-console-token"

// TestAuth: with a token set, pages redirect to the login form and the
// API answers 401; the bearer token and the login cookie both work; a
// wrong token is refused without being repeated; logout ends the session.
func TestAuth(t *testing.T) {
	h := newHarnessWith(t, func(_ *gatewaytest.Gateway, c *console.Console) { c.Token = token })

	r := h.get("/console/payments?status=FAIL")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console/login?next="+url.QueryEscape("/console/payments?status=FAIL") {
		t.Errorf("page without a token: %d to %q, want 303 to the login form", r.Status, r.Header.Get("Location"))
	}
	if r := h.post("/console/keys/rotate", nil); r.Status != http.StatusSeeOther {
		t.Errorf("form without a token: status %d, want 303", r.Status)
	}
	r = h.get("/console/api/clock")
	if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") ||
		r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("API without a token: %d, WWW-Authenticate %q, %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
	}
	// The login form and its stylesheet need no token.
	mustContain(t, "login page", h.page("/console/login?next=/console/keys").Text, `name="token"`, `name="next" value="/console/keys"`)
	h.page("/console/static/console.css")

	// Bearer.
	bearer := map[string]string{"Authorization": "Bearer " + token}
	if r := h.request(http.MethodGet, "/console/api/clock", nil, bearer); r.Status != 200 {
		t.Errorf("API with the bearer token: status %d", r.Status)
	}
	if r := h.request(http.MethodGet, "/console/", nil, bearer); r.Status != 200 {
		t.Errorf("page with the bearer token: status %d", r.Status)
	}
	if r := h.request(http.MethodGet, "/console/api/clock", nil, map[string]string{"Authorization": "Bearer wrong"}); r.Status != 401 {
		t.Errorf("API with a wrong bearer token: status %d, want 401", r.Status)
	}

	// A wrong token at the login form.
	r = h.post("/console/login", url.Values{"token": {"guess-123"}, "next": {"/console/keys"}})
	if r.Status != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d, want 401", r.Status)
	}
	mustContain(t, "wrong token page", r.Text, "wrong token")
	mustNotContain(t, "wrong token page", r.Text, "guess-123")
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("a wrong token set a cookie: %q", r.Header.Values("Set-Cookie"))
	}

	// The right token: a cookie, then every page.
	r = h.post("/console/login", url.Values{"token": {token}, "next": {"/console/keys"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console/keys" {
		t.Fatalf("login: %d to %q, want 303 to /console/keys", r.Status, r.Header.Get("Location"))
	}
	ck := r.Header.Get("Set-Cookie")
	for _, want := range []string{"antomgw_console" + "=", "HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("Set-Cookie %q lacks %q", ck, want)
		}
	}
	if strings.Contains(ck, token) {
		t.Errorf("the cookie carries the token itself: %q", ck)
	}
	h.page("/console/keys")
	h.page("/console/api/clock")

	// next outside the console is ignored.
	r = h.post("/console/login", url.Values{"token": {token}, "next": {"https://evil.example/"}})
	if r.Header.Get("Location") != "/console/" {
		t.Errorf("login with next=https://evil.example/: to %q, want /console/", r.Header.Get("Location"))
	}
	r = h.post("/console/login", url.Values{"token": {token}, "next": {"//evil.example/console/"}})
	if r.Header.Get("Location") != "/console/" {
		t.Errorf("login with next=//evil.example/: to %q, want /console/", r.Header.Get("Location"))
	}

	h.submitNoFollow("/console/logout")
	if r := h.get("/console/keys"); r.Status != http.StatusSeeOther {
		t.Errorf("after logout: status %d, want 303 to login", r.Status)
	}
}

func (h *harness) submitNoFollow(path string) {
	h.t.Helper()
	if r := h.post(path, nil); r.Status != http.StatusSeeOther {
		h.t.Fatalf("POST %s: status %d, want 303", path, r.Status)
	}
}

// TestCrossOriginPost: a form posted from another site is refused with
// 403 and changes nothing, login included.
func TestCrossOriginPost(t *testing.T) {
	h := newHarness(t, testKeyOpt())
	cross := map[string]string{"Sec-Fetch-Site": "cross-site"}
	r := h.request(http.MethodPost, "/console/keys/rotate", url.Values{"activate": {"1"}}, cross)
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site rotate: status %d, want 403", r.Status)
	}
	mustContain(t, "403 page", r.Text, "another site")
	if keys := h.gatewayKeys(); len(keys) != 1 {
		t.Errorf("after a refused cross-site rotate the gateway has %d keys, want 1", len(keys))
	}
	r = h.request(http.MethodPost, "/console/keys/rotate", url.Values{}, map[string]string{"Origin": "https://evil.example"})
	if r.Status != http.StatusForbidden || len(h.gatewayKeys()) != 1 {
		t.Errorf("rotate from another Origin: status %d, want 403 and no new key", r.Status)
	}
	if r := h.request(http.MethodPost, "/console/login", url.Values{"token": {"x"}}, cross); r.Status != http.StatusForbidden {
		t.Errorf("cross-site login: status %d, want 403", r.Status)
	}
	// Same origin goes through.
	if r := h.request(http.MethodPost, "/console/keys/rotate", url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}); r.Status != http.StatusSeeOther {
		t.Errorf("same-origin rotate: status %d, want 303", r.Status)
	}
}
