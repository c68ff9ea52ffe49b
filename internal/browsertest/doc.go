// Package browsertest is the end-to-end test of what people see: it drives
// the operator's console (/console/) and the wallet user's pages (/wallet/)
// in a real headless Chromium, from Go with chromedp, against an in-process
// test gateway (internal/gatewaytest) on a stopped test clock.
//
// The flows click what a person clicks (Pay and Decline on a checkout page,
// Succeed on a PROCESSING payment, a scenario's Try, the header's clock
// buttons) and check what really happened: the payment's status in the
// gateway, the shop's return page, the notification a merchant received.
// Every page must load without a console error or a Content-Security-Policy
// violation. The browser talks to loopback only (--host-resolver-rules maps
// every other name to nothing).
//
// The package has tests only. They look for Chromium in $ANTOMGW_CHROMIUM,
// else for chromium, chromium-browser or google-chrome on PATH; without one
// they skip (apt-get install chromium), unless ANTOMGW_BROWSER_TESTS=required,
// as CI sets, makes that a failure. They skip under -short.
//
// Every page visited is also captured as a full-page PNG, checked to be an
// image with content, and written to a temporary directory;
//
//	go test ./internal/browsertest -update-screenshots
//
// writes them to docs/img/ instead, under stable names, for the docs. The
// gateway's clock stands at 2026-03-02T09:30:00Z and payment ids come from a
// seeded generator, so an image changes only when its page does, except
// for what no test controls: the loopback ports in the payment and
// request pages, the checkout link's token in the OrderCode's QR code, and
// the fresh payment code of the wallet home.
package browsertest
