package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"time"
)

// SessionExpiry is how long a payment session lives when the request sets
// no paymentSessionExpiryTime, and the longest it may live.
const SessionExpiry = time.Hour

// Product scenes of a payment session (productScene).
const (
	SceneCheckout = "CHECKOUT_PAYMENT" // Antom's hosted checkout page
	SceneElement  = "ELEMENT_PAYMENT"  // the merchant's page with Antom's elements
)

// PaymentSession is a checkout session (createPaymentSession): what the
// buyer is asked to pay and where the checkout page is. It is written once
// and never changes; the payment it leads to is the client's payment with
// the same paymentRequestId, created when the buyer submits the checkout
// page. Times are UTC, to the millisecond.
type PaymentSession struct {
	ID           string // paymentSessionId, assigned by the gateway
	ClientID     string
	RequestID    string // paymentRequestId of the payment to come
	ProductCode  string // CASHIER_PAYMENT
	ProductScene string // SceneCheckout, SceneElement or empty
	Amount       Money
	ReferenceID  string // order.referenceOrderId
	// OrderDescription is order.orderDescription, shown on the page.
	OrderDescription string
	NotifyURL        string // paymentNotifyUrl of the request, else the client's
	RedirectURL      string // paymentRedirectUrl
	// IsAuthorization and CaptureMode are paymentFactor's: the payment is
	// an authorisation, captured AUTOMATIC or MANUAL (CaptureMode is
	// recorded as CheckAuthorization normalises it).
	IsAuthorization bool
	CaptureMode     string
	// Methods are the paymentMethodTypes the buyer may choose from, in
	// order (availablePaymentMethod, or paymentMethod); empty: every
	// method the processor offers.
	Methods []string
	// TerminalType (WEB, WAP, APP, MINI_APP) and UserRegion decide the
	// methods offered, as for consult.
	TerminalType string
	UserRegion   string
	// Data is paymentSessionData, what the merchant hands its front end.
	Data string
	// URL is normalUrl, the checkout page (Service.SessionURL).
	URL string
	// Fingerprint is a digest of the key fields (product code, amount,
	// currency, authorisation); a repeated request with another is
	// REPEAT_REQ_INCONSISTENT.
	Fingerprint string
	CreatedAt   time.Time
	ExpiresAt   time.Time // paymentSessionExpiryTime
}

// Expired reports whether the session's time is up at now.
func (s *PaymentSession) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// SessionState is the state of a payment session.
type SessionState string

// Session states.
const (
	// SessionActive: the checkout page waits for the buyer.
	SessionActive SessionState = "ACTIVE"
	// SessionExpired: the session's time ran out before the buyer
	// submitted; no payment exists.
	SessionExpired SessionState = "EXPIRED"
	// SessionCompleted: the buyer submitted; the payment exists (its state
	// is the payment's).
	SessionCompleted SessionState = "COMPLETED"
)

// SessionFilter selects payment sessions to list. Every zero field selects
// everything.
type SessionFilter struct {
	ClientID  string
	ID        string // paymentSessionId
	RequestID string // paymentRequestId
	// After continues a listing after this session (the last of the
	// previous page), in the newest-first order of CreatedAt, then ID.
	After *PaymentCursor
	// Limit is the most sessions returned. Defaults to 50.
	Limit int
}

// SessionStore keeps payment sessions. A session is written once.
type SessionStore interface {
	// InsertSession stores s, claiming its ID and (ClientID, RequestID) in
	// one atomic statement; ErrConflict when either is taken.
	InsertSession(ctx context.Context, s *PaymentSession) error
	// SessionByRequestID returns a client's session by paymentRequestId.
	SessionByRequestID(ctx context.Context, clientID, requestID string) (*PaymentSession, error)
	// Sessions lists the sessions the filter selects, newest first (by
	// CreatedAt, then ID), at most f.Limit (0: 50), starting after f.After
	// when it is set.
	Sessions(ctx context.Context, f SessionFilter) ([]*PaymentSession, error)
}

