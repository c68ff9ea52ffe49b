package gateway

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario rules: error scenario simulation on demand. A rule says, for one
// client and one API, what the next matching call (or the next N, or every
// one until the rule is removed) does instead of what the simulated wallet
// would decide: answer a given result code, answer late, lose its answer,
// answer with an HTTP 5xx; or, for notifications, fail the next deliveries.
// Rules live in the store (every node sees them; writes move the registry
// version, so a running server sees a new rule with its next request) and
// are claimed in the transaction of the state change they shape, so a
// single-use rule fires once whatever the number of nodes, and an
// idempotent replay, which changes nothing, never fires one.

// ScenarioAPI names what a rule applies to: an Antom API, or the
// notifications of the client (APINotify).
type ScenarioAPI string

// The APIs a rule can apply to.
const (
	ScenarioPay             ScenarioAPI = "pay"
	ScenarioInquiryPayment  ScenarioAPI = "inquiryPayment"
	ScenarioCancel          ScenarioAPI = "cancel"
	ScenarioRefund          ScenarioAPI = "refund"
	ScenarioInquiryRefund   ScenarioAPI = "inquiryRefund"
	ScenarioCapture         ScenarioAPI = "capture"
	ScenarioConsult         ScenarioAPI = "consult"
	ScenarioCreateSession   ScenarioAPI = "createPaymentSession"
	ScenarioRetrieveSession ScenarioAPI = "retrievePaymentSession"
	ScenarioNotify          ScenarioAPI = "notify"
)

// ScenarioAPIs lists the APIs a rule can name, in the order help shows them.
var ScenarioAPIs = []ScenarioAPI{ScenarioPay, ScenarioInquiryPayment, ScenarioCancel, ScenarioRefund, ScenarioInquiryRefund,
	ScenarioCapture, ScenarioConsult, ScenarioCreateSession, ScenarioRetrieveSession, ScenarioNotify}

// EffectKind is what a rule does.
type EffectKind string

// Effect kinds.
const (
	// EffectResult answers Effect.ResultCode with Effect.ResultStatus; the
	// state follows the answer (see docs/simulator.md).
	EffectResult EffectKind = "result"
	// EffectDelay answers Effect.Delay late, after the state change is
	// committed.
	EffectDelay EffectKind = "delay"
	// EffectDrop closes the connection without an answer, after the state
	// change is committed.
	EffectDrop EffectKind = "drop"
	// EffectHTTP5xx answers the signed body with HTTP status
	// Effect.HTTPStatus (500–599).
	EffectHTTP5xx EffectKind = "http5xx"
	// EffectNotifyFail fails deliveries of the client's notifications
	// with HTTP status Effect.NotifyStatus, or a timeout.
	EffectNotifyFail EffectKind = "notify-fail"
)

// ScenarioMatch narrows a rule to some calls; empty fields match anything.
type ScenarioMatch struct {
	Amount   *int64 `json:"amount,omitempty"` // minor units (pay, refund, capture, consult, createPaymentSession)
	Currency string `json:"currency,omitempty"`
	// RequestID is a path.Match glob on the call's request id
	// (paymentRequestId, refundRequestId, captureRequestId; the
	// paymentRequestId of createPaymentSession and
	// retrievePaymentSession) or, for the inquiries and cancel, on the
	// paymentId or refundId asked about. consult has none (it is matched
	// as the empty string).
	RequestID   string `json:"requestId,omitempty"`
	ProductCode string `json:"productCode,omitempty"` // pay
	Scenario    string `json:"scenario,omitempty"`    // pay: inStorePaymentScenario
}

// ScenarioEffect is what a rule does when it fires.
type ScenarioEffect struct {
	Kind EffectKind `json:"kind"`
	// ResultCode and ResultStatus ("S", "F" or "U", from the code
	// catalogue) for EffectResult.
	ResultCode   string `json:"resultCode,omitempty"`
	ResultStatus string `json:"resultStatus,omitempty"`
	// ResultMessage is the answer's resultMessage (and the record's), the
	// catalogue's message by default.
	ResultMessage string `json:"resultMessage,omitempty"`
	// Then, for a U pay, refund or capture: what the PROCESSING record becomes
	// ThenAfter later: ThenSuccess, "fail:CODE" or ThenNever.
	Then      string        `json:"then,omitempty"`
	ThenAfter time.Duration `json:"thenAfter,omitempty"`
	// Delay for EffectDelay.
	Delay time.Duration `json:"delay,omitempty"`
	// HTTPStatus for EffectHTTP5xx.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// NotifyStatus (an HTTP status) or NotifyTimeout for EffectNotifyFail.
	NotifyStatus  int  `json:"notifyStatus,omitempty"`
	NotifyTimeout bool `json:"notifyTimeout,omitempty"`
}

