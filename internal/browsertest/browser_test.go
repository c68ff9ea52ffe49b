package browsertest

// The harness: finding and starting Chromium, one tab per flow with its
// console watched, steps that fail fast with a clear message, screenshots.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gatewaytest"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// envChromium names the browser to use (a path, or a name looked up on
	// PATH); envRequired == "required" makes a missing browser a failure.
	envChromium = "ANTOMGW_CHROMIUM"
	envRequired = "ANTOMGW_BROWSER_TESTS"

	// startTimeout bounds starting the browser and opening a tab;
	// stepTimeout bounds every other browser step.
	startTimeout = 30 * time.Second
	stepTimeout  = 10 * time.Second
)

// browserNames are looked up on PATH, in order, when $ANTOMGW_CHROMIUM is
// not set.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome"}

// lookupBrowser finds the browser: $ANTOMGW_CHROMIUM when it is set (and
// nothing else then: a wrong setting is not silently replaced by another
// browser), else the first of browserNames on PATH. The error says what
// was tried.
func lookupBrowser(getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	if v := getenv(envChromium); v != "" {
		p, err := lookPath(v)
		if err != nil {
			return "", fmt.Errorf("%s=%s is not an executable browser: %v", envChromium, v, err)
		}
		return p, nil
	}
	for _, name := range browserNames {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no browser found: %s is not set and none of %s is on PATH",
		envChromium, strings.Join(browserNames, ", "))
}

// browserPath returns the browser to run, or skips the test (fails it when
// ANTOMGW_BROWSER_TESTS=required). It skips under -short.
func browserPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser tests start Chromium; skipped under -short")
	}
	p, err := lookupBrowser(os.Getenv, exec.LookPath)
	if err != nil {
		msg := fmt.Sprintf("%v. Install Chromium (apt-get install chromium) or set %s to a Chromium or Chrome binary.", err, envChromium)
		if os.Getenv(envRequired) == "required" {
			t.Fatalf("%s (%s=required: the browser tests must run)", msg, envRequired)
		}
		t.Skip(msg)
	}
	return p
}

// browser is one headless Chromium for a test; tabs are opened in it.
type browser struct {
	ctx    context.Context // the browser's chromedp context
	output *gatewaytest.Buffer
}

// allocatorOptions are the browser's command line: headless, quiet, no
// background traffic, loopback only, a fresh profile in dir.
func allocatorOptions(exe, dir string, output *gatewaytest.Buffer) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("media-router", "0"),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"+
			"DnsOverHttps,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		// Every name but 127.0.0.1 resolves to nothing: the pages and the
		// browser itself reach loopback only.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		// Stable pictures: no scrollbars, sRGB.
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(dir),
		chromedp.CombinedOutput(output),
	}
}

// startBrowser starts Chromium for t (or skips t, see browserPath) and
// closes it when t ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	exe := browserPath(t)
	dir := t.TempDir() // removed after the browser is closed (cleanups run last first)
	out := &gatewaytest.Buffer{}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), allocatorOptions(exe, dir, out)...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("closing the browser: %v", err)
		}
		cancel()
		acancel()
	})
	// The first Do starts the browser and binds it to ctx, so it gets no
	// deadline of its own: a watchdog cancels it instead.
	started := time.Now()
	watchdog := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() {
		err = fmt.Errorf("it did not start within %s (%v)", startTimeout, err)
	}
	if err != nil {
		t.Fatalf("starting %s: %v\nbrowser output:\n%s", exe, err, tail(out.String(), 4000))
	}
	vctx, vcancel := context.WithTimeout(ctx, stepTimeout)
	defer vcancel()
	if v, err := chromedp.CallBrowser(vctx, cdpbrowser.GetVersion, cdp.Empty{}); err == nil {
		t.Logf("%s (%s) started in %s", v.Product, exe, time.Since(started).Round(time.Millisecond))
	}
	return &browser{ctx: ctx, output: out}
}

// viewport is the screen a tab emulates.
type viewport struct {
	width, height int64
	scale         float64
	mobile        bool
}

var (
	// phone is the wallet user's: a 390×844 phone at 2× (as an iPhone 12
	// to 15).
	phone = viewport{width: 390, height: 844, scale: 2, mobile: true}
	// desktop is the operator's.
	desktop = viewport{width: 1280, height: 900, scale: 1}
)

// isolatedWorld is where the tab's own script runs, apart from the pages'.
const isolatedWorld = "antomgw-browsertest"

