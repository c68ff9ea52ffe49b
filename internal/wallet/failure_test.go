package wallet_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/gatewaytest"
)

// failingStore fails Payments while fail is set.
type failingStore struct {
	gateway.Store
	fail *atomic.Bool
}

func (s failingStore) Payments(ctx context.Context, f gateway.PaymentFilter) ([]*gateway.Payment, error) {
	if s.fail.Load() {
		return nil, errors.New("disk on fire")
	}
	return s.Store.Payments(ctx, f)
}

// TestStoreFailure: an error of the gateway is a generic 500 page; its
// cause goes to the log, not to the user.
func TestStoreFailure(t *testing.T) {
	var fail atomic.Bool
	e := newEnv(t, gatewaytest.WithStore(func(s gateway.Store) gateway.Store { return failingStore{s, &fail} }))
	var logBuf gatewaytest.Buffer
	e.pages.Log = slog.New(slog.NewTextHandler(&logBuf, nil))
	id, link := e.cashier(t, "FAILING_1")
	fail.Store(true)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := e.do(t, method, link, payForm, nil)
		if r.Status != http.StatusInternalServerError || !strings.Contains(r.Body, "Something went wrong") ||
			strings.Contains(r.Body, "disk on fire") {
			t.Errorf("%s with a failing store: %d, want the generic 500 page\n%s", method, r.Status, r.Body)
		}
	}
	if !strings.Contains(logBuf.String(), "disk on fire") {
		t.Errorf("the log does not have the cause:\n%s", logBuf.String())
	}
	fail.Store(false)
	e.wantStatus(t, id, gateway.PaymentProcessing, "")
}