// Then values.
const (
	ThenSuccess = "success"
	ThenNever   = "never"
)

// DefaultThenAfter is how long a U answered by a rule stays PROCESSING
// before Then applies, when the rule says nothing.
const DefaultThenAfter = 5 * time.Second

// ScenarioRule is one rule.
type ScenarioRule struct {
	ID       string
	ClientID string
	API      ScenarioAPI
	Match    ScenarioMatch
	// Count is how many calls the rule shapes (0: every one until it is
	// removed); Fired how many it has shaped. A rule with Count > 0 and
	// Fired == Count is exhausted: it stays listed, and never fires again.
	Count     int
	Fired     int
	Effect    ScenarioEffect
	CreatedAt time.Time
}

// Exhausted reports whether the rule will not fire again.
func (r *ScenarioRule) Exhausted() bool { return r.Count > 0 && r.Fired >= r.Count }

// Remaining is how many calls the rule still shapes; -1: until removed.
func (r *ScenarioRule) Remaining() int {
	if r.Count == 0 {
		return -1
	}
	return max(r.Count-r.Fired, 0)
}

// ScenarioFiring records that a rule shaped one call.
type ScenarioFiring struct {
	RuleID   string
	ClientID string
	API      ScenarioAPI
	// Ref is what the call named: its request id (paymentRequestId,
	// refundRequestId), the paymentId or refundId asked about, or the
	// notification id.
	Ref string
	At  time.Time
}

// ScenarioStore keeps the rules. Adding and removing a rule moves the
// registry version, so that Keys (the registry snapshot every request
// reads) carries the client's live rules; claiming goes through Tx.
type ScenarioStore interface {
	// AddScenarioRule stores r; ErrNotFound for an unknown client,
	// ErrConflict when the id is taken.
	AddScenarioRule(ctx context.Context, r *ScenarioRule) error
	// ScenarioRules lists the rules of a client (every client's when
	// clientID is empty), exhausted ones included, oldest first.
	ScenarioRules(ctx context.Context, clientID string) ([]ScenarioRule, error)
	// RemoveScenarioRule deletes a rule (its firings stay); ErrNotFound
	// when there is none with that id.
	RemoveScenarioRule(ctx context.Context, id string) error
	// ScenarioFirings lists the firings of a client's rules (every
	// client's when clientID is empty), newest first, at most limit (0:
	// 100).
	ScenarioFirings(ctx context.Context, clientID string, limit int) ([]ScenarioFiring, error)
}

// ScenarioTx is the rule side of a Store transaction.
type ScenarioTx interface {
	// ClaimScenarioRule counts one firing of rule f.RuleID and records f,
	// when the rule still exists and is not exhausted; it reports whether
	// it did. The count and the check are one statement: of concurrent
	// claims on a rule with one firing left, exactly one succeeds. A claim
	// that exhausts a rule moves the registry version.
	ClaimScenarioRule(f *ScenarioFiring) (bool, error)
}

// ScenarioCall is what a call offers a rule's match.
type ScenarioCall struct {
	API         ScenarioAPI
	Ref         string // the request id (pay, refund, capture, sessions) or the id asked about
	Amount      *Money
	ProductCode string
	Scenario    string
}

// Matches reports whether the rule applies to the call (exhausted or not).
func (r *ScenarioRule) Matches(c ScenarioCall) bool {
	if r.API != c.API {
		return false
	}
	m := r.Match
	if m.Amount != nil && (c.Amount == nil || c.Amount.Value != *m.Amount) {
		return false
	}
	if m.Currency != "" && (c.Amount == nil || !strings.EqualFold(c.Amount.Currency, m.Currency)) {
		return false
	}
	if m.RequestID != "" {
		if ok, err := path.Match(m.RequestID, c.Ref); err != nil || !ok {
			return false
		}
	}
	if m.ProductCode != "" && m.ProductCode != c.ProductCode {
		return false
	}
	return m.Scenario == "" || m.Scenario == c.Scenario
}