// cspWatch turns every Content-Security-Policy violation of a page into a
// console error, so that one the browser reports only as an event fails
// the test too. It runs in an isolated world: the page's own policy does
// not apply to it and its scripts do not see it.
const cspWatch = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "an inline resource") +
    " on " + e.documentURI + (e.sourceFile ? " (" + e.sourceFile + ":" + e.lineNumber + ")" : ""));
}, true);`

// tab is one browser tab of a flow. Its steps fail the test with what the
// tab shows; the errors its pages write to the console (console.error,
// uncaught exceptions, the browser's own error log: failed loads, CSP
// violations) fail the test when the tab is closed, at the end of the
// test that opened it.
type tab struct {
	t   *testing.T
	ctx context.Context
	vp  viewport

	mu   sync.Mutex
	errs []string
}

// newTab opens a tab emulating vp, closed when t ends.
func (b *browser) newTab(t *testing.T, vp viewport) *tab {
	t.Helper()
	tb := &tab{t: t, vp: vp}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(tb.listen))
	tb.ctx = ctx
	t.Cleanup(func() {
		if errs := tb.takeErrors(); len(errs) > 0 {
			t.Errorf("the browser's console had %d error(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
		}
		cancel()
	})
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.scale), chromedp.EmulatePortrait}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	// The first Do opens the tab and binds it to ctx: a watchdog bounds it.
	watchdog := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(vp.width, vp.height, opts...),
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := cdp.Call(ctx, target, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch, WorldName: isolatedWorld})
			return err
		}),
	)
	if !watchdog.Stop() {
		err = fmt.Errorf("no tab within %s (%v)", startTimeout, err)
	}
	if err != nil {
		t.Fatalf("opening a tab: %v\nbrowser output:\n%s", err, tail(b.output.String(), 4000))
	}
	return tb
}

// listen records the console errors of the tab's pages. It runs in the
// tab's event loop: it only records.
func (tb *tab) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			case a.Description != "":
				parts = append(parts, a.Description)
			default:
				parts = append(parts, string(a.Type))
			}
		}
		msg = "console.error: " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry == nil || ev.Entry.Level != cdplog.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("browser log (%s): %s", ev.Entry.Source, ev.Entry.Text)
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	tb.mu.Lock()
	tb.errs = append(tb.errs, msg)
	tb.mu.Unlock()
}

// takeErrors returns the console errors recorded so far and forgets them.
func (tb *tab) takeErrors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	errs := tb.errs
	tb.errs = nil
	return errs
}

// do runs steps within stepTimeout, failing the test with what the tab
// shows when one fails.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	run(tb, what, chromedp.Steps(steps...))
}

// run runs a within stepTimeout and returns its value, failing the test
// with what the tab shows when it fails.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %s", what, tb.explain(err))
	}
	return v
}

// explain adds to err where the tab is and what it shows.
func (tb *tab) explain(err error) string {
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("no result within %s (%v)", stepTimeout, err)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	loc, lerr := chromedp.Run(ctx, chromedp.Location())
	if lerr != nil {
		return msg + "\n(the tab does not answer: " + lerr.Error() + ")"
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return fmt.Sprintf("%s\nthe tab is at %s, showing:\n%s", msg, loc, clip(body, 2000))
}

// open navigates to url, waits for the page to load and checks that it
// answered 200.
func (tb *tab) open(url string) {
	tb.t.Helper()
	resp := run(tb, "open "+url, chromedp.NavigateResponse(url))
	if resp.Status != 200 {
		tb.t.Fatalf("open %s: HTTP %d, want 200\n%s", url, resp.Status, tb.explain(errors.New("not 200")))
	}
}

// submit clicks what sel finds (a form's button or a link), waits for the
// page it leads to and checks that page answered 200.
func submit[S chromedp.Selectable](tb *tab, what string, sel S) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		tb.t.Fatalf("%s: %s", what, tb.explain(err))
	}
	if resp.Status != 200 {
		tb.t.Fatalf("%s: the page after it answered HTTP %d, want 200\n%s", what, resp.Status, tb.explain(errors.New("not 200")))
	}
}

// location returns the tab's address.
func (tb *tab) location() string {
	tb.t.Helper()
	return run(tb, "read the location", chromedp.Location())
}

// text returns the visible text of the first element sel finds.
func text[S chromedp.Selectable](tb *tab, sel S) string {
	tb.t.Helper()
	return run(tb, fmt.Sprintf("read the text of %v", sel), chromedp.Text(sel, chromedp.NodeVisible))
}

// wantText fails the test unless the visible text of sel holds each of
// want.
func wantText[S chromedp.Selectable](tb *tab, sel S, want ...string) string {
	tb.t.Helper()
	got := text(tb, sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			tb.t.Errorf("%v at %s does not show %q; it shows:\n%s", sel, tb.location(), w, clip(got, 3000))
		}
	}
	return got
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
