package gateway

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// Every status, and two that are not (PENDING, which Antom lists and the
// gateway never uses, and the empty status).
var (
	testPaymentStatuses = []PaymentStatus{PaymentProcessing, PaymentSuccess, PaymentFail, PaymentCancelled, "PENDING", ""}
	testRefundStatuses  = []RefundStatus{RefundProcessing, RefundSuccess, RefundFail, "PENDING", ""}
)

func TestPaymentTransitionTable(t *testing.T) {
	want := map[PaymentStatus][]PaymentStatus{
		PaymentProcessing: {PaymentSuccess, PaymentFail, PaymentCancelled},
		PaymentSuccess:    {PaymentCancelled},
	}
	got := PaymentTransitions()
	if !equalTables(got, want) {
		t.Fatalf("PaymentTransitions() = %v, want %v", got, want)
	}
	// Nothing leads back to PROCESSING, and FAIL and CANCELLED are dead
	// ends: a payment that failed or was cancelled never comes back.
	for from, tos := range got {
		if slices.Contains(tos, PaymentProcessing) {
			t.Errorf("%s → PROCESSING is allowed, want no way back to PROCESSING", from)
		}
	}
	for _, s := range []PaymentStatus{PaymentFail, PaymentCancelled} {
		if len(got[s]) != 0 {
			t.Errorf("%s → %v is allowed, want %s final", s, got[s], s)
		}
	}
	// Final: no move out except a cancel.
	for _, s := range testPaymentStatuses[:4] {
		wantFinal := true
		for _, to := range got[s] {
			if to != PaymentCancelled {
				wantFinal = false
			}
		}
		if s.Final() != wantFinal {
			t.Errorf("%s.Final() = %v, want %v", s, s.Final(), wantFinal)
		}
	}
}

func TestRefundTransitionTable(t *testing.T) {
	want := map[RefundStatus][]RefundStatus{
		RefundProcessing: {RefundSuccess, RefundFail},
	}
	if got := RefundTransitions(); !equalTables(got, want) {
		t.Fatalf("RefundTransitions() = %v, want %v", got, want)
	}
}

// TestPaymentMoves tries every pair of statuses: a pair in the table moves
// the payment and stamps it; every other pair is refused with
// ErrInvalidTransition and leaves the payment exactly as it was.
func TestPaymentMoves(t *testing.T) {
	table := PaymentTransitions()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := created.Add(time.Minute)
	for _, from := range testPaymentStatuses {
		for _, to := range testPaymentStatuses {
			allowed := slices.Contains(table[from], to)
			if got := from.CanMove(to); got != allowed {
				t.Errorf("%q.CanMove(%q) = %v, want %v", from, to, got, allowed)
			}
			p := &Payment{ID: "P1", Status: from, ResultCode: "OLD", ResultMessage: "old", CreatedAt: created, UpdatedAt: created}
			before := *p
			err := p.move(to, "NEW", "new", now)
			if !allowed {
				if !errors.Is(err, ErrInvalidTransition) {
					t.Errorf("move %q → %q: err = %v, want ErrInvalidTransition", from, to, err)
				}
				if *p != before {
					t.Errorf("refused move %q → %q changed the payment: %+v, want %+v", from, to, *p, before)
				}
				continue
			}
			if err != nil {
				t.Errorf("move %q → %q: %v, want it allowed", from, to, err)
				continue
			}
			if p.Status != to || p.ResultCode != "NEW" || p.ResultMessage != "new" || !p.UpdatedAt.Equal(now) {
				t.Errorf("move %q → %q: payment %+v, want status %s, code NEW, updated %v", from, to, *p, to, now)
			}
			if (to == PaymentSuccess) != !p.PaidAt.IsZero() {
				t.Errorf("move %q → %q: PaidAt = %v, want it set exactly on SUCCESS", from, to, p.PaidAt)
			}
			if (to == PaymentCancelled) != !p.CancelledAt.IsZero() {
				t.Errorf("move %q → %q: CancelledAt = %v, want it set exactly on CANCELLED", from, to, p.CancelledAt)
			}
		}
	}
}

