package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

// newSession returns a payment session with every field set, so that a
// round trip that drops one is seen.
func newSession(clientID, requestID, id string, created time.Duration) *gateway.PaymentSession {
	return &gateway.PaymentSession{
		ID:               id,
		ClientID:         clientID,
		RequestID:        requestID,
		ProductCode:      gateway.ProductCashier,
		ProductScene:     gateway.SceneCheckout,
		Amount:           gateway.Money{Value: 12345, Currency: "SGD"},
		ReferenceID:      "order-" + requestID,
		OrderDescription: `a "gift" — 礼物`,
		NotifyURL:        "https://merchant.example/notify",
		RedirectURL:      "https://merchant.example/return?o=" + requestID,
		IsAuthorization:  true,
		CaptureMode:      "MANUAL",
		Methods:          []string{"CARD", "ALIPAY_CN"},
		TerminalType:     gateway.TerminalWap,
		UserRegion:       "SG",
		Data:             "c2Vzc2lvbg==&&SG&&111",
		URL:              "https://gateway.example/wallet/session/" + id + "/token",
		Fingerprint:      "fp-" + requestID,
		CreatedAt:        at(created),
		ExpiresAt:        at(created + time.Hour),
	}
}

// sessionConsulter is fakeProcessor offering one method, ALIPAY_CN, for
// any amount.
type sessionConsulter struct{ fakeProcessor }

func (sessionConsulter) PaymentOptions(context.Context, gateway.ConsultInput) ([]gateway.PaymentOption, error) {
	return []gateway.PaymentOption{{MethodType: "ALIPAY_CN", Category: "WALLET", Enabled: true, Logo: "ALIPAY_CN"}}, nil
}

