package gatewaytest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// AdvancePerRequest starts a second server for the gateway's API and
// returns its base URL. Before it serves each request, that server moves
// the gateway's clock forward by d and carries out what became due, as
// Advance does. It is for a client that waits on its own real timers
// between requests (the SDK's ResolvePayment, antomgw call --resolve): the
// simulated wallet's delays then pass poll by poll, in the gateway's clock,
// instead of in real time. Requests sent to URL do not move the clock. A
// failure of what became due fails the test when it ends. The server is
// closed when the test ends.
func (g *Gateway) AdvancePerRequest(tb testing.TB, d time.Duration) string {
	tb.Helper()
	var (
		mu   sync.Mutex
		errs []error
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.advanceDue(context.WithoutCancel(r.Context()), d); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		g.node.API.ServeHTTP(w, r)
	}))
	tb.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if err := errors.Join(errs...); err != nil {
			tb.Errorf("gatewaytest: AdvancePerRequest: %v", err)
		}
	})
	return srv.URL
}

// advanceDue is Advance for a goroutine that cannot fail the test.
func (g *Gateway) advanceDue(ctx context.Context, d time.Duration) error {
	g.clock.Advance(d)
	if _, err := g.node.Service.RunJobs(ctx, 1000); err != nil {
		return err
	}
	_, err := g.node.Notifier.DeliverDue(ctx)
	return err
}
