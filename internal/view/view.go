// Package view is the operator's view of the gateway's records: structs
// with stable JSON field names, built from the core's types, shared by the
// command line's --json output and the console. Field names are a contract:
// scripts read them, so they change only by addition.
package view

import (
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

// Amount is an amount in minor units of a currency.
type Amount struct {
	Value    int64  `json:"value"`
	Currency string `json:"currency"`
}

func amount(m gateway.Money) Amount { return Amount{m.Value, m.Currency} }

// Payment is a payment.
type Payment struct {
	PaymentID        string    `json:"paymentId"`
	ClientID         string    `json:"clientId"`
	PaymentRequestID string    `json:"paymentRequestId"`
	ProductCode      string    `json:"productCode"`
	Scenario         string    `json:"scenario,omitempty"`
	Amount           Amount    `json:"amount"`
	PaymentMethod    string    `json:"paymentMethodType,omitempty"`
	ReferenceOrderID string    `json:"referenceOrderId,omitempty"`
	Status           string    `json:"status"`
	ResultCode       string    `json:"resultCode,omitempty"`
	ResultMessage    string    `json:"resultMessage,omitempty"`
	Refunded         int64     `json:"refunded"`
	NotifyURL        string    `json:"notifyUrl,omitempty"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	ExpiresAt        time.Time `json:"expiresAt,omitzero"`
	PaidAt           time.Time `json:"paidAt,omitzero"`
	CancelledAt      time.Time `json:"cancelledAt,omitzero"`
	// Authorization is set for a card authorisation (isAuthorization).
	Authorization *Authorization `json:"authorization,omitempty"`
}

// Authorization is where a payment's authorisation stands: its capture
// mode, state, expiry and what was captured (minor units).
type Authorization struct {
	CaptureMode string    `json:"captureMode"`
	State       string    `json:"state,omitempty"`
	ExpiresAt   time.Time `json:"authExpiryTime,omitzero"`
	Captured    int64     `json:"captured"`
	Capturing   int64     `json:"capturing"`
}

// Capture is one capture of an authorisation.
type Capture struct {
	CaptureID        string    `json:"captureId"`
	CaptureRequestID string    `json:"captureRequestId"`
	Amount           Amount    `json:"amount"`
	Status           string    `json:"status"`
	ResultCode       string    `json:"resultCode,omitempty"`
	Last             bool      `json:"isLastCapture"`
	Automatic        bool      `json:"automatic"`
	CreatedAt        time.Time `json:"createdAt"`
	CapturedAt       time.Time `json:"capturedAt,omitzero"`
}

// NewPayment returns the view of p.
func NewPayment(p *gateway.Payment) Payment {
	return Payment{PaymentID: p.ID, ClientID: p.ClientID, PaymentRequestID: p.RequestID, ProductCode: p.ProductCode,
		Scenario: p.Scenario, Amount: amount(p.Amount), PaymentMethod: p.MethodType,
		ReferenceOrderID: p.ReferenceID, Status: string(p.Status), ResultCode: p.ResultCode, ResultMessage: p.ResultMessage,
		Refunded: p.Refunded, NotifyURL: p.NotifyURL, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		ExpiresAt: p.ExpiresAt, PaidAt: p.PaidAt, CancelledAt: p.CancelledAt, Authorization: newAuthorization(p)}
}

func newAuthorization(p *gateway.Payment) *Authorization {
	if !p.Authorization {
		return nil
	}
	return &Authorization{CaptureMode: p.CaptureMode, State: string(p.AuthState), ExpiresAt: p.AuthExpiresAt,
		Captured: p.Captured, Capturing: p.Capturing}
}

// PaymentPage is one page of a payment listing.
type PaymentPage struct {
	Payments []Payment `json:"payments"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// NewPaymentPage returns the view of a page.
func NewPaymentPage(page *gateway.PaymentPage) PaymentPage {
	out := PaymentPage{Payments: make([]Payment, 0, len(page.Payments))}
	for _, p := range page.Payments {
		out.Payments = append(out.Payments, NewPayment(p))
	}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
	}
	return out
}

// Refund is a refund.
type Refund struct {
	RefundID        string    `json:"refundId"`
	RefundRequestID string    `json:"refundRequestId"`
	Amount          Amount    `json:"amount"`
	Status          string    `json:"status"`
	ResultCode      string    `json:"resultCode,omitempty"`
	Async           bool      `json:"async"`
	CreatedAt       time.Time `json:"createdAt"`
	RefundedAt      time.Time `json:"refundedAt,omitzero"`
}

// Attempt is one delivery attempt of a notification.
type Attempt struct {
	Number     int       `json:"number"`
	At         time.Time `json:"at"`
	DurationMs int64     `json:"durationMs"`
	Outcome    string    `json:"outcome"`
	HTTPStatus int       `json:"httpStatus,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// Notification is a notification with its attempts.
type Notification struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	PaymentID   string    `json:"paymentId"`
	RefundID    string    `json:"refundId,omitempty"`
	URL         string    `json:"url"`
	State       string    `json:"state"`
	DueAt       time.Time `json:"dueAt"`
	DeliveredAt time.Time `json:"deliveredAt,omitzero"`
	GivenUpAt   time.Time `json:"givenUpAt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	Attempts    []Attempt `json:"attempts"`
}

// NewNotification returns the view of n and its attempts.
func NewNotification(n *gateway.Notification, attempts []gateway.Attempt) Notification {
	v := Notification{ID: n.ID, Kind: string(n.Kind), PaymentID: n.PaymentID, RefundID: n.RefundID, URL: n.URL,
		State: string(n.State()), DueAt: n.DueAt, DeliveredAt: n.DeliveredAt, GivenUpAt: n.GivenUpAt,
		LastError: n.LastError, Attempts: make([]Attempt, 0, len(attempts))}
	for _, a := range attempts {
		v.Attempts = append(v.Attempts, Attempt{Number: a.Number, At: a.At, DurationMs: a.Duration.Milliseconds(),
			Outcome: string(a.Outcome), HTTPStatus: a.HTTPStatus, Error: a.Error})
	}
	return v
}

// PaymentDetail is a payment with everything that happened to it.
type PaymentDetail struct {
	Payment       Payment        `json:"payment"`
	Refunds       []Refund       `json:"refunds"`
	Captures      []Capture      `json:"captures"`
	Notifications []Notification `json:"notifications"`
}

// NewPaymentDetail returns the view of d.
func NewPaymentDetail(d *gateway.PaymentDetail) PaymentDetail {
	out := PaymentDetail{Payment: NewPayment(d.Payment), Refunds: []Refund{}, Captures: []Capture{}, Notifications: []Notification{}}
	for _, c := range d.Captures {
		out.Captures = append(out.Captures, Capture{CaptureID: c.ID, CaptureRequestID: c.RequestID, Amount: amount(c.Amount),
			Status: string(c.Status), ResultCode: c.ResultCode, Last: c.Last, Automatic: c.Automatic, CreatedAt: c.CreatedAt, CapturedAt: c.CapturedAt})
	}
	for _, r := range d.Refunds {
		out.Refunds = append(out.Refunds, Refund{RefundID: r.ID, RefundRequestID: r.RequestID, Amount: amount(r.Amount),
			Status: string(r.Status), ResultCode: r.ResultCode, Async: r.Async, CreatedAt: r.CreatedAt, RefundedAt: r.RefundedAt})
	}
	for i := range d.Notifications {
		nd := &d.Notifications[i]
		out.Notifications = append(out.Notifications, NewNotification(&nd.Notification, nd.Attempts))
	}
	return out
}

// ClientKey is one version of a client's public key.
type ClientKey struct {
	Version     int       `json:"version"`
	State       string    `json:"state"` // active or retired
	Fingerprint string    `json:"fingerprint"`
	CreatedAt   time.Time `json:"createdAt"`
	RetiredAt   time.Time `json:"retiredAt,omitzero"`
}

// Client is a registered client with its keys.
type Client struct {
	ClientID  string `json:"clientId"`
	NotifyURL string `json:"notifyUrl"`
	Encrypted bool   `json:"encrypted"`
	// GatewayKeyVersion is the gateway key version the client is pinned
	// to; 0: the active version.
	GatewayKeyVersion int         `json:"gatewayKeyVersion"`
	CreatedAt         time.Time   `json:"createdAt"`
	Keys              []ClientKey `json:"keys"`
}

// NewClient returns the view of c.
func NewClient(c *gateway.Client) Client {
	v := Client{ClientID: c.ID, NotifyURL: c.NotifyURL, Encrypted: c.Encrypted, GatewayKeyVersion: c.GatewayKeyVersion,
		CreatedAt: c.CreatedAt, Keys: make([]ClientKey, 0, len(c.Keys))}
	for _, k := range c.Keys {
		kv := ClientKey{Version: k.Version, State: "active", Fingerprint: "?", CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}
		if !k.Active() {
			kv.State = "retired"
		}
		if pub, err := gateway.ParsePublicKeyDER(k.PublicKey); err == nil {
			kv.Fingerprint = wire.Fingerprint(pub)
		}
		v.Keys = append(v.Keys, kv)
	}
	return v
}

// GatewayKey is one version of the gateway's key: never its private half.
type GatewayKey struct {
	Version       int       `json:"version"`
	State         string    `json:"state"` // published, active or retired
	Fingerprint   string    `json:"fingerprint"`
	CreatedAt     time.Time `json:"createdAt"`
	ActivatedAt   time.Time `json:"activatedAt,omitzero"`
	RetiredAt     time.Time `json:"retiredAt,omitzero"`
	PinnedClients []string  `json:"pinnedClients"`
}

// NewGatewayKey returns the view of k.
func NewGatewayKey(k *gateway.GatewayKeyInfo) GatewayKey {
	v := GatewayKey{Version: k.Version, State: string(k.State), Fingerprint: wire.Fingerprint(k.PublicKey),
		CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt, RetiredAt: k.RetiredAt, PinnedClients: k.PinnedClients}
	if v.PinnedClients == nil {
		v.PinnedClients = []string{}
	}
	return v
}