// testSessions checks the payment sessions: insert once per id and per
// (client, paymentRequestId), reads scoped by client, the listing, and
// CreateSession's idempotency over the store, also under concurrency.
func testSessions(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		full := newSession("client-a", "req-1", "ses-1", 0)
		bare := &gateway.PaymentSession{ID: "ses-2", ClientID: "client-a", RequestID: "req-2",
			Amount: gateway.Money{Value: 1, Currency: "JPY"}, CreatedAt: at(time.Second), ExpiresAt: at(time.Hour)}
		for _, ps := range []*gateway.PaymentSession{full, bare} {
			if err := s.InsertSession(ctx, ps); err != nil {
				t.Fatalf("InsertSession(%s): %v", ps.ID, err)
			}
		}
		for _, want := range []*gateway.PaymentSession{full, bare} {
			got, err := s.SessionByRequestID(ctx, want.ClientID, want.RequestID)
			got = must(t, "SessionByRequestID", got, err)
			wantEqual(t, "session "+want.ID, want, got)
			sameTimes(t, "session "+want.ID, []time.Time{got.CreatedAt, got.ExpiresAt}, []time.Time{want.CreatedAt, want.ExpiresAt})
			list := listSessions(t, s, gateway.SessionFilter{ID: want.ID})
			if len(list) != 1 {
				t.Fatalf("Sessions(ID %s) = %d sessions, want 1", want.ID, len(list))
			}
			wantEqual(t, "listed session "+want.ID, want, list[0])
		}
	})

	t.Run("ClaimsIDAndRequestID", func(t *testing.T) {
		s := newStore(t)
		if err := s.InsertSession(ctx, newSession("client-a", "req-1", "ses-1", 0)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "InsertSession of a taken (client, request id)",
			s.InsertSession(ctx, newSession("client-a", "req-1", "ses-2", time.Second)), gateway.ErrConflict)
		wantErr(t, "InsertSession of a taken session id",
			s.InsertSession(ctx, newSession("client-b", "req-9", "ses-1", time.Second)), gateway.ErrConflict)
		// Another client's request id is its own.
		if err := s.InsertSession(ctx, newSession("client-b", "req-1", "ses-3", time.Second)); err != nil {
			t.Fatalf("InsertSession of another client's req-1: %v", err)
		}
		got, err := s.SessionByRequestID(ctx, "client-a", "req-1")
		if got = must(t, "SessionByRequestID", got, err); got.ID != "ses-1" {
			t.Errorf("client-a's req-1 is %s, want ses-1 (the first insert)", got.ID)
		}
		_, err = s.SessionByRequestID(ctx, "client-c", "req-1")
		wantErr(t, "SessionByRequestID of a client without it", err, gateway.ErrNotFound)
		wantEqual(t, "Sessions of client-z", []string(nil),
			idsOf(listSessions(t, s, gateway.SessionFilter{ClientID: "client-z"}), sessionID))
	})

	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		for _, ps := range []*gateway.PaymentSession{
			newSession("client-a", "r1", "ses-1", 1*time.Minute),
			newSession("client-b", "r1", "ses-2", 2*time.Minute),
			newSession("client-a", "r2", "ses-3", 3*time.Minute),
			newSession("client-a", "r3", "ses-4", 3*time.Minute), // same time as ses-3
			newSession("client-b", "r2", "ses-5", 5*time.Minute),
		} {
			if err := s.InsertSession(ctx, ps); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name string
			f    gateway.SessionFilter
			want []string
		}{
			{"All", gateway.SessionFilter{}, []string{"ses-5", "ses-4", "ses-3", "ses-2", "ses-1"}},
			{"Client", gateway.SessionFilter{ClientID: "client-a"}, []string{"ses-4", "ses-3", "ses-1"}},
			{"RequestID", gateway.SessionFilter{RequestID: "r1"}, []string{"ses-2", "ses-1"}},
			{"ClientAndID", gateway.SessionFilter{ClientID: "client-b", ID: "ses-1"}, nil},
			{"Limit", gateway.SessionFilter{Limit: 2}, []string{"ses-5", "ses-4"}},
			{"AfterTie", gateway.SessionFilter{After: &gateway.PaymentCursor{CreatedAt: at(3 * time.Minute), ID: "ses-4"}}, []string{"ses-3", "ses-2", "ses-1"}},
			{"AfterWithClient", gateway.SessionFilter{ClientID: "client-a", After: &gateway.PaymentCursor{CreatedAt: at(3 * time.Minute), ID: "ses-3"}}, []string{"ses-1"}},
		} {
			got := idsOf(listSessions(t, s, c.f), sessionID)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s: Sessions(%+v) mismatch (-want +got):\n%s", c.name, c.f, diff)
			}
		}
	})

	t.Run("CreateSessionOnce", func(t *testing.T) {
		// Sessions created at once with one paymentRequestId: one is
		// stored, every caller gets it, none fails.
		c := &clock{}
		svc := &gateway.Service{Store: newStore(t), Processor: sessionConsulter{fakeProcessor{c}}, Now: c.Now}
		in := gateway.SessionInput{ClientID: "client-a", RequestID: "req-1", ProductCode: gateway.ProductCashier,
			Amount: gateway.Money{Value: 1000, Currency: "USD"}, NotifyURL: "https://merchant.example/notify"}
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				r, err := svc.CreateSession(ctx, in)
				errs[i] = err
				if err == nil && r.Session != nil {
					ids[i] = r.Session.ID
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] == "" || ids[i] != ids[0] {
				t.Errorf("caller %d: session %q, error %v; want the one session %s", i, ids[i], errs[i], ids[0])
			}
		}
		if list := listSessions(t, svc.Store, gateway.SessionFilter{}); len(list) != 1 {
			t.Errorf("%d sessions stored, want 1", len(list))
		}

		// The buyer pays: the payment exists; the session is completed; a
		// new createPaymentSession with the id is refused.
		r, err := svc.PaySession(ctx, gateway.SessionPayInput{SessionID: ids[0], MethodType: "ALIPAY_CN", Outcome: gateway.ResolveSuccess})
		if err != nil || r.Payment == nil || r.Payment.Status != gateway.PaymentSuccess || r.State != gateway.SessionCompleted {
			t.Fatalf("PaySession = %+v, %v; want a SUCCESS payment and a COMPLETED session", r, err)
		}
		_, err = svc.CreateSession(ctx, in)
		if gateway.KindOf(err) != gateway.KindInvalidTransition {
			t.Errorf("CreateSession after the payment: %v, want kind %v", err, gateway.KindInvalidTransition)
		}
		got, err := svc.RetrieveSession(ctx, "client-a", "req-1")
		if got = must(t, "RetrieveSession", got, err); got.Payment == nil || got.Payment.ID != r.Payment.ID || got.Session.ID != ids[0] {
			t.Errorf("RetrieveSession = %+v, want session %s with payment %s", got, ids[0], r.Payment.ID)
		}
	})
}

func sessionID(s *gateway.PaymentSession) string { return s.ID }

// listSessions lists the sessions f selects and fails the test on an
// error.
func listSessions(tb testing.TB, s gateway.Store, f gateway.SessionFilter) []*gateway.PaymentSession {
	tb.Helper()
	list, err := s.Sessions(context.Background(), f)
	return must(tb, fmt.Sprintf("Sessions(%+v)", f), list, err)
}
