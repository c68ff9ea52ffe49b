package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

func captureTimes(c *gateway.Capture) []time.Time {
	return []time.Time{c.CreatedAt, c.UpdatedAt, c.CapturedAt}
}

// newAuthorisation returns an authorised payment (MANUAL capture) with
// every field set, the authorisation's included.
func newAuthorisation(clientID, requestID, id string) *gateway.Payment {
	p := newPayment(clientID, requestID, id)
	p.ProductCode, p.Scenario, p.MethodType, p.MethodID = gateway.ProductCashier, "", "CARD", ""
	p.CancelledAt = time.Time{}
	p.Authorization, p.CaptureMode, p.AuthState = true, gateway.CaptureManual, gateway.AuthPartiallyCaptured
	p.AuthExpiresAt = at(7 * 24 * time.Hour)
	p.Captured, p.Capturing = 4000, 1000
	return p
}

// newCapture returns a capture of paymentID with every field set.
func newCapture(clientID, requestID, id, paymentID string, created time.Time) *gateway.Capture {
	return &gateway.Capture{
		ID:            id,
		ClientID:      clientID,
		RequestID:     requestID,
		PaymentID:     paymentID,
		Amount:        gateway.Money{Value: 4000, Currency: "USD"},
		Last:          true,
		Automatic:     true,
		Fingerprint:   "fp-" + requestID,
		Status:        gateway.CaptureSuccess,
		ResultCode:    gateway.CodeSuccess,
		ResultMessage: `captured "ok" — 成功`,
		CreatedAt:     created,
		UpdatedAt:     created.Add(time.Second),
		CapturedAt:    created.Add(time.Second),
	}
}

