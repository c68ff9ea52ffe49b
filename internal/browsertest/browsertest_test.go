package browsertest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser runs the flows in one headless Chromium: the wallet user's
// on a phone, then the operator's on a desktop, each against its own
// gateway.
func TestBrowser(t *testing.T) {
	b := startBrowser(t)
	t.Run("watch", func(t *testing.T) { testWatch(t, b) })
	t.Run("wallet", func(t *testing.T) { testWallet(t, b) })
	t.Run("session", func(t *testing.T) { testSession(t, b) })
	t.Run("console", func(t *testing.T) { testConsole(t, b) })
}

// testWatch shows that a tab notices what the flows must not do: a page
// whose inline script its CSP refuses, a script that throws, a
// console.error and an image that does not load.
func testWatch(t *testing.T, b *browser) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Security-Policy", "default-src 'self'")
			fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bad page</title>`+
				`<script src="/bad.js"></script></head><body><h1>bad page</h1>`+
				`<script>document.title = "inline ran";</script><img src="/missing.png" alt=""></body></html>`)
		case "/bad.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `console.error("an error the page logs"); window.addEventListener("load", function () { null.boom(); });`)
		case "/favicon.ico":
			// Chromium asks for it on its own, at a moment of its choosing;
			// a 404 here would be reported after the checks below.
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tb := b.newTab(t, desktop)
	tb.open(srv.URL + "/")
	if title := run(tb, "read the title", chromedp.Title()); title != "bad page" {
		t.Errorf("title %q: the inline script ran despite the page's CSP", title)
	}
	// The exception is thrown in a load handler. The tab handles events in
	// the order they come, so once a round trip made after the load is back,
	// it has seen everything the load caused.
	run(tb, "a round trip", chromedp.Evaluate[bool](`true`))
	errs := strings.Join(tb.takeErrors(), "\n")
	t.Logf("reported:\n%s", errs)
	for _, want := range []string{"CSP violation: script-src", "an error the page logs", "uncaught exception", "missing.png"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the tab did not report %q; it reported:\n%s", want, errs)
		}
	}
}

func TestLookupBrowser(t *testing.T) {
	onPath := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, n := range names {
				if n == name {
					if strings.Contains(n, "/") {
						return n, nil
					}
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("executable file not found")
		}
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == envChromium {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name    string
		env     string
		path    []string
		want    string
		wantErr string
	}{
		{name: "first on PATH", path: []string{"chromium", "google-chrome"}, want: "/usr/bin/chromium"},
		{name: "another name", path: []string{"google-chrome", "chromium-browser"}, want: "/usr/bin/chromium-browser"},
		{name: "setting wins", env: "/opt/chrome/chrome", path: []string{"/opt/chrome/chrome", "chromium"}, want: "/opt/chrome/chrome"},
		{name: "setting by name", env: "google-chrome", path: []string{"google-chrome", "chromium"}, want: "/usr/bin/google-chrome"},
		{name: "wrong setting is not replaced", env: "/nonexistent", path: []string{"chromium"}, wantErr: "ANTOMGW_CHROMIUM=/nonexistent is not an executable browser"},
		{name: "none", wantErr: "none of chromium, chromium-browser, google-chrome is on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookupBrowser(env(tc.env), onPath(tc.path...))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("lookupBrowser = %q, %v; want an error saying %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("lookupBrowser = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