// SessionInput is a validated createPaymentSession request.
type SessionInput struct {
	ClientID         string
	RequestID        string
	ProductCode      string
	ProductScene     string
	Amount           Money
	ReferenceID      string
	OrderDescription string
	NotifyURL        string
	RedirectURL      string
	IsAuthorization  bool
	CaptureMode      string
	Methods          []string
	TerminalType     string // defaults to WEB
	UserRegion       string
	// ExpiresAt is paymentSessionExpiryTime; zero: SessionExpiry after
	// now. It must be after now and at most SessionExpiry after it.
	ExpiresAt time.Time
	// Rules are the client's scenario rules for createPaymentSession
	// (Keys.ScenarioRules); the first that matches is claimed when a new
	// session is about to be created, after the gateway's own checks (a
	// repeat that finds the session of an earlier request fires none).
	Rules []ScenarioRule
}

// SessionResult is a payment session with what became of it.
type SessionResult struct {
	// Session is the session; nil when nothing was created (Closed,
	// NoOptions).
	Session *PaymentSession
	// Payment is the client's payment with the session's paymentRequestId:
	// nil until the buyer submits the checkout page.
	Payment *Payment
	// State is the session's state now.
	State SessionState
	// Existing: CreateSession found the session of an earlier request with
	// the same paymentRequestId and key fields, and returns it again.
	Existing bool
	// Closed: the paymentRequestId's session expired unpaid; nothing was
	// created (ORDER_IS_CLOSED: use a new paymentRequestId).
	Closed bool
	// NoOptions: no payment method can pay the amount; nothing was created
	// (NO_PAY_OPTIONS).
	NoOptions bool
	// Throttled: PaySession's payment was refused for now (the simulated
	// wallet's 9910); nothing was created, and the buyer may submit again.
	Throttled bool
	// Fired is the scenario rule that shaped a CreateSession. A result
	// rule answering F or U leaves Session nil: nothing was created, and
	// the answer is the rule's code.
	Fired *Fired
}

// sessionFingerprint is the digest of a session's key fields: product
// code, amount and currency, and for an authorisation its capture mode.
func sessionFingerprint(in *SessionInput) string {
	fields := []string{"session", in.ProductCode, strconv.FormatInt(in.Amount.Value, 10), in.Amount.Currency}
	if in.IsAuthorization {
		fields = append(fields, "authorization", in.CaptureMode)
	}
	return fingerprint(fields...)
}

// sessionState is the state of sess with payment p at now.
func sessionState(sess *PaymentSession, p *Payment, now time.Time) SessionState {
	switch {
	case p != nil:
		return SessionCompleted
	case sess.Expired(now):
		return SessionExpired
	}
	return SessionActive
}