// Fired is a rule that shaped a call: the use cases return it with their
// result, and the edge applies the effects that concern the answer
// (delay, drop, HTTP 5xx).
type Fired struct {
	RuleID string
	Effect ScenarioEffect
}

// Describe says in a few words what the effect does ("F
// USER_AMOUNT_EXCEED_LIMIT", "drop", "delay 2s", "HTTP 503").
func (e ScenarioEffect) Describe() string {
	switch e.Kind {
	case EffectResult:
		s := e.ResultStatus + " " + e.ResultCode
		if e.ResultStatus == "U" && e.Then != "" {
			s += ", then " + e.Then
			if e.Then != ThenNever {
				s += " after " + orDefault(e.ThenAfter, DefaultThenAfter).String()
			}
		}
		return s
	case EffectDelay:
		return "delay " + e.Delay.String()
	case EffectDrop:
		return "drop the answer"
	case EffectHTTP5xx:
		return "HTTP " + strconv.Itoa(e.HTTPStatus)
	case EffectNotifyFail:
		if e.NotifyTimeout {
			return "notification delivery times out"
		}
		return "notification delivery answers HTTP " + strconv.Itoa(e.NotifyStatus)
	}
	return string(e.Kind)
}

// CheckScenarioRule checks a rule before it is stored: a known API, an
// effect that fits it, a well-formed match. Errors are KindInvalid and
// name the field (as the CLI spells it). The result status must be filled
// in by the caller from the code catalogue (wire.LookupCode), which the
// core does not import.
func CheckScenarioRule(r *ScenarioRule) error {
	if r.ClientID == "" {
		return Invalid("client-id", "a rule needs a client id")
	}
	if !slices.Contains(ScenarioAPIs, r.API) {
		return Invalid("api", "api %q is not one of %s", r.API, joinAPIs())
	}
	if r.Count < 0 {
		return Invalid("count", "count must be 0 (until removed) or more")
	}
	if r.Match.RequestID != "" {
		if _, err := path.Match(r.Match.RequestID, ""); err != nil {
			return Invalid("request-id", "request id pattern %q is not a valid glob: %v", r.Match.RequestID, err)
		}
	}
	e := &r.Effect
	notify := r.API == ScenarioNotify
	if notify != (e.Kind == EffectNotifyFail) {
		return Invalid("api", "notify-fail is the one effect of api notify, and api notify has no other")
	}
	switch e.Kind {
	case EffectResult:
		if e.ResultCode == "" {
			return Invalid("result-code", "a result rule needs a result code")
		}
		switch e.ResultStatus {
		case "S", "F":
			if e.Then != "" {
				return Invalid("then", "then is for a U result code; %s is %s", e.ResultCode, e.ResultStatus)
			}
		case "U":
			if e.Then == "" {
				e.Then = ThenSuccess
			}
			if _, _, err := ParseThen(e.Then); err != nil {
				return err
			}
		default:
			return Invalid("result-code", "result code %s has no status S, F or U", e.ResultCode)
		}
	case EffectDelay:
		if e.Delay <= 0 || e.Delay > 10*time.Minute {
			return Invalid("delay", "delay must be more than 0 and at most 10m")
		}
	case EffectDrop:
	case EffectHTTP5xx:
		if e.HTTPStatus < 500 || e.HTTPStatus > 599 {
			return Invalid("http-status", "http status %d is not a 5xx status (500–599)", e.HTTPStatus)
		}
	case EffectNotifyFail:
		if e.NotifyTimeout == (e.NotifyStatus != 0) {
			return Invalid("notify-fail", "notify-fail needs an HTTP status or timeout, not both")
		}
		if !e.NotifyTimeout && (e.NotifyStatus < 100 || e.NotifyStatus > 599 || e.NotifyStatus/100 == 2) {
			return Invalid("notify-fail", "notify-fail status %d is not an HTTP status other than 2xx", e.NotifyStatus)
		}
	default:
		return Invalid("effect", "effect %q is not result, delay, drop, http5xx or notify-fail", e.Kind)
	}
	return nil
}

