package gatewaytest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Page is an answer of the gateway's web pages (the console, the wallet's
// pages), read whole.
type Page struct {
	Status int
	Header http.Header
	Body   string
}

// Browse sends one request as a browser's link or form would: method to
// target, with form URL-encoded as the body when it is not nil, and
// header's values set. It never follows a redirect (the 303 after a form
// is the answer to check) and uses c's cookies. It fails the test when no
// answer comes.
func Browse(tb testing.TB, c *http.Client, method, target string, form url.Values, header map[string]string) Page {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read the body: %v", method, target, err)
	}
	return Page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}