// CreateSession creates a payment session (createPaymentSession), once per
// (client, paymentRequestId): the same request again returns the session
// of the first (Existing) while it lives; with another amount, currency or
// product code it is KindIdempotencyMismatch. A paymentRequestId whose
// payment is final, or used by a payment that no session started, is
// KindInvalidTransition (ORDER_STATUS_INVALID); one whose session expired
// unpaid is Closed. When no payment method can pay the amount nothing is
// created (NoOptions). The payment itself is created when the buyer submits
// the checkout page (PaySession).
func (s *Service) CreateSession(ctx context.Context, in SessionInput) (*SessionResult, error) {
	if in.Amount.Value <= 0 {
		return nil, Invalid("paymentAmount.value", "paymentAmount.value must be a positive integer in minor units")
	}
	if in.TerminalType == "" {
		in.TerminalType = TerminalWeb
	}
	mode, err := CheckAuthorization(in.ProductCode, in.IsAuthorization, in.CaptureMode)
	if err != nil {
		return nil, err
	}
	in.CaptureMode = mode
	fp := sessionFingerprint(&in)
	var fired *Fired
	claimed := false
	for range 3 { // a lost race for the request id is retried as a duplicate
		now := s.now()
		existing, err := s.Store.SessionByRequestID(ctx, in.ClientID, in.RequestID)
		if err == nil {
			r, err := s.repeatedSession(ctx, existing, fp, now)
			if r != nil {
				r.Fired = fired // a rule claimed by this call before it lost the race
			}
			return r, err
		} else if !errors.Is(err, ErrNotFound) {
			return nil, storeError(err)
		}
		if p, err := s.Store.PaymentByRequestID(ctx, in.ClientID, in.RequestID); err == nil {
			return nil, Errorf(KindInvalidTransition, "paymentRequestId %s is used by payment %s (%s); use a new paymentRequestId", in.RequestID, p.ID, p.Status)
		} else if !errors.Is(err, ErrNotFound) {
			return nil, storeError(err)
		}
		expires := in.ExpiresAt
		if expires.IsZero() {
			expires = now.Add(SessionExpiry)
		} else if !expires.After(now) || expires.After(now.Add(SessionExpiry)) {
			// Checked after the duplicate lookup: a retry of a request
			// whose expiry has passed since gets that request's session.
			return nil, Invalid("paymentSessionExpiryTime", "paymentSessionExpiryTime must be after the request and at most 1 hour after it")
		}
		sess := &PaymentSession{
			ID: s.newID(now), ClientID: in.ClientID, RequestID: in.RequestID,
			ProductCode: in.ProductCode, ProductScene: in.ProductScene, Amount: in.Amount,
			ReferenceID: in.ReferenceID, OrderDescription: in.OrderDescription,
			NotifyURL: in.NotifyURL, RedirectURL: in.RedirectURL,
			IsAuthorization: in.IsAuthorization, CaptureMode: in.CaptureMode,
			Methods: slices.Clone(in.Methods), TerminalType: in.TerminalType, UserRegion: in.UserRegion,
			Fingerprint: fp, CreatedAt: now, ExpiresAt: expires.UTC().Truncate(time.Millisecond),
		}
		opts, err := s.SessionOptions(ctx, sess)
		if err != nil {
			return nil, err
		}
		if len(enabledOnly(opts)) == 0 {
			return &SessionResult{NoOptions: true}, nil
		}
		if !claimed {
			// A session is written alone (no transaction to claim in):
			// the rule is claimed first, in a transaction of its own.
			claimed = true
			amount := in.Amount
			if fired, err = s.FireScenario(ctx, in.Rules, ScenarioCall{API: ScenarioCreateSession, Ref: in.RequestID,
				Amount: &amount, ProductCode: in.ProductCode}); err != nil {
				return nil, err
			}
			if e := fired; e != nil && e.Effect.Kind == EffectResult && e.Effect.ResultStatus != "S" {
				// F or U: nothing is created; the same request sent
				// again is decided anew.
				return &SessionResult{Fired: fired}, nil
			}
		}
		data, err := sessionData(sess.ID)
		if err != nil {
			return nil, &Error{Kind: KindInternal, Message: "session data", Err: err}
		}
		sess.Data, sess.URL = data, s.sessionURL(sess)
		err = s.Store.InsertSession(ctx, sess)
		if errors.Is(err, ErrConflict) {
			continue // another request took the id first: answer as its duplicate
		}
		if err != nil {
			return nil, storeError(err)
		}
		return &SessionResult{Session: sess, State: SessionActive, Fired: fired}, nil
	}
	return nil, &Error{Kind: KindInternal, Message: "payment session id claimed but not found"}
}

// repeatedSession answers a createPaymentSession whose paymentRequestId has
// a session already.
func (s *Service) repeatedSession(ctx context.Context, sess *PaymentSession, fp string, now time.Time) (*SessionResult, error) {
	p, err := s.Store.PaymentByRequestID(ctx, sess.ClientID, sess.RequestID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, storeError(err)
	}
	if p != nil && p.Status.Final() {
		return nil, Errorf(KindInvalidTransition, "the payment of paymentRequestId %s is %s already; use a new paymentRequestId", sess.RequestID, p.Status)
	}
	if sess.Fingerprint != fp {
		return nil, &Error{Kind: KindIdempotencyMismatch, Message: "paymentRequestId " + sess.RequestID +
			" was used for a payment session with a different amount, currency or product; use a new paymentRequestId"}
	}
	if p == nil && sess.Expired(now) {
		return &SessionResult{Closed: true}, nil
	}
	return &SessionResult{Session: sess, Payment: p, State: sessionState(sess, p, now), Existing: true}, nil
}

// sessionData is a new paymentSessionData: opaque to the merchant, in the
// shape of Antom's samples (base64 text, then "&&<region>&&<number>").
func sessionData(id string) (string, error) {
	b := make([]byte, 24, 24+len(id))
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(append(b, id...)) + "&&SG&&111", nil
}

func (s *Service) sessionURL(sess *PaymentSession) string {
	if s.SessionURL != nil {
		return s.SessionURL(sess)
	}
	return "https://wallet.antomgw.invalid/session/" + sess.ID
}