func joinAPIs() string {
	names := make([]string, len(ScenarioAPIs))
	for i, a := range ScenarioAPIs {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// ParseThen reads a Then value: success, never, or fail:CODE. It returns
// the status the record becomes (empty for never) and the code.
func ParseThen(then string) (PaymentStatus, string, error) {
	switch {
	case then == ThenSuccess:
		return PaymentSuccess, CodeSuccess, nil
	case then == ThenNever:
		return "", "", nil
	case strings.HasPrefix(then, "fail:") && len(then) > len("fail:"):
		return PaymentFail, strings.TrimPrefix(then, "fail:"), nil
	}
	return "", "", Invalid("then", "then %q is not success, never or fail:CODE", then)
}

// AddScenarioRule checks and stores a rule, giving it an id and a creation
// time.
func (s *Service) AddScenarioRule(ctx context.Context, r ScenarioRule) (*ScenarioRule, error) {
	defer s.registryWritten()
	if err := CheckScenarioRule(&r); err != nil {
		return nil, err
	}
	st, ok := s.Store.(ScenarioStore)
	if !ok {
		return nil, Errorf(KindInternal, "this store keeps no scenario rules")
	}
	now := s.now()
	r.ID, r.CreatedAt, r.Fired = "sr_"+s.newID(now), now, 0
	if err := st.AddScenarioRule(ctx, &r); err != nil {
		if errNotFound(err) {
			return nil, Invalid("client-id", "client %s is not registered", r.ClientID)
		}
		return nil, storeError(err)
	}
	return &r, nil
}

// ScenarioRules lists the rules of a client (every client's when clientID
// is empty).
func (s *Service) ScenarioRules(ctx context.Context, clientID string) ([]ScenarioRule, error) {
	st, ok := s.Store.(ScenarioStore)
	if !ok {
		return nil, nil
	}
	rs, err := st.ScenarioRules(ctx, clientID)
	return rs, storeErrorOrNil(err)
}

// RemoveScenarioRule removes a rule.
func (s *Service) RemoveScenarioRule(ctx context.Context, id string) error {
	defer s.registryWritten()
	st, ok := s.Store.(ScenarioStore)
	if !ok {
		return Errorf(KindNotFound, "no scenario rule %s", id)
	}
	if err := st.RemoveScenarioRule(ctx, id); err != nil {
		if errNotFound(err) {
			return Errorf(KindNotFound, "no scenario rule %s", id)
		}
		return storeError(err)
	}
	return nil
}

// ScenarioFirings lists recent firings (see ScenarioStore).
func (s *Service) ScenarioFirings(ctx context.Context, clientID string, limit int) ([]ScenarioFiring, error) {
	st, ok := s.Store.(ScenarioStore)
	if !ok {
		return nil, nil
	}
	fs, err := st.ScenarioFirings(ctx, clientID, limit)
	return fs, storeErrorOrNil(err)
}

func storeErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return storeError(err)
}

// claimRule claims, inside tx, the first of rules that matches call and is
// not exhausted; nil when none does. rules are the candidates the caller
// took from the registry snapshot (Keys.ScenarioRules): without any, the
// store is not asked.
func claimRule(tx Tx, rules []ScenarioRule, call ScenarioCall, now time.Time) (*Fired, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	st, ok := tx.(ScenarioTx)
	if !ok {
		return nil, nil
	}
	for i := range rules {
		r := &rules[i]
		if r.Exhausted() || !r.Matches(call) {
			continue
		}
		claimed, err := st.ClaimScenarioRule(&ScenarioFiring{RuleID: r.ID, ClientID: r.ClientID, API: call.API, Ref: call.Ref, At: now})
		if err != nil {
			return nil, err
		}
		if claimed {
			return &Fired{RuleID: r.ID, Effect: r.Effect}, nil
		}
	}
	return nil, nil
}

// FireScenario claims a rule for a call that changes no state of its own
// (an inquiry, a cancel answered by a rule), in a transaction of its own.
func (s *Service) FireScenario(ctx context.Context, rules []ScenarioRule, call ScenarioCall) (*Fired, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	var fired *Fired
	err := s.Store.Update(ctx, func(tx Tx) error {
		f, err := claimRule(tx, rules, call, s.now())
		fired = f
		return err
	})
	if err != nil {
		return nil, storeError(err)
	}
	return fired, nil
}

// requestLevelCodes are the F codes Antom answers before any record
// exists: a rule answering one of them records nothing (the request may be
// sent again and is decided anew).
var requestLevelCodes = map[string]bool{
	"ACCESS_DENIED": true, "INVALID_API": true, "INVALID_CLIENT": true, "INVALID_CLIENT_STATUS": true,
	"UNKNOWN_CLIENT": true, "CLIENT_FORBIDDEN_ACCESS_API": true, "INVALID_SIGNATURE": true,
	"KEY_NOT_FOUND": true, "NO_INTERFACE_DEF": true, "MEDIA_TYPE_NOT_ACCEPTABLE": true,
	"METHOD_NOT_SUPPORTED": true, "PARAM_ILLEGAL": true, "INVALID_ACCESS_TOKEN": true,
	"REPEAT_REQ_INCONSISTENT": true, "SYSTEM_ERROR": true, "ORDER_NOT_EXIST": true,
	"REQUEST_TRAFFIC_EXCEED_LIMIT": true, "CURRENCY_NOT_SUPPORT": true,
	"MERCHANT_NOT_REGISTERED": true, "INVALID_MERCHANT_STATUS": true, "INVALID_CONTRACT": true,
}

// RecordsNothing reports whether a rule answering code creates no record
// (no payment, no refund): a request-level code (signature, client,
// parameters, traffic), answered before Antom creates anything.
func RecordsNothing(code string) bool { return requestLevelCodes[code] }

// ruleDecision turns a result rule into the decision for a new payment
// (ok false: the rule creates no payment). now is the decision time.
func ruleDecision(e ScenarioEffect, now time.Time) (dec Decision, ok bool) {
	if RecordsNothing(e.ResultCode) {
		return Decision{}, false
	}
	switch e.ResultStatus {
	case "S":
		return Decision{Status: PaymentSuccess}, true
	case "F":
		return Decision{Status: PaymentFail, Code: e.ResultCode, Message: e.message()}, true
	}
	dec = Decision{Status: PaymentProcessing, Code: e.ResultCode, Message: e.message()}
	if to, code, _ := ParseThen(e.Then); to != "" {
		dec.Later = &Later{At: now.Add(orDefault(e.ThenAfter, DefaultThenAfter)), Status: to, Code: code}
		if to == PaymentFail {
			dec.Later.Message = "settled by scenario rule"
		}
	}
	return dec, true
}

// message is the rule's result message, or a default naming the rule.
func (e ScenarioEffect) message() string {
	if e.ResultMessage != "" {
		return e.ResultMessage
	}
	return "Answered by a scenario rule."
}

func errNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// describeFired is for logs.
func (f *Fired) String() string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf("%s (%s)", f.RuleID, f.Effect.Describe())
}