// testCaptures checks captures as records (the tests payments and
// refunds share), the authorisation fields of payments, the order of a
// payment's captures, and the Service's capture rules over the store: one
// capture for many copies of one request at once, and captures that never
// add up to more than the authorisation.
func testCaptures(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	paymentOf := map[string]string{"client-a": "pay-1", "client-b": "pay-2"}
	captures := record[*gateway.Capture]{
		name: "Capture",
		newStore: func(t *testing.T) gateway.Store {
			s := newStore(t)
			insert(t, s, gateway.Tx.InsertPayment, newAuthorisation("client-a", "req-1", "pay-1"), newAuthorisation("client-b", "req-1", "pay-2"))
			return s
		},
		full: func(clientID, requestID, id string) *gateway.Capture {
			return newCapture(clientID, requestID, id, paymentOf[clientID], at(time.Hour))
		},
		bare: func(clientID, requestID, id string) *gateway.Capture {
			return &gateway.Capture{ID: id, ClientID: clientID, RequestID: requestID, PaymentID: paymentOf[clientID],
				Amount: gateway.Money{Value: 1, Currency: "USD"}, Status: gateway.CaptureProcessing}
		},
		undecided: func(c *gateway.Capture) *gateway.Capture {
			u := *c
			u.Status, u.ResultCode, u.ResultMessage, u.UpdatedAt, u.CapturedAt = gateway.CaptureProcessing, "", "", u.CreatedAt, time.Time{}
			return &u
		},
		times:       captureTimes,
		get:         gateway.Store.Capture,
		byRequestID: gateway.Store.CaptureByRequestID,
		forUpdate:   gateway.Tx.CaptureForUpdate,
		insert:      gateway.Tx.InsertCapture,
		update:      gateway.Tx.UpdateCapture,
	}
	testRecords(t, captures)

	t.Run("AuthorisationFields", func(t *testing.T) {
		// Inserted whole, and every authorisation field an update writes
		// changes; a payment from before authorisations reads back as none.
		s := newStore(t)
		p := newAuthorisation("client-a", "req-1", "pay-1")
		insert(t, s, gateway.Tx.InsertPayment, p)
		wantEqual(t, "authorisation", p, readPayment(t, s, "pay-1"))
		q := *p
		q.AuthState, q.AuthExpiresAt, q.Captured, q.Capturing = gateway.AuthExpired, time.Time{}, 9999, 0
		update(t, s, func(tx gateway.Tx) error { return tx.UpdatePayment(&q) })
		wantEqual(t, "authorisation after an update", &q, readPayment(t, s, "pay-1"))
		plain := newPayment("client-a", "req-2", "pay-2")
		insert(t, s, gateway.Tx.InsertPayment, plain)
		got := readPayment(t, s, "pay-2")
		if got.Authorization || got.CaptureMode != "" || got.AuthState != gateway.AuthNone || !got.AuthExpiresAt.IsZero() || got.Captured != 0 {
			t.Errorf("plain payment reads back with authorisation fields %+v", got)
		}
	})

	t.Run("CapturesOldestFirst", func(t *testing.T) {
		s := captures.newStore(t)
		insert(t, s, gateway.Tx.InsertCapture, newCapture("client-a", "c-3", "cap-3", "pay-1", at(3*time.Hour)))
		insert(t, s, gateway.Tx.InsertCapture, newCapture("client-a", "c-1", "cap-1", "pay-1", at(1*time.Hour)))
		insert(t, s, gateway.Tx.InsertCapture, newCapture("client-b", "c-9", "cap-9", "pay-2", at(2*time.Hour)))
		insert(t, s, gateway.Tx.InsertCapture, newCapture("client-a", "c-2", "cap-2", "pay-1", at(2*time.Hour)))
		got, err := s.Captures(ctx, "pay-1")
		if err != nil {
			t.Fatalf("Captures: %v", err)
		}
		want := []*gateway.Capture{
			newCapture("client-a", "c-1", "cap-1", "pay-1", at(1*time.Hour)),
			newCapture("client-a", "c-2", "cap-2", "pay-1", at(2*time.Hour)),
			newCapture("client-a", "c-3", "cap-3", "pay-1", at(3*time.Hour)),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Captures mismatch (-want +got):\n%s", diff)
		}
		none, err := s.Captures(ctx, "pay-none")
		if err != nil || len(none) != 0 {
			t.Errorf("Captures of a payment without captures = %v, %v, want none, nil", none, err)
		}
	})

	t.Run("InsertCaptureOneWinner", func(t *testing.T) {
		s := captures.newStore(t)
		const tries = 20
		errs := make([]error, tries)
		together(tries, func(i int) {
			c := newCapture("client-a", "c-1", fmt.Sprintf("cap-%02d", i), "pay-1", at(time.Hour))
			errs[i] = s.Update(ctx, func(tx gateway.Tx) error { return tx.InsertCapture(c) })
		})
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			default:
				wantErr(t, fmt.Sprintf("insert %d", i), err, gateway.ErrConflict)
			}
		}
		if all, err := s.Captures(ctx, "pay-1"); won != 1 || err != nil || len(all) != 1 {
			t.Errorf("%d inserts won; Captures = %d, %v; want one", won, len(all), err)
		}
	})

	for _, path := range []struct {
		name string
		proc func(c *clock) gateway.Processor
	}{
		// The fake wallet is not an InstantProcessor: without a Capture
		// method the gateway takes captures in one transaction; with one
		// it records, asks, and records the answer.
		{"InOneTransaction", func(c *clock) gateway.Processor { return fakeProcessor{c} }},
		{"CalledOut", func(c *clock) gateway.Processor { return &captureWallet{fakeProcessor: fakeProcessor{c}} }},
	} {
		t.Run("Service"+path.name, func(t *testing.T) {
			newService := func(t *testing.T) *gateway.Service {
				c := &clock{}
				return &gateway.Service{Store: newStore(t), Processor: path.proc(c), Now: c.Now}
			}
			authorise := func(t *testing.T, svc *gateway.Service, value int64) *gateway.Payment {
				t.Helper()
				res, err := svc.Pay(ctx, gateway.PayInput{ClientID: "client-a", RequestID: "auth", ProductCode: gateway.ProductCashier,
					Amount: gateway.Money{Value: value, Currency: "USD"}, MethodType: "CARD",
					Authorization: true, CaptureMode: gateway.CaptureManual})
				if err != nil || res.Payment.AuthState != gateway.AuthAuthorised {
					t.Fatalf("Pay (authorisation) = %+v, %v; want AUTHORISED", res, err)
				}
				return res.Payment
			}
			capture := func(svc *gateway.Service, requestID, paymentID string, value int64) (*gateway.CaptureResult, error) {
				return svc.Capture(ctx, gateway.CaptureInput{ClientID: "client-a", RequestID: requestID, PaymentID: paymentID,
					Amount: gateway.Money{Value: value, Currency: "USD"}})
			}

			t.Run("ConcurrentDuplicates", func(t *testing.T) {
				svc := newService(t)
				p := authorise(t, svc, 10000)
				const n = 20
				results := make([]*gateway.CaptureResult, n)
				errs := make([]error, n)
				together(n, func(i int) { results[i], errs[i] = capture(svc, "cap", p.ID, 6000) })
				ids := map[string]bool{}
				for i, err := range errs {
					if err != nil {
						t.Errorf("copy %d: %v", i, err)
						continue
					}
					ids[results[i].Capture.ID] = true
				}
				all, err := svc.Store.Captures(ctx, p.ID)
				got := readPayment(t, svc.Store, p.ID)
				if err != nil || len(all) != 1 || len(ids) != 1 || got.Captured+got.Capturing != 6000 {
					t.Errorf("%d copies at once: %d captures stored (%v), answers name %d, captured %d + capturing %d; want one capture of 6000",
						n, len(all), err, len(ids), got.Captured, got.Capturing)
				}
				if w, ok := svc.Processor.(*captureWallet); ok && w.calls.Load() != 1 {
					t.Errorf("the wallet was asked %d times, want once", w.calls.Load())
				}
			})

			t.Run("NeverExceed", func(t *testing.T) {
				svc := newService(t)
				p := authorise(t, svc, 10000)
				const n = 16
				errs := make([]error, n)
				together(n, func(i int) { _, errs[i] = capture(svc, fmt.Sprintf("cap-%d", i), p.ID, 3000) })
				ok := 0
				for i, err := range errs {
					switch k := gateway.KindOf(err); {
					case err == nil:
						ok++
					case k != gateway.KindCaptureExceed:
						t.Errorf("cap-%d: %v, want success or kind %v", i, err, gateway.KindCaptureExceed)
					}
				}
				got := readPayment(t, svc.Store, p.ID)
				if ok != 3 || got.Captured != 9000 || got.Capturing != 0 || got.AuthState != gateway.AuthPartiallyCaptured {
					t.Errorf("%d captures of 3000 succeeded; captured %d, capturing %d, %s; want 3, 9000, 0, PARTIALLY_CAPTURED",
						ok, got.Captured, got.Capturing, got.AuthState)
				}
			})
		})
	}
}

// captureWallet is the fake wallet with captures of its own (taken at
// once), which makes the Service call it out of any transaction.
type captureWallet struct {
	fakeProcessor
	calls atomic.Int64
}

func (w *captureWallet) Capture(context.Context, *gateway.Payment, *gateway.Capture) (gateway.CaptureDecision, error) {
	w.calls.Add(1)
	return gateway.CaptureDecision{Status: gateway.CaptureSuccess}, nil
}

// readPayment reads client-a's payment id from s, failing the test now
// when it cannot.
func readPayment(tb testing.TB, s gateway.Store, id string) *gateway.Payment {
	tb.Helper()
	p, err := s.Payment(context.Background(), "client-a", id)
	return must(tb, "Payment("+id+")", p, err)
}