func enabledOnly(opts []PaymentOption) []PaymentOption {
	r := ConsultResult{Options: opts}
	return r.Enabled()
}

// SessionOptions returns the payment methods a session's checkout page
// offers, enabled or not: consult's options for the session's amount,
// terminal and region, limited to the session's Methods (in their order)
// when it has any.
func (s *Service) SessionOptions(ctx context.Context, sess *PaymentSession) ([]PaymentOption, error) {
	terminal := sess.TerminalType
	if terminal == "" {
		terminal = TerminalWeb
	}
	r, err := s.Consult(ctx, ConsultInput{ClientID: sess.ClientID, Amount: sess.Amount,
		TerminalType: terminal, UserRegion: sess.UserRegion, Methods: sess.Methods})
	if err != nil {
		return nil, err
	}
	if len(sess.Methods) == 0 {
		return r.Options, nil
	}
	out := make([]PaymentOption, 0, len(r.Options))
	for _, m := range sess.Methods {
		for _, o := range r.Options {
			if o.MethodType == m {
				out = append(out, o)
				break
			}
		}
	}
	return out, nil
}

// RetrieveSession returns a client's payment session by paymentRequestId
// (retrievePaymentSession), with its payment once the buyer submitted;
// KindNotFound when the client has no session with that id.
func (s *Service) RetrieveSession(ctx context.Context, clientID, requestID string) (*SessionResult, error) {
	if requestID == "" {
		return nil, Invalid("paymentRequestId", "paymentRequestId is required")
	}
	sess, err := s.Store.SessionByRequestID(ctx, clientID, requestID)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "no payment session with paymentRequestId %s", requestID)
	}
	if err != nil {
		return nil, storeError(err)
	}
	return s.withPayment(ctx, sess)
}

// withPayment returns sess with its payment and state.
func (s *Service) withPayment(ctx context.Context, sess *PaymentSession) (*SessionResult, error) {
	p, err := s.Store.PaymentByRequestID(ctx, sess.ClientID, sess.RequestID)
	if errors.Is(err, ErrNotFound) {
		p, err = nil, nil
	}
	if err != nil {
		return nil, storeError(err)
	}
	return &SessionResult{Session: sess, Payment: p, State: sessionState(sess, p, s.now())}, nil
}

// FindSession returns a payment session by paymentSessionId, of any client
// when clientID is empty (the wallet's checkout page), with its payment.
func (s *Service) FindSession(ctx context.Context, clientID, sessionID string) (*SessionResult, error) {
	if sessionID == "" {
		return nil, Invalid("paymentSessionId", "paymentSessionId is required")
	}
	list, err := s.Store.Sessions(ctx, SessionFilter{ClientID: clientID, ID: sessionID, Limit: 1})
	if err != nil {
		return nil, storeError(err)
	}
	if len(list) == 0 {
		return nil, Errorf(KindNotFound, "no payment session %s", sessionID)
	}
	return s.withPayment(ctx, list[0])
}

// SessionPage is one page of a session listing.
type SessionPage struct {
	Sessions []*SessionResult
	// Next continues the listing; nil on the last page.
	Next *PaymentCursor
}

