package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// sessionCookie is the name of the cookie POST /console/login sets.
const sessionCookie = "antomgw_console"

// sessionMessage is what the session cookie's HMAC is over.
const sessionMessage = "antomgw console session"

// sessionValue returns the session cookie's value for token: the hex
// HMAC-SHA256 of sessionMessage keyed with the token. It says nothing
// about the token and needs no server-side state; changing the token ends
// every session.
func sessionValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(sessionMessage))
	return hex.EncodeToString(m.Sum(nil))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// authenticated reports whether r may use the console: always when no
// Token is set, else with the bearer token or the session cookie.
func (c *Console) authenticated(r *http.Request) bool {
	if c.Token == "" {
		return true
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && equal(strings.TrimSpace(tok), c.Token) {
			return true
		}
	}
	if ck, err := r.Cookie(sessionCookie); err == nil && equal(ck.Value, sessionValue(c.Token)) {
		return true
	}
	return false
}

// unauthenticated answers a request without valid credentials: 401 with
// a JSON error for the API, a redirect to the login form for pages.
func (c *Console) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if isAPI(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="antomgw console"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "the console needs its token: send Authorization: Bearer <token>"})
		return
	}
	// After the login, a page is shown again; a form is not sent again
	// (its address answers only POST), so it leads to the front page.
	next := prefix
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	}
	http.Redirect(w, r, "/console/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// localNext returns next when it is a console path, else the console's
// front page: a login or a form never sends anyone elsewhere.
func localNext(next string) string {
	if strings.HasPrefix(next, prefix) && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return prefix
}

type loginData struct {
	Next  string
	Wrong bool
	Open  bool // no token is set: nothing to log in to
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, r, http.StatusOK, loginData{Next: localNext(r.URL.Query().Get("next")), Open: c.Token == ""})
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	c.render(w, r, status, "login", &page{Title: "Log in", Bare: true, Data: d})
}

// login checks the token in the form and sets the session cookie. A
// wrong token is answered 401 without repeating it.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	next := localNext(r.PostFormValue("next"))
	if c.Token == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !equal(r.PostFormValue("token"), c.Token) {
		c.renderLogin(w, r, http.StatusUnauthorized, loginData{Next: next, Wrong: true})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sessionValue(c.Token), Path: prefix,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout clears the session cookie.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