// TestPaymentCancelKeepsPaidAt: a cancelled SUCCESS payment keeps the time
// it was paid (the cancel window is measured from it).
func TestPaymentCancelKeepsPaidAt(t *testing.T) {
	paid := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &Payment{ID: "P1", Status: PaymentSuccess, PaidAt: paid}
	if err := p.move(PaymentCancelled, CodeOrderCancelled, "cancelled", paid.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !p.PaidAt.Equal(paid) || !p.CancelledAt.Equal(paid.Add(time.Hour)) {
		t.Errorf("PaidAt %v, CancelledAt %v; want %v and an hour later", p.PaidAt, p.CancelledAt, paid)
	}
}

func TestRefundMoves(t *testing.T) {
	table := RefundTransitions()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := created.Add(time.Minute)
	for _, from := range testRefundStatuses {
		for _, to := range testRefundStatuses {
			allowed := slices.Contains(table[from], to)
			if got := from.CanMove(to); got != allowed {
				t.Errorf("%q.CanMove(%q) = %v, want %v", from, to, got, allowed)
			}
			r := &Refund{ID: "R1", Status: from, ResultCode: "OLD", CreatedAt: created, UpdatedAt: created}
			before := *r
			err := r.move(to, "NEW", "new", now)
			if !allowed {
				if !errors.Is(err, ErrInvalidTransition) {
					t.Errorf("move %q → %q: err = %v, want ErrInvalidTransition", from, to, err)
				}
				if *r != before {
					t.Errorf("refused move %q → %q changed the refund: %+v, want %+v", from, to, *r, before)
				}
				continue
			}
			if err != nil {
				t.Errorf("move %q → %q: %v, want it allowed", from, to, err)
				continue
			}
			if r.Status != to || r.ResultCode != "NEW" || !r.UpdatedAt.Equal(now) {
				t.Errorf("move %q → %q: refund %+v, want status %s, code NEW, updated %v", from, to, *r, to, now)
			}
			if (to == RefundSuccess) != !r.RefundedAt.IsZero() {
				t.Errorf("move %q → %q: RefundedAt = %v, want it set exactly on SUCCESS", from, to, r.RefundedAt)
			}
		}
	}
}

// TestTransitionsAreCopies: changing what PaymentTransitions or
// RefundTransitions returned does not change the rules.
func TestTransitionsAreCopies(t *testing.T) {
	pt := PaymentTransitions()
	pt[PaymentFail] = []PaymentStatus{PaymentSuccess}
	pt[PaymentProcessing][0] = PaymentFail
	if PaymentFail.CanMove(PaymentSuccess) || !PaymentProcessing.CanMove(PaymentSuccess) {
		t.Error("changing PaymentTransitions' result changed the payment rules")
	}
	rt := RefundTransitions()
	rt[RefundSuccess] = []RefundStatus{RefundFail}
	rt[RefundProcessing][0] = RefundFail
	if RefundSuccess.CanMove(RefundFail) || !RefundProcessing.CanMove(RefundSuccess) {
		t.Error("changing RefundTransitions' result changed the refund rules")
	}
}

// equalTables compares transition tables as sets of edges.
func equalTables[S ~string](a, b map[S][]S) bool {
	edges := func(m map[S][]S) []string {
		var out []string
		for from, tos := range m {
			for _, to := range tos {
				out = append(out, string(from)+"→"+string(to))
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(edges(a), edges(b))
}

func TestAuthTransitionTable(t *testing.T) {
	want := map[AuthState][]AuthState{
		AuthAuthorised:        {AuthPartiallyCaptured, AuthCaptured, AuthVoided, AuthExpired},
		AuthPartiallyCaptured: {AuthPartiallyCaptured, AuthCaptured, AuthExpired},
	}
	got := AuthTransitions()
	if !equalTables(got, want) {
		t.Fatalf("AuthTransitions() = %v, want %v", got, want)
	}
	// Nothing leads back to AUTHORISED; a capture never voids; the final
	// states are dead ends.
	for from, tos := range got {
		if slices.Contains(tos, AuthAuthorised) {
			t.Errorf("%s → AUTHORISED is allowed, want no way back", from)
		}
	}
	if AuthPartiallyCaptured.CanMove(AuthVoided) {
		t.Error("PARTIALLY_CAPTURED → VOIDED is allowed, want a captured authorisation never voided")
	}
	for _, s := range []AuthState{AuthCaptured, AuthVoided, AuthExpired, AuthNone} {
		if len(got[s]) != 0 || s.Open() {
			t.Errorf("%q → %v is allowed (open %v), want %q final", s, got[s], s.Open(), s)
		}
	}
}

// TestAuthMoves tries every pair of authorisation states: a pair in the
// table moves the payment; every other pair is refused with
// ErrInvalidTransition and leaves the payment as it was.
func TestAuthMoves(t *testing.T) {
	states := []AuthState{AuthNone, AuthAuthorised, AuthPartiallyCaptured, AuthCaptured, AuthVoided, AuthExpired, "PENDING"}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, from := range states {
		for _, to := range states {
			allowed := slices.Contains(AuthTransitions()[from], to)
			p := &Payment{ID: "P1", AuthState: from}
			before := *p
			err := p.authMove(to, now)
			switch {
			case allowed && (err != nil || p.AuthState != to || !p.UpdatedAt.Equal(now)):
				t.Errorf("authMove %q → %q = %v, state %q; want it allowed", from, to, err, p.AuthState)
			case !allowed && (!errors.Is(err, ErrInvalidTransition) || *p != before):
				t.Errorf("authMove %q → %q = %v, payment %+v; want ErrInvalidTransition, unchanged", from, to, err, *p)
			}
		}
	}
}

func TestCaptureTransitions(t *testing.T) {
	want := map[CaptureStatus][]CaptureStatus{CaptureProcessing: {CaptureSuccess, CaptureFail}}
	if got := CaptureTransitions(); !equalTables(got, want) {
		t.Fatalf("CaptureTransitions() = %v, want %v", got, want)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, from := range []CaptureStatus{CaptureProcessing, CaptureSuccess, CaptureFail, ""} {
		for _, to := range []CaptureStatus{CaptureProcessing, CaptureSuccess, CaptureFail, ""} {
			c := &Capture{ID: "C1", Status: from}
			before := *c
			err := c.move(to, "NEW", "new", now)
			if !from.CanMove(to) {
				if !errors.Is(err, ErrInvalidTransition) || *c != before {
					t.Errorf("move %q → %q = %v, capture %+v; want ErrInvalidTransition, unchanged", from, to, err, *c)
				}
				continue
			}
			if err != nil || c.Status != to || (to == CaptureSuccess) != !c.CapturedAt.IsZero() {
				t.Errorf("move %q → %q = %v, capture %+v; want it allowed, CapturedAt set exactly on SUCCESS", from, to, err, *c)
			}
		}
	}
}

// TestRefundableAndCapturable: only captured money is refundable on an
// authorisation; only an open one is capturable.
func TestRefundableAndCapturable(t *testing.T) {
	plain := &Payment{Amount: Money{Value: 1000}, Refunded: 300}
	auth := &Payment{Amount: Money{Value: 1000}, Authorization: true, AuthState: AuthPartiallyCaptured, Captured: 400, Capturing: 100, Refunded: 150}
	if got := plain.Refundable(); got != 700 {
		t.Errorf("plain Refundable = %d, want 700", got)
	}
	if got := auth.Refundable(); got != 250 {
		t.Errorf("authorisation Refundable = %d, want 250 (captured less refunded)", got)
	}
	if got := auth.Capturable(); got != 500 {
		t.Errorf("Capturable = %d, want 500 (authorised less captured and capturing)", got)
	}
	auth.AuthState = AuthExpired
	if got := auth.Capturable(); got != 0 {
		t.Errorf("Capturable of an expired authorisation = %d, want 0", got)
	}
}