// Sessions lists the payment sessions f selects, newest first, a page at a
// time, each with its payment.
func (s *Service) Sessions(ctx context.Context, f SessionFilter) (*SessionPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	want := f.Limit
	f.Limit++ // one more says whether there is a next page
	list, err := s.Store.Sessions(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	page := &SessionPage{}
	if len(list) > want {
		list = list[:want]
		last := list[want-1]
		page.Next = &PaymentCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	for _, sess := range list {
		r, err := s.withPayment(ctx, sess)
		if err != nil {
			return nil, err
		}
		page.Sessions = append(page.Sessions, r)
	}
	return page, nil
}

// SessionPayInput is the buyer's decision on a session's checkout page.
type SessionPayInput struct {
	ClientID  string // the session's client; empty: any
	SessionID string
	// MethodType is the paymentMethodType the buyer chose; it must be an
	// enabled option of the session.
	MethodType string
	// Outcome is ResolveSuccess (the buyer pays) or ResolveFail (the buyer
	// declines, with Code and Message as the payment's result).
	Outcome       ResolveOutcome
	Code, Message string
}

// PaySession carries out the buyer's decision on a session's checkout
// page: it creates the session's payment (a CASHIER_PAYMENT with the
// chosen method, through Pay, so idempotent on the paymentRequestId), and
// notifyPayment follows. To pay, the processor decides the payment; one it
// leaves PROCESSING is then decided as the buyer did (ResolvePayment),
// while one it decides at once (the simulator's failing amounts) keeps
// that decision. A decline creates the payment failed with the buyer's
// Code, without asking the processor.
// A session that has a payment already gets it back unchanged, unless it
// is still PROCESSING (a submit interrupted half-way): then it is decided.
// An expired session without a payment creates nothing (State
// SessionExpired).
func (s *Service) PaySession(ctx context.Context, in SessionPayInput) (*SessionResult, error) {
	if in.Outcome != ResolveSuccess && in.Outcome != ResolveFail {
		return nil, Invalid("action", "the buyer's decision %q is not success or fail", in.Outcome)
	}
	res, err := s.FindSession(ctx, in.ClientID, in.SessionID)
	if err != nil {
		return nil, err
	}
	sess := res.Session
	if res.Payment == nil {
		if res.State == SessionExpired {
			return res, nil
		}
		opts, err := s.SessionOptions(ctx, sess)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(opts, func(o PaymentOption) bool { return o.Enabled && o.MethodType == in.MethodType }) {
			return nil, Invalid("paymentMethodType", "payment method %q is not offered for this session", in.MethodType)
		}
		pay := PayInput{
			ClientID: sess.ClientID, RequestID: sess.RequestID, ProductCode: ProductCashier,
			Amount: sess.Amount, MethodType: in.MethodType, NotifyURL: sess.NotifyURL,
			RedirectURL: sess.RedirectURL, ReferenceID: sess.ReferenceID,
			Authorization: sess.IsAuthorization, CaptureMode: sess.CaptureMode,
		}
		svc := s
		if in.Outcome == ResolveFail {
			// The buyer declined before the wallet was asked: the payment
			// is created failed, whatever the wallet would have decided.
			d := *s
			d.Processor = decliner{code: in.Code, message: in.Message}
			svc = &d
		}
		pr, err := svc.Pay(ctx, pay)
		if KindOf(err) == KindIdempotencyMismatch {
			// Another tab of the same checkout paid at the same moment,
			// with another method: the session is paid; show that payment.
			p, ferr := s.FindPayment(ctx, PaymentRef{ClientID: sess.ClientID, RequestID: sess.RequestID})
			if ferr != nil {
				return nil, err
			}
			pr, err = &PayResult{Payment: p}, nil
		}
		if err != nil {
			return nil, err
		}
		if pr.Throttled {
			res.Throttled = true
			return res, nil
		}
		res.Payment = pr.Payment
	}
	if p := res.Payment; p.Status == PaymentProcessing {
		done, err := s.ResolvePayment(ctx, PaymentRef{PaymentID: p.ID, ClientID: p.ClientID}, in.Outcome, in.Code, in.Message)
		switch {
		case err == nil:
			res.Payment = done
		case KindOf(err) == KindInvalidTransition:
			// Decided meanwhile (by the simulator, a cancel or another
			// submit): it stays as it is.
			if res.Payment, err = s.Store.Payment(ctx, p.ClientID, p.ID); err != nil {
				return nil, storeError(err)
			}
		default:
			return nil, err
		}
	}
	res.State = sessionState(sess, res.Payment, s.now())
	return res, nil
}

// decliner is the processor of a payment the buyer declined on a
// session's checkout page: it admits it and fails it at once with the
// buyer's reason, in the transaction that creates it.
type decliner struct{ code, message string }

func (decliner) Admit(context.Context, *Payment) (bool, error) { return true, nil }

func (d decliner) Authorize(context.Context, *Payment) (Decision, error) {
	code := d.code
	if code == "" {
		code = DefaultFailCode
	}
	return Decision{Status: PaymentFail, Code: code, Message: d.message}, nil
}

func (decliner) Refund(context.Context, *Payment, *Refund) (RefundDecision, error) {
	return RefundDecision{}, errors.New("a declined payment has nothing to refund")
}

func (decliner) Instant() bool { return true }