// FailNotificationByRule records, when one of rules (the client's notify
// rules, Keys.ScenarioRules) matches n and can be claimed, a failed
// attempt of n as the rule says (an HTTP status or a timeout), without
// sending anything, in one transaction with the claim; it reports whether
// a rule fired. The notification then moves on like after any failed
// attempt (its next attempt by schedule, or given up).
func FailNotificationByRule(ctx context.Context, st Transactor, rules []ScenarioRule, n Notification, at time.Time, schedule RetrySchedule) (*Attempt, *Notification, bool, error) {
	if len(rules) == 0 {
		return nil, nil, false, nil
	}
	if len(schedule) == 0 {
		schedule = AntomSchedule
	}
	var out *Notification
	var att *Attempt
	err := st.Update(ctx, func(tx Tx) error {
		out, att = nil, nil
		f, err := claimRule(tx, rules, ScenarioCall{API: ScenarioNotify, Ref: n.ID}, at)
		if err != nil || f == nil {
			return err
		}
		cur, err := tx.NotificationForUpdate(n.ID)
		if err != nil {
			return err
		}
		a := Attempt{NotificationID: n.ID, At: at, Outcome: OutcomeHTTPStatus, HTTPStatus: f.Effect.NotifyStatus,
			Error: fmt.Sprintf("not sent: scenario rule %s: %s", f.RuleID, f.Effect.Describe())}
		if f.Effect.NotifyTimeout {
			a.Outcome, a.HTTPStatus = OutcomeTimeout, 0
		}
		cur.record(&a, schedule)
		if err := tx.InsertAttempt(&a); err != nil {
			return err
		}
		out, att = cur, &a
		return tx.UpdateNotification(cur)
	})
	if err != nil {
		return nil, nil, false, err
	}
	return att, out, att != nil, nil
}
